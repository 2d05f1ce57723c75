"""Spoken lines in a brief: who says what, taken out of the text before anything reads it as
action or direction.

A quoted line is speech only when something attributes it: `Name: "..."`, `Name says "..."`,
`"...," Name says`, `"...," says Name`, a pronoun with a speech verb, or a screenplay block
(a NAME cue line, an optional parenthetical, the line). Quotes nobody speaks (a sign that reads
"OPEN") stay in the text, because they are something the camera sees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from director.prompts.vocabulary import SPEECH_VERBS, third_person

QUOTE = r'(?:"(?P<q1>[^"\n]+)"|“(?P<q2>[^”\n]+)”)'
_NAME = r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,2}"
_WHO = rf"(?P<who>{_NAME}|[Ss]he|[Hh]e|[Tt]hey|[Ii])"
_VERB = "|".join(sorted({third_person(v) for v in SPEECH_VERBS}, key=len, reverse=True))
_HOW = r"(?:\s*\((?P<how>[^)\n]{1,40})\))?"
_ADVERB = r"(?:\s+(?P<adv>\w+ly))?"
_TO = r"(?:\s+(?:to|at)\s+(?P<to>[A-Z][\w'’-]*|him|her|them|me|us))?"
# The forms, most specific first; each consumes the attribution together with the quote.
_FORMS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?<![\w'’]){_WHO}{_HOW}\s*:\s*{QUOTE}"),
    re.compile(rf"(?<![\w'’]){_WHO}\s+(?P<verb>{_VERB}){_ADVERB}{_TO}{_HOW}\s*[:,]?\s*{QUOTE}"),
    re.compile(rf"{QUOTE}\s*[,—–-]?\s*{_WHO}\s+(?P<verb>{_VERB})\b{_ADVERB}{_TO}"),
    re.compile(rf"{QUOTE}\s*[,—–-]?\s*(?P<verb>{_VERB})\s+{_WHO}\b{_ADVERB}"),
    # "A voice crackles over the radio: "..."": spoken, by whoever the lead names.
    re.compile(rf"(?<=[^\s.!?])\s*:\s*{QUOTE}"),
)
_PRONOUNS = {"she", "he", "they", "i"}
_NOT_SPEAKERS = {"the", "a", "an", "then", "and", "but", "text", "caption", "title", "sign",
                 "super", "logo", "tagline", "shot", "shots", "style", "look", "audio", "sound",
                 "note", "it", "this", "that"}


@dataclass(frozen=True)
class Line:
    """One spoken line: the speaker as written ("Sam", "she"), the words, how they are said."""

    speaker: str
    text: str
    verb: str = "say"
    how: str = ""
    to: str = ""


def take_speech(text: str) -> tuple[str, list[Line]]:
    """`text` without its attributed quotes, and the lines they held, in order."""
    lines: list[tuple[int, Line]] = []
    for form in _FORMS:
        def keep(m: re.Match[str]) -> str:
            who = m.groupdict().get("who") or ""
            before = re.findall(r"[A-Za-z]+", m.string[:m.start()])[-1:] or [""]
            label = who or before[0]
            if label.lower() in _NOT_SPEAKERS or label.lower() in ("reads", "says", "read"):
                return m.group(0)
            verb = m.groupdict().get("verb") or "says"
            words = (m["q1"] or m["q2"]).strip().rstrip(",").strip()
            line = Line(speaker=who, text=words,
                        verb=_base(verb), how=_how(m), to=m.groupdict().get("to") or "")
            lines.append((m.start(), line))
            return " "
        text = form.sub(keep, text)
    return _tidy(text), [line for _, line in sorted(lines, key=lambda x: x[0])]


def bare_quote(text: str) -> str:
    """The words of a sentence that is nothing but a quote (`"Hello."`), else ""."""
    m = re.fullmatch(rf"\s*{QUOTE}\s*\.?\s*", text)
    return (m["q1"] or m["q2"]).strip() if m else ""


def mask_quotes(text: str) -> tuple[str, list[str]]:
    """Quoted spans replaced by placeholders, so sentence and clause splitting never lands
    inside a line ("Every night, hon. Then the sun comes up.")."""
    found: list[str] = []

    def hide(m: re.Match[str]) -> str:
        found.append(m.group(0))
        return f"\u27e8{len(found) - 1}\u27e9"

    return re.sub(r'"[^"\n]*"|“[^”\n]*”', hide, text), found


def unmask_quotes(text: str, found: list[str]) -> str:
    return re.sub(r"\u27e8(\d+)\u27e9", lambda m: found[int(m.group(1))], text)


def speaking_action(line: Line, listener: str) -> str:
    """The one physical action of a shot whose beat is a spoken line: the speech verb toward
    the listener ("whispers to Nadia"), never the words themselves."""
    verb = {"say": "speak", "tell": "speak", "add": "speak", "continue": "speak",
            "begin": "speak", "call": "call out", "sing": "sing", "cry": "cry out",
            "shrug": "speak", "breathe": "speak", "laugh": "laugh"}.get(line.verb, line.verb)
    head, _, rest = verb.partition(" ")
    phrase = " ".join([third_person(head), *([rest] if rest else [])])
    adverb = line.how if re.fullmatch(r"\w+ly", line.how) else ""
    if adverb:
        phrase += f" {adverb}"
    if listener:
        direct = verb in ("ask", "answer", "warn", "tease", "greet")
        phrase += f" {listener}" if direct else f" to {listener}"
    if line.how and not adverb:
        phrase += f", {line.how.lower()}"
    return phrase


def screenplay_lines(lines: list[str]) -> list[str]:
    """Screenplay dialogue blocks (a NAME cue line, an optional "(parenthetical)", the spoken
    lines) rewritten as `Name (parenthetical): "line"`, so one reader handles every form."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        bare = _BARE_LINE.match(lines[i])
        if bare and bare["name"].split()[0] not in _LABEL_WORDS:
            # "PRIYA: We missed the turn." - a screenplay line without quotes
            how = f" {bare['how']}" if bare["how"] else ""
            name = " ".join(w.capitalize() for w in bare["name"].split())
            words = bare["line"].strip().replace('"', "'")
            out.append(f'{name}{how}: "{words}"')
            i += 1
            continue
        cue = _cue(lines[i])
        if cue and i + 1 < len(lines) and lines[i + 1].strip() and not _cue(lines[i + 1]):
            j, how = i + 1, ""
            if re.fullmatch(r"\s*\([^)]*\)\s*", lines[j]):
                how, j = lines[j].strip()[1:-1], j + 1
            spoken: list[str] = []
            while j < len(lines) and lines[j].strip() and not _cue(lines[j]):
                spoken.append(lines[j].strip())
                j += 1
            if spoken:
                note = f" ({how})" if how else ""
                words = " ".join(spoken).replace('"', "'")
                out.append(f'{cue}{note}: "{words}"')
                i = j
                continue
        out.append(lines[i])
        i += 1
    return out


_BARE_LINE = re.compile(r"^\s*(?P<name>[A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]+)?)\s*"
                        r"(?P<how>\([^)]*\))?\s*:\s+(?P<line>[^\"“\s].*)$")
_LABEL_WORDS = {"NOTE", "NOTES", "STYLE", "AUDIO", "SFX", "TITLE", "SUPER", "TEXT", "CAPTION",
                "LOGO", "MUSIC", "SOUND", "LOCATION", "SETTING", "CAST", "SHOT", "SHOTS",
                "SCENE", "BRIEF", "CLIENT", "FORMAT", "DURATION", "PLATFORM", "TONE", "LOOK",
                "MOOD", "INT.", "EXT.", "INT", "EXT", "CTA", "VO", "V.O.", "BUDGET", "DELIVERY",
                "LIGHTING", "LIGHT", "CAMERA", "LENS", "ASPECT", "CHARACTERS", "CHARACTER",
                "TAGLINE", "PRODUCT", "BRAND", "OBJECTIVE", "AUDIENCE", "GOAL", "DELIVERABLES",
                # shot-size and angle abbreviations label a shot, not a speaker ("MS: ...")
                "EWS", "ELS", "WS", "LS", "MS", "MLS", "MWS", "MCU", "CU", "ECU", "XCU", "OTS",
                "POV", "INSERT", "WIDE", "CLOSE", "TOP", "OVERHEAD", "AERIAL", "DRONE", "FADE",
                "CUT", "SMASH", "MONTAGE", "END", "OPEN", "TRANSITION"}


def _cue(line: str) -> str:
    """A screenplay character cue ("ROSA", "ELI (V.O.)") as a name ("Rosa"), else ""."""
    m = re.fullmatch(r"\s*(?P<name>[A-Z][A-Z'’.-]+(?: [A-Z][A-Z'’.-]+){0,2})"
                     r"(?:\s*\((?:V\.?O\.?|O\.?S\.?|CONT'?D|O\.?C\.?)\))?\s*", line)
    if not m or re.match(r"(?:INT|EXT|I/E)\b|CUT\b|FADE\b|THE END\b", m["name"]):
        return ""
    return " ".join(w.capitalize() for w in m["name"].split())


def _base(verb: str) -> str:
    low = verb.lower()
    for base in SPEECH_VERBS:
        if third_person(base) == low:
            return base
    return "say"


def _how(m: re.Match[str]) -> str:
    groups = m.groupdict()
    return (groups.get("how") or groups.get("adv") or "").strip()


def _tidy(text: str) -> str:
    text = re.sub(r"(?<=[.!?])\s+\.", "", text)
    text = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\s+", " ", text))
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    return text.strip(" ,;:—–-")

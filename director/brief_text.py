"""Reading a brief's prose: the metadata free text states (phrases inside fields: brief_phrases).

From free text only METADATA is read (title, length, frame, platform, audio, tier, budget,
resolution, style, language, and beats when the brief clearly numbers its shots); who and what is
in the film is the brain's job. The same readers turn a structured brief's friendly values ("20 s",
"vertical", a lighting sentence, wardrobe as words) into fields. Failures are BriefErrors of one
line naming the source; briefs.py loads files, coerces structured briefs and validates.

Choices where the brief format is loose: "4k" is delivered at 1080p, the most we render; a
location without lighting gets a stated default for its time of day (every prompt needs a light
direction).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from director.controls import strip_controls
from director.errors import BriefError
from director.film import ASPECT_RATIOS

DEFAULT_S, ONE_LINER_S = 15.0, 10.0
"""Length of a brief that states none: a one-line idea gets a short film."""

# ---- vocabulary ------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}
# The lookbehind keeps these linear on a 1 MB run of digits (a run is tried from its start
# only), and it keeps "often seconds" from reading as ten. Digits are unbounded so that
# "99999999999 seconds" is read, and refused, rather than silently skipped.
_NUM_WORDS = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUM = r"(?<![\w.])(\d+(?:\.\d{1,2})?|" + _NUM_WORDS + ")"
_SECONDS = re.compile(_NUM + r"(\s{0,2}-?\s{0,2})(seconds?|secs?|s)\b", re.I)
_MINUTES = re.compile(r"(?<![\w.])(\d+(?:\.\d{1,2})?|an?|one|two|three|half an?)"
                      r"\s{0,2}-?\s{0,2}(?:minutes?|mins?)\b", re.I)
_HOURS = re.compile(r"(?<![\w.])(\d+(?:\.\d{1,2})?|an?|one|two|three|half an?)"
                    r"\s{0,2}-?\s{0,2}(?:hours?|hrs?)\b", re.I)
# "1e9 seconds" or "2.5e3 s": a float's notation, not a length anyone writes; read as "9 s"
# (or skipped) it would set a length nobody asked for.
_SCIENTIFIC = re.compile(r"(?<![\w.])\d+(?:\.\d+)?e[-+]?\d+\s{0,2}-?\s{0,2}"
                         r"(?:seconds?|secs?|s|minutes?|mins?|hours?|hrs?)\b", re.I)
_MINUS = "\u2212-"  # last in a [...] class, so the dash stays literal
# "in 9999 shots", "9999 shots of a cat", "a 70-shot film": a stated shot count. After a verb
# ("he fires 100 shots") it is story, so only these openings count.
_SHOT_COUNT = re.compile(
    r"(?:^|[,(;:]|\b(?:in|across|over|using|with|of|want|need|total(?:\s+of)?)\b)[ \t]*"
    r"(\d+)[ \t]*(?:shots|clips)\b|(?<![\w.])(\d+)[ \t]*-[ \t]*shot\b(?!s)", re.I | re.M)
MAX_STATED_SHOTS = 60
"""The most shots a film is planned in; a brief that asks for more is refused, not cut short."""
# A duration preceded by a label, or followed by a format noun, is the film's length; other
# numbers ("holds for 2 seconds") are story detail and count only when nothing better exists.
_LABEL_BEFORE = re.compile(r"(duration|length|runtime|run time|total|long)\W{0,3}$", re.I)
_FORMAT_AFTER = re.compile(
    # No comma between number and noun: in "Jonas, 50s, grey crew cut" the cut is a haircut.
    # Used as .match(text, pos), so it is anchored at pos without a "^".
    r"[\s\-–]{0,3}(?:\w+\s+){0,2}?(ad|spot|video|clip|cut|teaser|piece|film|reel|commercial|"
    r"story|version|edit|trailer|promo|loop|montage|sequence|long|total)\b", re.I)
_DECADE_BEFORE = re.compile(r"\b(?:early|mid|late|her|his|their|in|the)\s*-?\s*$", re.I)
_SENTENCE_AFTER = re.compile(r"\s*(?:[.!?;)]|$)", re.M)
_RATIO = re.compile(r"(?<![\d.:])(\d{1,2}(?:\.\d{1,2})?)\s*([:x×])\s*(\d{1,2})(?![\d:])")
# Ratios people actually ask for; anything else with a colon ("10:30") is a time, not a frame.
_KNOWN_RATIOS = {"16:9", "9:16", "1:1", "4:3", "3:4", "4:5", "5:4", "21:9", "9:21", "2:1",
                 "3:2", "2:3", "1.85:1", "2.35:1", "2.39:1"}
_VERTICAL = re.compile(
    r"\bvertical\b(?!\s+(?:cliff|blinds?|wall|drop|face|lines?|stripes?|garden|rock|slats?))|"
    r"\bportrait\b(?!\s+(?:of|photo\w*|painting|painter|lens|lighting|session|studio|shot))|"
    r"\b(?:instagram|ig|facebook|fb)\s+(?:reels?|stories)\b|(?-i:\bReels?\b)|\btik\s?tok\b|"
    r"\byoutube\s+shorts\b|(?-i:\bShorts\b)", re.I)
_SQUARE = re.compile(
    r"\bsquare\s+(?:\w+\s+)?(?:format|video|frame|crop|post|aspect|ratio|clip|ad|spot|cut|"
    r"version|feed)\b|\b(?:in|as)\s+(?:a\s+)?square\b|(?:^|[,(;])[ \t]*square[ \t]*(?=[,);.]|$)",
    re.I | re.M)
_PLATFORMS = (
    (r"\b(?:instagram|ig)\s+reels?\b|(?-i:\bReels\b)", "instagram reels"),
    (r"\b(?:instagram|ig)\s+stor(?:y|ies)\b", "instagram stories"),
    (r"\btik\s?tok\b", "tiktok"),
    (r"\byoutube\s+shorts\b|(?-i:\bShorts\b)", "youtube shorts"),
    (r"\binstagram\b", "instagram"),
    (r"\byoutube\b", "youtube"),
    (r"\blinkedin\b", "linkedin"),
    (r"\bfacebook\b", "facebook"),
    (r"\b(?:tv|television)\s+(?:spot|ad|commercial)\b|\bbroadcast\b|\bfor\s+tv\b", "tv"),
    (r"\bcinema\b|\btheatrical\b", "cinema"),
    (r"\bsocial\b", "social"),
)
VERTICAL_PLATFORMS = ("reels", "stories", "tiktok", "shorts")
_SILENT = re.compile(
    r"\bno\s+(?:audio|sound)\b|\bwithout\s+(?:audio|sound)\b|\baudio\s*:\s*(?:off|none|no)\b|"
    r"\bmuted?\b|\bsilent(?=\s*(?:[^\w\s]|$|film|video|version|spot|cut|ad|clip))", re.I | re.M)
_AUDIO = re.compile(
    r"(?<!\bno )(?<!\bwithout )(?<!\bnot )\b(?:native audio|audio|sound(?:s|scape| design)?|"
    r"sfx|sound effects?|dialogue|voice[- ]?over|vo|narrat(?:ion|or)|music|ambience|foley|"
    r"ambient\s+(?:sound|noise|audio)|spoken|speaks?|whispers?)\b", re.I)
# `Name: "Line"` or `says, "Line"`: a spoken line even when the word dialogue never appears.
_SPOKEN_LINE = re.compile(
    r"(?:\b(?!(?:Title|Style|Look|Mood|Tone|Text|Caption|Tagline|Super|Logo|Slogan|Brief|Note|"
    r"Shots?)\b)[A-Z]\w{1,30}\s{0,2}(?:\([^)\n]{0,40}\))?:|\b(?:says|asks|replies)\W{0,2})\s*[\"“]")
_FINAL = re.compile(r"\bfinal\s+(?:on\s+the\s+best|quality|tier|render)\b|\bbest\s+model\b|"
                    r"\bhighest\s+quality\b|\btier\s*:\s*final\b|\bproduction\s+quality\b", re.I)
_DRAFT = re.compile(r"\bdraft\s+(?:only|quality|tier)\b|\btier\s*:\s*draft\b", re.I)
_MONEY = r"\$\s*(\d[\d,]*(?:\.\d+)?)"
# "budget $-5", "cap: -$5", "$-5 budget": a negative cap, refused rather than skipped.
_NEGATIVE_BUDGET = re.compile(
    r"\b(?:budget|cap|limit|max(?:imum)?|spend\w*)\b[^$\n\d" + _MINUS + r"]{0,25}"
    r"(?:[" + _MINUS + r"]\s*\$|\$\s*[" + _MINUS + r"])\s*(\d[\d,]*(?:\.\d+)?)|"
    r"\$\s*[" + _MINUS + r"]\s*(\d[\d,]*(?:\.\d+)?)\s*(?:usd\s*)?(?:budget|cap|limit)\b",
    re.I)
_BUDGET = (
    re.compile(r"\b(?:budget|cap|limit|under|max(?:imum)?|up to|no more than|at most|spend\w*)"
               r"\b[^$\n\d]{0,25}" + _MONEY, re.I),
    re.compile(_MONEY + r"\s*(?:usd\s*)?(?:total\s*)?(?:budget|cap|limit|max(?:imum)?)\b", re.I),
    re.compile(r"\bbudget\b[^\n\d]{0,15}(\d[\d,]*(?:\.\d+)?)\s*(?:usd|dollars)\b", re.I),
)
HIGH_RES = re.compile(r"\b(?:1080[pi]|full[- ]?hd|fhd|1920\s*[x×]\s*1080|1080\s*[x×]\s*1920|"
                       r"4k|2160p|uhd|ultra[- ]?hd)\b", re.I)
LOW_RES = re.compile(r"\b720p\b", re.I)
# Multi-line patterns use [ \t]*, never \s*, so a run of blank lines cannot go quadratic.
_STYLE_LABEL = re.compile(r"^[ \t]*(?:style|look|mood|tone|feel)[ \t]*:[ \t]*(.+)$", re.I | re.M)
_STYLE_LIST = re.compile(r"^[A-Za-z-]+(?: [A-Za-z-]+)?(?:,\s*(?:and\s+)?[A-Za-z-]+"
                         r"(?: [A-Za-z-]+)?){2,5}$")
_LANGUAGES = {"english": "en", "spanish": "es", "french": "fr", "german": "de", "italian": "it",
              "portuguese": "pt", "japanese": "ja", "korean": "ko", "mandarin": "zh",
              "chinese": "zh", "hindi": "hi", "arabic": "ar", "dutch": "nl"}
_LANGUAGE = re.compile(r"\b(?:in|language\s*:?)\s+(" + "|".join(_LANGUAGES) + r")\b", re.I)
_NUMBERED = re.compile(r"^[ \t]*(?:shot[ \t]+)?(\d{1,2})[ \t]{0,3}(\([^)\n]{0,40}\))?[ \t]{0,3}"
                       r"[.):][ \t]+(\S.*)$", re.I)
_SHOTS_LABEL = re.compile(r"\bshots\s*:\s*", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


# ---- small helpers ---------------------------------------------------------------------------


def brief_error(source: str, problem: str) -> BriefError:
    """The one-line error for a problem with the brief at `source` (a path may hold anything:
    its control characters and line ends are taken out so the message stays one clean line)."""
    return BriefError(" ".join(strip_controls(f"{source}: {problem}").split("\n")))


def _number(token: str) -> float:
    token = token.lower()
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return {"a": 1.0, "an": 1.0, "half a": 0.5, "half an": 0.5}.get(token) or float(token)


def normalise(text: str) -> str:
    """Unix line ends (line arithmetic depends on them), control characters out (see
    strip_controls), outer whitespace trimmed."""
    return strip_controls(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def clean(line: str) -> str:
    return line.strip().strip("*_`").strip().rstrip(".;,").strip()


# ---- metadata from free text -----------------------------------------------------------------


def _numbered_beats(lines: list[str]) -> tuple[list[str], set[int]]:
    """The first run of lines numbered 1, 2, 3... (indented lines continue the item above)."""
    beats: list[str] = []
    used: set[int] = set()
    for i, line in enumerate(lines):
        match = _NUMBERED.match(line)
        if match and int(match.group(1)) == len(beats) + 1:
            note = f" {match.group(2)}" if match.group(2) else ""  # "Shot 1 (4 s): ..." keeps 4 s
            beats.append(match.group(3).rstrip() + note)
            used.add(i)
        elif beats and line[:1].isspace() and line.strip() and not match:
            beats[-1] += " " + line.strip()
            used.add(i)
        elif beats and line.strip():
            break
    # "1." alone might be a requirement list; "Shot 1:" is unambiguous.
    if len(beats) < 2 and not (beats and lines[min(used)].lstrip().lower().startswith("shot")):
        return [], set()
    return [c for c in map(clean, beats) if c], used


def _shots_sentence(text: str) -> list[str]:
    """'Shots: a; b; c. Other sentence.' -> [a, b, c]: the paragraph after the label, split on
    semicolons, the last item cut at its sentence end."""
    match = _SHOTS_LABEL.search(text)
    if not match:
        return []
    paragraph = re.split(r"\n\s*\n", text[match.end():], maxsplit=1)[0]
    items = [" ".join(part.split()) for part in paragraph.split(";")]
    if len(items) < 2:
        return []
    items[-1] = _SENTENCE_END.split(items[-1], maxsplit=1)[0]
    return [clean(item) for item in items if clean(item)]


def _negative(text: str, start: int) -> bool:
    """Whether the number at `start` carries a minus sign ("-5 s"), not a range ("3-5 s")."""
    return (start > 0 and text[start - 1] in _MINUS
            and (start == 1 or not text[start - 2].isalnum()))


def duration_matches(text: str, source: str = "brief") -> list[tuple[int, int, float]]:
    """(score, position, seconds) for every length-like phrase in the text. A negative length,
    or one written in scientific notation, is a BriefError: it cannot mean a film's length."""
    odd = _SCIENTIFIC.search(text)
    if odd:
        raise brief_error(source, f"length {odd.group(0)[:40]!r} is not a number of seconds "
                                  "(write e.g. 20 s)")
    found: list[tuple[int, int, float]] = []
    for match in _SECONDS.finditer(text):
        number, gap, unit = match.groups()
        value = _number(number)
        # Glued and round, "40s" is usually a decade ("in her 40s", "Ana: 40s, black hair");
        # it is a length when it names a format ("a 30s ad") or ends a sentence ("drone, 20s").
        if unit.lower() == "s" and not gap and value % 10 == 0:
            before = text[max(0, match.start() - 12):match.start()]
            as_length = (_FORMAT_AFTER.match(text, match.end())
                         or _SENTENCE_AFTER.match(text, match.end()))
            if value >= 1000 or _DECADE_BEFORE.search(before) or not as_length:
                continue
        found.append(_length(text, match, value, source))
    for match in _MINUTES.finditer(text):
        found.append(_length(text, match, _number(match.group(1)) * 60, source))
    for match in _HOURS.finditer(text):
        # "a 24-hour diner" is story; only a labelled length or "a 2 hour film" counts.
        if _score(text, match):
            found.append(_length(text, match, _number(match.group(1)) * 3600, source))
    return found


def _length(text: str, match: re.Match[str], seconds: float, source: str
            ) -> tuple[int, int, float]:
    if _negative(text, match.start()):
        raise brief_error(source, f"length {text[match.start() - 1:match.end()]!r} is negative")
    return _score(text, match), match.start(), seconds


def _score(text: str, match: re.Match[str]) -> int:
    if _LABEL_BEFORE.search(text[max(0, match.start() - 20):match.start()]):
        return 2
    # match(text, pos), not a slice: slicing the rest of a 1 MB brief at every number is
    # quadratic.
    return 1 if _FORMAT_AFTER.match(text, match.end()) else 0


def _duration(text: str, beat_lines: set[int], source: str) -> float | None:
    """The film's length; per-shot lengths on numbered lines add up when no total is given."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    spans = [(offsets[i], offsets[i + 1]) for i in beat_lines]
    overall = [m for m in duration_matches(text, source)
               if not any(a <= m[1] < b for a, b in spans)]
    if overall:
        return max(overall, key=lambda m: (m[0], -m[1]))[2]
    per_beat = [duration_matches(lines[i], source) for i in sorted(beat_lines)]
    if per_beat and all(per_beat):
        return sum(found[0][2] for found in per_beat)
    return None


def aspect_of(text: str, source: str) -> str | None:
    for match in _RATIO.finditer(text):
        ratio = f"{match.group(1)}:{match.group(3)}"
        if ratio in ASPECT_RATIOS:
            return ratio
        # "3x2 grid" is not a frame request; only the colon form is an explicit ratio.
        if ratio in _KNOWN_RATIOS and match.group(2) == ":":
            raise brief_error(source, f"aspect ratio {ratio} is not supported; use "
                                f"{', '.join(ASPECT_RATIOS)}")
    if _VERTICAL.search(text):
        return "9:16"
    return "1:1" if _SQUARE.search(text) else None


def _platform(text: str) -> str | None:
    return next((name for rx, name in _PLATFORMS if re.search(rx, text, re.I)), None)


def _audio(text: str) -> bool | None:
    if _SILENT.search(text):
        return False
    if _AUDIO.search(text) or _SPOKEN_LINE.search(text):
        return True
    return None


def _budget(text: str, source: str = "brief") -> float | None:
    negative = _NEGATIVE_BUDGET.search(text)
    if negative:
        amount = negative.group(1) or negative.group(2)
        raise brief_error(source, f"budget $-{amount} is negative")
    for rx in _BUDGET:
        match = rx.search(text)
        if match:
            # "$1e400" or "$5x": the digits are only the start of something that is not a
            # dollar amount; reading "$1" from it would set a cap nobody asked for.
            tail = re.match(r"[A-Za-z0-9_]+", text[match.end(1):])
            if tail:
                raw = match.group(1) + tail.group(0)
                raise brief_error(source, f"budget {raw!r} is not a dollar amount (write e.g. $25)")
            return float(match.group(1).replace(",", ""))
    return None


def check_shot_count(text: str, source: str = "brief") -> None:
    """Refuse a stated shot count the planner cannot honour ("9999 shots"): a film is planned
    in at most MAX_STATED_SHOTS, and cutting the ask short without a word would surprise."""
    for match in _SHOT_COUNT.finditer(text):
        digits = (match.group(1) or match.group(2)).lstrip("0") or "0"
        if len(digits) > 3 or int(digits) > MAX_STATED_SHOTS:
            shown = digits if len(digits) <= 12 else digits[:9] + "..."
            raise brief_error(source, f"asks for {shown} shots; a film is planned in at most "
                                      f"{MAX_STATED_SHOTS} (ask for fewer, or leave the count "
                                      "to the director)")


def _style(text: str) -> str | None:
    labelled = _STYLE_LABEL.search(text)
    if labelled:
        return clean(labelled.group(1))
    for sentence in re.split(r"[.!?\n]+", text):
        if _STYLE_LIST.match(sentence.strip()):
            return sentence.strip().lower()
    return None


def title_from(text: str, title_hint: str) -> str:
    """First markdown heading, else a Title: line, else the hint (a file stem), else first words."""
    stated = re.search(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", text, re.M) or re.search(
        r"^[ \t]*title[ \t]*:[ \t]*(.+)$", text, re.I | re.M)
    if stated:
        # "# Morning Ritual — 20 s product spot" -> "Morning Ritual": the rest is metadata.
        return clean(re.split(r"\s+[—–|-]\s+", stated.group(1), maxsplit=1)[0]) or "Untitled"
    if title_hint.strip():
        return " ".join(w.capitalize() for w in re.split(r"[-_\s]+", title_hint.strip()) if w)
    words = re.sub(r"[^\w\s'-]", " ", text.strip().splitlines()[0]).split()[:6]
    return " ".join(words).capitalize() or "Untitled"


def _tier(text: str) -> str | None:
    return "final" if _FINAL.search(text) else ("draft" if _DRAFT.search(text) else None)


def _resolution(text: str) -> str | None:
    return "1080p" if HIGH_RES.search(text) else ("720p" if LOW_RES.search(text) else None)


def _language(text: str) -> str | None:
    match = _LANGUAGE.search(text)
    return _LANGUAGES[match.group(1).lower()] if match else None


def extract_metadata(text: str, source: str = "brief", known: set[str] | None = None
                     ) -> dict[str, Any]:
    """Brief fields the text states explicitly (absent keys: the text does not say). Fields in
    `known` are skipped: a structured brief's explicit value beats anything in its prose."""
    check_shot_count(text, source)
    beats, beat_lines = _numbered_beats(text.split("\n"))
    extractors: dict[str, Callable[[], Any]] = {
        "beats": lambda: beats or _shots_sentence(text),
        "target_duration_s": lambda: _duration(text, beat_lines, source),
        "aspect_ratio": lambda: aspect_of(text, source),
        "platform": lambda: _platform(text),
        "audio": lambda: _audio(text),
        "tier": lambda: _tier(text),
        "budget_usd": lambda: _budget(text, source),
        "resolution": lambda: _resolution(text),
        "style": lambda: _style(text),
        "language": lambda: _language(text),
    }
    skip = known or set()
    found = {key: get() for key, get in extractors.items() if key not in skip}
    return {key: value for key, value in found.items() if value not in (None, [], "")}


def default_duration(text: str) -> float:
    """A one-line idea gets a short film; anything longer the usual 15 s."""
    one_liner = len([ln for ln in text.splitlines() if ln.strip()]) == 1
    return ONE_LINER_S if one_liner else DEFAULT_S

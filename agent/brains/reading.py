"""Reading a brief's prose: beats, who is in each, scenes and places, sound, negatives, style.

Deterministic text heuristics, no model: numbered lines or a "Shots:" list are taken as beats
one for one; free narrative is split into one beat per action ("steps in, shakes the umbrella,
and looks back" is three beats); camera sentences ("The camera starts behind her, then moves to
a side angle as she ...") become camera cues on the beat they describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from director.agent.brains.brieftext import (
    DIALOGUE,
    LIST_MARKER,
    SceneReading,
    logical_lines,
    sort_text,
    split_sentences,
    verb_index,
    words_of,
)
from director.agent.brains.casting import read_characters
from director.film import Brief, Character
from director.prompts.vocabulary import VAGUE_WORDS, handle, to_gerund, verb_base

_CAMERA = re.compile(r"^(?:the\s+)?camera\s+(?P<cue>.+?)(?:\s+(?:as|while)\s+(?P<rest>.+))?$",
                     re.IGNORECASE)
_CAMERA_INLINE = re.compile(r"[,;]?\s*(?:as|while)\s+the\s+camera\s+(?P<cue>[^,;]+)",
                            re.IGNORECASE)
_SIZE = re.compile(
    r"^(?:an?\s+)?(?:final\s+|opening\s+|slow\s+|tight\s+)?(?P<size>extreme close-?up|close-?up|"
    r"medium(?: shot)?|wide(?: shot)?|establishing(?: shot)?|macro(?: shot)?|overhead(?: shot)?"
    r"|aerial(?: shot)?)\s+(?:of|on)\s+(?P<rest>.+)$", re.IGNORECASE)
_SIZE_CUES = {"extreme close": "extreme_close_up", "macro": "extreme_close_up",
              "close": "close_up", "medium": "medium", "wide": "wide", "establishing": "wide",
              "aerial": "extreme_wide", "overhead": "medium"}
_LIGHT = re.compile(r"\b(?:light|sunlight|daylight|lamp|neon|glow|moonlight|sun)\b[^,;]*?"
                    r"\b(?:from|through)\b", re.IGNORECASE)
_PRONOUNS = {"she", "he", "they", "her", "him", "his", "them", "their", "together"}
DEFAULT_ACTION = "holds still in frame"
"""The action of a beat that names only a thing, e.g. "a final wide of the whole set"."""


@dataclass(frozen=True)
class BeatReading:
    """One beat as the brief tells it."""

    text: str
    scene: int
    subject: str
    characters: tuple[str, ...]
    action: str
    after: str = ""
    """A secondary action folded into the end position ("smiling"), keeping one action."""
    camera_cue: str = ""
    size_cue: str = ""
    light: str = ""
    dialogue: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class BriefReading:
    """Everything the brief's prose says, sorted for the shot designer."""

    beats: tuple[BeatReading, ...]
    scenes: tuple[SceneReading, ...]
    characters: tuple[Character, ...]
    sfx: tuple[str, ...]
    negatives: tuple[str, ...]
    style: tuple[str, ...]
    text: str


@dataclass
class _Memory:
    """Who "she" and a subject-less verb refer to, as the reading moves through the beats."""

    last_characters: tuple[str, ...] = ()
    scene_characters: list[str] = field(default_factory=list)
    last_object: str = ""
    last_plural: str = ""
    scene: int = 0


def read_brief(brief: Brief) -> BriefReading:
    """Structured fields win (brief.beats, brief.characters); the prose fills the rest."""
    lines = logical_lines(brief.text)
    sentences = [s for line in lines for s in split_sentences(LIST_MARKER.sub("", line))]
    characters = list(brief.characters) or read_characters(brief.text, sentences)
    names = [c.name for c in characters]
    text = sort_text(brief.text, names)
    items = text.items
    if brief.beats:
        items = [(0, LIST_MARKER.sub("", b).strip()) for b in brief.beats if b.strip()]
    beats = _read_beats(items, text.narrative, text.scenes, names)
    if not beats:
        beats = [_read_beat(brief.title, 0, names, _Memory())]
    used = sorted({b.scene for b in beats})
    renumber = {old: new for new, old in enumerate(used)}
    beats = [replace(b, scene=renumber[b.scene]) for b in beats]
    style = [*words_of(brief.style), *text.style]
    return BriefReading(beats=tuple(beats), scenes=tuple(text.scenes[i] for i in used),
                        characters=tuple(characters), sfx=tuple(text.sfx),
                        negatives=tuple(text.negatives), style=tuple(dict.fromkeys(style)),
                        text=brief.text)


def _read_beats(items: list[tuple[int, str]], narrative: list[tuple[int, str]],
                scenes: list[SceneReading], names: list[str]) -> list[BeatReading]:
    memory = _Memory()
    beats: list[BeatReading] = []
    clauses = [(s, t, False) for s, t in items] if items else [
        (s, c, True) for s, t in narrative for c in _clauses(t)]
    verbless_ok = len(clauses) <= 1
    pending_cue = ""
    for scene, text, free in clauses:
        if scene != memory.scene:
            memory.scene, memory.scene_characters = scene, []
        if free and not verbless_ok and _is_setting_only(text, names, memory):
            scenes[scene].details.append(text.rstrip("."))
            continue
        beat = _read_beat(text, scene, names, memory)
        if beat.action == "" and beat.camera_cue:  # a camera-only clause
            if beats and beats[-1].scene == scene and not beats[-1].camera_cue:
                beats[-1] = replace(beats[-1], camera_cue=beat.camera_cue)
            else:
                pending_cue = beat.camera_cue
            continue
        if pending_cue and not beat.camera_cue:
            beat = replace(beat, camera_cue=pending_cue)
        pending_cue = ""
        beats.append(beat)
    return beats


def _is_setting_only(text: str, names: list[str], memory: _Memory) -> bool:
    """A clause about the place, not an action of anyone: it enriches the location instead."""
    if not names or _CAMERA.match(text) or DIALOGUE.match(text):
        return False
    words = set(re.findall(r"[A-Za-z']+", text.lower()))
    if any(n.lower() in words for n in names) or words & _PRONOUNS:
        return False
    first = text.split()[0] if text.split() else ""
    if verb_base(first):
        return False
    return bool(re.search(r"\b(?:neon|rain|light|reflect\w*|sign|signs|fog|mist|snow|wind|"
                          r"shadows?|glow\w*|puddles?|steam)\b", text, re.IGNORECASE))


def _clauses(sentence: str) -> list[str]:
    """One clause per action: split on "then" and ";", and on comma lists of verbs."""
    body = sentence.strip().rstrip(".")
    if DIALOGUE.match(sentence.strip()):
        return [sentence.strip()]
    camera = bool(re.match(r"^(?:the\s+)?camera\b", body, re.IGNORECASE))
    out: list[str] = []
    for i, piece in enumerate(re.split(r",?\s+then\s+|;\s*", body)):
        if camera and i > 0 and not re.match(r"^(?:the\s+)?camera\b", piece, re.IGNORECASE):
            piece = f"The camera {piece}"
        out += _verb_phrases(piece, r"(,\s*(?:and\s+)?)")
    return out


def _read_beat(text: str, scene: int, names: list[str], memory: _Memory) -> BeatReading:
    t = text.strip().rstrip(".")
    said = DIALOGUE.match(t)
    if said:
        who = said["who"]
        others = [n for n in [*memory.scene_characters, *names] if n != who]
        action = f"speaks to {others[0]}" if others else "speaks to the camera"
        _remember(memory, (who,), "")
        return BeatReading(text=text, scene=scene, subject=who, characters=(who,),
                           action=action, dialogue=((who, said["line"]),))
    cue = ""
    camera = _CAMERA.match(t)
    if camera:
        cue, t = camera["cue"], camera["rest"] or ""
        target = re.search(r"\b(?:on|at|toward|towards|over|around)\s+(?P<obj>(?:a|an|the)\s+.+)$",
                           cue)
        if target:  # "pushes in on a candle as it flickers": "it" is the candle
            memory.last_object = handle(target["obj"])
        if not t:
            return BeatReading(text=text, scene=scene, subject="", characters=(), action="",
                               camera_cue=cue.strip())
    elif inline := _CAMERA_INLINE.search(t):
        cue, t = inline["cue"], (t[: inline.start()] + t[inline.end():]).strip()
    size_cue = ""
    if framed := _SIZE.match(t):
        size_cue = next(v for k, v in _SIZE_CUES.items() if k in framed["size"].lower())
        t = framed["rest"]
    light = ""
    clauses = t.split(", ")
    for clause in clauses[1:]:
        if _LIGHT.search(clause):
            light = clause
    if light:
        t = ", ".join(c for c in clauses if c != light)
    subject, characters, action = _split_subject(t, names, memory)
    action, after = _primary(action)
    _remember(memory, characters, subject)
    return BeatReading(text=text, scene=scene, subject=subject, characters=characters,
                       action=action, after=after, camera_cue=cue.strip(), size_cue=size_cue,
                       light=light)


def _remember(memory: _Memory, characters: tuple[str, ...], subject: str) -> None:
    if characters:
        memory.last_characters = characters
        memory.scene_characters += [c for c in characters if c not in memory.scene_characters]
    elif subject:
        memory.last_object = handle(subject)
        if re.search(r"\b\w+[^s]s$", memory.last_object):
            memory.last_plural = memory.last_object


def _split_subject(t: str, names: list[str],
                   memory: _Memory) -> tuple[str, tuple[str, ...], str]:
    """(subject, characters in frame, action) for one clause."""
    mentioned = tuple(n for n in names if re.search(rf"\b{re.escape(n)}\b", t))
    alt = "|".join(map(re.escape, names)) or r"(?!x)x"
    lead = re.match(rf"^(?P<who>(?:{alt})(?:\s*(?:,|and)\s*(?:{alt}))*)\s+(?P<rest>.+)$", t)
    if lead:
        who = tuple(n for n in names if re.search(rf"\b{re.escape(n)}\b", lead["who"]))
        return " and ".join(who), _ordered(who, mentioned), lead["rest"]
    pronoun = re.match(r"^(?P<p>she|he|they|it)\s+(?P<rest>.+)$", t, re.IGNORECASE)
    words = t.split()
    verb_first = bool(words) and bool(verb_base(words[0])) and not (
        len(words) > 1 and verb_base(words[1]))
    if pronoun or verb_first:
        rest = pronoun["rest"] if pronoun else t
        plural = bool(pronoun) and pronoun["p"].lower() == "they"
        who = tuple(memory.scene_characters) if plural else memory.last_characters
        if (pronoun and pronoun["p"].lower() == "it") or not who:
            thing = memory.last_plural if plural and memory.last_plural else memory.last_object
            return thing or "the subject", mentioned, rest
        return " and ".join(who), _ordered(who, mentioned), rest
    idx = verb_index(words)
    subject = " ".join(words[:idx]) if idx else t
    action = " ".join(words[idx:]) if idx else DEFAULT_ACTION
    owner = re.match(r"^(?:her|his|their)\s+", subject, re.IGNORECASE)
    if owner and memory.last_characters:
        who = memory.last_characters[0]
        return f"{who}'s {subject[owner.end():]}", _ordered((who,), mentioned), action
    return subject, mentioned, action


def _ordered(first: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *more]))


def _primary(action: str) -> tuple[str, str]:
    """One primary action: the fullest verb phrase; later verbs become an end state
    ("slides the plate toward the lens and smiles" -> action + "smiling")."""
    # "then" always starts a new action; "and" and commas only when a verb follows.
    phrases = [p for piece in re.split(r",?\s+(?:and\s+)?then\s+|;\s*", action)
               for p in _verb_phrases(piece, r"(,\s*(?:and\s+)?|\s+and\s+)")]
    if len(phrases) <= 1:
        return action.strip(), ""
    primary = max(phrases, key=len)
    later = phrases[phrases.index(primary) + 1:]
    after = ", ".join(" ".join([to_gerund(p.split()[0]), *p.split()[1:]]) for p in later)
    return primary.strip(), after


def _verb_phrases(text: str, separators: str) -> list[str]:
    """Split `text` at `separators` (one capturing group) only where a verb follows."""
    pieces = re.split(separators, text)
    phrases = [pieces[0]]
    for sep, seg in zip(pieces[1::2], pieces[2::2], strict=True):
        words = seg.split()
        if words and verb_base(words[0]) and not (len(words) > 1 and verb_base(words[1])):
            phrases.append(seg)
        else:
            phrases[-1] = f"{phrases[-1]}{sep}{seg}"
    return [p.strip() for p in phrases if p.strip()]


def style_words(reading: BriefReading) -> list[str]:
    """The brief's mood words minus the vague ones the craft forbids."""
    return [w for w in reading.style if w not in VAGUE_WORDS]

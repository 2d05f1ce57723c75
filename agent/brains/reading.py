"""Reading a brief's prose: beats, who is in each, scenes and places, sound, negatives, style.

Deterministic text heuristics, no model: numbered lines or a "Shots:" list are taken as beats
one for one; free narrative is split into one beat per action ("steps in, shakes the umbrella,
and looks back" is three beats); camera sentences ("The camera starts behind her, then moves to
a side angle as she ...") become camera cues on the beat they describe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from director.agent.brains.casting import is_character_line, read_characters
from director.film import Brief, Character
from director.prompts.vocabulary import (
    ACTION_VERBS,
    MOOD_GROUNDING,
    VAGUE_WORDS,
    handle,
    to_gerund,
    verb_base,
)

_LIST = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_SCENE = re.compile(r"^(?:scene\s+\d+|int\.|ext\.)\s*[,:.\-—–]?\s*(?P<rest>.*)$", re.IGNORECASE)
_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]{0,24}?)\s*:\s*(?P<body>.+)$")
_AUDIO_LABELS = {"audio", "native audio", "sound", "sfx", "sound design", "sounds"}
_STYLE_LABELS = {"style", "look", "tone", "mood", "feel", "look and feel"}
_SHOT_LABELS = {"shots", "shot list", "beats", "storyboard", "sequence"}
_PLACE_LABELS = {"location", "setting", "place"}
_META = re.compile(
    r"\b\d+(?:\.\d+)?\s*-?\s*(?:s|sec|secs|seconds?)\b|\b\d{1,2}:\d{1,2}\b|\b(?:720p|1080p|4k)\b"
    r"|\b(?:prototype|deliver(?:y|ed)?|render|budget|teaser|commercial|campaign|instagram|"
    r"tiktok|youtube|reels|wants|needs|client|brand)\b", re.IGNORECASE)
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
_DIALOGUE = re.compile(
    r'^(?P<who>[A-Z][\w\'-]+)(?:\s+(?:says|asks|replies|whispers|shouts|answers))?\s*[:,]?\s*'
    r'["“](?P<line>[^"”]+)["”]\s*\.?$')
_DETERMINERS = {"a", "an", "the", "her", "his", "their", "its", "my", "your", "our", "of",
                "this", "that", "these", "those"}
_FOLLOWERS = {"the", "a", "an", "across", "into", "through", "on", "onto", "over", "under",
              "along", "down", "up", "past", "slowly", "gently", "quietly", "toward", "towards"}
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


@dataclass
class SceneReading:
    """A stretch of the film in one place."""

    place: str = ""
    text: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    """Setting clauses without a character ("neon signs reflect on the wet pavement")."""


@dataclass(frozen=True)
class BriefReading:
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
    scene: int = 0


def read_brief(brief: Brief) -> BriefReading:
    lines = logical_lines(brief.text)
    sentences = [s for line in lines for s in split_sentences(_LIST.sub("", line))]
    characters = list(brief.characters) or read_characters(brief.text, sentences)
    names = [c.name for c in characters]
    scenes = [SceneReading()]
    items: list[tuple[int, str]] = []  # listed beats: one beat each
    narrative: list[tuple[int, str]] = []  # free sentences: split into beats
    sfx, negatives, style = [], [], list(_words(brief.style))
    for line in lines:
        if line.startswith("#"):
            continue
        if _LIST.match(line):
            items.append((len(scenes) - 1, _LIST.sub("", line).strip()))
            continue
        for sentence in split_sentences(line):
            scene = _SCENE.match(sentence)
            if scene:
                place, _, body = scene["rest"].partition(":")
                scenes.append(SceneReading(place=_strip_time(place.strip(" ,."))))
                sentence = body.strip()
                if not sentence:
                    continue
            kind, payload = _classify(sentence)
            current = len(scenes) - 1
            scenes[current].text.append(sentence)
            if kind == "sfx":
                sfx += payload
            elif kind in ("style", "meta"):
                style += payload
            elif kind == "negative":
                negatives += payload
            elif kind == "shots":
                items += [(current, p) for p in payload]
            elif kind == "place":
                scenes[current].place = scenes[current].place or payload[0]
            elif kind == "narrative":
                narrative.append((current, sentence))
    if brief.beats:
        items = [(0, _LIST.sub("", b).strip()) for b in brief.beats if b.strip()]
    beats = _read_beats(items, narrative, scenes, names)
    if not beats:
        beats = [_read_beat(brief.title, 0, names, _Memory())]
    used = sorted({b.scene for b in beats})
    renumber = {old: new for new, old in enumerate(used)}
    beats = [_replace_scene(b, renumber[b.scene]) for b in beats]
    return BriefReading(beats=tuple(beats), scenes=tuple(scenes[i] for i in used),
                        characters=tuple(characters), sfx=tuple(sfx), negatives=tuple(negatives),
                        style=tuple(dict.fromkeys(style)), text=brief.text)


def _replace_scene(beat: BeatReading, scene: int) -> BeatReading:
    return BeatReading(**{**beat.__dict__, "scene": scene})


def logical_lines(text: str) -> list[str]:
    """Lines with hard-wrapped sentences joined back together."""
    out: list[str] = []
    joinable = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            joinable = False
            continue
        if joinable and not line.startswith("#") and not _LIST.match(line) \
                and not _SCENE.match(line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        joinable = not out[-1].startswith("#") and not out[-1].endswith((".", "!", "?", ":"))
    return out


def split_sentences(text: str) -> list[str]:
    parts = re.split(r'(?<=[.!?])\s+(?=[A-Z"“(])|(?<=[.!?]["”])\s+', text.strip())
    return [p.strip() for p in parts if p.strip()]


def _classify(sentence: str) -> tuple[str, list[str]]:
    """What a sentence of the brief is for: sfx, style, negative, shots, place, meta, narrative."""
    if is_character_line(sentence):
        return "character", []
    label = _LABEL.match(sentence)
    if label and not _DIALOGUE.match(sentence):
        name, body = label["label"].strip().lower(), label["body"].strip().rstrip(".")
        if name in _AUDIO_LABELS:
            return "sfx", [p.strip() for p in re.split(r",|;", body) if p.strip()]
        if name in _STYLE_LABELS:
            return "style", list(_words(body))
        if name in _SHOT_LABELS:
            return "shots", [p.strip() for p in body.split(";") if p.strip()]
        if name in _PLACE_LABELS:
            return "place", [body]
        if not is_character_line(sentence):
            return "meta", []
    negative = re.match(r"^(?:no|avoid|without|never)\s+(?P<what>.+?)\.?$", sentence,
                        re.IGNORECASE)
    if negative:
        what = negative["what"]
        if re.search(r"\b(?:dialogue|music|voice-?over|narration|sound|talking)\b", what):
            return "meta", []
        return "negative", [w.strip() for w in re.split(r",|\bor\b|\band\b", what) if w.strip()]
    if _META.search(sentence):
        return "meta", [w for w in _words(sentence) if w in MOOD_GROUNDING]
    pieces = [p.strip() for p in re.split(r",|&|\band\b", sentence.rstrip(".!")) if p.strip()]
    if pieces and all(len(p.split()) == 1 for p in pieces) and len(pieces) <= 6:
        return "style", [p.lower() for p in pieces]
    words = sentence.split()
    if _verb_index(words) is None and not verb_base(words[0]) and place_in(sentence):
        return "place", [_strip_time(sentence.rstrip("."))]
    return "narrative", []


def _words(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z-]+", text) if w.lower() not in ("and", "or")]


def _strip_time(text: str) -> str:
    text = re.sub(r"\s+(?:at|in the|during)\s+(?:dawn|dusk|night|sunset|sunrise|golden hour|"
                  r"morning|evening|afternoon|midday|noon)\b", "", text, flags=re.IGNORECASE)
    return text[0].lower() + text[1:] if text[:2] in ("A ", "An", "Th") else text


_PLACE_NOUNS = (
    "street", "road", "alley", "avenue", "gutter", "pavement", "sidewalk", "kitchen", "pass",
    "restaurant", "café", "cafe", "bar", "diner counter", "diner", "table", "counter", "desk",
    "office", "room", "bedroom", "hallway", "corridor", "lobby", "station", "platform", "park",
    "garden", "forest", "woods", "field", "meadow", "beach", "shore", "shoreline", "coast",
    "lake", "river", "mountain", "valley", "hill", "cliff", "desert", "rooftop", "balcony",
    "market", "shop", "studio", "stage", "bridge", "harbour", "harbor", "pier", "square",
    "warehouse", "workshop", "garage", "barn", "slab", "steps", "stairs", "stadium", "track",
)


def place_in(text: str) -> str:
    """The first place phrase in `text`, e.g. "a rainy city street", "the pass"."""
    nouns = "|".join(map(re.escape, _PLACE_NOUNS))
    m = re.search(
        rf"(?:^|\b(?:in|on|at|across|through|along|down|into|inside|onto|by|near|beside|over|"
        rf"under|up)\s+)(?P<place>(?:(?:a|an|the)\s+)?(?:[\w'-]+\s+){{0,4}}?(?:{nouns}))\b",
        text, re.IGNORECASE)
    return m["place"] if m else ""


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
                beats[-1] = BeatReading(**{**beats[-1].__dict__, "camera_cue": beat.camera_cue})
            else:
                pending_cue = beat.camera_cue
            continue
        if pending_cue and not beat.camera_cue:
            beat = BeatReading(**{**beat.__dict__, "camera_cue": pending_cue})
        pending_cue = ""
        beats.append(beat)
    return beats


def _is_setting_only(text: str, names: list[str], memory: _Memory) -> bool:
    """A clause about the place, not an action of anyone: it enriches the location instead."""
    if not names or _CAMERA.match(text) or _DIALOGUE.match(text):
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
    if _DIALOGUE.match(sentence.strip()):
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
    said = _DIALOGUE.match(t)
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
            return memory.last_object or "the subject", mentioned, rest
        return " and ".join(who), _ordered(who, mentioned), rest
    idx = _verb_index(words)
    subject = " ".join(words[:idx]) if idx else t
    action = " ".join(words[idx:]) if idx else DEFAULT_ACTION
    owner = re.match(r"^(?:her|his|their)\s+", subject, re.IGNORECASE)
    if owner and memory.last_characters:
        who = memory.last_characters[0]
        return f"{who}'s {subject[owner.end():]}", _ordered((who,), mentioned), action
    return subject, mentioned, action


def _ordered(first: tuple[str, ...], more: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*first, *more]))


def _verb_index(words: list[str]) -> int | None:
    """Where the verb of a noun-phrase clause starts ("a paper boat drifting ..." -> 3)."""
    for i in range(1, len(words)):
        word = words[i].lower().strip(",.")
        if word == "as":
            return i
        base = verb_base(word)
        if not base or words[i - 1].lower() in _DETERMINERS:
            continue
        nxt = words[i + 1].lower().strip(",.") if i + 1 < len(words) else ""
        if word.endswith("s") and nxt and verb_base(nxt) is None and nxt in _bases():
            continue  # "ocean waves crash": the -s word is a plural noun
        return i
    return _unknown_verb_index(words)


def _unknown_verb_index(words: list[str]) -> int | None:
    """Verbs outside the lexicon: "rain hammers the roof", "neon signs reflect on ..."."""
    for i in range(1, len(words)):
        word, prev = words[i].lower().strip(",."), words[i - 1].lower()
        nxt = words[i + 1].lower() if i + 1 < len(words) else ""
        if prev in _DETERMINERS:
            continue
        if word in _bases() and prev.endswith("s") and not prev.endswith("ss"):
            return i
        if re.fullmatch(r"[a-z]+[^s]s", word) and nxt in _FOLLOWERS:
            return i
    return None


@cache
def _bases() -> frozenset[str]:
    return frozenset(ACTION_VERBS)


def _primary(action: str) -> tuple[str, str]:
    """One primary action: the fullest verb phrase; later verbs become an end state
    ("slides the plate toward the lens and smiles" -> action + "smiling")."""
    phrases = _verb_phrases(action, r"(,?\s+(?:and\s+)?then\s+|,\s*(?:and\s+)?|\s+and\s+)")
    if len(phrases) == 1:
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

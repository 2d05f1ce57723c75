"""A brief's text as sentences sorted by purpose: beats, sound, style, negatives, places, light.

The first pass of reading a brief: hard-wrapped lines are rejoined, sentences split, and each
sentence labelled for what it is for, so the beat reader only ever sees story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from director.agent.brains.casting import is_character_line
from director.prompts.vocabulary import ACTION_VERBS, MOOD_GROUNDING, verb_base

LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_SCENE = re.compile(r"^(?:scene\s+\d+|int\.|ext\.)\s*[,:.\-—–]?\s*(?P<rest>.*)$", re.IGNORECASE)
_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]{0,24}?)\s*:\s*(?P<body>.+)$")
_AUDIO_LABELS = {"audio", "native audio", "sound", "sfx", "sound design", "sounds"}
_STYLE_LABELS = {"style", "look", "tone", "mood", "feel", "look and feel"}
_SHOT_LABELS = {"shots", "shot list", "beats", "storyboard", "sequence"}
_PLACE_LABELS = {"location", "setting", "place"}
_META = re.compile(
    r"\b\d+(?:\.\d+)?\s*-?\s*(?:s|sec|secs|seconds?)\b|\b\d{1,2}:\d{1,2}\b|\b(?:720p|1080p|4k)\b"
    r"|\b(?:prototype|deliver(?:y|ed)?|budget|teaser|commercial|campaign|instagram|tiktok|"
    r"youtube|reels|client)\b"
    r"|\b(?:wants|needs|asks for)\b[^.]*\b(?:spot|ad|advert|video|film|piece|clip|reel)\b",
    re.IGNORECASE)
DIALOGUE = re.compile(
    r'^(?P<who>[A-Z][\w\'-]+)(?:\s+(?:says|asks|replies|whispers|shouts|answers))?\s*[:,]?\s*'
    r'["“](?P<line>[^"”]+)["”]\s*\.?$')
_DETERMINERS = {"a", "an", "the", "her", "his", "their", "its", "my", "your", "our", "of",
                "this", "that", "these", "those"}
_FOLLOWERS = {"the", "a", "an", "across", "into", "through", "on", "onto", "over", "under",
              "along", "down", "up", "past", "slowly", "gently", "quietly", "toward", "towards"}


@dataclass
class SceneReading:
    """A stretch of the film in one place."""

    place: str = ""
    text: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    """Setting clauses without a character ("neon signs reflect on the wet pavement")."""
    light: str = ""
    """The brief's own statement of the light here, e.g. "lit from the left by a window"."""


@dataclass
class SortedText:
    """Every sentence of a brief, filed by purpose."""

    scenes: list[SceneReading] = field(default_factory=lambda: [SceneReading()])
    items: list[tuple[int, str]] = field(default_factory=list)
    """Listed beats (numbered lines, "Shots:" lists) as (scene, text): one beat each."""
    narrative: list[tuple[int, str]] = field(default_factory=list)
    """Free story sentences as (scene, text), split into beats later."""
    sfx: list[str] = field(default_factory=list)
    negatives: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)


def sort_text(text: str, names: list[str]) -> SortedText:
    """File each sentence of `text`; scene headers ("Scene 2, a beach: ...", "EXT. STREET -
    NIGHT") open a new scene that the following sentences belong to."""
    out = SortedText()
    for line in logical_lines(text):
        if line.startswith("#"):
            continue
        if LIST_MARKER.match(line):
            out.items.append((len(out.scenes) - 1, LIST_MARKER.sub("", line).strip()))
            continue
        if header := _SCENE.match(line):
            line = _open_scene(out, header["rest"])
        for sentence in split_sentences(line):
            _file(out, sentence, names)
    return out


def _open_scene(out: SortedText, rest: str) -> str:
    place, _, body = rest.partition(":")
    place = re.split(r"\s+[-—–]\s+", place)[0].strip(" ,.")
    if place.isupper():
        place = place.lower()
    out.scenes.append(SceneReading(place=_strip_time(place), text=[rest]))
    return body.strip()


def _file(out: SortedText, sentence: str, names: list[str]) -> None:
    kind, payload = classify(sentence, names)
    current = len(out.scenes) - 1
    scene = out.scenes[current]
    scene.text.append(sentence)
    if kind == "sfx":
        out.sfx += payload
    elif kind in ("style", "meta"):
        out.style += payload
    elif kind == "negative":
        out.negatives += payload
    elif kind == "shots":
        out.items += [(current, p) for p in payload]
    elif kind == "light":
        scene.light = scene.light or sentence
    elif kind == "place":
        scene.place = scene.place or payload[0]
    elif kind == "narrative":
        out.narrative.append((current, sentence))


def logical_lines(text: str) -> list[str]:
    """Lines with hard-wrapped sentences joined back together."""
    out: list[str] = []
    joinable = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            joinable = False
            continue
        if joinable and not line.startswith("#") and not LIST_MARKER.match(line) \
                and not _SCENE.match(line):
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        joinable = not out[-1].startswith(("#", "INT.", "EXT.", "int.", "ext.")) \
            and not out[-1].endswith((".", "!", "?", ":"))
    return out


def split_sentences(text: str) -> list[str]:
    parts = re.split(r'(?<=[.!?])\s+(?=[A-Z"“(])|(?<=[.!?]["”])\s+', text.strip())
    return [p.strip() for p in parts if p.strip()]


def classify(sentence: str, names: list[str]) -> tuple[str, list[str]]:
    """What a sentence of the brief is for: sfx, style, negative, shots, place, meta, narrative."""
    if is_character_line(sentence):
        return "character", []
    label = _LABEL.match(sentence)
    if label and not DIALOGUE.match(sentence):
        name, body = label["label"].strip().lower(), label["body"].strip().rstrip(".")
        if name in _AUDIO_LABELS:
            return "sfx", [p.strip() for p in re.split(r",|;", body) if p.strip()]
        if name in _STYLE_LABELS:
            return "style", list(words_of(body))
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
        return "meta", [w for w in words_of(sentence) if w in MOOD_GROUNDING]
    pieces = [p.strip() for p in re.split(r",|&|\band\b", sentence.rstrip(".!")) if p.strip()]
    if pieces and all(len(p.split()) == 1 for p in pieces) and len(pieces) <= 6:
        return "style", [p.lower() for p in pieces]
    if re.match(r"^(?:lit|lighting|light|key light|the light)\b", sentence, re.IGNORECASE):
        return "light", []
    words = sentence.split()
    named = any(re.search(rf"\b{re.escape(n)}\b", sentence) for n in names)
    if not named and verb_index(words) is None and not verb_base(words[0]) \
            and place_in(sentence):
        return "place", [_strip_time(sentence.rstrip("."))]
    return "narrative", []


def words_of(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z-]+", text) if w.lower() not in ("and", "or")]


def _strip_time(text: str) -> str:
    text = re.sub(r"\s+(?:at|in the|during)\s+(?:dawn|dusk|night|sunset|sunrise|golden hour|"
                  r"morning|evening|afternoon|midday|noon)\b", "", text, flags=re.IGNORECASE)
    return re.sub(r"^(A|An|The)\b", lambda m: m.group(1).lower(), text)


_PLACE_NOUNS = (
    "street", "road", "alley", "avenue", "gutter", "pavement", "sidewalk", "kitchen", "pass",
    "restaurant", "café", "cafe", "bar", "diner counter", "diner", "table", "counter", "desk",
    "office", "room", "bedroom", "hallway", "corridor", "lobby", "station", "platform", "park",
    "garden", "forest", "woods", "field", "meadow", "beach", "shore", "shoreline", "coast",
    "lake", "river", "mountain", "valley", "hill", "cliff", "desert", "rooftop", "balcony",
    "market", "shop", "studio", "stage", "bridge", "harbour", "harbor", "pier", "square",
    "warehouse", "workshop", "garage", "barn", "slab", "steps", "stairs", "stadium", "track",
    "skyline", "rooftops",
)


def place_in(text: str) -> str:
    """The first place phrase in `text`, e.g. "a rainy city street", "the pass"."""
    nouns = "|".join(map(re.escape, _PLACE_NOUNS))
    m = re.search(
        rf"(?:^|\b(?:in|on|at|across|through|along|down|into|inside|onto|by|near|beside|over|"
        rf"under|up)\s+)(?P<place>(?:(?:a|an|the)\s+)?"
        rf"(?:(?!(?:at|in|on|with|as|and|of|by|to)\b)[\w'-]+\s+){{0,4}}(?:{nouns}))\b",
        text, re.IGNORECASE)
    return m["place"] if m else ""


def verb_index(words: list[str]) -> int | None:
    """Where the verb of a noun-phrase clause starts ("a paper boat drifting ..." -> 3)."""
    for i in range(1, len(words)):
        word = words[i].lower().strip(",.")
        if word == "as":
            return _unknown_verb_index(words[:i]) or i
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



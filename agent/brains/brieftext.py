"""A brief's text as sentences sorted by purpose: beats, sound, style, negatives, places, light.

The first pass of reading a brief (after normalise.py has cleaned the text): hard-wrapped lines
are rejoined, sentences are split (never inside a quote or an aside), and each sentence is
filed for what it is for, so the beat reader only sees story.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from director.agent.brains.grammar import place_in, verb_index
from director.agent.brains.normalise import prepare
from director.agent.brains.speech import mask_quotes, unmask_quotes
from director.prompts.vocabulary import MOOD_GROUNDING, PERSON_WORDS, verb_base

__all__ = ["LIST_MARKER", "SceneReading", "SortedText", "classify", "logical_lines", "place_in",
           "prepare", "sort_text", "split_sentences", "take_light", "verb_index", "words_of"]

LIST_MARKER = re.compile(
    r"^\s*(?:(?:shot|beat)\s*\d+\s*(?:\([^)]*\))?\s*[.):\-–—]|\d+\s*[.)]|\d+\s*:(?!\d)"
    r"|\[?\(?\d{1,2}:\d{2}(?:\s*[-–—]\s*\d{1,2}:\d{2})?\)?\]?\s*[-–—:]?"  # 0:03-0:06 —
    r"|[-*•–—▪►▶➤→])\s*", re.IGNORECASE)
_SCENE = re.compile(r"^(?:scene\s+\d+|int\.|ext\.|i/e\.?)\s*[,:.\-—–]?\s*(?P<rest>.*)$",
                    re.IGNORECASE)
_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]{0,24}?)\s*:\s*(?P<body>.+)$")
_AUDIO_LABELS = {"audio", "native audio", "sound", "sfx", "sound design", "sounds", "music"}
_STYLE_LABELS = {"style", "look", "tone", "mood", "feel", "look and feel", "vibe", "palette"}
_SHOT_LABELS = {"shots", "shot list", "beats", "storyboard", "sequence"}
_PLACE_LABELS = {"location", "setting", "place", "where"}
_LIGHT_LABELS = {"light", "lighting", "lights"}
_CAST_HEADERS = re.compile(r"^(?:characters?|cast|starring|talent|people)\s*:?\s*$", re.I)
_META = re.compile(
    r"\b\d+(?:\.\d+)?\s*-?\s*(?:sec|secs|seconds?|minutes?|mins?)\b"
    r"|\b\d+(?:\.\d+)?-?s\b(?<!0s)|\b\d{1,2}:\d{1,2}\b|\b(?:720p|1080p|4k)\b"
    r"|\b(?:final|draft|production)\s+(?:quality|render|tier|version|delivery)\b|\bbest model\b"
    r"|^(?:make|create|produce|shoot|give|build)\s+(?:me|us)\b|\bpromo\b"
    r"|\b(?:prototype|deliver(?:y|ed|able)?|budget|teaser|commercial|campaign|instagram|tiktok|"
    r"youtube|reels|client|linkedin|logo sting|runtime|aspect ratio)\b"
    r"|\b(?:wants|needs|asks for)\b[^.]*\b(?:spot|ad|advert|video|film|piece|clip|reel)\b"
    r"|^(?:an?\s+)?(?:[\w-]+\s+){0,4}(?:documentary|film|short|piece|video|clip|spot|ad|"
    r"advert|teaser|trailer|reel|commercial|montage|portrait|essay|symphony|story)\s+"
    r"(?:about|on|for|celebrating|from)\b|\b(?:make it|keep it)\b", re.IGNORECASE)
# "TikTok clip of a skater dropping in": the format words frame a story worth keeping.
_FORMAT_STORY = re.compile(
    r"\b(?:clip|video|ad|advert|spot|film|piece|reel|teaser|commercial|short|trailer|montage|"
    r"sequence)\s+(?:of|showing|featuring|following|where|in which)\s+(?P<story>.+)$",
    re.IGNORECASE)
_LIGHT_NOUNS = (r"light|lights|lit|lighting|lamp|lamps|bulb|bulbs|neon|sun|sunlight|moonlight|"
                r"candle|candles|candlelight|firelight|fire|flame|glow|fluorescents?|tungsten|"
                r"led|softbox|strip light|spotlight|key|rim|backlight|backlit|daylight|"
                r"skylight|practicals?|window light|sunbeams?|shafts? of sunlight")
LIGHT_DIRECTION = (r"from (?:the )?(?:camera|frame)[- ]?(?:left|right)|camera[- ](?:left|right)"
                   r"|frame[- ](?:left|right)|from (?:directly |high |just )?(?:above|behind|"
                   r"below|overhead)|from (?:the )?(?:upper |lower |top |far )?(?:left|right|"
                   r"side|front|back)\b|behind (?:her|him|them|the subject)|\bbacklit\b")
_KELVIN = r"\b\d{4,5}\s?K\b"
_SOUND = re.compile(r"\b(?:sounds?|audio|ambience|ambient|noise|sfx|sound effects?|foley|"
                    r"soundscape|room tone)\b", re.IGNORECASE)


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


def sort_text(text: str, is_character: object = None) -> SortedText:
    """File each sentence of `text`; scene headers ("Scene 2, a beach: ...", "EXT. STREET -
    NIGHT", "Dusk on the island: ...") open a new scene that the following sentences belong
    to. `is_character` tells a cast entry from a beat (casting owns what a character is)."""
    out = SortedText()
    in_cast = False
    for line in logical_lines(text):
        if line.startswith("#") or not re.search(r"[^\W\d_]", line):
            continue  # headings, rules ("---") and lines of symbols carry no story
        if _CAST_HEADERS.match(line):
            in_cast = True
            continue
        body = LIST_MARKER.sub("", line).strip()
        if callable(is_character) and is_character(body):
            continue
        in_cast = in_cast and bool(LIST_MARKER.match(line))
        if LIST_MARKER.match(line) and body:
            out.items.append((len(out.scenes) - 1, body))
            continue
        if slug := _SCENE.match(line):
            line = _open_scene(out, slug["rest"])
        elif label := _scene_label(line):
            line = _open_scene(out, line, label)
        for sentence in split_sentences(line):
            _file(out, sentence)
    return out


def _scene_label(line: str) -> str:
    """"Dusk on the rocky island: Ines steps off ..." -> "Dusk on the rocky island": a short
    verbless label naming a time or a place, before a colon."""
    m = re.match(r"^(?P<label>[^:\"“]{2,70}?)(?<!\d):\s+(?P<body>.+)$", line)
    if not m or m["label"].strip().lower() in (_AUDIO_LABELS | _STYLE_LABELS | _SHOT_LABELS
                                               | _PLACE_LABELS | _LIGHT_LABELS):
        return ""
    label = m["label"].strip()
    words = label.split()
    if len(words) > 8 or any(verb_base(w) for w in words) or re.search(r"\bshots?\b", label, re.I):
        return ""
    timed = re.search(rf"\b(?:{'|'.join(TIMES)})\b", label, re.IGNORECASE)
    return label if timed or place_in(label) else ""


def _open_scene(out: SortedText, rest: str, label: str = "") -> str:
    if label:
        place, body = label, rest.split(":", 1)[1]
    else:
        place, _, body = rest.partition(":")
    place = re.sub(r"^(?:int|ext|i/e)\.?\s+", "", place.strip(" ,.—–-"), flags=re.IGNORECASE)
    place = re.split(r"\s+[-—–]\s+", place)[0].strip(" ,.")
    if place.isupper():
        place = place.lower()
    out.scenes.append(SceneReading(place=_strip_time(place), text=[place, rest]))
    return body.strip()


def _file(out: SortedText, sentence: str) -> None:
    kind, payload = classify(sentence)
    current = len(out.scenes) - 1
    scene = out.scenes[current]
    if kind not in ("meta", "sfx", "negative", "style"):  # production notes name no place
        scene.text.append(sentence)
    if kind == "sfx":
        out.sfx += payload
    elif kind in ("style", "meta"):
        out.style += payload
        # "A quiet film set in a park in Kyoto", "a piece on a coral reef": the framing
        # sentence often says where, which no later sentence repeats.
        framed = re.search(r"\b(?:set in|set on|takes place (?:in|on|at)|in|on|at|aboard|inside)\s+"
                           r"(?P<p>(?:a|an|the)\s+[^,.;]+)", sentence, re.IGNORECASE)
        where = place_in(framed["p"]) if framed else ""
        if where and not scene.place and where.lower().startswith(("a ", "an ", "the ")):
            scene.place = _strip_time(where)
    elif kind == "negative":
        out.negatives += payload
    elif kind == "shots":
        out.items += [(current, p) for p in payload]
    elif kind == "light":
        scene.light = scene.light or payload[0]
    elif kind == "place":
        scene.place = scene.place or payload[0]
        if len(payload) > 1:
            scene.light = scene.light or payload[1]
    elif kind == "narrative":
        story, light = take_light(payload[0] if payload else sentence)
        if light:
            scene.light = scene.light or light
        if story:
            out.narrative.append((current, story))


def logical_lines(text: str, keep_blank: bool = False) -> list[str]:
    """Lines with hard-wrapped sentences joined back together. A line is a wrap when it is
    long and stops without punctuation; a short unpunctuated line is a thought of its own.
    `keep_blank` keeps paragraph breaks, for a reader that passes the text on."""
    out: list[str] = []
    joinable = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            joinable = False
            if keep_blank:
                out.append("")
            continue
        # A list item continues only on an indented line, as markdown has it.
        listed = bool(out) and bool(LIST_MARKER.match(out[-1])) and not raw[:1].isspace()
        if joinable and not listed and not line.startswith("#") and not LIST_MARKER.match(line) \
                and not _SCENE.match(line) and not _CAST_HEADERS.match(line) \
                and not re.match(r"^[A-Z][\w' -]{0,40}:\s", line):  # "Close-up: ..." is new
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        joinable = (len(line) >= 50 and not out[-1].startswith(("#", "INT.", "EXT.", "int.",
                                                                 "ext."))
                    and not out[-1].endswith((".", "!", "?", ":", '"', "”")))
    return out


def split_sentences(text: str) -> list[str]:
    """Sentences, never split inside a quoted line or after a title or "a.m."."""
    masked, quotes = mask_quotes(text.strip())
    asides: list[str] = []

    def hide(m: re.Match[str]) -> str:  # "(logo at the end? maybe)" is one aside
        asides.append(m.group(0))
        return f"\u27ea{len(asides) - 1}\u27eb"
    masked = re.sub(r"\([^()\n]*\)", hide, masked)
    masked = re.sub(r"\b(Mr|Mrs|Ms|Dr|St|Mt|No|vs|etc|e\.g|i\.e|approx)\.",
                    "\\1\u2024", masked, flags=re.IGNORECASE)
    # A lowercase word after a full stop starts a sentence too ("... smiles. end on logo."),
    # unless the stop ends an ellipsis ("just... not").
    # "3 a.m. Fluorescent tubes ..." ends a sentence; "3 a.m. the street ..." does not.
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\u27e8(¡¿])|(?<=[^.][.!?])(?<![ap]\.m\.)\s+(?=[a-z])",
                     masked)
    parts = [re.sub(r"\u27ea(\d+)\u27eb", lambda m: asides[int(m.group(1))], p) for p in parts]
    return [unmask_quotes(p.replace("\u2024", "."), quotes).strip() for p in parts if p.strip()]


def classify(sentence: str) -> tuple[str, list[str]]:
    """What a sentence of the brief is for: sfx, style, negative, shots, place, light, meta or
    narrative (payload: the story words when a format sentence frames one)."""
    if sentence.rstrip().endswith(":") and len(sentence.split()) <= 6:
        return "meta", []  # "Three friends:" introduces a list, it is not a beat
    label = _LABEL.match(sentence)
    if label and not re.match(r'\s*["“]', label["body"]):
        name, body = label["label"].strip().lower(), label["body"].strip().rstrip(".")
        if name in _AUDIO_LABELS:
            return "sfx", sound_items(body)
        if name in _STYLE_LABELS:
            return "style", list(words_of(body))
        if name in _SHOT_LABELS:
            return "shots", [p.strip() for p in body.split(";") if p.strip()]
        if name in _PLACE_LABELS:
            return "place", [body]
        if name in _LIGHT_LABELS:
            return "light", [body]
        if not re.search(r"\b(?:shot|scene|then|finally|first|last|next|cut to)\b", name):
            return "meta", []
    negative = re.match(r"^(?:no|avoid|without|never|don't show)\s+(?P<what>.+?)\.?$", sentence,
                        re.IGNORECASE)
    if negative:
        what = re.split(r"\s+(?:except|but|apart from|other than)\b", negative["what"])[0]
        what = re.sub(r"\s+at all\b", "", what)
        if re.search(r"\b(?:dialogue|music|voice-?over|narration|sound|talking|audio)\b", what):
            return "meta", []
        return "negative", [w.strip() for w in re.split(r",|\bor\b|\band\b", what) if w.strip()]
    closing = re.match(r"^(?:end|open|close|finish|start|begin)s?\s+(?:on|with)\s+(?P<x>.+?)\.?$",
                       sentence, re.IGNORECASE)
    if closing:  # "end on logo": a shot of the logo
        return "narrative", [closing["x"]]
    story = _FORMAT_STORY.search(sentence)
    if story and _has_verb(story["story"]):
        return "narrative", [story["story"].rstrip(".")]
    colon = re.match(r"^(?P<meta>[^\"“]+?):\s+(?P<story>[^:]+)$", sentence)
    if colon and _META.search(colon["meta"]) and not _META.search(colon["story"]) and \
            _has_verb(colon["story"]):
        return "narrative", [colon["story"].rstrip(".")]  # "2-second sting, 1:1: macro of ..."
    if _META.search(sentence):
        # "with native audio (dialogue, room tone, coffee machine hiss)" names the sounds.
        heard = re.search(r"\b(?:audio|sound|sfx)\s*\((?P<list>[^)]+)\)", sentence, re.I)
        if heard:
            return "sfx", sound_items(heard["list"])
        return "meta", [w for w in words_of(sentence) if w in MOOD_GROUNDING]
    if _is_sound(sentence):
        return "sfx", sound_items(sentence)
    pieces = [p.strip() for p in re.split(r",|&|\band\b", sentence.rstrip(".!")) if p.strip()]
    if pieces and all(len(p.split()) <= 2 for p in pieces) and len(pieces) <= 8 \
            and not any(verb_base(w) for p in pieces for w in p.split()) \
            and all(p[0].islower() or len(pieces) > 1 or p.isupper() is False for p in pieces) \
            and _style_like(pieces):
        return "style", [p.lower() for p in pieces]
    copula = re.match(r"^(?:(?:the|his|her|their|its|our|my)\s+)?[\w'’ -]{1,30}?\s+(?:is|are)\s+"
                      r"(?P<place>(?:a|an|the)\s+.+?)\.?$", sentence, re.IGNORECASE)
    if copula and place_in(copula["place"]):  # "His workshop is a cramped attic lit by ..."
        where, light = take_light(copula["place"])
        return "place", [_place_phrase(where)] + ([light] if light else [])
    lit = re.match(r"^(?P<place>.+?),?\s+(?P<light>(?:lit|illuminated)\s+(?:by|from|with)\b.+)$",
                   sentence.rstrip("."), re.IGNORECASE)
    if lit and not _has_verb(lit["place"]) and place_in(lit["place"]):
        return "place", [_place_phrase(lit["place"]), lit["light"]]
    if lit and _has_verb(lit["place"]):
        return "narrative", [sentence.rstrip(".")]  # the light is taken out when it is filed
    if _is_light(sentence):
        return "light", [sentence.rstrip(".")]
    if not _has_verb(sentence) and place_in(sentence):
        where, light = take_light(sentence.rstrip("."))
        return "place", [_place_phrase(where)] + ([light] if light else [])
    return "narrative", []


def _style_like(pieces: list[str]) -> bool:
    """"Quiet, melancholic, weathered." is style; "Dawn." or "SLAM DUNK" alone is not."""
    return len(pieces) > 1 or pieces[0].lower() in MOOD_GROUNDING


def _place_phrase(sentence: str) -> str:
    """The place a verbless sentence names, from its place noun phrase on: "sneakers on a
    neon-lit court at night" is set on "a neon-lit court"."""
    place = re.sub(r"^(?:the\s+)?(?:interior|exterior|inside|outside)\s+of\s+", "",
                   sentence.strip().rstrip("."), flags=re.IGNORECASE)
    place = _strip_time(place)
    found = place_in(place)
    if found and not place.lower().startswith(found.lower()):
        place = place[place.lower().index(found.lower()):]
    return place


def _has_verb(text: str) -> bool:
    words = text.split()
    return bool(words) and (verb_index(words) is not None or bool(verb_base(words[0])))


def _is_sound(sentence: str) -> bool:
    """"Ambient sound of the wheel and wet clay." / "Tick-tock sound effects." - a sentence
    that only names sounds."""
    if not _SOUND.search(sentence) or len(sentence.split()) > 18:
        return False
    words = sentence.split()
    idx = verb_index(words)
    return idx is None or not verb_base(words[idx])


def sound_items(text: str) -> list[str]:
    """"Gentle city ambience and the buzz of the bee" -> ["gentle city ambience", "the buzz of
    the bee"]; "Sound of waves and a happy bark" -> ["waves", "a happy bark"]."""
    body = re.sub(r"^(?:[\w-]+\s+){0,2}?(?:sounds?|audio|sfx|noises?)\s+(?:of|:)\s+", "",
                  text.strip().rstrip("."), flags=re.IGNORECASE)
    body = re.sub(r"\s+only$", "", body, flags=re.IGNORECASE)
    items = [p.strip() for p in re.split(r",|;|\s+and\s+(?=(?:a|an|the)\b)", body) if p.strip()]
    return [i[0].lower() + i[1:] if not i[:2].isupper() else i for i in items]


def _is_light(sentence: str) -> bool:
    """A statement of the light: "Lit by a window from the left", "Fluorescent tubes overhead
    at 4300K, red neon from camera-right", "One hard key light from camera-left, 5600K"."""
    if re.match(r"^(?:lit|lighting|light|key light|the light)\b", sentence, re.IGNORECASE):
        return True
    if len(sentence.split()) > 35:
        return False  # a long sentence about light is a story told in that light
    first = re.split(r",|;|\s+while\s+", sentence, maxsplit=1)[0]
    if not re.search(rf"\b(?:{_LIGHT_NOUNS})\b", first, re.IGNORECASE):
        return False
    if re.search(r"\b(?:she|he|they|we)\b", first, re.IGNORECASE) or any(
            w.lower() in PERSON_WORDS for w in re.findall(r"[A-Za-z]+", first)):
        return False
    words = first.split()
    verb = verb_index(words)
    if verb is not None and verb_base(words[verb]) not in ("fall", "pour", "spill", "glow",
                                                           "shine", "flicker", "rake"):
        return False
    return bool(re.search(LIGHT_DIRECTION, sentence, re.IGNORECASE)
                or re.search(_KELVIN, sentence))


def take_light(text: str) -> tuple[str, str]:
    """(story, light): a later clause that states the light ("..., morning sunlight entering
    from a window on the left") is taken out of a story sentence."""
    lit = re.match(r"^(?P<story>.+?),?\s+(?P<light>(?:lit|illuminated|backlit)\s+(?:by|from|with)\b"
                   r".+)$", text, re.IGNORECASE)
    if lit:  # "June and Malik meet on a rooftop lit by a red neon sign from camera-left"
        return lit["story"].strip(" ,"), lit["light"].strip(" ,.")
    clauses = re.split(r"(,\s*|\s+while\s+|\s+with\s+(?=(?:a|an|the)?\s*\w+\s+light))", text)
    for i in range(2, len(clauses), 2):
        clause = clauses[i]
        if re.search(r"\b(?:camera|shot|crane|dolly|pan|tilt|drone)\b|\b(?:she|he|they|we)\b",
                     clause, re.IGNORECASE):
            continue  # "and the camera follows her ... against the sinking sun" is direction
        if re.search(rf"\b(?:{_LIGHT_NOUNS})\b", clause, re.IGNORECASE) and (
                re.search(LIGHT_DIRECTION, clause, re.IGNORECASE) or re.search(_KELVIN, clause)):
            story = "".join(clauses[:i - 1]).strip(" ,")
            return story, "".join(clauses[i:]).strip(" ,.")
    return text, ""


def words_of(text: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z-]+", text) if w.lower() not in ("and", "or")]


TIMES = ("golden hour", "blue hour", "sunset", "sunrise", "dawn", "dusk", "midnight", "night",
         "evening", "morning", "afternoon", "midday", "noon", "daytime", "day", "twilight",
         "nightfall", "daybreak", "first light")


def _strip_time(text: str) -> str:
    times = "|".join(TIMES)
    text = re.sub(rf"\s+(?:at|in the|during|before|after)\s+(?:{times})\b", "", text,
                  flags=re.IGNORECASE)
    text = re.sub(r"\s+at\s+\d{1,2}(?::\d{2})?\s*[ap]\.?m\b\.?", "", text, flags=re.IGNORECASE)
    text = re.sub(rf"^(?:{times})(?:\s+again)?\s*(?:(?:on|in|at|over)\s+)?", "", text,
                  flags=re.IGNORECASE)
    return re.sub(r"^(A|An|The)\b", lambda m: m.group(1).lower(), text.strip(" ,"))

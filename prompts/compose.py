"""The four-part prompt: compose it from a shot, fit it to 80-120 words, render it per model family.

Order matters because models weigh early words most: (1) subject and action, (2) camera,
(3) environment and light, (4) atmosphere. Fitting never cuts a character descriptor, the action,
the camera move, the light direction, the kelvin or the focal length; it pads with setup-sheet
detail (depth of field, fill ratio, shutter) rather than adjectives.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from director.film import Bible, PromptSpec, Shot
from director.prompts.vocabulary import (
    ANGLE_PHRASES,
    DIRECTION_PATTERN,
    FOCAL_PATTERN,
    KELVIN_PATTERN,
    LOOKS,
    MOVE_PHRASES,
    SIZE_PHRASES,
    find_moves,
    handle,
    has_person,
    word_count,
)

MULTISHOT_SEGMENT_CHARS = 512
"""Kling 3.0 rejects a multi-shot segment prompt longer than this."""
WORD_RANGE: tuple[int, int] = (80, 120)
"""Single-shot prompt length: under 80 the model invents, over 120 details start to conflict."""
FAMILIES: tuple[str, ...] = ("kling", "sora", "animatic")

_OPENING = "Opening position:"
_FINAL = "Final position:"
_PREPOSITIONS = ("at ", "above", "below", "behind", "high", "low", "directly", "from ", "on ",
                 "level", "beside", "in front")
_OPPOSITE = {"left": "camera-right", "right": "camera-left", "top": "below, bounced",
             "back": "the camera position", "front": "camera-left, low"}
# A sentence split that leaves "f/2.8" and "45°." alone: only sentence-final punctuation
# followed by whitespace ends a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# --- composing ----------------------------------------------------------------------------------


def compose_spec(shot: Shot, bible: Bible) -> PromptSpec:
    """The four parts for `shot`, fitted to WORD_RANGE."""
    parts = [
        subject_part(shot, bible),
        camera_part(shot),
        environment_part(shot, bible),
        atmosphere_part(shot, bible),
    ]
    subject, camera, environment, atmosphere = fit_parts(parts, shot, bible)
    return PromptSpec(
        shot_index=shot.index,
        subject=subject,
        camera=camera,
        environment=environment,
        atmosphere=atmosphere,
        negative_prompt=shot.negative_prompt,
        audio=audio_cue(shot),
    )


def descriptors_for(shot: Shot, bible: Bible) -> list[str]:
    """The canonical descriptor of every character in frame (the name when the bible lacks one)."""
    found = []
    for name in shot.characters:
        character = bible.character(name)
        found.append(character.descriptor if character else name)
    return found


def subject_part(shot: Shot, bible: Bible) -> str:
    """Part 1: each descriptor verbatim, the one action, then the bridging positions."""
    sentences = [_terminate(d) for d in descriptors_for(shot, bible)]
    sentences.append(_sentence(action_sentence(shot)))
    if shot.start_position:
        sentences.append(f"{_OPENING} {_terminate(shot.start_position)}")
    if shot.end_position:
        sentences.append(f"{_FINAL} {_terminate(shot.end_position)}")
    return " ".join(sentences)


def action_sentence(shot: Shot) -> str:
    action = shot.action.strip().rstrip(".")
    label = shot.subject.strip()
    starts = [label, *shot.characters]
    if any(s and action.lower().startswith(s.lower()) for s in starts):
        return action
    return f"{label} {action}".strip()


def camera_part(shot: Shot) -> str:
    """Part 2: size, angle and height, the ONE move, the lens."""
    cam = shot.camera
    height = cam.height.strip()
    if not height.lower().startswith(_PREPOSITIONS):
        height = f"at {height}"
    lens = f"{cam.focal_length_mm}mm lens"
    if cam.focal_length_mm >= 100 and cam.size in ("close_up", "extreme_close_up"):
        lens = f"{cam.focal_length_mm}mm macro lens"
    return _sentence(
        f"{SIZE_PHRASES[cam.size]}, {ANGLE_PHRASES[cam.angle]} {height}, "
        f"{MOVE_PHRASES[cam.move]}, {lens}"
    )


def environment_part(shot: Shot, bible: Bible) -> str:
    """Part 3: place and time of day, then the key light with direction and kelvin."""
    sentences = []
    location = bible.location(shot.location)
    if location:
        sentences.append(_sentence(_place_and_time(location.place, location.time_of_day)))
    sentences.append(_sentence(shot.lighting.phrase()))
    return " ".join(sentences)


def _place_and_time(place: str, time_of_day: str) -> str:
    """"a rainy street, where neon reflects" + "night" -> "a rainy street at night, where ..."."""
    time = time_of_day.strip()
    if not time or time.lower() in place.lower():
        return place
    if time in ("night", "dawn", "dusk", "sunset", "sunrise", "midnight", "golden hour",
                "blue hour", "noon", "midday"):
        when = f" at {time}"
    elif time in ("day", "daytime"):
        when = " in daylight"
    else:
        when = f" in the {time}" if time in ("morning", "evening", "afternoon") else f", {time}"
    head, sep, rest = place.partition(", ")
    return f"{head}{when}{sep}{rest}"


def atmosphere_part(shot: Shot, bible: Bible) -> str:
    """Part 4: the shot's stock, grain, palette and physical mood (the bible's look if unset)."""
    text = shot.atmosphere.strip() or bible.look.strip()
    if not text:
        stock, grain, palette, detail = LOOKS["default"]
        text = f"{stock}, {grain}, {palette}. {detail}"
    return " ".join(_sentence(s) for s in split_sentences(text))


def audio_cue(shot: Shot) -> str:
    """Sound effects and spoken lines for models with native audio; empty when there are none."""
    cues = [", ".join(shot.sfx)] if shot.sfx else []
    cues += [f'{line.speaker} says: "{line.text}"' for line in shot.dialogue]
    return "; ".join(cues)


def padding_sentences(shot: Shot, bible: Bible) -> list[tuple[int, str]]:
    """Concrete setup-sheet detail to lengthen a short prompt, as (part index, sentence),
    most useful first. Nothing here names a move, a shot size or a mood word."""
    cam, light = shot.camera, shot.lighting
    person = bool(shot.characters) or has_person(shot.subject)
    focus = f"{shot.characters[0]}'s eyes" if shot.characters else handle(shot.subject)
    pads: list[tuple[int, str]] = []
    if cam.move != "rack_focus":
        depth, stop = (("Shallow", "f/2") if cam.focal_length_mm >= 85
                       else ("Moderate", "f/4") if cam.focal_length_mm >= 40 else ("Deep", "f/8"))
        pads.append((1, f"{depth} depth of field at {stop}, focus held on {focus}."))
    pads.append((2, f"Fill from {_OPPOSITE[light.side]} two stops under the key, "
                    "so shadows keep detail."))
    pads.append((1, "24 fps with a 180-degree shutter for natural motion blur."))
    if not re.search(r"\b(?:out|exits?|leaves?|disappears?)\b", shot.action):
        stays = f"{handle(shot.subject)} stays fully in frame for the whole clip"
        pads.append((0, _sentence(stays)))
    pads.append((3, f"Fine texture visible in {'skin and fabric' if person else 'every surface'}."))
    if cam.move not in ("crane_up", "crane_down", "handheld") and cam.angle != "dutch":
        pads.append((1, "Horizon kept level and camera height constant."))
    pads.append((2, "Background held a stop darker than the subject for separation."))
    pads.append((3, "Highlights held below clipping, blacks lifted slightly."))
    return pads


# --- fitting ------------------------------------------------------------------------------------


def fit_parts(parts: list[str], shot: Shot, bible: Bible,
              low: int = WORD_RANGE[0], high: int = WORD_RANGE[1]) -> list[str]:
    """Trim then pad the four parts into [low, high] words without cutting protected content."""
    descriptors = descriptors_for(shot, bible)
    action = shot.action.strip().rstrip(".").lower()
    pads = padding_sentences(shot, bible)
    pad_texts = {text for _, text in pads}

    def protected(part: int, pos: int, sentence: str) -> bool:
        if pos == 0 or (action and action in sentence.lower()):
            return True
        return _essential(sentence)

    def rank(part: int, sentence: str) -> float:
        return 4.0 if sentence in pad_texts else _rank(part, sentence)

    def total(sents: list[list[str]]) -> int:
        return word_count(_unmask(" ".join(" ".join(p) for p in sents), descriptors))

    sents = _split_masked(parts, descriptors)
    sents = _shrink(sents, lambda s: total(s) > high, protected, rank)
    count = total(sents)
    for part, sentence in pads:
        if count >= low:
            break
        if sentence in " ".join(sents[part]) or count + word_count(sentence) > high:
            continue
        sents[part].append(sentence)
        count += word_count(sentence)
    return [_unmask(" ".join(p), descriptors) for p in sents]


def compress_parts(parts: list[str], bible: Bible,
                   limit: int = MULTISHOT_SEGMENT_CHARS) -> list[str]:
    """Shrink the four parts to at most `limit` characters joined, keeping descriptors, the
    action sentence, the move and the light direction; cut at a word boundary only as a last
    resort (the provider rejects longer segments outright)."""
    descriptors = [c.descriptor for c in bible.characters if c.descriptor in " ".join(parts)]
    names = [c.name for c in bible.characters]

    def protected(part: int, pos: int, sentence: str) -> bool:
        if sentence.startswith((_OPENING, _FINAL)):
            return False
        if pos == 0 or (part == 0 and any(n in sentence for n in names)):
            return True
        return _essential(sentence)

    def length(sents: list[list[str]]) -> int:
        return len(_join_parts([_unmask(" ".join(p), descriptors) for p in sents]))

    sents = _split_masked(parts, descriptors)
    sents = _shrink(sents, lambda s: length(s) > limit, protected, _rank)
    fitted = [_unmask(" ".join(p), descriptors) for p in sents]
    return _cut_to(fitted, limit)


def _cut_to(parts: list[str], limit: int) -> list[str]:
    """Last resort for a segment still too long: drop the atmosphere, then trailing words of
    each part that follow its last essential phrase; a plain cut only if even that fails."""
    parts = list(parts)
    if len(_join_parts(parts)) > limit:
        parts[3] = ""
    for i in (2, 1):  # part 1 is descriptors and the action: never cut
        keep = max((m.end() for rx in (FOCAL_PATTERN, KELVIN_PATTERN, DIRECTION_PATTERN)
                    for m in re.finditer(rx, parts[i], re.IGNORECASE)), default=0)
        keep = max([keep, *(e for _, _, e in find_moves(parts[i]))])
        cut = False
        # +1 leaves room for the full stop a cut part gets back.
        while len(_join_parts(parts)) + 1 > limit and parts[i][keep:].strip(" .,;"):
            parts[i] = parts[i][:keep] + parts[i][keep:].rsplit(" ", 1)[0].rstrip(",;")
            cut = True
        if cut:
            parts[i] = _terminate(parts[i].rstrip(",; "))
        if len(_join_parts(parts)) <= limit:
            break
    while len(_join_parts(parts)) > limit:
        last = max(i for i, p in enumerate(parts) if p)
        parts[last] = parts[last].rsplit(" ", 1)[0] if " " in parts[last] else ""
    return parts


def _join_parts(parts: list[str]) -> str:
    return " ".join(p.strip() for p in parts if p.strip())


def _essential(text: str) -> bool:
    """Content the craft forbids cutting: a descriptor, a move, a lens, a kelvin, a direction."""
    return bool(
        "\u27e6" in text
        or find_moves(text)
        or re.search(FOCAL_PATTERN, text)
        or re.search(KELVIN_PATTERN, text)
        or re.search(DIRECTION_PATTERN, text, re.IGNORECASE)
    )


def _rank(part: int, sentence: str) -> float:
    """How early a sentence goes when trimming: atmosphere extras first, the end position last,
    because the stated end position is what the next clip bridges from."""
    if sentence.startswith(_OPENING):
        return 1.5
    if sentence.startswith(_FINAL):
        return 0.5
    return float((0, 1, 2, 3)[part])


def _shrink(sents: list[list[str]], too_long: Callable[[list[list[str]]], bool],
            protected: Callable[[int, int, str], bool],
            rank: Callable[[int, str], float]) -> list[list[str]]:
    """Drop whole unprotected sentences, then unprotected clauses, until `too_long` is false."""
    sents = [list(p) for p in sents]
    while too_long(sents):
        victims = [(rank(pi, s), si, pi) for pi, part in enumerate(sents)
                   for si, s in enumerate(part) if not protected(pi, si, s)]
        if not victims:
            break
        _, si, pi = max(victims)
        del sents[pi][si]
    while too_long(sents):
        if not _drop_one_clause(sents, protected, rank):
            break
    return sents


def _drop_one_clause(sents: list[list[str]], protected: Callable[[int, int, str], bool],
                     rank: Callable[[int, str], float]) -> bool:
    order = sorted(((rank(pi, s), si, pi) for pi, part in enumerate(sents)
                    for si, s in enumerate(part)), reverse=True)
    for _, si, pi in order:
        clauses = sents[pi][si].rstrip(".").split(", ")
        for ci in range(len(clauses) - 1, 0, -1):
            if not _essential(clauses[ci]) and not protected(pi, 1, clauses[ci]):
                del clauses[ci]
                sents[pi][si] = _terminate(", ".join(clauses))
                return True
    return False


def _split_masked(parts: list[str], descriptors: list[str]) -> list[list[str]]:
    """Sentences per part with each descriptor replaced by an opaque token, so no split or
    trim can land inside a descriptor (descriptors are full of commas)."""
    return [split_sentences(_mask(p, descriptors)) for p in parts]


def _mask(text: str, descriptors: list[str]) -> str:
    for i, d in sorted(enumerate(descriptors), key=lambda x: -len(x[1])):
        if d:
            text = text.replace(d, f"\u27e6{i}\u27e7")
    return text


def _unmask(text: str, descriptors: list[str]) -> str:
    for i, d in enumerate(descriptors):
        text = text.replace(f"\u27e6{i}\u27e7", d)
    return text


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _terminate(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _sentence(text: str) -> str:
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return _terminate(text)


# --- rendering ----------------------------------------------------------------------------------


def render(spec: PromptSpec, family: str) -> str:
    """The provider text: prose for Kling and the animatic; prose plus a labelled
    cinematography block for Sora 2, which its prompting guide recommends."""
    audio = f"Audio: {spec.audio}" if spec.audio else ""
    if family in ("kling", "animatic"):
        return " ".join(p for p in (spec.text(), audio) if p)
    if family == "sora":
        prose = " ".join(p.strip() for p in (spec.subject, spec.environment) if p.strip())
        block = [f"Cinematography: {spec.camera.strip()}", f"Look: {spec.atmosphere.strip()}"]
        return "\n\n".join([prose, "\n".join(block + ([audio] if audio else []))])
    raise ValueError(f"unknown prompt family {family!r}; expected one of {FAMILIES}")


def render_multishot(specs: list[PromptSpec], bible: Bible) -> list[str]:
    """Kling 3.0 multi-shot: one segment per shot, each at most MULTISHOT_SEGMENT_CHARS."""
    return [_join_parts(compress_parts(spec.parts(), bible)) for spec in specs]

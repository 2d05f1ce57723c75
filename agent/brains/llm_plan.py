"""Code's floor under an LLM plan: clamp it to the catalog and fill what the model left thin.

Whatever the model returns, the settled plan has clip lengths the target model accepts summing
as close to the target as those lengths allow, no more shots than the target can hold, only
characters and locations the bible defines, a stated light direction and kelvin on every
shot, and ONE action per clip. Where the model's text is missing or too thin to use, the rules
brain's plan for the same brief (the floor) supplies it.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

from director.agent.brains.llm_schemas import PlanDraft
from director.agent.brains.normalise import clean, plain
from director.agent.brains.reading import DEFAULT_ACTION
from director.agent.brains.rules import DESCRIPTOR_BUDGET_WORDS
from director.agent.brains.shotcraft import MAX_SHOTS, allot_durations
from director.film import Bible, Brief, Character, Lighting, Location, Shot
from director.plan import ShotList
from director.prompts.lint import lint_text, offending_terms
from director.prompts.vocabulary import DIRECTION_PATTERN, word_count

MAX_CHARACTERS = 12
MAX_LOCATIONS = 12
MAX_DESCRIPTOR_WORDS = 40
"""A longer descriptor could not fit a 120-word prompt beside its action, camera and light."""
_PART_WORDS = 8
_SIDE_DIRECTIONS = {
    "left": "camera-left at 45°", "right": "camera-right at 45°", "front": "the front, on axis",
    "back": "behind the subject", "top": "directly above",
}


def max_shots(target_s: float, durations: Sequence[float]) -> int:
    """The most shots a cut of `target_s` can hold with the shortest allowed clip."""
    return max(1, min(MAX_SHOTS, math.ceil(target_s / min(durations))))


def settle_durations(asked: Sequence[float], target_s: float,
                     durations: Sequence[float]) -> list[float]:
    """The model's clip lengths snapped to allowed ones when their sum is as close to the target
    as allowed lengths get for that many shots; otherwise the closest allotment."""
    allowed = sorted({float(d) for d in durations if d > 0})
    n = max(1, min(len(asked), max_shots(target_s, allowed)))
    snapped = [min(allowed, key=lambda d, a=a: (abs(d - a), d)) for a in asked[:n]]
    best = allot_durations(target_s, allowed, n)
    if snapped and abs(sum(snapped) - target_s) <= abs(sum(best) - target_s) + 1e-6:
        return snapped
    return best


def settle_plan(draft: PlanDraft, brief: Brief, durations: Sequence[float],
                floor: ShotList) -> tuple[ShotList, list[str]]:
    """The draft made safe to render, and notes on what code changed."""
    notes: list[str] = []
    if not draft.shots:
        notes.append("the model planned no shots: the rules plan is used")
        return floor.model_copy(deep=True), notes
    lengths = settle_durations([s.duration_s for s in draft.shots], brief.target_duration_s,
                               durations)
    if len(lengths) < len(draft.shots):
        notes.append(f"{len(draft.shots)} shots clamped to {len(lengths)} for a "
                     f"{brief.target_duration_s:g}s cut")
    asked = [s.duration_s for s in draft.shots[:len(lengths)]]
    if asked != lengths:
        notes.append(f"clip lengths {asked} set to {lengths} (allowed: {list(durations)})")
    characters = _characters(brief.characters, draft.bible.characters, floor.bible.characters)
    bible = Bible(characters=characters, locations=_locations(draft.bible.locations, floor),
                  look=_text(draft.bible.look, floor.bible.look))
    shots: list[Shot] = []
    scenes: dict[int, int] = {}
    for index, length in enumerate(lengths):
        base = floor.shots[min(index, len(floor.shots) - 1)]
        if index < len(draft.shots):
            shot = _shot(draft.shots[index], base, bible, floor, brief)
        else:
            notes.append(f"shot {index + 1} taken from the rules plan to reach the target")
            shot = _adopt(base, bible, floor)
        shot.index, shot.duration_s = index, length
        shot.scene = scenes.setdefault(shot.scene, len(scenes))
        shots.append(shot)
    _bridge(shots)
    return ShotList(bible=bible, shots=shots), notes


# --- bible --------------------------------------------------------------------------------------


def _characters(stated: list[Character], drafted: list[Character],
                floor: list[Character]) -> list[Character]:
    """First description of each name wins: the brief's own, then the model's, then the floor's.
    The model's descriptors are recomposed by code from short parts, so they fit a prompt."""
    seen: dict[str, Character] = {}
    for trusted, group in ((True, stated), (False, drafted), (True, floor)):
        for c in group:
            name = " ".join(c.name.split())[:40]
            if not re.search(r"\w", name) or name.lower() in seen:
                continue
            seen[name.lower()] = c if trusted else _trim_character(
                c.model_copy(update={"name": name}))
    return list(seen.values())[:MAX_CHARACTERS]


def _trim_character(c: Character) -> Character:
    def short(text: str) -> str:
        return " ".join(clean(text).split()[:_PART_WORDS])

    wardrobe = [w.model_copy(update={"garment": short(w.garment), "material": short(w.material),
                                     "colour": short(w.colour)})
                for w in c.wardrobe if short(w.garment)][:2]
    parts = Character(name=c.name, age=short(c.age), hair=short(c.hair), eyes=short(c.eyes),
                      build=short(c.build), wardrobe=wardrobe,
                      marks=[m for m in map(short, c.marks) if m][:2],
                      reference_images=c.reference_images)
    given = clean(" ".join(c.descriptor.split()))
    # The parts are the truth; a model-written descriptor is kept only when there are none.
    keep = c.name.lower() in given.lower() and not _has_parts(parts)
    descriptor = given if keep else parts.compose_descriptor()
    if word_count(descriptor) > MAX_DESCRIPTOR_WORDS:
        descriptor = " ".join(descriptor.split()[:MAX_DESCRIPTOR_WORDS]).rstrip(",")
    return parts.model_copy(update={"descriptor": descriptor})


def _has_parts(c: Character) -> bool:
    return any((c.age, c.hair, c.eyes, c.build, c.wardrobe, c.marks))


def _locations(drafted: list[Location], floor: ShotList) -> list[Location]:
    fallback = floor.bible.locations[0] if floor.bible.locations else None
    seen: dict[str, Location] = {}
    for loc in drafted:
        name = " ".join(plain(loc.name).split())[:40]
        if not re.search(r"\w", name) or name.lower() in seen:
            continue
        known = floor.bible.location(name) or fallback
        place = _text(plain(loc.place), known.place if known else name, words=3)
        light = _light(loc.lighting, known.lighting if known else None)
        seen[name.lower()] = Location(name=name, place=place,
                                      time_of_day=plain(loc.time_of_day) or "day",
                                      lighting=light)
    locations = list(seen.values())[:MAX_LOCATIONS]
    return locations or [loc.model_copy() for loc in floor.bible.locations]


def _light(light: Lighting, fallback: Lighting | None) -> Lighting:
    """A lighting setup whose phrase states a direction lint recognises, and a real source."""
    light = light.model_copy(update={"source": plain(light.source),
                                     "quality": plain(light.quality) or "soft"})
    if not re.search(DIRECTION_PATTERN, light.phrase(), re.IGNORECASE):
        if fallback is not None and re.search(DIRECTION_PATTERN, fallback.phrase(), re.I):
            light = light.model_copy(update={"direction": fallback.direction,
                                             "side": fallback.side})
        else:
            light = light.model_copy(update={"direction": _SIDE_DIRECTIONS[light.side]})
    if not light.source:
        light = light.model_copy(update={"source": fallback.source if fallback else "daylight"})
    return light


# --- shots --------------------------------------------------------------------------------------


def _shot(drafted: Shot, base: Shot, bible: Bible, floor: ShotList, brief: Brief) -> Shot:
    location = _location_for(drafted.location, base, bible, floor)
    names = {c.name.lower(): c.name for c in bible.characters}
    wanted = [names[n.strip().lower()] for n in drafted.characters if n.strip().lower() in names]
    subject = _text(re.sub(r'["“”<>]', "", plain(drafted.subject)), base.subject, words=1)
    shot = drafted.model_copy(deep=True, update={
        "beat": _text(" ".join(drafted.beat.split())[:300], subject, words=1),
        "location": location.name,
        "characters": _fit(list(dict.fromkeys(wanted)), bible),
        "subject": subject,
        "lighting": _light(drafted.lighting, location.lighting),
        "atmosphere": _text(clean(plain(drafted.atmosphere)), base.atmosphere, words=3),
        "start_position": plain(drafted.start_position),
        "end_position": plain(drafted.end_position),
        "sfx": [plain(s) for s in drafted.sfx if plain(s)][:4] if brief.audio else [],
        "dialogue": drafted.dialogue[:3],
    })
    shot.action = _one_action(drafted.action, shot, base)
    shot.negative_prompt = _negative(drafted.negative_prompt, shot)
    return shot


def _adopt(base: Shot, bible: Bible, floor: ShotList) -> Shot:
    """A floor shot inside the settled bible (its location and characters added if missing)."""
    shot = base.model_copy(deep=True)
    _location_for(shot.location, base, bible, floor)
    for name in shot.characters:
        if bible.character(name) is None and (c := floor.bible.character(name)) is not None:
            bible.characters = [*bible.characters, c]
    shot.characters = [n for n in shot.characters if bible.character(n) is not None]
    return shot


def _location_for(name: str, base: Shot, bible: Bible, floor: ShotList) -> Location:
    by_name = {loc.name.lower(): loc for loc in bible.locations}
    if name.strip().lower() in by_name:
        return by_name[name.strip().lower()]
    found = floor.bible.location(base.location)
    if found is None:
        return bible.locations[0]
    if found.name.lower() not in by_name:
        bible.locations = [*bible.locations, found.model_copy()]
    return found


def _fit(names: list[str], bible: Bible) -> list[str]:
    """The characters whose descriptors fit one prompt, in the order the shot names them."""
    kept: list[str] = []
    words = 0
    for name in names:
        character = bible.character(name)
        n = word_count(character.descriptor) if character else 1
        if kept and words + n > DESCRIPTOR_BUDGET_WORDS:
            continue
        kept.append(name)
        words += n
    return kept


def _one_action(action: str, shot: Shot, base: Shot) -> str:
    """ONE primary action: the model's (its first clause when it chains several), else the
    floor's, else a held position. Split before `plain` drops the "then" that marks a chain."""
    first = re.split(r",|;|\s+(?:and|then|while|before|after|until)\s+", action, maxsplit=1)[0]
    chained = first.strip() != action.strip()
    for candidate in (first if chained else action, base.action, DEFAULT_ACTION):
        candidate = plain(candidate)
        if candidate and not _breaks_one_action(candidate, shot):
            return candidate
    return DEFAULT_ACTION


def _breaks_one_action(action: str, shot: Shot) -> bool:
    probe = shot.model_copy(update={"action": action})
    return any(f.rule == "one_action" for f in lint_text("", probe, Bible()))


def _negative(negative: str, shot: Shot) -> str:
    terms = [t.strip() for t in plain(negative).split(",") if t.strip()]
    bad = set(offending_terms(", ".join(terms), shot))
    return ", ".join(t for t in terms if t not in bad)[:300]


def _bridge(shots: list[Shot]) -> None:
    """Each clip of a scene begins where the previous one ended, unless the model said where."""
    for prev, shot in itertools.pairwise(shots):
        same = shot.scene == prev.scene
        if same and not shot.start_position:
            shot.start_position = prev.end_position
        shot.continuous = shot.continuous and same


def _text(value: str, fallback: str, *, words: int = 1) -> str:
    """`value` when it holds at least `words` real words, else `fallback`."""
    value = " ".join(value.split())
    return value if len(re.findall(r"[^\W\d_]{2,}", value)) >= words else fallback

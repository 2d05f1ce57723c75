"""Rewrites of ONE prompt variable, as the sources recommend for each failure.

Each variable has a short ladder of hypotheses, tried in order across retakes:

- camera: restate the move first with its direction, its speed and what it does on screen
  ("The camera pans left at a slow, steady speed; the scene slides right across the frame"),
  then simplify to that one move only, slower.
- action: one explicit verb phrase (the first beat, the others split off), then the same beat
  held slowly.
- lighting: the key's side, angle and kelvin stated outright as the only key, then a hard key.
- subject: the descriptors first, then a sentence locking identity for the whole clip.
- environment / atmosphere: the place (look) restated plainly first, then only its first line.

A rewrite touches only the sentences its variable owns (agent/variables.py), stays inside the
prompt's word range by dropping that part's own filler sentences, and is refused (None) when it
would add a lint finding the prompt did not have.
"""

from __future__ import annotations

import re

from director.agent.variables import (
    PART_OF,
    changed_spec_variables,
    filler_sentences,
    spec_sentences,
)
from director.film import Bible, CameraMove, LightSide, PromptSpec, Shot
from director.prompts import compose, lint
from director.prompts.vocabulary import (
    ANGLE_PHRASES,
    SIZE_PHRASES,
    find_moves,
    handle,
    word_count,
)

MOVE_RESTATED: dict[CameraMove, tuple[str, str]] = {
    "static": ("locked-off camera", "frame fixed"),
    "pan_left": ("slow pan left", "scene sliding right"),
    "pan_right": ("slow pan right", "scene sliding left"),
    "tilt_up": ("slow tilt up", "scene sliding down"),
    "tilt_down": ("slow tilt down", "scene sliding up"),
    "push_in": ("slow push-in", "subject growing in frame"),
    "pull_out": ("slow pull-back", "subject shrinking in frame"),
    "orbit_left": ("slow orbit left", "background sliding right"),
    "orbit_right": ("slow orbit right", "background sliding left"),
    "crane_up": ("crane rising", "scene sinking"),
    "crane_down": ("crane descending", "scene rising"),
    "handheld": ("handheld slight shake", "framing drifting slightly"),
    "rack_focus": ("rack focus to background", "frame fixed"),
}
"""Per move: the move with its direction and speed, and what it does on screen. Short on
purpose: prompts sit near the word ceiling, and the restatement replaces the old move clause
(and the default "camera at eye height") rather than adding a sentence."""
_KEY_SIDE: dict[LightSide, tuple[str, str]] = {
    "left": ("camera-left at 45°", "the camera-right side falls into shadow"),
    "right": ("camera-right at 45°", "the camera-left side falls into shadow"),
    "front": ("the front, beside the camera", "shadows fall behind the subject"),
    "back": ("behind the subject", "the front falls into shadow"),
    "top": ("directly above", "shadows fall straight down"),
}
# The same splits lint uses to count actions: sequencers, then commas, "and", "while".
_SEQUENCERS = re.compile(
    r"\b(?:and then|then|after that|afterwards|followed by|before that|finally)\b", re.IGNORECASE
)
_BEATS = re.compile(r",\s*(?:and\s+|or\s+)?|\s+and\s+|\s+while\s+|;\s*")
HYPOTHESES = 2
"""Rewrites per variable before the variable counts as failed twice (then the model changes)."""


def rewrite(variable: str, hypothesis: int, shot: Shot, spec: PromptSpec,
            family: str) -> PromptSpec | None:
    """`spec` with only `variable`'s sentences rewritten by hypothesis `hypothesis` (0-based),
    or None when that hypothesis changes nothing or would break a craft rule."""
    if variable not in PART_OF or not 0 <= hypothesis < HYPOTHESES:
        return None
    groups = spec_sentences(spec, shot)
    builder = {"camera": _camera, "action": _action, "lighting": _lighting,
               "subject": _subject, "environment": _environment,
               "atmosphere": _atmosphere}[variable]
    mine = builder(hypothesis, shot, groups[variable])
    if not mine or mine == groups[variable]:
        return None
    candidate = _assemble(spec, {**groups, variable: mine})
    return _fit(spec, candidate, variable, shot, family)


def screen_consequence(move: CameraMove) -> str:
    """What the move does on screen, e.g. "the scene slides right across the frame"."""
    return MOVE_RESTATED[move][1]


# --- one builder per variable ---------------------------------------------------------------


def _camera(hypothesis: int, shot: Shot, sentences: list[str]) -> list[str]:
    """One setup line rebuilt from the shot: size, angle (unless eye level), lens, then the move
    with its direction, speed and screen effect; any sentence naming a move is replaced."""
    cam = shot.camera
    stated, effect = MOVE_RESTATED[cam.move]
    if hypothesis == 1:
        stated = f"very {stated} only" if stated.startswith("slow ") else f"{stated} only"
    lens = f"{cam.focal_length_mm}mm lens"
    setup = [SIZE_PHRASES[cam.size]]
    if cam.angle != "eye_level" or cam.height.strip().lower() != "eye height":
        height = cam.height.strip()
        setup.append(f"{ANGLE_PHRASES[cam.angle]} {height}" if height.lower().startswith(
            ("at ", "above", "below", "from ", "directly", "low", "high", "level", "on "))
            else f"{ANGLE_PHRASES[cam.angle]} at {height}")
    setup.append(lens)
    line = f"{', '.join(setup)}, {stated}, {effect}."
    kept = [s for s in sentences if not find_moves(s)]
    return [line[0].upper() + line[1:], *kept]


def _action(hypothesis: int, shot: Shot, sentences: list[str]) -> list[str]:
    """The first beat only, as one explicit verb: "Idris visibly folds the dough."; then the
    same beat slowed down."""
    if not sentences:
        return []
    beat = first_beat(shot.action)
    core = compose.action_sentence(shot.model_copy(update={"action": beat})).rstrip(".")
    adverb = "visibly" if hypothesis == 0 else "slowly and visibly"
    if core.endswith(beat) and len(core) > len(beat):
        line = f"{core[: len(core) - len(beat)].strip()} {adverb} {beat}."
    else:
        head, _, rest = core.partition(" ")
        line = f"{head} {adverb} {rest}." if rest else f"{core}, {adverb}."
    line = line[0].upper() + line[1:]
    index = next((i for i, s in enumerate(sentences)
                  if not s.startswith(("Opening position:", "Final position:"))), 0)
    return [*sentences[:index], line, *sentences[index + 1:]]


def first_beat(action: str) -> str:
    """The first verb phrase of an action: "kneads dough, then folds it" -> "kneads dough"."""
    text = lint.unquoted(action).strip().rstrip(".")
    head = _SEQUENCERS.split(text)[0]
    parts = [p.strip() for p in _BEATS.split(head) if p.strip()]
    return parts[0] if parts else text


def _lighting(hypothesis: int, shot: Shot, sentences: list[str]) -> list[str]:
    light = shot.lighting
    side, shadow = _KEY_SIDE[light.side]
    if hypothesis == 0:
        return [f"Key light from {side}, {light.colour_temperature_k}K {light.source}."]
    return [f"One hard key from {side} only, {light.colour_temperature_k}K; {shadow}."]


def _subject(hypothesis: int, shot: Shot, sentences: list[str]) -> list[str]:
    descriptors = [s for s in sentences if not _is_lock(s)]
    names = shot.characters or [handle(shot.subject)]
    if hypothesis == 0:
        lock = [f"Same {n} in every frame." for n in names]
    else:
        lock = [f"Only one {n}, same in every frame." for n in names]
    return [*descriptors, *lock]


def _is_lock(sentence: str) -> bool:
    return "in every frame" in sentence


def _environment(hypothesis: int, shot: Shot, sentences: list[str]) -> list[str]:
    if not sentences:
        return []
    first = sentences[0].rstrip(".")
    if first.startswith("The same place for the whole clip: "):
        first = first.removeprefix("The same place for the whole clip: ")
    if hypothesis == 0:
        return [f"The same place for the whole clip: {first}.", *sentences[1:]]
    return [f"{first[0].upper()}{first[1:]}, unchanged from the first frame to the last."]


def _atmosphere(hypothesis: int, shot: Shot, sentences: list[str]) -> list[str]:
    if not sentences:
        return []
    if hypothesis == 0:
        return [sentences[0], "Palette and grain stay constant."]
    base = shot.atmosphere.strip() or sentences[0]
    return [compose.split_sentences(base)[0]]


# --- assembling and fitting -----------------------------------------------------------------


def _assemble(spec: PromptSpec, groups: dict[str, list[str]]) -> PromptSpec:
    def join(*names: str) -> str:
        return " ".join(s for n in names for s in groups[n])

    return spec.model_copy(update={
        "subject": join("subject", "action"),
        "camera": join("camera"),
        "environment": join("environment", "lighting"),
        "atmosphere": join("atmosphere"),
    })


def _fit(old: PromptSpec, new: PromptSpec, variable: str, shot: Shot,
         family: str) -> PromptSpec | None:
    """Keep the word range by dropping (or restoring) length filler, which belongs to no
    variable; refuse a rewrite that changes nothing, leaves the range, or adds a craft-rule
    finding the old prompt did not have."""
    low, high = compose.WORD_RANGE
    fillers = filler_sentences(shot)
    for pad in reversed(fillers):  # the least useful filler goes first
        if word_count(new.text()) <= high:
            break
        new = _without(new, pad)
    if variable == "action" and word_count(new.text()) > high:
        # The opening position repeats the previous clip's final one; the final one stays.
        groups = spec_sentences(new, shot)
        kept = [s for s in groups["action"] if not s.startswith("Opening position:")]
        new = _assemble(new, {**groups, "action": kept})
    if word_count(new.text()) > max(high, word_count(old.text())):
        return None
    for part, pad in compose.padding_sentences(shot, Bible()):
        if word_count(new.text()) >= low:
            break
        if pad in new.text() or word_count(new.text()) + word_count(pad) > high:
            continue
        name = _PARTS[part]
        new = new.model_copy(update={name: f"{getattr(new, name)} {pad}".strip()})
    if changed_spec_variables(old, new, shot) != {variable}:
        return None
    before = {f.rule for f in lint.lint(old, shot, Bible(), family)}
    after = {f.rule for f in lint.lint(new, shot, Bible(), family)}
    return None if after - before else new


_PARTS = ("subject", "camera", "environment", "atmosphere")


def _without(spec: PromptSpec, sentence: str) -> PromptSpec:
    update = {}
    for name in _PARTS:
        sentences = compose.split_sentences(getattr(spec, name))
        if sentence in sentences:
            update[name] = " ".join(s for s in sentences if s != sentence)
    return spec.model_copy(update=update)

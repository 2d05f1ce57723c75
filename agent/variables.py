"""Which retake variable owns each field of a request and each sentence of a four-part prompt.

The one-variable rule is checked against this map, whatever brain proposed the retake: two
requests (and their prompt specs) are compared field by field and sentence by sentence, and the
set of variables that differ must be exactly the one the revision declared.

Part 1 of a PromptSpec holds two variables (the subject's descriptors and the action), part 3
holds two (the place and the light); sentences are assigned by what they say, so a rewrite of
the light cannot smuggle in a new place.
"""

from __future__ import annotations

import re
from typing import Final

from director.film import Bible, GenerationRequest, PromptSpec, Shot, Variable
from director.prompts.compose import padding_sentences, split_sentences
from director.prompts.vocabulary import DIRECTION_PATTERN, KELVIN_PATTERN, find_moves

PROMPT_VARIABLES: Final[tuple[Variable, ...]] = (
    "subject", "action", "camera", "environment", "lighting", "atmosphere",
)
"""Variables that live in the prompt text."""
PART_OF: Final[dict[str, str]] = {
    "subject": "subject",
    "action": "subject",
    "camera": "camera",
    "environment": "environment",
    "lighting": "environment",
    "atmosphere": "atmosphere",
}
"""The PromptSpec field that holds each prompt variable."""

PARAM_FIELDS: Final[tuple[str, ...]] = ("duration_s", "width", "height", "fps", "aspect_ratio",
                                        "audio")
"""API parameters: the "params" variable."""
MODEL_FIELDS: Final[tuple[str, ...]] = ("model", "provider", "negative_prompt", "first_frame",
                                        "last_frame", "element_images", "element_ids")
"""The model choice: which model, on which service, conditioned on which images (text-to-video
to image-to-video, reference-conditioned) and with which capability-bound fields."""
MODEL_CONSEQUENCES: Final[tuple[str, ...]] = ("width", "height", "audio")
"""Params a model change may move as a consequence (its own frame size, whether it has audio)."""
_BOOKKEEPING: Final[frozenset[str]] = frozenset({"shot_index", "attempt"})

_IDENTITY = re.compile(
    r"\bin every frame\b|\bsame face\b|\blooks identical\b",
    re.IGNORECASE,
)
_LIGHT_WORDS = re.compile(r"\b(?:key|fill)\b|\bkey light\b|\blit\b", re.IGNORECASE)


def changed_request_fields(old: GenerationRequest, new: GenerationRequest) -> set[str]:
    """Names of the request fields that differ, bookkeeping (attempt) aside."""
    a, b = old.model_dump(), new.model_dump()
    return {k for k in a if k not in _BOOKKEEPING and a[k] != b[k]}


def request_variables(fields: set[str]) -> set[str]:
    """The variables a set of changed request fields touches ("prompt" for the text itself,
    "other:<field>" for a field no retake variable owns)."""
    found: set[str] = set()
    for name in fields:
        if name == "seed":
            found.add("seed")
        elif name in MODEL_FIELDS:
            found.add("model")
        elif name in PARAM_FIELDS:
            found.add("params")
        elif name == "camera_control":
            found.add("camera")
        elif name == "prompt":
            found.add("prompt")
        else:
            found.add(f"other:{name}")
    return found


def filler_sentences(shot: Shot) -> list[str]:
    """The setup-sheet sentences compose adds only to reach the word range (most useful
    first). They belong to no variable: a retake may drop or restore them to keep its length."""
    return [text for _, text in padding_sentences(shot, Bible())]


def spec_sentences(spec: PromptSpec, shot: Shot, *, filler: bool = True) -> dict[str, list[str]]:
    """The spec's sentences grouped by the prompt variable that owns them, in order
    (`filler=False` leaves out the length filler)."""
    skip = set() if filler else set(filler_sentences(shot))
    groups: dict[str, list[str]] = {v: [] for v in PROMPT_VARIABLES}

    def add(variable: str, sentence: str) -> None:
        if sentence not in skip:
            groups[variable].append(sentence)

    # Content decides, not only position: a key light written into the camera part is still
    # the lighting, and a move written into the place is still the camera.
    for sentence in split_sentences(spec.subject):
        if is_subject_sentence(sentence, shot):
            add("subject", sentence)
        else:
            add("camera" if find_moves(sentence) else "action", sentence)
    for sentence in split_sentences(spec.camera):
        add("lighting" if _names_light(sentence) else "camera", sentence)
    for sentence in split_sentences(spec.environment):
        add("camera" if find_moves(sentence) else
            "lighting" if is_light_sentence(sentence) else "environment", sentence)
    for sentence in split_sentences(spec.atmosphere):
        add("camera" if find_moves(sentence) else
            "lighting" if _names_light(sentence) else "atmosphere", sentence)
    return groups


def _names_light(sentence: str) -> bool:
    return bool(re.search(KELVIN_PATTERN, sentence) or _LIGHT_WORDS.search(sentence))


def is_subject_sentence(sentence: str, shot: Shot) -> bool:
    """A descriptor ("Ana, 40s, ...") or an identity statement belongs to the subject; the action
    and the bridging positions belong to the action."""
    if _IDENTITY.search(sentence):
        return True
    return any(sentence.startswith(f"{name},") for name in shot.characters if name)


def is_light_sentence(sentence: str) -> bool:
    """A sentence that places or colours the light (direction, kelvin, key or fill)."""
    return bool(
        re.search(DIRECTION_PATTERN, sentence, re.IGNORECASE)
        or re.search(KELVIN_PATTERN, sentence)
        or _LIGHT_WORDS.search(sentence)
    )


def changed_spec_variables(old: PromptSpec, new: PromptSpec, shot: Shot) -> set[str]:
    """Prompt variables whose sentences differ between two specs, length filler aside
    ("other:<field>" for the negative prompt or audio cue, which no prompt variable owns)."""
    a = spec_sentences(old, shot, filler=False)
    b = spec_sentences(new, shot, filler=False)
    changed = {v for v in PROMPT_VARIABLES if a[v] != b[v]}
    for name in ("negative_prompt", "audio", "shot_index"):
        if getattr(old, name) != getattr(new, name):
            changed.add(f"other:{name}")
    return changed

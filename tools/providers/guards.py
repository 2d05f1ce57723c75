"""Capability guards: refuse, before any money is spent, a request the model would ignore or reject.

Services differ in how they treat a field a model does not support: some reject the task after
queueing it, some drop the field silently and bill a clip that is not what was asked (a tail
frame on Kling 2.6 std, sound on a silent mode). `check_request` catches those cases from the
catalog (tools/catalog.py) plus the few rules the catalog does not model as fields (camera
control, Kling 1.0's 5 s-only tail frame, element lists), all from the provider reference.

Every refusal is ProviderError(retryable=False) whose message names the model and the field.
"""

from __future__ import annotations

from dataclasses import dataclass

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest
from director.tools import catalog
from director.tools.catalog import ModelSpec

_EPS = 1e-6


@dataclass(frozen=True)
class _CameraRule:
    """Where Kling honours camera_control (capability map): one mode, one way, 5 s only."""

    image_to_video: bool
    """True when only image-to-video honours it, False when only text-to-video does."""
    durations: tuple[float, ...]
    """Clip lengths it works at."""
    types: tuple[str, ...]
    """camera_control types accepted."""


_ALL_CAMERA_TYPES = ("simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward")
_CAMERA_CONTROL: dict[str, _CameraRule] = {
    "kling-v1-std": _CameraRule(False, (5.0,), _ALL_CAMERA_TYPES),
    "kling-v1-5-pro": _CameraRule(True, (5.0,), ("simple",)),
}
"""Catalog ids whose model honours camera_control; none from Kling 1.6 on, per the map."""
_TAIL_FRAME_DURATIONS: dict[str, tuple[float, ...]] = {"kling-v1": (5.0,)}
"""Kling api names whose tail frame works only at some lengths (kling-v1: 5 s)."""
_ELEMENT_API_NAMES = frozenset({"kling-v3"})
"""Models that take reference subjects (Kling element_list / fal elements): Kling 3.0 only."""
MAX_ELEMENTS = 3
"""Kling 3.0 takes at most three elements."""


def _refuse(spec_id: str, field: str, why: str) -> ProviderError:
    return ProviderError(f"{spec_id} cannot take {field}: {why}", retryable=False)


def model_spec(request: GenerationRequest) -> ModelSpec:
    """The catalog entry of `request.model`, or ProviderError(retryable=False) naming it."""
    try:
        return catalog.get(request.model)
    except DirectorError as exc:
        raise ProviderError(str(exc), retryable=False) from None


def check_request(request: GenerationRequest) -> ModelSpec:
    """Refuse `request` if its model would silently ignore or reject any field; return the
    model's catalog entry when it passes. Cheap and offline: call it first in `submit`."""
    spec = model_spec(request)
    m = spec.id
    if request.provider not in spec.providers:
        raise _refuse(m, "provider", f"{request.provider!r} does not serve it "
                      f"(served by {', '.join(spec.providers)})")
    _check_shape(spec, request)
    _check_text(spec, request)
    _check_audio(spec, request)
    _check_frames(spec, request)
    _check_camera(spec, request)
    _check_multi_shot(spec, request)
    _check_elements(spec, request)
    return spec


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _check_shape(spec: ModelSpec, request: GenerationRequest) -> None:
    # The local animatic renders any even size, rate and length; its own validation refuses
    # what it cannot draw, so the catalog's routing lists do not bind it here.
    if spec.family == "animatic":
        return
    m = spec.id
    if not spec.accepts(request.duration_s):
        lengths = ", ".join(f"{d:g}" for d in spec.durations)
        raise _refuse(m, "duration_s", f"{_seconds(request.duration_s)} is not one of its "
                      f"lengths ({lengths} s)")
    if request.aspect_ratio not in spec.aspect_ratios:
        raise _refuse(m, "aspect_ratio", f"{request.aspect_ratio} is not one of "
                      f"{', '.join(spec.aspect_ratios)}")
    sizes = sorted({by[request.aspect_ratio] for by in spec.resolutions.values()
                    if request.aspect_ratio in by})
    if (request.width, request.height) not in sizes:
        offered = ", ".join(f"{w}x{h}" for w, h in sizes)
        raise _refuse(m, "width/height", f"{request.width}x{request.height} is not a size it "
                      f"delivers at {request.aspect_ratio} ({offered})")
    if request.fps != spec.fps:
        raise _refuse(m, "fps", f"it delivers {spec.fps} fps, not {request.fps}")


def _check_text(spec: ModelSpec, request: GenerationRequest) -> None:
    m = spec.id
    if not request.multi_prompt and not request.prompt.strip():
        raise _refuse(m, "prompt", "the prompt is empty")
    limit = spec.prompt_chars
    if limit and len(request.prompt) > limit:
        raise _refuse(m, "prompt", f"{len(request.prompt)} characters, over its {limit}")
    if request.negative_prompt and not spec.negative_prompt:
        raise _refuse(m, "negative_prompt", "it has no negative prompt field")
    if limit and len(request.negative_prompt) > limit:
        raise _refuse(m, "negative_prompt",
                      f"{len(request.negative_prompt)} characters, over its {limit}")


def _check_audio(spec: ModelSpec, request: GenerationRequest) -> None:
    if request.audio and not spec.audio:
        why = "this mode is silent; native audio needs pro mode" if spec.audio_needs_pro else (
            "it generates no native audio")
        raise _refuse(spec.id, "audio", why)


def _check_frames(spec: ModelSpec, request: GenerationRequest) -> None:
    m = spec.id
    if not spec.text_to_video and not (request.first_frame or request.last_frame):
        raise _refuse(m, "a text-only request", "it is image-to-video only: give first_frame")
    if request.first_frame and not spec.first_frame:
        raise _refuse(m, "first_frame", "it does not take a first-frame image")
    if not request.last_frame:
        return
    if not spec.last_frame:
        why = "std mode has no tail frame; use pro" if spec.mode == "std" else (
            "it does not take a tail frame")
        raise _refuse(m, "last_frame", why)
    if spec.last_frame_silent_only and request.audio:
        raise _refuse(m, "last_frame", "a tail frame works only with audio off")
    lengths = _TAIL_FRAME_DURATIONS.get(spec.api_name)
    if lengths and not any(abs(request.duration_s - d) < _EPS for d in lengths):
        raise _refuse(m, "last_frame", f"a tail frame works only at "
                      f"{', '.join(_seconds(d) for d in lengths)}")


def _check_camera(spec: ModelSpec, request: GenerationRequest) -> None:
    control = request.camera_control
    if control is None:
        return
    m = spec.id
    rule = _CAMERA_CONTROL.get(m)
    if rule is None:
        raise _refuse(m, "camera_control", "only Kling 1.0 std (text) and 1.5 pro (image) "
                      "honour it; describe the move in the prompt instead")
    image = bool(request.first_frame or request.last_frame)
    if image != rule.image_to_video:
        kind = "image-to-video" if rule.image_to_video else "text-to-video"
        raise _refuse(m, "camera_control", f"it works only for {kind}")
    if not any(abs(request.duration_s - d) < _EPS for d in rule.durations):
        raise _refuse(m, "camera_control", f"it works only at "
                      f"{', '.join(_seconds(d) for d in rule.durations)}")
    if control.type not in rule.types:
        raise _refuse(m, "camera_control", f"type {control.type!r} is not one of "
                      f"{', '.join(rule.types)}")
    if request.last_frame:
        raise _refuse(m, "camera_control", "it cannot be combined with a tail frame")


def _check_multi_shot(spec: ModelSpec, request: GenerationRequest) -> None:
    segments = request.multi_prompt
    if not segments:
        return
    m = spec.id
    if not spec.multi_shot:
        raise _refuse(m, "multi_prompt", "it renders one shot per request")
    if len(segments) > spec.max_shots:
        raise _refuse(m, "multi_prompt", f"{len(segments)} shots, over its {spec.max_shots}")
    for number, segment in enumerate(segments, 1):
        if spec.segment_chars and len(segment.prompt) > spec.segment_chars:
            raise _refuse(m, f"multi_prompt[{number}].prompt",
                          f"{len(segment.prompt)} characters, over its {spec.segment_chars}")
        if abs(segment.duration_s - round(segment.duration_s)) > _EPS:
            raise _refuse(m, f"multi_prompt[{number}].duration_s",
                          f"{segment.duration_s:g} s is not a whole number of seconds")
    total = sum(s.duration_s for s in segments)
    if abs(total - request.duration_s) > _EPS:
        raise _refuse(m, "multi_prompt", f"shot durations add up to {_seconds(total)}, "
                      f"not the request's {_seconds(request.duration_s)}")


def _check_elements(spec: ModelSpec, request: GenerationRequest) -> None:
    m = spec.id
    for field, values in (("element_ids", request.element_ids),
                          ("element_images", request.element_images)):
        if not values:
            continue
        if spec.api_name not in _ELEMENT_API_NAMES:
            raise _refuse(m, field, "only Kling 3.0 takes reference elements")
        if not request.first_frame:
            raise _refuse(m, field, "elements work only for image-to-video (give first_frame)")
        if len(values) > MAX_ELEMENTS:
            raise _refuse(m, field, f"{len(values)} elements, over its {MAX_ELEMENTS}")

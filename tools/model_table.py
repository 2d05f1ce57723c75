"""The model table: every video model we can route to, what it accepts and what it costs.

Facts come from shared/reference/providers.md (section 6 and the per-provider notes). Kling v2.x
and earlier bill per 5 s clip (a 10 s clip costs twice the 5 s price); Kling v3 and Sora 2 bill
per second. Capabilities the reference marks unconfirmed are flagged `verified=False` and are never
picked by the router on its own; a person may still name such a model explicitly.
Look-ups, prices and routing over this table live in catalog.py.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Family = Literal["kling", "sora", "animatic"]
Size = tuple[int, int]

TOLERANCE = 1e-6
"""Clip lengths (and billed units) closer than this are the same."""
LOCAL = "animatic"
"""The local renderer: serves only the animatic model."""
SIM = "sim"
"""The simulator: renders every model locally with its latency, price and failure rates."""


class Price(BaseModel):
    """How a model is billed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unit: Literal["clip", "second", "free"]
    """"clip": a fixed price per started clip of `clip_s` seconds; "second": per second rendered."""
    usd: float = 0.0
    """Price of one unit without audio, in US dollars."""
    audio_usd: float | None = None
    """Price of one unit with native audio, where it differs from `usd`."""
    clip_s: float = 5.0
    """Length of one billed clip for per-clip pricing (a 10 s Kling v2 clip is two units)."""
    by_resolution: dict[str, float] = Field(default_factory=dict)
    """Unit price at resolutions billed differently, e.g. {"1024p": 0.50} for sora-2-pro."""


class ModelSpec(BaseModel):
    """One video model as the router sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Our id, e.g. "kling-v2-6-pro"; what plans and ledgers record."""
    label: str
    """Human name, e.g. "Kling 2.6 Pro"."""
    family: Family
    """Prompt dialect: selects the renderer in prompts.compose."""
    api_name: str
    """The name the official API takes, e.g. "kling-v2-6", "sora-2"."""
    mode: Literal["std", "pro", "4k", ""] = ""
    """Kling quality mode sent with the request ("" for models without modes)."""
    providers: list[str]
    """Adapters that serve this model; the first is the default."""
    text_to_video: bool = True
    """False for image-to-video-only models, which need a first frame."""
    durations: list[float]
    """Clip lengths the model accepts, in seconds, ascending."""
    resolutions: dict[str, dict[str, Size]]
    """Delivered resolution ("720p", "1080p", ...) -> aspect ratio -> (width, height)."""
    aspect_ratios: list[str]
    """Aspect ratios it can render from text."""
    fps: int = 24
    """Frames per second delivered (24 unless a source says otherwise)."""
    audio: bool = False
    """Whether native audio (sfx, dialogue) can be generated."""
    audio_always: bool = False
    """True when the model always returns sound (Sora 2), asked or not."""
    audio_needs_pro: bool = False
    """True when this model family has audio only in pro mode (Kling 2.6)."""
    negative_prompt: bool = False
    """Whether a negative prompt field is accepted."""
    prompt_chars: int = 0
    """Longest prompt accepted, in characters; 0 when no limit is documented."""
    first_frame: bool = False
    """Whether a first-frame image can condition the clip (image-to-video)."""
    last_frame: bool = False
    """Whether a last-frame image can be given."""
    last_frame_silent_only: bool = False
    """True when a last frame cannot be combined with native audio (Kling 2.6 pro)."""
    multi_shot: bool = False
    """Whether one request may render several shots (Kling 3 multi_prompt)."""
    max_shots: int = 1
    """Shots per request when multi_shot is supported."""
    segment_chars: int = 0
    """Longest prompt of one multi-shot segment, in characters (512 for Kling 3)."""
    price: Price
    """Billing rule."""
    latency_s: float
    """Typical seconds from submit to a finished clip (third-party figures)."""
    quality: int = Field(ge=0, le=5)
    """Relative picture quality, 0 (storyboard) to 5 (best available); orders final routing."""
    tiers: list[Literal["draft", "final"]] = Field(default_factory=list)
    """Tiers this model is a good pick for: draft (fast, cheap) or final (best)."""
    verified: bool = True
    """False when the reference marks the model's availability unconfirmed; never auto-routed."""
    notes: str = ""
    """Caveats worth knowing when choosing or debugging it."""

    def accepts(self, duration_s: float) -> bool:
        """Whether `duration_s` is one of the clip lengths this model renders."""
        return any(abs(d - duration_s) < TOLERANCE for d in self.durations)

    def snap_duration(self, duration_s: float) -> float:
        """The accepted clip length nearest to `duration_s` (the longer one on a tie)."""
        return min(reversed(self.durations), key=lambda d: abs(d - duration_s))


# ---- the table -------------------------------------------------------------------------------

_KLING_PROMPT = 2500
_SIZES = {
    "720p": {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (720, 720)},
    "1080p": {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)},
    "2160p": {"16:9": (3840, 2160), "9:16": (2160, 3840), "1:1": (2160, 2160)},
}
_THREE = ["16:9", "9:16", "1:1"]
_FIVE_TEN = [5.0, 10.0]


def _per_clip(usd: float, audio_usd: float | None = None) -> Price:
    return Price(unit="clip", usd=usd, audio_usd=audio_usd)


def _per_second(usd: float, audio_usd: float | None = None, **by_res: float) -> Price:
    return Price(unit="second", usd=usd, audio_usd=audio_usd, by_resolution=by_res)


def _kling(model_id: str, label: str, api: str, mode: str, res: str, price: Price,
           **kw: object) -> ModelSpec:
    """A Kling entry with the family's shared defaults; `kw` overrides any field."""
    fields: dict[str, object] = {
        "id": model_id, "label": label, "family": "kling", "api_name": api, "mode": mode,
        "providers": ["kling"], "durations": _FIVE_TEN, "resolutions": {res: _SIZES[res]},
        "aspect_ratios": _THREE, "negative_prompt": True, "prompt_chars": _KLING_PROMPT,
        "first_frame": True, "last_frame": mode == "pro", "price": price, "latency_s": 240.0,
    }
    fields.update(kw)
    return ModelSpec.model_validate(fields)


_I2V_NOTE = "Image-to-video only: needs a first frame; the output aspect follows the image."
_KLING_V3: dict[str, object] = {
    "audio": True, "last_frame": True, "multi_shot": True, "max_shots": 6, "segment_chars": 512,
    "durations": [float(s) for s in range(3, 16)],
}
"""What every Kling 3.0 mode offers: native audio, a last frame, up to 6 shots of at most 512
characters each in one request, and any whole-second length from 3 to 15 s."""

_TABLE: tuple[ModelSpec, ...] = (
    _kling("kling-v1-std", "Kling 1.0 Std", "kling-v1", "std", "720p", _per_clip(0.14),
           quality=1, last_frame=True, latency_s=319.0,
           notes="Last frame at 5 s only. Camera control: text-to-video std 5 s."),
    _kling("kling-v1-pro", "Kling 1.0 Pro", "kling-v1", "pro", "720p", _per_clip(0.49),
           quality=2, latency_s=319.0, notes="720p in both modes. Last frame at 5 s only."),
    _kling("kling-v1-5-std", "Kling 1.5 Std (I2V)", "kling-v1-5", "std", "720p", _per_clip(0.28),
           quality=2, text_to_video=False, notes=_I2V_NOTE),
    _kling("kling-v1-5-pro", "Kling 1.5 Pro (I2V)", "kling-v1-5", "pro", "1080p", _per_clip(0.49),
           quality=3, text_to_video=False,
           notes=_I2V_NOTE + " Camera control (simple) at pro 5 s."),
    _kling("kling-v1-6-std", "Kling 1.6 Std", "kling-v1-6", "std", "720p", _per_clip(0.28),
           quality=2),
    _kling("kling-v1-6-pro", "Kling 1.6 Pro", "kling-v1-6", "pro", "1080p", _per_clip(0.49),
           quality=3),
    _kling("kling-v2-master", "Kling 2.0 Master", "kling-v2-master", "pro", "720p",
           _per_clip(1.40), quality=3, last_frame=False,
           notes="720p/24 fps; clients send mode pro [T]. No last frame."),
    _kling("kling-v2-1-master", "Kling 2.1 Master", "kling-v2-1-master", "pro", "1080p",
           _per_clip(1.40), quality=4, last_frame=False,
           notes="1080p; clients send mode pro [T]. No last frame."),
    _kling("kling-v2-1-std", "Kling 2.1 Std (I2V)", "kling-v2-1", "std", "720p", _per_clip(0.28),
           quality=3, text_to_video=False, providers=["kling", "replicate"],
           notes=_I2V_NOTE),
    _kling("kling-v2-1-pro", "Kling 2.1 Pro (I2V)", "kling-v2-1", "pro", "1080p", _per_clip(0.49),
           quality=4, text_to_video=False, providers=["kling", "replicate"],
           notes=_I2V_NOTE),
    _kling("kling-v2-5-turbo-std", "Kling 2.5 Turbo Std", "kling-v2-5-turbo", "std", "720p",
           _per_clip(0.21), quality=2, tiers=["draft"], latency_s=164.0,
           notes="Capability map lists std, but ComfyUI forces pro for image-to-video [U]."),
    _kling("kling-v2-5-turbo-pro", "Kling 2.5 Turbo Pro", "kling-v2-5-turbo", "pro", "1080p",
           _per_clip(0.35), quality=3, tiers=["draft"], latency_s=164.0),
    _kling("kling-v2-6-std", "Kling 2.6 Std", "kling-v2-6", "std", "720p", _per_clip(0.21),
           quality=3, tiers=["draft"], audio_needs_pro=True, providers=["kling", "piapi"],
           latency_s=200.0, notes="Silent: native audio needs pro mode."),
    _kling("kling-v2-6-pro", "Kling 2.6 Pro", "kling-v2-6", "pro", "1080p",
           _per_clip(0.35, audio_usd=0.70), quality=4, tiers=["draft", "final"], audio=True,
           audio_needs_pro=True, last_frame_silent_only=True, latency_s=200.0,
           providers=["kling", "fal", "replicate", "piapi"],
           notes="Audio via sound=on ($0.84/5 s with voice control, not modelled). "
                 "Last frame only when silent. fal and Replicate default generate_audio=true."),
    _kling("kling-v3-std", "Kling 3.0 Std", "kling-v3", "std", "720p",
           _per_second(0.084, audio_usd=0.126), quality=4, tiers=["draft"], **_KLING_V3,
           latency_s=135.0, providers=["kling", "fal", "replicate"],
           notes="Per second; $0.154/s with voice control (not modelled). Multi-shot ≤6."),
    _kling("kling-v3-pro", "Kling 3.0 Pro", "kling-v3", "pro", "1080p",
           _per_second(0.112, audio_usd=0.168), quality=5, tiers=["final"], **_KLING_V3,
           latency_s=135.0, providers=["kling", "fal", "replicate"],
           notes="Per second; $0.196/s with voice control (not modelled). Multi-shot ≤6."),
    _kling("kling-v3-4k", "Kling 3.0 4K", "kling-v3", "4k", "2160p", _per_second(0.42),
           quality=5, **_KLING_V3, latency_s=300.0, providers=["fal", "replicate"],
           verified=False,
           notes="4k mode appears in pricing and clients, not in Kling's API reference, so the "
                 "official adapter does not offer it [U]; "
                 "we deliver at most 1080p."),
    ModelSpec(
        id="sora-2", label="Sora 2", family="sora", api_name="sora-2", providers=["openai"],
        durations=[4.0, 8.0, 12.0],
        resolutions={"720p": {"16:9": (1280, 720), "9:16": (720, 1280)}},
        aspect_ratios=["16:9", "9:16"], audio=True, audio_always=True, first_frame=True,
        price=_per_second(0.10), latency_s=90.0, quality=4, tiers=["draft"],
        notes="Audio always on [T]; price [T]. First frame via input_reference. "
              "API scheduled to shut down 2026-09-24.",
    ),
    ModelSpec(
        id="sora-2-pro", label="Sora 2 Pro", family="sora", api_name="sora-2-pro",
        providers=["openai"], durations=[4.0, 8.0, 12.0],
        resolutions={
            "720p": {"16:9": (1280, 720), "9:16": (720, 1280)},
            "1024p": {"16:9": (1792, 1024), "9:16": (1024, 1792)},
        },
        aspect_ratios=["16:9", "9:16"], audio=True, audio_always=True, first_frame=True,
        price=_per_second(0.30, **{"1024p": 0.50}), latency_s=180.0, quality=5, tiers=["final"],
        notes="1792x1024 is served when 1080p is asked (true 1080p unconfirmed [U]). "
              "Audio always on [T]. API scheduled to shut down 2026-09-24.",
    ),
    ModelSpec(
        id="animatic", label="Animatic (local)", family="animatic", api_name="animatic",
        providers=[LOCAL],
        durations=[1.0 + 0.5 * i for i in range(39)],
        resolutions={"720p": _SIZES["720p"], "1080p": _SIZES["1080p"]},
        aspect_ratios=_THREE, first_frame=True, last_frame=True,
        price=Price(unit="free"), latency_s=2.0, quality=0, tiers=["draft", "final"],
        notes="Local storyboard render: camera move, framing and light direction; silent.",
    ),
)

# The simulator stands in for every service, so it serves every model (after the real ones,
# which stay each model's default).
MODELS: tuple[ModelSpec, ...] = tuple(
    m.model_copy(update={"providers": [*m.providers, SIM]}) for m in _TABLE
)

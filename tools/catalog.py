"""The model catalog: every video model we can route to, what it accepts and what it costs.

Facts come from shared/reference/providers.md (section 6 and the per-provider notes). Kling v2.x
and earlier bill per 5 s clip (a 10 s clip costs twice the 5 s price); Kling v3 and Sora 2 bill
per second. Capabilities the reference marks unconfirmed are flagged `verified=False` and are never
picked by the router on its own; a person may still name such a model explicitly.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from director.errors import BudgetError, DirectorError

Family = Literal["kling", "sora", "animatic"]
Size = tuple[int, int]

_EPS = 1e-6
LOCAL = "animatic"
"""The local renderer: serves only the animatic model."""
SIM = "sim"
"""The simulator: renders every model locally with its latency, price and failure rates."""
TIERS = ("draft", "final")


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
        return any(abs(d - duration_s) < _EPS for d in self.durations)

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
           _per_second(0.084, audio_usd=0.126), quality=4, tiers=["draft"], audio=True,
           last_frame=True, multi_shot=True, max_shots=6, segment_chars=512,
           durations=[float(s) for s in range(3, 16)], latency_s=135.0,
           providers=["kling", "fal", "replicate"],
           notes="Per second; $0.154/s with voice control (not modelled). Multi-shot ≤6."),
    _kling("kling-v3-pro", "Kling 3.0 Pro", "kling-v3", "pro", "1080p",
           _per_second(0.112, audio_usd=0.168), quality=5, tiers=["final"], audio=True,
           last_frame=True, multi_shot=True, max_shots=6, segment_chars=512,
           durations=[float(s) for s in range(3, 16)], latency_s=135.0,
           providers=["kling", "fal", "replicate"],
           notes="Per second; $0.196/s with voice control (not modelled). Multi-shot ≤6."),
    _kling("kling-v3-4k", "Kling 3.0 4K", "kling-v3", "4k", "2160p", _per_second(0.42),
           quality=5, audio=True, last_frame=True, multi_shot=True, max_shots=6,
           segment_chars=512, durations=[float(s) for s in range(3, 16)], latency_s=300.0,
           providers=["fal", "replicate"], verified=False,
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
_BY_ID: dict[str, ModelSpec] = {m.id: m for m in MODELS}


# ---- look-ups --------------------------------------------------------------------------------


def models() -> list[ModelSpec]:
    """Every model in the catalog, in table order."""
    return list(MODELS)


def providers() -> list[str]:
    """Every adapter name some model is served by."""
    names = {p for m in MODELS for p in m.providers}
    return sorted(names)


def get(model_id: str) -> ModelSpec:
    """The model `model_id`; accepts "kling-v2.6-pro" spelling for "kling-v2-6-pro"."""
    key = model_id.strip().lower().replace(".", "-").replace("_", "-")
    spec = _BY_ID.get(key)
    if spec is not None:
        return spec
    close = difflib.get_close_matches(key, list(_BY_ID), n=4, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(_BY_ID)}"
    raise DirectorError(f"unknown model {model_id!r}; {hint}")


def _resolve_resolution(spec: ModelSpec, resolution: str) -> str:
    """The resolution the model actually delivers for `resolution`: the highest it offers at or
    below the ask, else its lowest (a 720p-only model asked for 1080p delivers 720p)."""
    if resolution in spec.resolutions:
        return resolution

    def lines(label: str) -> int:
        digits = "".join(ch for ch in label if ch.isdigit())
        return int(digits) if digits else 0

    offered = sorted(spec.resolutions, key=lines)
    below = [r for r in offered if lines(r) <= lines(resolution)]
    return below[-1] if below else offered[0]


def size(spec: ModelSpec, aspect_ratio: str, resolution: str) -> Size:
    """Output (width, height) of `spec` for an aspect ratio at (or nearest below) `resolution`."""
    by_aspect = spec.resolutions[_resolve_resolution(spec, resolution)]
    if aspect_ratio not in by_aspect:
        raise DirectorError(
            f"{spec.id} does not render {aspect_ratio}; it takes {', '.join(by_aspect)}"
        )
    return by_aspect[aspect_ratio]


def price(spec: ModelSpec, duration_s: float, audio: bool, resolution: str = "720p") -> float:
    """US dollars for one take of `duration_s` seconds (audio priced only where supported)."""
    if duration_s <= 0:
        raise DirectorError(f"cannot price a {duration_s} s clip")
    rule = spec.price
    if rule.unit == "free":
        return 0.0
    unit_usd = rule.by_resolution.get(_resolve_resolution(spec, resolution), rule.usd)
    if audio and spec.audio and rule.audio_usd is not None:
        unit_usd = rule.audio_usd
    # A started clip is billed whole: Kling charges 2x the 5 s price for a 10 s clip.
    per_clip = rule.unit == "clip"
    units = math.ceil(duration_s / rule.clip_s - _EPS) if per_clip else duration_s
    return round(unit_usd * units, 4)


def estimate(items: list[tuple[ModelSpec, float, bool]], resolution: str = "720p") -> float:
    """Total price of (model, duration_s, audio) takes."""
    return round(sum(price(spec, d, a, resolution) for spec, d, a in items), 4)


# ---- routing ---------------------------------------------------------------------------------


def _check_tier(tier: str) -> None:
    if tier not in TIERS:
        raise DirectorError(f"unknown tier {tier!r}; use draft or final")


def _served_by(provider: str) -> list[ModelSpec]:
    if provider == LOCAL:
        return [_BY_ID["animatic"]]
    if provider == SIM:
        # Routing on the simulator picks real models; the animatic is only used when named.
        return [m for m in MODELS if m.verified and m.family != "animatic"]
    served = [m for m in MODELS if provider in m.providers and m.verified]
    if not served:
        raise DirectorError(f"unknown provider {provider!r}; known: {', '.join(providers())}")
    return served


def _fmt_s(value: float) -> str:
    return f"{value:g}"


def _aspects(models: list[ModelSpec]) -> str:
    return ", ".join(sorted({a for m in models for a in m.aspect_ratios}))


def _lengths(models: list[ModelSpec]) -> str:
    return ", ".join(_fmt_s(d) for d in sorted({d for m in models for d in m.durations}))


def _eligible(
    provider: str, candidates: list[ModelSpec], *, aspect_ratio: str, audio: bool,
    duration_s: float | None, first_frame: bool,
) -> list[ModelSpec]:
    """Filter by capability, one constraint at a time, so the error names the one that failed."""
    steps: list[tuple[Callable[[ModelSpec], bool], Callable[[list[ModelSpec]], str]]] = [
        (lambda m: m.text_to_video or first_frame,
         lambda _: "renders from text alone (give a first frame)"),
        (lambda m: aspect_ratio in m.aspect_ratios,
         lambda ms: f"renders {aspect_ratio} (they take {_aspects(ms)})"),
        (lambda m: duration_s is None or m.accepts(duration_s),
         lambda ms: f"renders {_fmt_s(duration_s or 0)} s clips (lengths: {_lengths(ms)})"),
        (lambda m: m.audio or not audio, lambda _: "generates native audio"),
        (lambda m: m.first_frame or not first_frame, lambda _: "takes a first frame"),
    ]
    for keep, explain in steps:
        kept = [m for m in candidates if keep(m)]
        if not kept:
            raise DirectorError(f"no {provider} model {explain(candidates)}")
        candidates = kept
    return candidates


def _rank_key(tier: str, spec: ModelSpec, usd: float) -> tuple[float, ...]:
    """Draft wants the cheapest then fastest; final wants the best picture then the cheapest.
    Models suited to the tier always come before the rest."""
    off_tier = 0.0 if tier in spec.tiers else 1.0
    if tier == "draft":
        return (off_tier, usd, -spec.quality, spec.latency_s)
    return (off_tier, -spec.quality, usd)


def choose(
    tier: str,
    provider: str,
    *,
    aspect_ratio: str,
    audio: bool,
    duration_s: float | None = None,
    first_frame: bool = False,
    budget_left_usd: float | None = None,
    resolution: str = "720p",
) -> ModelSpec:
    """The model `provider` should render one shot with.

    Capability first (aspect, duration, audio if asked, first frame if needed), then the tier's
    preference, then the budget: a model whose price for this shot exceeds `budget_left_usd` is
    skipped in favour of the next; when none fits, BudgetError names the cheapest price.
    """
    _check_tier(tier)
    candidates = _served_by(provider)
    if provider == LOCAL:
        return candidates[0]
    candidates = _eligible(provider, candidates, aspect_ratio=aspect_ratio, audio=audio,
                           duration_s=duration_s, first_frame=first_frame)
    # Without a duration, compare like with like: each model's clip nearest 5 s.
    priced = [
        (m, price(m, duration_s or m.snap_duration(5.0), audio, resolution)) for m in candidates
    ]
    ranked = sorted(priced, key=lambda mp: _rank_key(tier, mp[0], mp[1]))
    if budget_left_usd is None:
        return ranked[0][0]
    for spec, usd in ranked:
        if usd <= budget_left_usd + _EPS:
            return spec
    cheapest, usd = min(priced, key=lambda mp: mp[1])
    raise BudgetError(
        f"no {provider} model fits the ${budget_left_usd:.2f} left: the cheapest, {cheapest.id}, "
        f"costs ${usd:.2f} for this shot"
    )


def default_model(
    tier: str, provider: str, *, aspect_ratio: str = "16:9", audio: bool = False
) -> ModelSpec:
    """The model a tier would use on `provider` before shots exist (to learn its durations)."""
    return choose(tier, provider, aspect_ratio=aspect_ratio, audio=audio)

"""The model catalog: look-ups, prices and routing over the model table (model_table.py).

The table's types and constants are re-exported here, so `from director.tools.catalog import
ModelSpec` keeps working.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable

from director.errors import BudgetError, DirectorError
from director.tools.model_table import (
    LOCAL,
    MODELS,
    SIM,
    TOLERANCE,
    Family,
    ModelSpec,
    Price,
    Size,
)

__all__ = ["LOCAL", "MODELS", "SIM", "TIERS", "Family", "ModelSpec", "Price", "Size", "choose",
           "default_model", "estimate", "get", "models", "price", "providers", "size"]

TIERS = ("draft", "final")
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
    units = math.ceil(duration_s / rule.clip_s - TOLERANCE) if per_clip else duration_s
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
        if usd <= budget_left_usd + TOLERANCE:
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

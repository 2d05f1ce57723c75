"""Settings from the environment. Secrets are not read here: each provider factory reads its own
key when it is built, so no settings object, state or checkpoint ever holds one."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from director.errors import DirectorError


def env_number(
    name: str,
    default: float,
    *,
    env: Mapping[str, str] | None = None,
    whole: bool = False,
    low: float = 0.0,
    high: float = math.inf,
) -> float:
    """A number setting from `env` (default os.environ): finite, within low..high, whole when
    asked; `default` when unset; one-line DirectorError naming the variable otherwise."""
    raw = (os.environ if env is None else env).get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise DirectorError(f"{name}={raw[:20]!r} is not a number") from None
    span = f"{low:g}..{high:g}" if math.isfinite(high) else f"at least {low:g}"
    kind = "a whole number" if whole else "a number"
    if not math.isfinite(value) or not low <= value <= high or (whole and value != int(value)):
        raise DirectorError(f"{name}={raw[:20]!r} must be {kind}, {span}")
    return value


def env_int(
    name: str, default: int, low: int, high: int, *, env: Mapping[str, str] | None = None
) -> int:
    return int(env_number(name, default, env=env, whole=True, low=low, high=high))


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise DirectorError(f"{name}={raw!r} must be 1 or 0")


def _optional(name: str) -> float | None:
    """A non-negative number setting that is None when unset."""
    return env_number(name, -1.0) if os.environ.get(name, "").strip() else None


@dataclass(frozen=True)
class Settings:
    """Run-wide defaults; every field has an env var and a CLI flag may override it."""

    provider: str = field(default="animatic", metadata={"env": "DIRECTOR_PROVIDER"})
    """Provider for every shot unless routing says otherwise."""
    tier: str = field(default="draft", metadata={"env": "DIRECTOR_TIER"})
    """draft or final; overrides the brief's tier when set."""
    projects_dir: Path = field(default=Path("projects"), metadata={"env": "DIRECTOR_PROJECTS_DIR"})
    """Where `run` puts project folders when --out is not given."""
    max_attempts: int = field(default=4, metadata={"env": "DIRECTOR_MAX_ATTEMPTS"})
    """Takes per shot before it is reported failed. Four lets the retake ladder finish: two
    rewrites of the failing variable, then the model change qc.md prescribes."""
    concurrency: int = field(default=2, metadata={"env": "DIRECTOR_CONCURRENCY"})
    """Shots rendered at once (also capped per provider)."""
    budget_usd: float | None = field(default=None, metadata={"env": "DIRECTOR_BUDGET_USD"})
    """Spend cap when the brief gives none."""
    poll_interval_s: float | None = field(default=None, metadata={"env": "DIRECTOR_POLL_S"})
    """Override of each provider's poll interval (tests and demos)."""
    image_provider: str = field(default="card", metadata={"env": "DIRECTOR_IMAGE_PROVIDER"})
    """Text-to-image service for reference stills: card (local, free), openai, fal, replicate."""
    keyframes: bool = field(default=False, metadata={"env": "DIRECTOR_KEYFRAMES"})
    """Make a keyframe per shot with the image service and use it as the clip's first frame."""
    multi_shot: bool = field(default=True, metadata={"env": "DIRECTOR_MULTI_SHOT"})
    """Render consecutive shots of one scene as one multi-shot request where the model takes
    one (Kling 3.0); DIRECTOR_MULTI_SHOT=0 renders every shot on its own."""

    @classmethod
    def from_env(cls) -> Settings:
        tier = os.environ.get("DIRECTOR_TIER", "").strip() or "draft"
        if tier not in ("draft", "final"):
            raise DirectorError(f"DIRECTOR_TIER={tier!r} must be draft or final")
        return cls(
            provider=os.environ.get("DIRECTOR_PROVIDER", "").strip() or "animatic",
            tier=tier,
            projects_dir=Path(os.environ.get("DIRECTOR_PROJECTS_DIR", "").strip() or "projects"),
            max_attempts=env_int("DIRECTOR_MAX_ATTEMPTS", 4, 1, 10),
            concurrency=env_int("DIRECTOR_CONCURRENCY", 2, 1, 32),
            budget_usd=_optional("DIRECTOR_BUDGET_USD"),
            poll_interval_s=_optional("DIRECTOR_POLL_S"),
            image_provider=os.environ.get("DIRECTOR_IMAGE_PROVIDER", "").strip() or "card",
            keyframes=env_bool("DIRECTOR_KEYFRAMES"),
            multi_shot=env_bool("DIRECTOR_MULTI_SHOT", default=True),
        )

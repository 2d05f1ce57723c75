"""Values a person types for shot fields, read into the film vocabulary's types."""

from __future__ import annotations

import re

from director.film import CameraAngle, CameraMove, LightSide, ShotSize
from director.ui.commands import CommandError

MOVES: tuple[str, ...] = CameraMove.__args__  # type: ignore[attr-defined]
SIZES: tuple[str, ...] = ShotSize.__args__  # type: ignore[attr-defined]
ANGLES: tuple[str, ...] = CameraAngle.__args__  # type: ignore[attr-defined]
SIDES: tuple[str, ...] = LightSide.__args__  # type: ignore[attr-defined]

_MOVE_WORDS = {
    "dolly_in": "push_in", "dolly in": "push_in", "push": "push_in", "zoom_in": "push_in",
    "dolly_out": "pull_out", "pull": "pull_out", "zoom_out": "pull_out", "pull_back": "pull_out",
    "locked": "static", "locked_off": "static", "still": "static", "tripod": "static",
    "orbit": "orbit_left", "crane": "crane_up", "shaky": "handheld", "rack": "rack_focus",
    "tilt": "tilt_up", "pan": "pan_right", "close": "close_up", "closeup": "close_up",
    "ecu": "extreme_close_up", "cu": "close_up", "ws": "wide", "ms": "medium", "low": "low_angle",
    "high": "high_angle", "top": "overhead", "camera_left": "left", "camera_right": "right",
}


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower()).strip("_")


def choice(value: str, options: tuple[str, ...], what: str) -> str:
    """`value` as one of `options`; spaces or dashes stand for underscores; a few synonyms."""
    key = _key(value)
    for prefix in ("slow_", "slowly_", "camera_"):
        if key.startswith(prefix) and key[len(prefix):] in options:
            key = key[len(prefix):]
    if key not in options:
        key = _MOVE_WORDS.get(key, key)
    if key not in options:
        raise CommandError(f"{what} must be one of {', '.join(options)}, not {value[:30]!r}")
    return key


def number(value: str, current: float, low: float, high: float, what: str) -> float:
    """An absolute number, or one relative to `current` when it starts with + or -."""
    raw = value.strip().lower().removesuffix("k").removesuffix("mm").removesuffix("s").strip()
    match = re.fullmatch(r"([+-]?)(\d{1,6}(?:\.\d+)?)", raw)
    if not match:
        raise CommandError(f"{what} must be a number, not {value[:30]!r}")
    amount = float(match.group(2))
    result = current + amount if match.group(1) == "+" else (
        current - amount if match.group(1) == "-" else amount
    )
    if not low <= result <= high:
        raise CommandError(f"{what} must be between {low:g} and {high:g}, not {result:g}")
    return result

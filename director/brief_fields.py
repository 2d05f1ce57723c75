"""The structured brief format (.yaml/.json): key aliases, and the friendly values each field
accepts ("20 s", "$5", "vertical", wardrobe as words) turned into the Brief's types.

Every failure is a BriefError of one line naming the source; briefs.py reads the files and
validates the result.
"""

from __future__ import annotations

import math
import re
from typing import Any

from director.brief_phrases import (
    SIDE_DIRECTIONS,
    default_lighting,
    lighting_from_text,
    wardrobe_item,
)
from director.brief_text import (
    HIGH_RES,
    LOW_RES,
    aspect_of,
    clean,
    duration_matches,
)
from director.brief_text import brief_error as _fail
from director.film import ASPECT_RATIOS, Brief

_ALIASES = {
    "duration": "target_duration_s", "duration_s": "target_duration_s",
    "length": "target_duration_s", "target_duration": "target_duration_s",
    "aspect": "aspect_ratio", "budget": "budget_usd", "shots": "beats", "quality": "tier",
}
_TIER_WORDS = {"draft": "draft", "preview": "draft", "prototype": "draft", "fast": "draft",
               "cheap": "draft", "final": "final", "best": "final", "high": "final",
               "production": "final", "final quality": "final"}




def _shown(value: object) -> str:
    """A value for an error message: short, and never the str() of a huge YAML alias tree."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int) and abs(value) > 10**30:
        return "(a number of over 30 digits)"  # repr() refuses ints of 4300+ digits
    if isinstance(value, int | float | bool | None):
        return repr(value)
    return f"(a {type(value).__name__})"


def _scalar_text(value: object, what: str, source: str) -> str:
    if isinstance(value, list | dict):
        raise _fail(source, f"{what} must be a single value, not a {type(value).__name__}")
    return str(value).strip()


def _as_duration(value: object, source: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", value):
            return float(value)
        if re.fullmatch(r"\s*[-\u2212]\s*\d+(?:\.\d+)?\s*", value):
            raise _fail(source, f"duration {_shown(value)} is negative")
        found = duration_matches(value, source)
        if found:
            return found[0][2]
    raise _fail(source, f"duration {_shown(value)} is not a length in seconds (e.g. 12 or '12 s')")


def _as_aspect(value: object, source: str) -> str:
    text = _scalar_text(value, "aspect ratio", source)
    found = aspect_of(text, source) if isinstance(value, str) else None
    if found:
        return found
    supported = ", ".join(ASPECT_RATIOS)
    raise _fail(source, f"aspect ratio {_shown(value)} is not supported; use {supported}")


def _as_budget(value: object, source: str) -> float | None:
    if value is None:
        return None  # an explicit "no cap"
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    cleaned = re.sub(r"(?i)\$|usd|us\$|dollars?|,|\s", "", _scalar_text(value, "budget", source))
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return float(cleaned)
    if re.fullmatch(r"[-\u2212]\d+(?:\.\d+)?", cleaned):
        raise _fail(source, f"budget {_shown(value)} is negative")
    raise _fail(source, f"budget {_shown(value)} is not an amount in US dollars (e.g. 5 or '$5')")


def _as_tier(value: object, source: str) -> str:
    tier = _TIER_WORDS.get(_scalar_text(value, "tier", source).lower())
    if tier is None:
        raise _fail(source, f"tier {_shown(value)} is not draft or final")
    return tier


def _as_resolution(value: object, source: str) -> str:
    text = _scalar_text(value, "resolution", source).lower()
    if text in ("720", "720p", "hd") or LOW_RES.fullmatch(text):
        return "720p"
    if text == "1080" or HIGH_RES.fullmatch(text):
        return "1080p"  # 4k asks are delivered at 1080p, the most we render
    raise _fail(source, f"resolution {_shown(value)} is not supported; use 720p or 1080p")


def _as_beats(value: object, source: str) -> tuple[list[str], float | None]:
    """Shots as strings or {beat|description: ..., other: ...} dicts; other keys are folded into
    the beat's words so the brain still reads them. Returns the beats and the sum of per-shot
    durations when every shot gives one."""
    items = value if isinstance(value, list) else [value]
    beats: list[str] = []
    lengths: list[float] = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            rest = {str(k).lower(): v for k, v in item.items()}
            text = rest.pop("beat", None) or rest.pop("description", None)
            if not isinstance(text, str) or not text.strip():
                raise _fail(source, f"shots[{i}] needs a 'beat' or 'description'")
            length = rest.pop("duration", rest.pop("duration_s", None))
            if length is not None:
                seconds = _as_duration(length, source)
                if seconds <= 0:
                    raise _fail(source, f"shots[{i}] duration {_shown(length)} is not above 0 s")
                lengths.append(seconds)
            extra = "; ".join(f"{k}: {_scalar_text(v, f'shots[{i}].{k}', source)}"
                              for k, v in rest.items())
            if not clean(str(text)):
                raise _fail(source, f"shots[{i}] has no words, only {_shown(text)}")
            beats.append(f"{clean(str(text))} ({extra})" if extra else clean(str(text)))
        elif isinstance(item, str | int | float) and str(item).strip():
            if not clean(str(item)):  # "." or "**": nothing a shot could show
                raise _fail(source, f"shots[{i}] has no words, only {_shown(item)}")
            beats.append(clean(str(item)))
        else:
            raise _fail(source, f"shots[{i}] must be text or a mapping with a 'beat'")
    total = sum(lengths) if lengths and len(lengths) == len(beats) else None
    return beats, total


def _named_entries(value: object, what: str, source: str) -> list[Any]:
    """A list, or a mapping of name -> details (a common YAML style), as a list."""
    if isinstance(value, dict):
        return [{"name": k, **v} if isinstance(v, dict)
                else f"{k}: {_scalar_text(v, f'{what}.{k}', source)}" for k, v in value.items()]
    if isinstance(value, list):
        return value
    raise _fail(source, f"{what} must be a list")


def _as_characters(value: object, source: str) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    for i, entry in enumerate(_named_entries(value, "characters", source)):
        if isinstance(entry, str) and ":" in entry:
            name, details = (part.strip() for part in entry.split(":", 1))
            entry = {"name": name, "descriptor": f"{name}, {details}"}
        if not isinstance(entry, dict):
            raise _fail(source, f"characters[{i}] must be a mapping with at least a 'name'")
        # YAML reads `age: 16` as a number; the bible wants words.
        person = {k: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
                  for k, v in entry.items()}
        for key in ("wardrobe", "marks", "reference_images"):
            if isinstance(person.get(key), str | dict):
                person[key] = [person[key]]  # one item given bare
        if isinstance(person.get("wardrobe"), list):
            person["wardrobe"] = [wardrobe_item(w) if isinstance(w, str) else w
                                  for w in person["wardrobe"]]
        people.append(person)
    return people


def _lighting(value: object, time_of_day: str) -> object:
    """Missing lighting gets the default; a sentence is parsed; a partial mapping is completed
    (its direction following its side). Anything else goes to validation as given."""
    if value is None:
        return default_lighting(time_of_day)
    if isinstance(value, str):
        return lighting_from_text(value, time_of_day)
    if isinstance(value, dict):
        light = {**default_lighting(time_of_day), **value}
        if "direction" not in value and light.get("side") in SIDE_DIRECTIONS:
            light["direction"] = SIDE_DIRECTIONS[light["side"]]
        return light
    return value


def _as_locations(value: object, source: str) -> list[dict[str, Any]]:
    places: list[dict[str, Any]] = []
    for i, entry in enumerate(_named_entries(value, "locations", source)):
        if not isinstance(entry, dict):
            raise _fail(source, f"locations[{i}] must be a mapping with 'name' and 'place'")
        place = dict(entry)
        place["lighting"] = _lighting(place.get("lighting"), str(place.get("time_of_day", "day")))
        places.append(place)
    return places


_COERCE = {
    "target_duration_s": _as_duration, "aspect_ratio": _as_aspect, "budget_usd": _as_budget,
    "tier": _as_tier, "resolution": _as_resolution, "characters": _as_characters,
    "locations": _as_locations,
}


def canonical_keys(data: dict[Any, Any], source: str) -> dict[str, Any]:
    valid = set(Brief.model_fields)
    fields: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).strip().lower().replace("-", "_").replace(" ", "_")
        name = _ALIASES.get(key, key)
        if name not in valid:
            listed = ", ".join(sorted(valid | set(_ALIASES)))
            raise _fail(source, f"unknown key {raw_key!r}; valid keys: {listed}")
        if name in fields:
            raise _fail(source, f"{name} is given twice (as {raw_key!r} and another alias)")
        fields[name] = value
    return fields


def coerce_fields(fields: dict[str, Any], source: str) -> None:
    """Friendly values ("20 s", "$5", "vertical", wardrobe as words) to the Brief's types."""
    if "beats" in fields:
        fields["beats"], shots_total = _as_beats(fields["beats"], source)
        if shots_total is not None:
            fields.setdefault("target_duration_s", shots_total)
    for key, coerce in _COERCE.items():
        if key in fields:
            fields[key] = coerce(fields[key], source)
    style = fields.get("style")
    if isinstance(style, list):
        fields["style"] = ", ".join(_scalar_text(s, "each style word", source) for s in style)
    if isinstance(fields.get("title"), str | int | float):
        fields["title"] = str(fields["title"]).strip()
    if not isinstance(fields.get("text", ""), str):
        raise _fail(source, "text must be the brief in words (a string)")

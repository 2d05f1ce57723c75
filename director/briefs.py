"""Brief loading: free text (.md/.txt) or structured (.yaml/.json) in, a validated Brief out.

What free text says is read by brief_text.py; here are the files, the structured format (keys,
aliases and friendly values), the defaults and the validation. Every failure is a BriefError of
one line naming the source.

Choices where the brief format is loose: in a structured brief, explicit keys win and its `text`
fills only what they leave out; a vertical-only platform (Reels, TikTok, Shorts, Stories) implies
9:16 when no frame is stated.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from director.brief_text import (
    HIGH_RES,
    LOW_RES,
    SIDE_DIRECTIONS,
    VERTICAL_PLATFORMS,
    aspect_of,
    clean,
    default_duration,
    default_lighting,
    duration_matches,
    extract_metadata,
    lighting_from_text,
    normalise,
    title_from,
    wardrobe_item,
)
from director.brief_text import brief_error as _fail
from director.film import ASPECT_RATIOS, Brief

# extract_metadata and title_from are re-exported: callers import them from here.
__all__ = ["build_brief", "extract_metadata", "load_brief", "parse_structured_brief",
           "parse_text_brief", "title_from", "validation_line"]

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
DATA_SUFFIXES = (".yaml", ".yml", ".json")
MAX_BYTES = 1024 * 1024
MIN_S, MAX_S = 2.0, 600.0


# ---- free text -------------------------------------------------------------------------------


def parse_text_brief(text: str, title_hint: str = "", *, source: str = "brief") -> Brief:
    """A Brief from free text: the whole text kept, metadata extracted, defaults filled."""
    text = normalise(text)
    if not text:
        raise _fail(source, "the brief is empty")
    fields = extract_metadata(text, source)
    fields["text"] = text
    fields["title"] = title_from(text, title_hint)
    fields.setdefault("target_duration_s", default_duration(text))
    return build_brief(fields, source)


# ---- validation shared by both formats -------------------------------------------------------


def _finish_defaults(fields: dict[str, Any]) -> None:
    """A vertical-only platform implies a vertical frame when none was stated."""
    platform = str(fields.get("platform") or "").lower()
    if "aspect_ratio" not in fields and any(p in platform for p in VERTICAL_PLATFORMS):
        fields["aspect_ratio"] = "9:16"


def _fmt_seconds(value: float) -> str:
    return f"{value:g}"


def _check_ranges(fields: dict[str, Any], source: str) -> None:
    duration = fields.get("target_duration_s")
    if isinstance(duration, int | float) and not MIN_S <= duration <= MAX_S:
        raise _fail(source, f"target duration {_fmt_seconds(duration)} s is outside "
                            f"{_fmt_seconds(MIN_S)}–{_fmt_seconds(MAX_S)} s")
    budget = fields.get("budget_usd")
    if isinstance(budget, int | float) and budget < 0:
        raise _fail(source, f"budget ${budget:g} is negative")


def validation_line(error: ValidationError) -> str:
    """One readable line from a pydantic error: field path, message, and how many more."""
    problems = error.errors()
    first = problems[0]
    path = ""
    for part in first["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = str(first["msg"]).replace("\n", " ")
    if first["type"] == "extra_forbidden":
        message = "unknown field"
    more = len(problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{path or 'brief'}: {message}{tail}"


def build_brief(fields: dict[str, Any], source: str) -> Brief:
    """Validate fields into a Brief, every failure one BriefError line."""
    _finish_defaults(fields)
    _check_ranges(fields, source)
    try:
        return Brief.model_validate(fields)
    except ValidationError as exc:
        raise _fail(source, validation_line(exc)) from None


# ---- structured briefs ----------------------------------------------------------------------

_ALIASES = {
    "duration": "target_duration_s", "duration_s": "target_duration_s",
    "length": "target_duration_s", "target_duration": "target_duration_s",
    "aspect": "aspect_ratio", "budget": "budget_usd", "shots": "beats", "quality": "tier",
}
_TIER_WORDS = {"draft": "draft", "preview": "draft", "prototype": "draft", "fast": "draft",
               "cheap": "draft", "final": "final", "best": "final", "high": "final",
               "production": "final", "final quality": "final"}


class _YamlLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 base-60 numbers, so `aspect: 16:9` stays "16:9" (not 969)."""


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"),
                                  list("-+0123456789"))
_YamlLoader.add_implicit_resolver(
    _FLOAT, re.compile(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9_]+(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."))


def _shown(value: object) -> str:
    """A value for an error message: short, and never the str() of a huge YAML alias tree."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, int | float | bool | None):
        return repr(value)
    return f"(a {type(value).__name__})"


def _scalar_text(value: object, what: str, source: str) -> str:
    if isinstance(value, list | dict):
        raise _fail(source, f"{what} must be a single value, not a {type(value).__name__}")
    return str(value).strip()


def _as_duration(value: object, source: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", value):
            return float(value)
        found = duration_matches(value)
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
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    cleaned = re.sub(r"(?i)\$|usd|us\$|dollars?|,", "", _scalar_text(value, "budget", source))
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return float(cleaned)
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
                lengths.append(_as_duration(length, source))
            extra = "; ".join(f"{k}: {_scalar_text(v, f'shots[{i}].{k}', source)}"
                              for k, v in rest.items())
            beats.append(f"{clean(str(text))} ({extra})" if extra else clean(str(text)))
        elif isinstance(item, str | int | float) and str(item).strip():
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


def _canonical_keys(data: dict[Any, Any], source: str) -> dict[str, Any]:
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


def _coerce_fields(fields: dict[str, Any], source: str) -> None:
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


def parse_structured_brief(data: object, title_hint: str = "", *, source: str = "brief") -> Brief:
    """A Brief from parsed YAML/JSON: field names or aliases; free `text` fills what keys omit."""
    if data is None:
        raise _fail(source, "the brief is empty")
    if not isinstance(data, dict):
        raise _fail(source, f"the top level must be a mapping of fields, not {type(data).__name__}")
    fields = _canonical_keys(data, source)
    _coerce_fields(fields, source)
    text = normalise(fields.get("text") or "")
    if not text and not fields.get("beats"):
        raise _fail(source, "needs 'text' (the brief in words) or 'shots'")
    if text:
        # Explicit keys win; the prose fills only what they leave out.
        for key, value in extract_metadata(text, source, known=set(fields)).items():
            fields.setdefault(key, value)
    if not fields.get("title"):
        fields["title"] = title_from(text or "\n".join(fields["beats"]), title_hint)
    if not text:
        numbered = "\n".join(f"{i}. {b}" for i, b in enumerate(fields["beats"], 1))
        text = f"{fields['title']}\n{numbered}"
    fields["text"] = text
    fields.setdefault("target_duration_s", default_duration(text))
    return build_brief(fields, source)


# ---- files -----------------------------------------------------------------------------------


def _read_text(path: Path) -> str:
    source = str(path)
    suffix = path.suffix.lower()
    try:
        if not path.exists():
            raise _fail(source, "no such file")
        if path.is_dir():
            raise _fail(source, "is a directory, not a brief file")
        if not path.is_file():
            raise _fail(source, "is not a regular file")
        if suffix not in TEXT_SUFFIXES + DATA_SUFFIXES:
            shown = suffix or "(none)"
            raise _fail(source, f"unknown extension {shown}; use .md, .txt, .yaml, .yml or .json")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _fail(source, f"is {size:,} bytes; a brief may be at most 1 MB")
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(source, f"cannot read it ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise _fail(source, "is a binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _fail(source, "is not UTF-8 text (a binary file?)") from None
    if not text.strip():
        raise _fail(source, "the brief is empty")
    return text


def _parse_data(text: str, suffix: str, source: str) -> object:
    """YAML or JSON to Python values, errors with the parser's line number."""
    try:
        return _parse_data_or_raise(text, suffix, source)
    except RecursionError:
        raise _fail(source, "nests too deeply to be a brief") from None


def _parse_data_or_raise(text: str, suffix: str, source: str) -> object:
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _fail(source, f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader subclass: no object tags
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _fail(source, f"invalid YAML{where}: {problem}") from None


def load_brief(path: Path) -> Brief:
    """Read a brief file; the format follows the extension."""
    path = Path(path).expanduser()
    text = _read_text(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return parse_text_brief(text, path.stem, source=source)
    return parse_structured_brief(_parse_data(text, suffix, source), path.stem, source=source)

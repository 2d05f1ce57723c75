"""Brief loading: free text (.md/.txt) or structured (.yaml/.json) in, a validated Brief out.

What free text says is read by brief_text.py, and the structured format's keys, aliases and
friendly values by brief_fields.py; here are the files, the defaults and the validation. Every
failure is a BriefError of one line naming the source.

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

from director.brief_fields import canonical_keys, coerce_fields
from director.brief_text import (
    VERTICAL_PLATFORMS,
    default_duration,
    extract_metadata,
    normalise,
    title_from,
)
from director.brief_text import brief_error as _fail
from director.film import Brief

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


def parse_structured_brief(data: object, title_hint: str = "", *, source: str = "brief") -> Brief:
    """A Brief from parsed YAML/JSON: field names or aliases; free `text` fills what keys omit."""
    if data is None:
        raise _fail(source, "the brief is empty")
    if not isinstance(data, dict):
        raise _fail(source, f"the top level must be a mapping of fields, not {type(data).__name__}")
    fields = canonical_keys(data, source)
    coerce_fields(fields, source)
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

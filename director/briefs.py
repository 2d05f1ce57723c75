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
import math
import re
from pathlib import Path
from typing import Any, cast

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
from director.controls import strip_controls
from director.film import Brief

# extract_metadata and title_from are re-exported: callers import them from here.
__all__ = ["build_brief", "extract_metadata", "load_brief", "parse_structured_brief",
           "parse_text_brief", "title_from", "validation_line"]

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
DATA_SUFFIXES = (".yaml", ".yml", ".json")
MAX_BYTES = 1024 * 1024
"""A brief file may be at most 1 MB: a long treatment is tens of KB; beyond this is a mistake
(or an attack), refused before it is read rather than planned slowly."""
MIN_S, MAX_S = 2.0, 600.0
MAX_BUDGET_USD = 100_000.0
"""The largest spend cap a brief may set (the same ceiling as the `budget` command)."""
MAX_BEATS = 200
"""The most shots a brief may list; the planner merges listed shots into at most 60 clips."""
MAX_VALUES = 20_000
"""The most values (strings, numbers, list items) a structured brief may hold once YAML
aliases are expanded: a "billion laughs" file is small on disk and huge when walked."""
MAX_TEXT_CHARS = 2 * MAX_BYTES
"""The most characters of text a structured brief may hold once aliases are expanded."""
MAX_DEPTH = 40


# ---- free text -------------------------------------------------------------------------------


def parse_text_brief(text: str, title_hint: str = "", *, source: str = "brief") -> Brief:
    """A Brief from free text: the whole text kept, metadata extracted, defaults filled."""
    if len(text) > MAX_BYTES:
        raise _fail(source, f"is {len(text):,} characters; a brief may be at most 1 MB")
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


def _fmt_number(value: float) -> str:
    """12, 0.5, 99999999999 as written; only absurdly long numbers in e-notation."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:g}"


def _check_ranges(fields: dict[str, Any], source: str) -> None:
    duration = fields.get("target_duration_s")
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        if not math.isfinite(duration):
            raise _fail(source, f"target duration {duration} is not a number of seconds")
        if not MIN_S <= duration <= MAX_S:
            raise _fail(source, f"target duration {_fmt_number(duration)} s is outside "
                                f"{_fmt_number(MIN_S)}–{_fmt_number(MAX_S)} s")
    budget = fields.get("budget_usd")
    if isinstance(budget, int | float) and not isinstance(budget, bool):
        if not math.isfinite(budget):
            raise _fail(source, f"budget {budget} is not an amount in US dollars")
        if budget < 0:
            raise _fail(source, f"budget ${_fmt_number(budget)} is negative")
        if budget > MAX_BUDGET_USD:
            raise _fail(source, f"budget ${_fmt_number(budget)} is over the "
                                f"${MAX_BUDGET_USD:,.0f} a run may be capped at")
    beats = fields.get("beats")
    if isinstance(beats, list) and len(beats) > MAX_BEATS:
        raise _fail(source, f"lists {len(beats)} shots; a brief may list at most {MAX_BEATS}")


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
    """SafeLoader without YAML 1.1 base-60 numbers, so `aspect: 16:9` stays "16:9" (not 969),
    and with duplicate keys refused (plain YAML keeps the last one without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        "while reading a mapping", node.start_mark,
                        f"key {key_node.value[:40]!r} is given twice", key_node.start_mark)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


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


class _Budget:
    """What is left of the values and characters a structured brief may expand to."""

    def __init__(self) -> None:
        self.values = MAX_VALUES
        self.chars = MAX_TEXT_CHARS


def _sanitised(value: object, source: str, left: _Budget, depth: int = 0) -> object:
    """A copy of parsed YAML/JSON with control characters out of every string, refused when it
    nests too deeply or expands (through YAML aliases, or a cycle) past the limits above.

    Walking the copy is what makes aliases safe: every later step sees plain, bounded data."""
    left.values -= 1
    if left.values < 0:
        raise _fail(source, f"holds more than {MAX_VALUES:,} values once YAML aliases are "
                            "expanded; a brief is far smaller")
    if depth > MAX_DEPTH:
        raise _fail(source, "nests too deeply to be a brief")
    if isinstance(value, str):
        left.chars -= len(value)
        if left.chars < 0:
            raise _fail(source, "holds more than 2 MB of text once YAML aliases are expanded")
        return strip_controls(value)
    if isinstance(value, dict):
        return {(_sanitised(k, source, left, depth + 1) if isinstance(k, str) else k):
                _sanitised(v, source, left, depth + 1) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)  # a YAML !!set: a stable order, so one brief, one plan
    if isinstance(value, list | tuple):
        return [_sanitised(v, source, left, depth + 1) for v in value]
    if isinstance(value, bytes):
        raise _fail(source, "holds binary data (a !!binary value); a brief is text")
    return value


def parse_structured_brief(data: object, title_hint: str = "", *, source: str = "brief") -> Brief:
    """A Brief from parsed YAML/JSON: field names or aliases; free `text` fills what keys omit."""
    if data is None:
        raise _fail(source, "the brief is empty")
    if not isinstance(data, dict):
        raise _fail(source, f"the top level must be a mapping of fields, not {type(data).__name__}")
    fields = canonical_keys(cast(dict[Any, Any], _sanitised(data, source, _Budget())), source)
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
    text = _decode(data, source)
    if not normalise(text):
        raise _fail(source, "the brief is empty")
    return text


# A byte-order mark says the encoding outright (Windows editors save "Unicode" as UTF-16 with
# one); UTF-32 first, since its little-endian mark starts with UTF-16's.
_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _decode(data: bytes, source: str) -> str:
    """UTF-8 (or UTF-16/32 with a byte-order mark) to text. Other encodings are refused, not
    guessed: a wrong guess turns every accented letter in the brief into nonsense."""
    encoding = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8-sig")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8-sig":
            raise _fail(source, f"is not valid {encoding.upper()} text") from None
        if b"\x00" in data:
            raise _fail(source, _nul_problem(data)) from None
        line = data[:exc.start].count(b"\n") + 1
        raise _fail(source, f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                            "save it as UTF-8") from None
    if "\x00" in text:
        raise _fail(source, _nul_problem(data))
    return text


def _nul_problem(data: bytes) -> str:
    head = data[:400]
    # ASCII saved as UTF-16 without a mark: every other byte is NUL.
    if len(head) >= 4 and (head[1::2].count(0) > 0.9 * len(head[1::2])
                           or head[0::2].count(0) > 0.9 * len(head[0::2])):
        return "looks like UTF-16 text without a byte-order mark; save it as UTF-8"
    return "is a binary file (NUL bytes), not text"


def _parse_data(text: str, suffix: str, source: str) -> object:
    """YAML or JSON to Python values, errors with the parser's line number."""
    try:
        return _parse_data_or_raise(text, suffix, source)
    except RecursionError:
        raise _fail(source, "nests too deeply to be a brief") from None
    except (ValueError, OverflowError) as exc:
        # Not a syntax error but a value the parser cannot build: an integer of thousands of
        # digits (Python refuses to convert them), a date like 2024-13-45.
        if "digits" in str(exc):
            raise _fail(source, "holds a number thousands of digits long; no brief value "
                                "is") from None
        raise _fail(source, f"holds a value that cannot be read ({str(exc)[:80]})") from None


class _DuplicateKey(ValueError):
    pass


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object with duplicate keys refused (json.loads keeps the last one silently)."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(f"key {key[:40]!r} is given twice")
        obj[key] = value
    return obj


def _parse_data_or_raise(text: str, suffix: str, source: str) -> object:
    if suffix == ".json":
        try:
            return json.loads(text, object_pairs_hook=_json_object)
        except json.JSONDecodeError as exc:
            raise _fail(source, f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        except _DuplicateKey as exc:
            raise _fail(source, f"invalid JSON: {exc}") from None
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

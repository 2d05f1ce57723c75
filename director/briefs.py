"""Brief loading: free text (.md/.txt) or structured (.yaml/.json) in, a validated Brief out.

From free text only METADATA is read (title, length, frame, platform, audio, tier, budget,
resolution, style, and beats when the brief clearly numbers its shots); who and what is in the
film is the brain's job. Every failure is a BriefError of one line naming the source.

Choices where the brief format is loose: in a structured brief, explicit keys win and its `text`
fills only what they leave out; a location without lighting gets a stated default for its time of
day (every prompt needs a light direction); "4k" is delivered at 1080p, the most we render; a
vertical-only platform (Reels, TikTok, Shorts, Stories) implies 9:16 when no frame is stated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from director.errors import BriefError
from director.film import ASPECT_RATIOS, Brief

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
DATA_SUFFIXES = (".yaml", ".yml", ".json")
MAX_BYTES = 1024 * 1024
MIN_S, MAX_S = 2.0, 600.0
DEFAULT_S, ONE_LINER_S = 15.0, 10.0

# ---- vocabulary ------------------------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90,
}
# Bounded digits with a lookbehind keep these linear on a 1 MB run of digits.
_NUM_WORDS = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUM = r"(?<![\d.])(\d{1,5}(?:\.\d{1,2})?|" + _NUM_WORDS + ")"
_SECONDS = re.compile(_NUM + r"(\s{0,2}-?\s{0,2})(seconds?|secs?|s)\b", re.I)
_MINUTES = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,2})?|an?|one|two|three|half an?)"
                      r"\s{0,2}-?\s{0,2}(?:minutes?|mins?)\b", re.I)
# A duration preceded by a label, or followed by a format noun, is the film's length; other
# numbers ("holds for 2 seconds") are story detail and count only when nothing better exists.
_LABEL_BEFORE = re.compile(r"(duration|length|runtime|run time|total|long)\W{0,3}$", re.I)
_FORMAT_AFTER = re.compile(
    r"^\W{0,3}(?:\w+\s+){0,2}?(ad|spot|video|clip|cut|teaser|piece|film|reel|commercial|story|"
    r"version|edit|trailer|promo|loop|montage|sequence|long|total)\b", re.I)
_DECADE_BEFORE = re.compile(r"\b(?:early|mid|late|her|his|their|in|the)\s*-?\s*$", re.I)
_SENTENCE_AFTER = re.compile(r"^\s*(?:[.!?;)]|$)", re.M)
_RATIO = re.compile(r"(?<![\d.:])(\d{1,2}(?:\.\d{1,2})?)\s*([:x×])\s*(\d{1,2})(?![\d:])")
# Ratios people actually ask for; anything else with a colon ("10:30") is a time, not a frame.
_KNOWN_RATIOS = {"16:9", "9:16", "1:1", "4:3", "3:4", "4:5", "5:4", "21:9", "9:21", "2:1",
                 "3:2", "2:3", "1.85:1", "2.35:1", "2.39:1"}
_VERTICAL = re.compile(
    r"\bvertical\b(?!\s+(?:cliff|blinds?|wall|drop|face|lines?|stripes?|garden|rock|slats?))|"
    r"\bportrait\b(?!\s+(?:of|photo\w*|painting|painter|lens|lighting|session|studio|shot))|"
    r"\b(?:instagram|ig|facebook|fb)\s+(?:reels?|stories)\b|(?-i:\bReels?\b)|\btik\s?tok\b|"
    r"\byoutube\s+shorts\b|(?-i:\bShorts\b)", re.I)
_SQUARE = re.compile(
    r"\bsquare\s+(?:\w+\s+)?(?:format|video|frame|crop|post|aspect|ratio|clip|ad|spot|cut|"
    r"version|feed)\b|\b(?:in|as)\s+(?:a\s+)?square\b|(?:^|[,(;])[ \t]*square[ \t]*(?=[,);.]|$)",
    re.I | re.M)
_PLATFORMS = (
    (r"\b(?:instagram|ig)\s+reels?\b|(?-i:\bReels\b)", "instagram reels"),
    (r"\b(?:instagram|ig)\s+stor(?:y|ies)\b", "instagram stories"),
    (r"\btik\s?tok\b", "tiktok"),
    (r"\byoutube\s+shorts\b|(?-i:\bShorts\b)", "youtube shorts"),
    (r"\binstagram\b", "instagram"),
    (r"\byoutube\b", "youtube"),
    (r"\blinkedin\b", "linkedin"),
    (r"\bfacebook\b", "facebook"),
    (r"\b(?:tv|television)\s+(?:spot|ad|commercial)\b|\bbroadcast\b|\bfor\s+tv\b", "tv"),
    (r"\bcinema\b|\btheatrical\b", "cinema"),
    (r"\bsocial\b", "social"),
)
_VERTICAL_PLATFORMS = ("reels", "stories", "tiktok", "shorts")
_SILENT = re.compile(
    r"\bno\s+(?:audio|sound)\b|\bwithout\s+(?:audio|sound)\b|\baudio\s*:\s*(?:off|none|no)\b|"
    r"\bmuted?\b|\bsilent(?=\s*(?:[^\w\s]|$|film|video|version|spot|cut|ad|clip))", re.I | re.M)
_AUDIO = re.compile(
    r"(?<!\bno )(?<!\bwithout )(?<!\bnot )\b(?:native audio|audio|sound(?:s|scape| design)?|"
    r"sfx|sound effects?|dialogue|voice[- ]?over|vo|narrat(?:ion|or)|music|ambience|foley|"
    r"ambient\s+(?:sound|noise|audio)|spoken|speaks?|whispers?)\b", re.I)
# `Name: "Line"` or `says, "Line"`: a spoken line even when the word dialogue never appears.
_SPOKEN_LINE = re.compile(
    r"(?:\b(?!(?:Title|Style|Look|Mood|Tone|Text|Caption|Tagline|Super|Logo|Slogan|Brief|Note|"
    r"Shots?)\b)[A-Z]\w{1,30}\s{0,2}(?:\([^)\n]{0,40}\))?:|\b(?:says|asks|replies)\W{0,2})\s*[\"“]")
_FINAL = re.compile(r"\bfinal\s+(?:on\s+the\s+best|quality|tier|render)\b|\bbest\s+model\b|"
                    r"\bhighest\s+quality\b|\btier\s*:\s*final\b|\bproduction\s+quality\b", re.I)
_DRAFT = re.compile(r"\bdraft\s+(?:only|quality|tier)\b|\btier\s*:\s*draft\b", re.I)
_MONEY = r"\$\s*(\d[\d,]*(?:\.\d+)?)"
_BUDGET = (
    re.compile(r"\b(?:budget|cap|limit|under|max(?:imum)?|up to|no more than|at most|spend\w*)"
               r"\b[^$\n\d]{0,25}" + _MONEY, re.I),
    re.compile(_MONEY + r"\s*(?:usd\s*)?(?:total\s*)?(?:budget|cap|limit|max(?:imum)?)\b", re.I),
    re.compile(r"\bbudget\b[^\n\d]{0,15}(\d[\d,]*(?:\.\d+)?)\s*(?:usd|dollars)\b", re.I),
)
_HIGH_RES = re.compile(r"\b(?:1080[pi]|full[- ]?hd|fhd|1920\s*[x×]\s*1080|1080\s*[x×]\s*1920|"
                       r"4k|2160p|uhd|ultra[- ]?hd)\b", re.I)
_LOW_RES = re.compile(r"\b720p\b", re.I)
# Multi-line patterns use [ \t]*, never \s*, so a run of blank lines cannot go quadratic.
_STYLE_LABEL = re.compile(r"^[ \t]*(?:style|look|mood|tone|feel)[ \t]*:[ \t]*(.+)$", re.I | re.M)
_STYLE_LIST = re.compile(r"^[A-Za-z-]+(?: [A-Za-z-]+)?(?:,\s*(?:and\s+)?[A-Za-z-]+"
                         r"(?: [A-Za-z-]+)?){2,5}$")
_LANGUAGES = {"english": "en", "spanish": "es", "french": "fr", "german": "de", "italian": "it",
              "portuguese": "pt", "japanese": "ja", "korean": "ko", "mandarin": "zh",
              "chinese": "zh", "hindi": "hi", "arabic": "ar", "dutch": "nl"}
_LANGUAGE = re.compile(r"\b(?:in|language\s*:?)\s+(" + "|".join(_LANGUAGES) + r")\b", re.I)
_NUMBERED = re.compile(r"^[ \t]*(?:shot[ \t]+)?(\d{1,2})[ \t]{0,3}(\([^)\n]{0,40}\))?[ \t]{0,3}"
                       r"[.):][ \t]+(\S.*)$", re.I)
_SHOTS_LABEL = re.compile(r"\bshots\s*:\s*", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")

# ---- small helpers ---------------------------------------------------------------------------


def _fail(source: str, problem: str) -> BriefError:
    return BriefError(f"{source}: {problem}")


def _fmt_seconds(value: float) -> str:
    return f"{value:g}"


def _number(token: str) -> float:
    token = token.lower()
    if token in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[token])
    return {"a": 1.0, "an": 1.0, "half a": 0.5, "half an": 0.5}.get(token) or float(token)


def _normalise(text: str) -> str:
    """Unix line ends (line arithmetic depends on them), outer whitespace trimmed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _clean(line: str) -> str:
    return line.strip().strip("*_`").strip().rstrip(".;,").strip()


# ---- metadata from free text -----------------------------------------------------------------


def _numbered_beats(lines: list[str]) -> tuple[list[str], set[int]]:
    """The first run of lines numbered 1, 2, 3... (indented lines continue the item above)."""
    beats: list[str] = []
    used: set[int] = set()
    for i, line in enumerate(lines):
        match = _NUMBERED.match(line)
        if match and int(match.group(1)) == len(beats) + 1:
            note = f" {match.group(2)}" if match.group(2) else ""  # "Shot 1 (4 s): ..." keeps 4 s
            beats.append(match.group(3).rstrip() + note)
            used.add(i)
        elif beats and line[:1].isspace() and line.strip() and not match:
            beats[-1] += " " + line.strip()
            used.add(i)
        elif beats and line.strip():
            break
    # "1." alone might be a requirement list; "Shot 1:" is unambiguous.
    if len(beats) < 2 and not (beats and lines[min(used)].lstrip().lower().startswith("shot")):
        return [], set()
    return [_clean(b) for b in beats], used


def _shots_sentence(text: str) -> list[str]:
    """'Shots: a; b; c. Other sentence.' -> [a, b, c]: the paragraph after the label, split on
    semicolons, the last item cut at its sentence end."""
    match = _SHOTS_LABEL.search(text)
    if not match:
        return []
    paragraph = re.split(r"\n\s*\n", text[match.end():], maxsplit=1)[0]
    items = [" ".join(part.split()) for part in paragraph.split(";")]
    if len(items) < 2:
        return []
    items[-1] = _SENTENCE_END.split(items[-1], maxsplit=1)[0]
    return [_clean(item) for item in items if _clean(item)]


def _duration_matches(text: str) -> list[tuple[int, int, float]]:
    """(score, position, seconds) for every length-like phrase in the text."""
    found: list[tuple[int, int, float]] = []
    for match in _SECONDS.finditer(text):
        number, gap, unit = match.groups()
        value = _number(number)
        # Glued and round, "40s" is usually a decade ("in her 40s", "Ana: 40s, black hair");
        # it is a length when it names a format ("a 30s ad") or ends a sentence ("drone, 20s").
        if unit.lower() == "s" and not gap and value % 10 == 0:
            after = text[match.end():]
            before = text[max(0, match.start() - 12):match.start()]
            as_length = _FORMAT_AFTER.match(after) or _SENTENCE_AFTER.match(after)
            if value >= 1000 or _DECADE_BEFORE.search(before) or not as_length:
                continue
        found.append((_score(text, match), match.start(), value))
    for match in _MINUTES.finditer(text):
        found.append((_score(text, match), match.start(), _number(match.group(1)) * 60))
    return found


def _score(text: str, match: re.Match[str]) -> int:
    if _LABEL_BEFORE.search(text[max(0, match.start() - 20):match.start()]):
        return 2
    return 1 if _FORMAT_AFTER.match(text[match.end():]) else 0


def _duration(text: str, beat_lines: set[int]) -> float | None:
    """The film's length; per-shot lengths on numbered lines add up when no total is given."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    spans = [(offsets[i], offsets[i + 1]) for i in beat_lines]
    overall = [m for m in _duration_matches(text) if not any(a <= m[1] < b for a, b in spans)]
    if overall:
        return max(overall, key=lambda m: (m[0], -m[1]))[2]
    per_beat = [_duration_matches(lines[i]) for i in sorted(beat_lines)]
    if per_beat and all(per_beat):
        return sum(found[0][2] for found in per_beat)
    return None


def _aspect(text: str, source: str) -> str | None:
    for match in _RATIO.finditer(text):
        ratio = f"{match.group(1)}:{match.group(3)}"
        if ratio in ASPECT_RATIOS:
            return ratio
        # "3x2 grid" is not a frame request; only the colon form is an explicit ratio.
        if ratio in _KNOWN_RATIOS and match.group(2) == ":":
            raise _fail(source, f"aspect ratio {ratio} is not supported; use "
                                f"{', '.join(ASPECT_RATIOS)}")
    if _VERTICAL.search(text):
        return "9:16"
    return "1:1" if _SQUARE.search(text) else None


def _platform(text: str) -> str | None:
    return next((name for rx, name in _PLATFORMS if re.search(rx, text, re.I)), None)


def _audio(text: str) -> bool | None:
    if _SILENT.search(text):
        return False
    if _AUDIO.search(text) or _SPOKEN_LINE.search(text):
        return True
    return None


def _budget(text: str) -> float | None:
    for rx in _BUDGET:
        match = rx.search(text)
        if match:
            return float(match.group(1).replace(",", ""))
    return None


def _style(text: str) -> str | None:
    labelled = _STYLE_LABEL.search(text)
    if labelled:
        return _clean(labelled.group(1))
    for sentence in re.split(r"[.!?\n]+", text):
        if _STYLE_LIST.match(sentence.strip()):
            return sentence.strip().lower()
    return None


def title_from(text: str, title_hint: str) -> str:
    """First markdown heading, else a Title: line, else the hint (a file stem), else first words."""
    stated = re.search(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", text, re.M) or re.search(
        r"^[ \t]*title[ \t]*:[ \t]*(.+)$", text, re.I | re.M)
    if stated:
        # "# Morning Ritual — 20 s product spot" -> "Morning Ritual": the rest is metadata.
        return _clean(re.split(r"\s+[—–|-]\s+", stated.group(1), maxsplit=1)[0]) or "Untitled"
    if title_hint.strip():
        return " ".join(w.capitalize() for w in re.split(r"[-_\s]+", title_hint.strip()) if w)
    words = re.sub(r"[^\w\s'-]", " ", text.strip().splitlines()[0]).split()[:6]
    return " ".join(words).capitalize() or "Untitled"


def _tier(text: str) -> str | None:
    return "final" if _FINAL.search(text) else ("draft" if _DRAFT.search(text) else None)


def _resolution(text: str) -> str | None:
    return "1080p" if _HIGH_RES.search(text) else ("720p" if _LOW_RES.search(text) else None)


def _language(text: str) -> str | None:
    match = _LANGUAGE.search(text)
    return _LANGUAGES[match.group(1).lower()] if match else None


def extract_metadata(text: str, source: str = "brief", known: set[str] | None = None
                     ) -> dict[str, Any]:
    """Brief fields the text states explicitly (absent keys: the text does not say). Fields in
    `known` are skipped: a structured brief's explicit value beats anything in its prose."""
    beats, beat_lines = _numbered_beats(text.split("\n"))
    extractors: dict[str, Callable[[], Any]] = {
        "beats": lambda: beats or _shots_sentence(text),
        "target_duration_s": lambda: _duration(text, beat_lines),
        "aspect_ratio": lambda: _aspect(text, source),
        "platform": lambda: _platform(text),
        "audio": lambda: _audio(text),
        "tier": lambda: _tier(text),
        "budget_usd": lambda: _budget(text),
        "resolution": lambda: _resolution(text),
        "style": lambda: _style(text),
        "language": lambda: _language(text),
    }
    skip = known or set()
    found = {key: get() for key, get in extractors.items() if key not in skip}
    return {key: value for key, value in found.items() if value not in (None, [], "")}


def parse_text_brief(text: str, title_hint: str = "", *, source: str = "brief") -> Brief:
    """A Brief from free text: the whole text kept, metadata extracted, defaults filled."""
    text = _normalise(text)
    if not text:
        raise _fail(source, "the brief is empty")
    fields = extract_metadata(text, source)
    fields["text"] = text
    fields["title"] = title_from(text, title_hint)
    fields.setdefault("target_duration_s", _default_duration(text))
    return build_brief(fields, source)


def _default_duration(text: str) -> float:
    """A one-line idea gets a short film; anything longer the usual 15 s."""
    one_liner = len([ln for ln in text.splitlines() if ln.strip()]) == 1
    return ONE_LINER_S if one_liner else DEFAULT_S


# ---- validation shared by both formats -------------------------------------------------------


def _finish_defaults(fields: dict[str, Any]) -> None:
    """A vertical-only platform implies a vertical frame when none was stated."""
    platform = str(fields.get("platform") or "").lower()
    if "aspect_ratio" not in fields and any(p in platform for p in _VERTICAL_PLATFORMS):
        fields["aspect_ratio"] = "9:16"


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
_COLOURS = {"white", "black", "grey", "gray", "red", "green", "blue", "navy", "yellow", "orange",
            "brown", "beige", "cream", "ivory", "pink", "purple", "burgundy", "maroon", "olive",
            "khaki", "tan", "teal", "charcoal", "silver", "gold", "golden", "mustard", "crimson",
            "emerald", "camel", "indigo", "ochre", "rust", "scarlet", "turquoise", "violet",
            "off-white", "oatmeal", "sand", "stone", "slate"}
_SHADES = {"dark", "light", "pale", "deep", "bright", "forest", "sky", "royal", "dusty", "faded"}
_MATERIALS = {"cotton", "wool", "woollen", "linen", "silk", "leather", "suede", "denim", "tweed",
              "velvet", "corduroy", "cashmere", "satin", "nylon", "polyester", "canvas", "fleece",
              "flannel", "jersey", "knit", "knitted", "waxed", "waxed-cotton", "rubber", "felt",
              "lace", "chiffon", "mohair", "merino", "oilskin", "hemp", "straw", "shearling",
              "sheepskin", "tulle", "poplin", "chambray", "gabardine", "twill", "mesh", "vinyl",
              "fur", "faux", "patent", "gore-tex", "quilted", "down"}


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
        found = _duration_matches(value)
        if found:
            return found[0][2]
    raise _fail(source, f"duration {_shown(value)} is not a length in seconds (e.g. 12 or '12 s')")


def _as_aspect(value: object, source: str) -> str:
    text = _scalar_text(value, "aspect ratio", source)
    found = _aspect(text, source) if isinstance(value, str) else None
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
    if text in ("720", "720p", "hd") or _LOW_RES.fullmatch(text):
        return "720p"
    if text == "1080" or _HIGH_RES.fullmatch(text):
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
            beats.append(f"{_clean(str(text))} ({extra})" if extra else _clean(str(text)))
        elif isinstance(item, str | int | float) and str(item).strip():
            beats.append(_clean(str(item)))
        else:
            raise _fail(source, f"shots[{i}] must be text or a mapping with a 'beat'")
    total = sum(lengths) if lengths and len(lengths) == len(beats) else None
    return beats, total


def _wardrobe_item(text: str) -> dict[str, str]:
    """"white cotton double-breasted chef jacket" -> colour, material, garment, so the parts can
    be checked; the words and their order are kept, so the phrase reads back unchanged."""
    words = re.sub(r"^(?:an?|the)\s+", "", text.strip(), flags=re.I).split()
    i = 0
    while i < len(words) - 1 and words[i].lower() in _COLOURS | _SHADES:
        i += 1
    if not any(w.lower() in _COLOURS for w in words[:i]):
        i = 0
    j = i
    while j < len(words) - 1 and words[j].lower() in _MATERIALS:
        j += 1
    return {"colour": " ".join(words[:i]), "material": " ".join(words[i:j]),
            "garment": " ".join(words[j:])}


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
            person["wardrobe"] = [_wardrobe_item(w) if isinstance(w, str) else w
                                  for w in person["wardrobe"]]
        people.append(person)
    return people


def _default_lighting(time_of_day: str) -> dict[str, Any]:
    """A stated, conventional setup for the time of day: every prompt needs a light direction,
    and a location without one would otherwise leave the model to guess."""
    when = time_of_day.lower()
    if any(w in when for w in ("night", "evening", "dusk", "blue hour", "midnight")):
        return {"source": "practical lamps", "direction": "camera-left at 45°", "side": "left",
                "colour_temperature_k": 3200, "quality": "soft"}
    if any(w in when for w in ("golden", "sunset", "sunrise", "dawn")):
        return {"source": "low sun", "direction": "camera-left, low and raking", "side": "left",
                "colour_temperature_k": 3500, "quality": "hard"}
    return {"source": "daylight", "direction": "camera-left at 45°", "side": "left",
            "colour_temperature_k": 5600, "quality": "soft"}


_SIDE_WORDS = (("left", r"\bleft\b"), ("right", r"\bright\b"),
               ("back", r"\b(?:behind|back|rim)\b"), ("top", r"\b(?:above|overhead|top)\b"),
               ("front", r"\bfront(?:al)?\b"))
_SIDE_DIRECTIONS = {"left": "camera-left at 45°", "right": "camera-right at 45°",
                    "back": "behind the subject", "top": "overhead", "front": "beside the camera"}


def _lighting_from_text(text: str, time_of_day: str) -> dict[str, Any]:
    """"soft window light from camera-right, 4300K" -> a Lighting dict over the default."""
    light = _default_lighting(time_of_day)
    kelvin = re.search(r"(\d{4,5})\s*K\b", text)
    if kelvin:
        light["colour_temperature_k"] = int(kelvin.group(1))
    light["side"] = next((side for side, rx in _SIDE_WORDS if re.search(rx, text, re.I)),
                         light["side"])
    quality = re.search(r"\b(hard|soft)\b", text, re.I)
    if quality:
        light["quality"] = quality.group(1).lower()
    bare = re.sub(r"(?i),?\s*\d{4,5}\s*K\b|\b(?:hard|soft)\b,?", "", text).strip(" ,")
    # The last "from" names the direction: "firelight from the oven door from camera-right".
    source, _, direction = bare.rpartition(" from ") if " from " in bare else (bare, "", "")
    light["source"] = source.strip(" ,") or light["source"]
    light["direction"] = direction.split(",")[0].strip() or _SIDE_DIRECTIONS[light["side"]]
    return light


def _lighting(value: object, time_of_day: str) -> object:
    """Missing lighting gets the default; a sentence is parsed; a partial mapping is completed
    (its direction following its side). Anything else goes to validation as given."""
    if value is None:
        return _default_lighting(time_of_day)
    if isinstance(value, str):
        return _lighting_from_text(value, time_of_day)
    if isinstance(value, dict):
        light = {**_default_lighting(time_of_day), **value}
        if "direction" not in value and light.get("side") in _SIDE_DIRECTIONS:
            light["direction"] = _SIDE_DIRECTIONS[light["side"]]
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
    text = _normalise(fields.get("text") or "")
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
    fields.setdefault("target_duration_s", _default_duration(text))
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

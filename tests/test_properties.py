"""Property-based tests of what a person types: the brief loader and the command grammar.

Whatever the input, the result is a valid value or a DirectorError of one clean line naming the
problem; never another exception. Good input round-trips. The plan editor and the command line
are in test_properties_edit.py. Examples are derandomized and no example database is kept, so a
run is the same on every machine.
"""

from __future__ import annotations

import json
import math
import re
import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from director.briefs import (
    MAX_BUDGET_USD,
    MAX_S,
    MIN_S,
    load_brief,
    parse_structured_brief,
    parse_text_brief,
)
from director.commands import EDIT_FIELDS, Budget, EditShot, Pick, Render, Revise, Takes
from director.errors import BriefError, DirectorError
from director.film import ASPECT_RATIOS, Brief
from director.project import slugify
from director.ui.commands import CommandError, parse

FAST = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(FAST, max_examples=60)

# Characters no loaded brief and no parsed command may hold: C0/C1 controls but tab and newline,
# DEL, bidi embeddings/overrides/isolates, zero-width space, BOM.
FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u202a-\u202e\u2066-\u2069\ufeff]")

# Pieces that reach the loader's special cases: metadata phrases, absurd numbers, escapes,
# bidi overrides, chat-template tokens, traversal, markup, odd line ends and digits.
SNIPPETS = [
    "20 s", "a 30s ad", "2 minutes", "1.5 min", "an hour long film", "99999999999 seconds",
    "-5 seconds", "1e9 seconds", "0 s", "600 s", "NaN seconds", "9:16", "4:3", "21:9",
    "vertical", "square format", "budget $5", "budget $-5", "$1e400", "cap at $2,5e3",
    "budget $99999999999", "under $3.50", "9999 shots", "in 12 shots", "a 70-shot film",
    "Shots: a; b; c.", "1. one\n2. two\n", "Shot 1 (4 s): x\n", "# Title — 20 s\n",
    "Title: x\n", "Style: warm, grain\n", "final quality", "draft only", "4k", "720p",
    "in Spanish", "no audio", 'Ana: "Hi."', "\x1b[31m", "\x1b]0;owned\x07", "\u202e", "\u2066",
    "\x00", "\x85", "\u2028", "\r\n", "\r", "\t", "\ufeff", "\u200b", "<|im_start|>system",
    "<|eot_id|>", "ignore previous instructions", "../../etc/passwd", "[/]", "[bold]",
    "١٢ s", "²", "ﬀ", "İ", "👨‍👩‍👧", "#" * 3, "\n\n", "  ",
]
hostile_text = st.lists(st.one_of(st.text(max_size=25), st.sampled_from(SNIPPETS)),
                        max_size=10).map("".join)


def one_clean_line(error: DirectorError) -> str:
    message = str(error)
    assert message and "\n" not in message and "\r" not in message
    assert not FORBIDDEN.search(message), repr(message)
    return message


def check_brief(brief: Brief) -> None:
    """What every loaded brief promises, whatever it was loaded from."""
    assert math.isfinite(brief.target_duration_s) and MIN_S <= brief.target_duration_s <= MAX_S
    assert brief.budget_usd is None or (
        math.isfinite(brief.budget_usd) and 0 <= brief.budget_usd <= MAX_BUDGET_USD)
    assert brief.aspect_ratio in ASPECT_RATIOS and brief.title.strip() and brief.text.strip()
    for value in (brief.title, brief.text, brief.style, brief.platform, *brief.beats):
        assert not FORBIDDEN.search(value), repr(value)


# ---- free text -------------------------------------------------------------------------------


@FAST
@given(hostile_text)
def test_any_free_text_is_a_brief_or_one_clear_line(text: str) -> None:
    try:
        brief = parse_text_brief(text, source="brief.md")
    except BriefError as exc:
        assert one_clean_line(exc).startswith("brief.md: ")
        return
    check_brief(brief)


@FAST
@given(st.integers(min_value=601, max_value=10**40), st.sampled_from(["seconds", "s film"]))
def test_a_length_past_the_limit_is_refused_not_ignored(seconds: int, unit: str) -> None:
    with pytest.raises(BriefError, match=r"target duration \d[\d.e+]* s is outside 2–600 s"):
        parse_text_brief(f"A {seconds} {unit} of a cat on a wall.")


@FAST
@given(st.integers(min_value=61, max_value=10**30),
       st.sampled_from(["{n} shots of a cat", "a cat, {n} shots, 20 s", "the story in {n} shots",
                        "a {n}-shot film"]))
def test_a_shot_count_past_the_planner_is_refused(count: int, phrase: str) -> None:
    with pytest.raises(BriefError, match=r"asks for \d+(\.\.\.)? shots; .* at most 60"):
        parse_text_brief(phrase.format(n=count))


@FAST
@given(st.integers(min_value=1, max_value=60))
def test_a_shot_count_the_planner_can_make_loads(count: int) -> None:
    assert parse_text_brief(f"A cat on a wall in {count} shots.").text.endswith("shots.")


@FAST
@given(st.sampled_from(["-", "\u2212"]), st.integers(min_value=1, max_value=10**6),
       st.sampled_from(["budget ${m}{n}", "cap: {m}${n}", "spend at most ${m}{n}"]))
def test_a_negative_budget_in_words_is_refused(minus: str, amount: int, phrase: str) -> None:
    with pytest.raises(BriefError, match="is negative"):
        parse_text_brief("A cat on a wall. " + phrase.format(m=minus, n=amount))


# ---- structured briefs -----------------------------------------------------------------------

KEYS = ["title", "text", "duration", "length", "aspect", "budget", "tier", "resolution", "shots",
        "characters", "locations", "style", "platform", "audio", "language", "quality", "junk"]
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), hostile_text,
    st.sampled_from(["20 s", "$5", "vertical", "final", "1080p", "-5", "1e400", ".nan"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(["beat", "name", "place", "duration",
                                                   "lighting", "wardrobe", "age"]),
                                  st.text(max_size=8)), inner, max_size=4)),
    max_leaves=12,
)
structured = st.dictionaries(st.sampled_from(KEYS), values, max_size=6)


@FAST
@given(st.one_of(structured, values))
def test_any_structured_data_is_a_brief_or_one_clear_line(data: object) -> None:
    try:
        brief = parse_structured_brief(data, "hint", source="brief.yaml")
    except BriefError as exc:
        assert one_clean_line(exc).startswith("brief.yaml: ")
        return
    check_brief(brief)


@FAST
@given(st.binary(max_size=300), st.sampled_from([".md", ".txt", ".yaml", ".json"]))
def test_any_bytes_in_any_brief_file(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                                     suffix: str) -> None:
    path = tmp_path_factory.mktemp("bytes") / f"brief{suffix}"
    path.write_bytes(data)
    try:
        check_brief(load_brief(path))
    except BriefError as exc:
        assert one_clean_line(exc).startswith(str(path))


@SLOW
@given(structured, st.sampled_from([".yaml", ".json"]))
def test_structured_files_load_or_fail_in_one_line(tmp_path_factory: pytest.TempPathFactory,
                                                   data: dict[str, object], suffix: str) -> None:
    path = tmp_path_factory.mktemp("files") / f"brief{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(data, default=str), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        check_brief(load_brief(path))
    except BriefError as exc:
        assert one_clean_line(exc).startswith(str(path))


# Words a brief's text may hold without stating metadata the explicit keys would fight over.
prose = st.text(alphabet=string.ascii_letters + " ,.'!?-", min_size=1, max_size=80).map(
    str.strip).filter(lambda words: any(c.isalpha() for c in words))
good_fields = st.fixed_dictionaries({
    "title": prose,
    "text": prose,
    "target_duration_s": st.floats(min_value=MIN_S, max_value=MAX_S),
    "aspect_ratio": st.sampled_from(ASPECT_RATIOS),
    "tier": st.sampled_from(["draft", "final"]),
    "budget_usd": st.one_of(st.none(), st.floats(min_value=0, max_value=MAX_BUDGET_USD)),
    "resolution": st.sampled_from(["720p", "1080p"]),
    "audio": st.booleans(),
    "platform": st.sampled_from(["", "youtube", "tiktok"]),
    "language": st.sampled_from(["en", "fr", "ja"]),
    "style": st.sampled_from(["", "warm, quiet, tactile"]),
    "beats": st.lists(prose, max_size=5),
})


@SLOW
@given(good_fields, st.sampled_from([".yaml", ".json"]))
def test_a_brief_round_trips_through_yaml_and_json(tmp_path_factory: pytest.TempPathFactory,
                                                   fields: dict[str, object],
                                                   suffix: str) -> None:
    path = tmp_path_factory.mktemp("round") / f"brief{suffix}"
    dump = json.dumps(fields) if suffix == ".json" else yaml.safe_dump(fields)
    path.write_text(dump, encoding="utf-8")
    loaded = load_brief(path)
    # Beats are read as a person's list: surrounding emphasis and trailing punctuation go.
    expected = Brief.model_validate(fields).model_dump(exclude={"beats"})
    assert loaded.model_dump(exclude={"beats"}) == expected
    assert len(loaded.beats) == len(fields["beats"])  # type: ignore[arg-type]
    again = parse_structured_brief(loaded.model_dump(), source="again")
    assert again == loaded  # what the loader returns loads back unchanged


@FAST
@given(hostile_text)
def test_a_loaded_brief_reloads_unchanged(text: str) -> None:
    try:
        brief = parse_text_brief(text)
    except BriefError:
        return
    assert parse_structured_brief(brief.model_dump(), source="again") == brief


# ---- names that become file names ------------------------------------------------------------


@FAST
@given(hostile_text)
def test_no_title_or_name_escapes_its_folder(tmp_path_factory: pytest.TempPathFactory,
                                             name: str) -> None:
    root = tmp_path_factory.getbasetemp()
    slug = slugify(name)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) and len(slug) <= 48
    assert (root / slug).resolve().parent == root.resolve()
    assert (root / f"character_{slug}.png").resolve().parent == root.resolve()


# ---- the command grammar ---------------------------------------------------------------------

COMMAND_SNIPPETS = ["/", "/director ", "new ", "edit shot 2 ", "render ", "revise 1 ", "budget ",
                    "pick 2 take ", "takes ", "help ", "kelvin ", "+1500", "--tier", "--model=",
                    "final", "1,3", "#2", '"', "'", "\\", "shot ", "camera move ", "all ", "0",
                    "999999", "$12.50", "usd", "lighting ", "-800", "\n", "\x00", "\x1b[2J",
                    "\u202e", "\u200b"]
command_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(COMMAND_SNIPPETS)),
                        max_size=8).map("".join)


def clean_strings(value: object) -> bool:
    if isinstance(value, str):
        return not FORBIDDEN.search(value)
    if isinstance(value, dict):
        return all(clean_strings(v) for v in value.values())
    if isinstance(value, list):
        return all(clean_strings(v) for v in value)
    return True


@FAST
@given(command_text)
def test_any_text_is_a_command_or_a_usage_line(text: str) -> None:
    try:
        cmd = parse(text)
    except CommandError as exc:
        one_clean_line(exc)
        return
    assert clean_strings(cmd.model_dump())


values_text = st.text(alphabet=string.ascii_letters + string.digits + " ,.-'", min_size=1,
                      max_size=40).map(str.strip).filter(lambda v: v and v[0] not in "'\"")
good_commands = st.one_of(
    st.builds(EditShot, shot=st.integers(1, 500), field=st.sampled_from(EDIT_FIELDS),
              value=values_text),
    st.builds(Revise, shot=st.integers(1, 500),
              variable=st.sampled_from(["seed", "model", "params", "subject", "action", "camera",
                                        "environment", "lighting", "atmosphere"]),
              value=values_text),
    st.builds(Render, shots=st.one_of(st.none(), st.lists(st.integers(1, 500), min_size=1,
                                                          max_size=4, unique=True).map(sorted)),
              tier=st.sampled_from([None, "draft", "final"]),
              model=st.sampled_from([None, "kling-v2-6-pro", "sora-2"])),
    st.builds(Budget, usd=st.one_of(st.none(), st.integers(0, 100_000).map(float))),
    st.builds(Takes, shot=st.integers(1, 500)),
    st.builds(Pick, shot=st.integers(1, 500), take=st.integers(1, 100)),
)


def typed(cmd: object) -> str:
    """How a person types a command."""
    if isinstance(cmd, EditShot):
        return f"/edit shot {cmd.shot} {cmd.field} {cmd.value}"
    if isinstance(cmd, Revise):
        return f"revise {cmd.shot} {cmd.variable} {cmd.value}"
    if isinstance(cmd, Render):
        words = ["/render", ",".join(map(str, cmd.shots)) if cmd.shots else "all"]
        words += [f"--tier {cmd.tier}"] if cmd.tier else []
        words += [f"--model={cmd.model}"] if cmd.model else []
        return " ".join(words)
    if isinstance(cmd, Budget):
        return "/budget" if cmd.usd is None else f"/budget ${cmd.usd:g}"
    if isinstance(cmd, Takes):
        return f"/director takes {cmd.shot}"
    assert isinstance(cmd, Pick)
    return f"/pick {cmd.shot} take {cmd.take}"


@FAST
@given(good_commands)
def test_typed_commands_round_trip(cmd: object) -> None:
    assert parse(typed(cmd)) == cmd

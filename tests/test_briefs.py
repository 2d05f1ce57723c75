"""Brief loading: every shipped brief loads, metadata comes out right, bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from director.briefs import load_brief, parse_structured_brief, parse_text_brief
from director.errors import BriefError
from director.film import Brief

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "briefs"
# Copies of the team's shared reference briefs, so a clean clone tests them.
SHARED = REPO / "tests" / "data" / "reference_briefs"
ALL_BRIEFS = sorted(EXAMPLES.iterdir()) + sorted(SHARED.iterdir())


@pytest.mark.parametrize("path", ALL_BRIEFS, ids=lambda p: p.name)
def test_every_shipped_brief_loads(path: Path) -> None:
    brief = load_brief(path)
    assert isinstance(brief, Brief)
    assert brief.title and brief.text
    assert 2 <= brief.target_duration_s <= 600


def test_examples_cover_every_format() -> None:
    suffixes = {p.suffix for p in EXAMPLES.iterdir()}
    assert {".md", ".txt", ".yaml", ".json"} <= suffixes
    assert len(list(EXAMPLES.iterdir())) >= 9


def test_demo_brief_is_the_one_liner() -> None:
    brief = load_brief(EXAMPLES / "paper-boat.md")
    assert brief.text == "a paper boat drifting down a flooded gutter after rain"
    assert brief.title == "Paper Boat"
    assert brief.target_duration_s == 10  # a one-liner gets the short default
    assert (brief.aspect_ratio, brief.tier, brief.audio) == ("16:9", "draft", False)


# ---- the shared briefs ------------------------------------------------------------------------

def test_chef_table() -> None:
    brief = load_brief(SHARED / "chef-table.md")
    assert brief.aspect_ratio == "9:16"
    assert brief.target_duration_s == 12  # not Ana's "40s"
    assert brief.audio is True
    assert len(brief.beats) == 3
    assert brief.beats[1].startswith("Close-up of Ana plating")


def test_morning_coffee() -> None:
    brief = load_brief(SHARED / "morning-coffee.md")
    assert (brief.aspect_ratio, brief.target_duration_s, brief.resolution) == ("16:9", 20, "1080p")
    assert brief.title == "Morning Ritual"
    assert brief.style == "warm, quiet, tactile"
    assert len(brief.beats) == 4
    assert brief.beats[-1].endswith("paper bag beside it")
    assert brief.audio is False


def test_neon_rain() -> None:
    brief = load_brief(SHARED / "neon-rain.md")
    assert (brief.target_duration_s, brief.aspect_ratio, brief.tier) == (25, "16:9", "final")
    assert brief.audio is False  # "No dialogue" alone asks for no sound
    assert brief.title == "Neon Rain"


# ---- free-text metadata -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("A 20 s spot.\nLine two.", 20),
        ("a 25-second piece", 25),
        ("a 30s ad for a bakery", 30),
        ("1 minute film about bees", 60),
        ("90 sec cut of the race", 90),
        ("A man in his 50s fixes a bicycle.\nNothing else.", 15),
        ("Runtime: 25s. A fox pauses for 2 seconds.", 25),
        ("Shot 1 (4 s): a kettle boils\nShot 2 (6 s): tea is poured", 10),
    ],
)
def test_duration_patterns(text: str, seconds: float) -> None:
    assert parse_text_brief(text).target_duration_s == seconds


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("vertical teaser, 12 s", "9:16"),
        ("for TikTok", "9:16"),
        ("Instagram Reels ad", "9:16"),
        ("a square post for the feed", "1:1"),
        ("a portrait of an old fisherman", "16:9"),
        ("a woman in denim shorts at the town square", "16:9"),
        ("meet at 10:30 by the river", "16:9"),
        ("1:1 please", "1:1"),
    ],
)
def test_aspect_words(text: str, aspect: str) -> None:
    assert parse_text_brief(text).aspect_ratio == aspect


def test_audio_cues() -> None:
    assert parse_text_brief("No dialogue, but the sound of waves").audio is True
    assert parse_text_brief('Ana: "Order up."').audio is True
    assert parse_text_brief("Silent. A candle flame with sfx later.").audio is False
    assert parse_text_brief("a silent street at dawn").audio is False
    assert parse_text_brief("ambient light from the left").audio is False


@pytest.mark.parametrize(
    ("text", "budget"),
    [("budget $5", 5), ("keep it under $12", 12), ("a $3.50 cap", 3.5), ("our $4 coffee", None)],
)
def test_budget(text: str, budget: float | None) -> None:
    assert parse_text_brief(text).budget_usd == budget


@pytest.mark.parametrize("text", ["budget $1e400", "keep it under $5x", "cap at $2,5e3"])
def test_a_budget_that_is_not_a_dollar_amount_is_refused(text: str) -> None:
    with pytest.raises(BriefError, match="is not a dollar amount"):
        parse_text_brief(text)


def test_tier_resolution_platform_style() -> None:
    brief = parse_text_brief("YouTube Shorts clip, final quality, 4K.\nBold, loud, fast.")
    assert (brief.tier, brief.resolution, brief.platform) == ("final", "1080p", "youtube shorts")
    assert brief.aspect_ratio == "9:16"
    assert brief.style == "bold, loud, fast"
    assert parse_text_brief("a film").tier == "draft"


def test_title_order() -> None:
    assert parse_text_brief("# Big Day — 20 s\ntext").title == "Big Day"
    assert parse_text_brief("Title: Small Hours\ntext").title == "Small Hours"
    assert parse_text_brief("some text\nmore", "rainy-night").title == "Rainy Night"
    assert parse_text_brief("a kite over the dunes at noon").title.startswith("A kite over")


# ---- structured briefs -------------------------------------------------------------------------


def test_structured_aliases_and_friendly_values() -> None:
    brief = parse_structured_brief(
        {
            "title": "Bread",
            "duration": "20 s",
            "aspect": "vertical",
            "budget": "$5",
            "quality": "final",
            "shots": ["dough is folded", {"description": "oven opens", "camera": "static"}],
            "characters": [{"name": "Idris", "wardrobe": "white cotton apron", "marks": "scar"}],
            "locations": {"bakehouse": {"place": "stone bakehouse", "time_of_day": "night"}},
        }
    )
    assert (brief.target_duration_s, brief.aspect_ratio, brief.budget_usd, brief.tier) == (
        20, "9:16", 5, "final")
    assert brief.beats == ["dough is folded", "oven opens (camera: static)"]
    assert "1. dough is folded" in brief.text  # text composed from title + beats
    apron = brief.characters[0].wardrobe[0]
    assert (apron.colour, apron.material, apron.garment) == ("white", "cotton", "apron")
    assert brief.characters[0].marks == ["scar"]
    assert brief.locations[0].lighting.colour_temperature_k == 3200  # night default


def test_yaml_ratio_is_not_read_as_base_60(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("text: a fox in snow\naspect: 9:16\ncharacters:\n  - name: Rae\n    age: 16\n")
    brief = load_brief(path)
    assert brief.aspect_ratio == "9:16"
    assert brief.characters[0].age == "16"


def test_structured_keys_win_over_prose() -> None:
    brief = parse_structured_brief({"text": "a 30 second vertical ad", "duration": 12})
    assert (brief.target_duration_s, brief.aspect_ratio) == (12, "9:16")


def test_structured_lighting_and_shot_lengths() -> None:
    brief = parse_structured_brief(
        {
            "shots": [{"beat": "a", "duration": 4}, {"beat": "b", "duration": "6 s"}],
            "locations": [
                {"name": "bar", "place": "a bar", "lighting": "neon from camera-right, 2700K"},
                {"name": "yard", "place": "a yard", "lighting": {"side": "right"}},
            ],
        },
        "last-orders",
    )
    assert brief.target_duration_s == 10  # per-shot lengths add up
    assert brief.title == "Last Orders"
    bar, yard = brief.locations
    assert (bar.lighting.source, bar.lighting.side, bar.lighting.colour_temperature_k) == (
        "neon", "right", 2700)
    assert yard.lighting.direction == "camera-right at 45°"  # direction follows the side


def test_windows_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"Vertical, 12 s.\r\n1. a kettle\r\n2. a cup\r\n")
    brief = load_brief(path)
    assert (brief.beats, brief.aspect_ratio, brief.target_duration_s) == (
        ["a kettle", "a cup"], "9:16", 12)
    assert "\r" not in brief.text


def test_json_brief(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(json.dumps({"text": "a kite at noon", "length": 8, "audio": True}))
    brief = load_brief(path)
    assert (brief.target_duration_s, brief.audio, brief.title) == (8, True, "B")


# ---- bad input: one line, naming the file and the problem ------------------------------------

BAD_FILES: list[tuple[str, bytes, list[str]]] = [
    ("empty.md", b"", ["empty"]),
    ("blank.txt", b"  \n\t \n", ["empty"]),
    ("nul.md", b"abc\x00def", ["binary"]),
    ("latin.txt", "café".encode("latin-1"), ["UTF-8"]),
    ("brief.docx", b"hello", ["unknown extension", ".docx"]),
    ("bad.yaml", b"title: x\n  bad: [1,\n", ["invalid YAML", "line 2"]),
    ("bad.json", b'{"title": "x",\n "text": }', ["invalid JSON", "line 2"]),
    ("list.yaml", b"- a\n- b\n", ["mapping"]),
    ("unknown.yaml", b"text: hi\ncolour: red\n", ["unknown key", "colour", "aspect_ratio"]),
    ("long.md", b"A 10000 s film", ["target duration 10000 s is outside 2", "600 s"]),
    ("zero.md", b"a 0 seconds film", ["target duration 0 s is outside"]),
    ("long.yaml", b"text: a film\nduration: 10000\n", ["target duration 10000 s"]),
    ("ratio.md", b"A 4:3 film, 12 s", ["4:3", "16:9, 9:16, 1:1"]),
    ("ratio.yaml", b"text: x\naspect: 21:9\n", ["21:9", "16:9, 9:16, 1:1"]),
    ("budget.yaml", b"text: x\nbudget: lots\n", ["budget", "lots"]),
    ("tier.yaml", b"text: x\ntier: ultra\n", ["tier", "ultra"]),
    ("notext.yaml", b"title: only\n", ["text", "shots"]),
    ("garment.yaml", b"text: x\ncharacters:\n  - name: A\n    wardrobe: [{colour: red}]\n",
     ["characters[0].wardrobe[0].garment", "required"]),
    ("loc.yaml", b"text: x\nlocations:\n  - name: L\n", ["locations[0].place"]),
]


@pytest.mark.parametrize(("name", "content", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_raise_one_line(tmp_path: Path, name: str, content: bytes,
                                  words: list[str]) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BriefError) as caught:
        load_brief(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    for word in words:
        assert word in message


def test_missing_directory_and_oversize(tmp_path: Path) -> None:
    with pytest.raises(BriefError, match="no such file"):
        load_brief(tmp_path / "nope.md")
    with pytest.raises(BriefError, match="directory"):
        load_brief(tmp_path)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(BriefError, match="1 MB"):
        load_brief(big)


def test_structured_top_level_must_be_mapping() -> None:
    with pytest.raises(BriefError, match=r"^brief: .*mapping"):
        parse_structured_brief(["a"])


def test_deep_nesting_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(BriefError, match="nests too deeply"):
        load_brief(path)


def test_a_decade_in_a_cast_line_is_not_the_films_length() -> None:
    text = "Cast:\n- Jonas, 50s, grey crew cut, navy peacoat.\nA 30-second spot at the harbour."
    assert parse_text_brief(text).target_duration_s == 30
    assert parse_text_brief("a 30s ad for wool socks").target_duration_s == 30

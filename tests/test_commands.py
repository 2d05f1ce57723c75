"""The command grammar: every door's text becomes the same typed command, bad text a usage line."""

from __future__ import annotations

import random
import string

import pytest

from director.commands import (
    COMMAND_ADAPTER,
    Approve,
    Budget,
    ConverseReply,
    EditShot,
    Help,
    New,
    Pick,
    Render,
    Revise,
    Takes,
    spends_money,
)
from director.errors import DirectorError
from director.ui.commands import HELP, USAGE, CommandError, is_command, parse, usage
from director.ui.session import describe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/new a baker at dawn, 15 s", New(text="a baker at dawn, 15 s")),
        ("/director new  two lines\nof brief", New(text="two lines\nof brief")),
        ("approve", Approve()),
        ("/edit shot 2 kelvin +1500", EditShot(shot=2, field="kelvin", value="+1500")),
        ("edit 3 camera move push in", EditShot(shot=3, field="move", value="push in")),
        ("/edit shot 1 colour temperature 3200", EditShot(shot=1, field="kelvin", value="3200")),
        ("/edit shot 1 action she turns to the window", EditShot(
            shot=1, field="action", value="she turns to the window")),
        ("/render", Render()),
        ("/render all --tier final", Render(tier="final")),
        ("/render 1,3 --model kling-v2-6-pro", Render(shots=[1, 3], model="kling-v2-6-pro")),
        ("/render 2 --tier=draft", Render(shots=[2], tier="draft")),
        ("/revise 2 lighting 6500", Revise(shot=2, variable="lighting", value="6500")),
        ("/revise 1 move push_in", Revise(shot=1, variable="camera", value="push_in")),
        ("/budget", Budget()),
        ("/budget $12.50", Budget(usd=12.5)),
        ("/takes 2", Takes(shot=2)),
        ("/pick 2 take 3", Pick(shot=2, take=3)),
        ("/help render", Help(topic="render")),
        ('/edit shot 1 action she says "go"', EditShot(
            shot=1, field="action", value='she says "go"')),
        ('/revise 1 subject "a fisherman"', Revise(shot=1, variable="subject",
                                                   value="a fisherman")),
        ("/edit\x00 shot 1 kelvin\u200b 3200", EditShot(shot=1, field="kelvin", value="3200")),
        ("/", Help()),
    ],
)
def test_parse_builds_typed_commands(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("/frobnicate", "unknown command"),
        ("/edit shot two kelvin 3", "usage: /edit shot N"),
        ("/edit shot 2 wibble 3", "unknown field"),
        ("/edit shot 0 kelvin 3", "usage: /edit"),
        ("/render --tier ultra", "--tier must be draft or final"),
        ("/render 2 please", "usage: /render"),
        ("/revise 2 mood blue", "unknown variable"),
        ("/budget lots", "not an amount"),
        ("/pick 2", "usage: /pick N TAKE"),
        ("/approve now", "takes no arguments"),
        ('/render "unclosed', "usage: /render"),
        ("/new", "the brief is empty"),
        ("/edit shot 1 action \x00\x1b", "no value for action"),
        ("/render 99999", "shots.0: Input should be less than or equal to 500"),
        ("/takes 9999999", "N must be a whole number"),
        ("/budget 1e9", "not an amount"),
    ],
)
def test_bad_input_gets_a_usage_line(text: str, words: str) -> None:
    with pytest.raises(CommandError) as info:
        parse(text)
    message = str(info.value)
    assert words in message and "\n" not in message and len(message) < 300
    assert isinstance(info.value, DirectorError) and info.value.exit_code == 2


def test_fuzzed_text_never_raises_anything_but_command_error() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "é漢\u200b\x00"
    words = [*USAGE, "shot", "--tier", "--model", "all", "take", "#", ",", "$", "-1", "1e9",
             '"', "'", "kelvin", "seed", "lighting"]
    for _ in range(3000):
        if rng.random() < 0.5:
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        else:
            text = " ".join(rng.choice([*words, str(rng.randint(-5, 999))])
                            for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.5:
            text = "/" + text
        try:
            cmd = parse(text)
        except CommandError:
            continue
        # Whatever parsed is a valid command that survives a JSON round trip, and the line a
        # confirmation shows (and a Slack button sends back) parses to the same command.
        assert COMMAND_ADAPTER.validate_json(COMMAND_ADAPTER.dump_json(cmd)) == cmd
        assert parse(describe(cmd)) == cmd


def test_usage_and_help() -> None:
    assert usage("render").startswith("usage: /render [N")
    assert usage("nonsense") == HELP
    for name in USAGE:
        assert f"/{USAGE[name][0]}" in HELP


def test_is_command_tells_commands_from_words() -> None:
    assert is_command("/anything") and is_command("render 2") and is_command("status")
    assert not is_command("make it colder") and not is_command("")


def test_spends_money_only_for_paid_commands_with_a_price() -> None:
    assert spends_money(Approve(), 1.2) and spends_money(Render(), None)
    assert spends_money(Revise(shot=1, variable="seed", value="3"), 0.5)
    assert not spends_money(Approve(), 0.0)
    assert not spends_money(EditShot(shot=1, field="kelvin", value="3200"), 9.0)
    assert not spends_money(Budget(usd=3), None)


def test_converse_reply_schema_carries_field_docs() -> None:
    schema = ConverseReply.model_json_schema()
    text = str(schema)
    assert "Shot number, counting from 1." in text and "draft (fast, cheap models)" in text
    reply = ConverseReply.model_validate(
        {"reply": "ok", "commands": [{"name": "edit", "shot": 2, "field": "move",
                                      "value": "push_in"}, {"name": "render"}]}
    )
    assert reply.commands == [EditShot(shot=2, field="move", value="push_in"), Render()]

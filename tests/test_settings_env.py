"""Settings read from the environment: one reader for every number and switch."""

from __future__ import annotations

import pytest

from director.config import Settings, env_int, env_number
from director.errors import DirectorError


def test_unset_values_take_their_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings.from_env()
    assert settings.multi_shot is True and settings.keyframes is False
    assert settings.budget_usd is None and settings.max_attempts == 4


def test_set_values_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRECTOR_MULTI_SHOT", "0")
    monkeypatch.setenv("DIRECTOR_BUDGET_USD", "12.5")
    monkeypatch.setenv("DIRECTOR_MAX_ATTEMPTS", "2")
    settings = Settings.from_env()
    assert settings.multi_shot is False and settings.budget_usd == 12.5
    assert settings.max_attempts == 2


@pytest.mark.parametrize("raw", ["nan", "inf", "-1", "abc", "2.5", "99"])
def test_bad_numbers_name_the_variable(raw: str) -> None:
    with pytest.raises(DirectorError, match=r"^X="):
        env_int("X", 1, 1, 64, env={"X": raw})


def test_a_budget_below_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIRECTOR_BUDGET_USD", "-3")
    with pytest.raises(DirectorError, match="DIRECTOR_BUDGET_USD"):
        Settings.from_env()
    assert env_number("Y", 0.5, env={}) == 0.5

"""The malloc arena cap the entry points set (its effect is measured by bench/scale.py)."""

from __future__ import annotations

import platform
import sys

import pytest
from conftest import director_in_process

from director import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_the_cap_is_set_on_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert memory.limit_malloc_arenas() is True


def test_an_arena_setting_in_the_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert memory.limit_malloc_arenas() is False


def test_the_command_line_sets_it_before_anything_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr("director.ui.cli.limit_malloc_arenas", lambda: calls.append(1))
    result = director_in_process("--help")
    assert result.returncode == 0 and calls == [1]

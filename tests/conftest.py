"""Shared fixtures: small, fast runs on the local animatic renderer, no network anywhere."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_BRIEFS = REPO / "examples" / "briefs"
# Copies of the team's shared reference briefs, so a clean clone tests them without ../shared.
REFERENCE_BRIEFS = REPO / "tests" / "data" / "reference_briefs"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never inherit a developer's provider keys, gateways or settings."""
    for name in list(os.environ):
        if (
            name.startswith(("DIRECTOR_", "KLING_", "FAL_", "REPLICATE_", "PIAPI_", "SLACK_"))
            or name.endswith("_API_KEY")
            or name in ("OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID")
        ):
            monkeypatch.delenv(name, raising=False)


def director_cmd() -> list[str]:
    """The installed console script next to this interpreter."""
    return [str(Path(sys.executable).with_name("director"))]


@dataclass
class CliResult:
    """What `director ...` printed and the exit code it ended with."""

    returncode: int
    stdout: str
    stderr: str


def director_in_process(*args: str, env: dict[str, str] | None = None) -> CliResult:
    """`director ARGS` through the console script's own entry point, in this process.

    For tests about what a command does with its input, where a new interpreter (a few seconds
    of imports each time) adds nothing; every command keeps at least one test that runs the
    real console script in its own process.
    """
    from director.ui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.dict(os.environ, env or {}),
        mock.patch.object(sys, "argv", ["director", *args]),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return CliResult(code, out.getvalue(), err.getvalue())


def reference_brief(name: str) -> Path:
    return REFERENCE_BRIEFS / name


def all_briefs() -> list[Path]:
    return sorted(EXAMPLE_BRIEFS.glob("*.*")) + sorted(REFERENCE_BRIEFS.glob("*.md"))

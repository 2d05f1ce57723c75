"""Shared fixtures: small, fast runs on the local animatic renderer, no network anywhere."""

from __future__ import annotations

import os
import sys
from pathlib import Path

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


def reference_brief(name: str) -> Path:
    return REFERENCE_BRIEFS / name


def all_briefs() -> list[Path]:
    return sorted(EXAMPLE_BRIEFS.glob("*.*")) + sorted(REFERENCE_BRIEFS.glob("*.md"))

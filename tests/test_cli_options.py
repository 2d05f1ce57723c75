"""Bad options are refused before any work, with one line and exit code 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import EXAMPLE_BRIEFS, director_cmd


def _director(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*director_cmd(), *args], capture_output=True, text=True, timeout=120)


def test_unknown_provider_and_tier_exit_2_and_create_nothing(tmp_path: Path) -> None:
    brief = str(EXAMPLE_BRIEFS / "paper-boat.md")
    out = tmp_path / "p"
    provider = _director("run", brief, "--provider", "runway", "--out", str(out), "--yes")
    assert provider.returncode == 2
    assert provider.stderr.strip().startswith("error: --provider 'runway' is not a backend")
    assert not out.exists()
    tier = _director("plan", brief, "--tier", "best")
    assert tier.returncode == 2 and "--tier must be draft or final" in tier.stderr
    assert "Traceback" not in provider.stderr + tier.stderr

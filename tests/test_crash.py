"""Crash safety, fast version of bench/crash.py: `director run` on `sim` is killed with SIGKILL
mid-render, mid-QC and mid-assembly, then `director resume` is run; each trial must
end with the reference's shots and accepted takes, no (shot, attempt) paid twice, and every
file parsing or decoding. The bench runs the same trials at 20+ random moments."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from crash_trials import (
    PROJECT_NAME,
    KillPoint,
    Outcome,
    Service,
    Timeline,
    kill_points,
    reference_run,
    run_trial,
)

PHASES = ("render", "qc", "assembly")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Outcome, Timeline, Service]:
    service = Service(latency_scale=0.01)
    root = tmp_path_factory.mktemp("reference") / PROJECT_NAME
    result, timeline, _ = reference_run(root, service)
    assert result.cut_shots and result.accepted
    return result, timeline, service


def test_the_reference_timeline_has_every_phase(
    reference: tuple[Outcome, Timeline, Service],
) -> None:
    _, timeline, _ = reference
    spans = timeline.spans()
    assert all(spans[p] for p in PHASES), spans


@pytest.mark.parametrize("phase", PHASES)
def test_kill_then_resume_keeps_every_invariant(
    reference: tuple[Outcome, Timeline, Service], tmp_path: Path, phase: str
) -> None:
    result, timeline, service = reference
    point: KillPoint = kill_points(timeline, 1, random.Random(PHASES.index(phase)), (phase,))[0]
    trial = run_trial(1, tmp_path / PROJECT_NAME, service, point, result)
    assert trial.killed, f"the run ended before the kill at {point}"
    assert trial.failures == [], f"killed at {point} ({trial.on_disk}): {trial.failures}"

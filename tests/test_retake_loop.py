"""The whole graph on the simulator with faults forced on: every injected failure is seen by
inspection and answered by a one-variable retake (or an escalation of the model), and the
ledger records each experiment."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from director.config import Settings
from director.film import Brief
from director.ledger import Ledger
from director.project import Project
from director.tools.providers.sim import SimProvider, fault_log
from director.ui.report import render_report
from director.ui.runner import make_context, run_project

PAN = Brief(title="Harbour", text="Pan left across a quiet harbour at dusk as a fisherman "
            "coils rope.", target_duration_s=4)
EXPECTED_CHECK = {"wrong_direction": {"camera"}, "no_motion": {"camera", "static"},
                  "frozen": {"frozen"}, "black": {"black"}, "cut": {"cut"},
                  "duration": {"duration"}}
NONE = "wrong_direction=0,no_motion=0,frozen=0,black=0,cut=0,duration=0"


def _run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faults: str, provider: str = "sim"):
    """Run the brief on the simulator; `provider` other than "sim" routes as that service
    (its models, prices and escalation ladder) while the simulator renders every take."""
    monkeypatch.setenv("DIRECTOR_SIM_LATENCY_SCALE", "0")
    monkeypatch.setenv("DIRECTOR_SIM_FAULTS", faults)
    project = Project(tmp_path / "p")
    ctx = make_context(project, Settings(max_attempts=4), auto_approve=True, provider=provider)
    sim = SimProvider(project.takes_dir / ".tasks")
    ctx.providers = lambda name: sim
    outcome = asyncio.run(run_project(project, ctx, brief=PAN))
    return project, outcome.state


def _detected(project: Project, state) -> None:
    """Every fault the simulator injected shows up as a failing finding of that take."""
    takes = {(t.shot_index, t.attempt): t for r in state.results.values() for t in r.takes}
    log = fault_log(project.takes_dir / ".tasks")
    assert log and any(entry["faults"] for entry in log)
    for entry in log:
        take = takes[(entry["shot"], entry["attempt"])]
        failing = {f.check for f in take.qc.findings if f.severity == "fail"}
        for fault in entry["faults"]:
            assert failing & EXPECTED_CHECK[fault], (fault, failing)
        if not entry["faults"]:
            assert take.qc.passed, failing


def test_wrong_direction_is_detected_and_fixed_by_the_camera_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, state = _run(tmp_path, monkeypatch, NONE.replace("wrong_direction=0",
                                                              "wrong_direction=1"))
    (result,) = state.results.values()
    assert result.status == "accepted"
    _detected(project, state)
    first = result.takes[0]
    assert first.qc.camera.move == "pan_right" and not first.qc.passed
    fix = result.revisions[-1]
    assert fix.outcome == "fixed" and fix.variable in ("camera", "model")
    assert result.revisions[0].variable == "camera" and result.revisions[0].qc_before == ["camera"]
    # The retake changed the camera words only: same seed, model and every other sentence.
    second = result.takes[1]
    assert second.request.seed == first.request.seed
    assert second.spec.subject == first.spec.subject
    assert second.spec.environment == first.spec.environment
    assert "scene sliding right" in second.spec.camera
    experiments = Ledger(project.ledger_path).experiments()
    assert [(e.variable, e.outcome) for e in experiments] == [
        (r.variable, r.outcome) for r in result.revisions]
    html = render_report(project, state)
    assert "scene sliding right" in html and "camera" in html and "fixed" in html


def test_a_freeze_that_survives_a_new_seed_escalates_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, state = _run(tmp_path, monkeypatch, NONE + ",kling-v2-6-std:frozen=1", "kling")
    (result,) = state.results.values()
    _detected(project, state)
    variables = [r.variable for r in result.revisions]
    assert variables[:2] == ["seed", "model"]
    assert result.takes[0].request.model == "kling-v2-6-std"
    assert result.revisions[0].outcome == "unchanged" and result.revisions[0].qc_after == ["frozen"]
    escalated = result.takes[2].request
    assert escalated.model == "kling-v2-6-pro" and escalated.seed == result.takes[1].request.seed
    assert result.status == "accepted" and result.revisions[1].outcome == "fixed"
    assert result.revisions[1].cost_usd > 0  # the stronger model is paid for, and recorded

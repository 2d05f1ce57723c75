"""The continuity pass before the cut: cuts within a scene and each character's look."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
from qc_clips import write

from director.agent.nodes.continuity import _notes
from director.agent.state import DirectorState, ShotResult
from director.config import Settings
from director.film import Brief
from director.project import Project
from director.ui.runner import make_context, run_project

BRIEF = Brief(
    title="Kitchen",
    text=(
        "Ana, a baker in her 40s with a grey bun and a blue linen apron, kneads dough at dawn; "
        "Ana shapes the loaf; Ana slides it into the oven."
    ),
    target_duration_s=15,
)


def _solid(path: Path, bgr: tuple[int, int, int]) -> Path:
    frame = np.zeros((180, 320, 3), np.uint8)
    frame[:] = bgr
    return write(path, [frame] * 24)


def _planned(tmp_path: Path) -> DirectorState:
    project = Project(tmp_path / "plan")
    ctx = make_context(project, Settings(), auto_approve=False)
    return asyncio.run(run_project(project, ctx, brief=BRIEF)).state


def test_a_cut_that_changes_the_subjects_colours_is_noted(tmp_path: Path) -> None:
    state = _planned(tmp_path)
    shots = state.plan.shots
    assert len(shots) >= 3 and len({s.shot.scene for s in shots[:2]}) == 1
    root = tmp_path / "clips"
    root.mkdir()
    colours = [(40, 40, 200), (200, 60, 30), (40, 40, 200)]
    results = {}
    for s, colour in zip(shots[:3], colours, strict=True):
        _solid(root / f"s{s.index}.mp4", colour)
        results[s.index] = ShotResult(
            index=s.index, status="accepted", video_path=f"s{s.index}.mp4"
        )
    notes = _notes(state.model_copy(update={"results": results}), root)
    cuts = [n for n in notes if n.finding.check.startswith("continuity") and len(n.shots) == 2]
    assert [shots[0].index, shots[1].index] in [n.shots for n in cuts]
    assert all(n.finding.severity == "warn" for n in notes)


def test_matching_cuts_and_failed_shots_give_no_notes(tmp_path: Path) -> None:
    state = _planned(tmp_path)
    shots = state.plan.shots
    root = tmp_path / "clips"
    root.mkdir()
    results = {}
    for s in shots:
        _solid(root / f"s{s.index}.mp4", (90, 120, 150))
        results[s.index] = ShotResult(
            index=s.index, status="accepted", video_path=f"s{s.index}.mp4"
        )
    results[shots[-1].index] = ShotResult(index=shots[-1].index, status="failed", reason="x")
    assert _notes(state.model_copy(update={"results": results}), root) == []


def test_a_finished_run_carries_its_continuity_notes(tmp_path: Path) -> None:
    project = Project(tmp_path / "run")
    ctx = make_context(project, Settings(), auto_approve=True)
    events: list[dict] = []
    ctx.on_event = events.append
    outcome = asyncio.run(run_project(project, ctx, brief=BRIEF))
    assert outcome.state.cut is not None
    assert any(e.get("event") == "continuity" for e in events)
    assert all(n.finding.severity == "warn" for n in outcome.state.continuity)


def test_the_report_shows_reference_stills_and_continuity_notes(tmp_path: Path) -> None:
    from director.agent.state import ContinuityNote
    from director.film import Finding
    from director.ui.report import render_report

    project = Project(tmp_path / "run")
    ctx = make_context(project, Settings(), auto_approve=True)
    state = asyncio.run(run_project(project, ctx, brief=BRIEF)).state
    note = ContinuityNote(
        shots=[0, 1],
        finding=Finding(
            check="continuity_light",
            severity="warn",
            message="key light flips from left to right across the cut",
            variable="lighting",
        ),
    )
    html = render_report(project, state.model_copy(update={"continuity": [note]}))
    assert 'alt="reference still of Ana"' in html
    assert "Continuity notes" in html and "key light flips" in html and "<td>1, 2</td>" in html

"""Continuous shots: rendered from the previous clip's last frame, after that clip is done."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from director.config import Settings
from director.film import Brief
from director.project import Project
from director.ui.runner import make_context, run_project

UNBROKEN = Brief(
    title="Corridor",
    text=(
        "One continuous take down a hospital corridor at night: a nurse pushes an empty "
        "wheelchair past the vending machines, stops at the window, then looks back at the "
        "camera."
    ),
    target_duration_s=15,
)
CUT = UNBROKEN.model_copy(update={"text": UNBROKEN.text.replace("One continuous take", "A scene")})


def _run(project: Project, brief: Brief):
    ctx = make_context(project, Settings(concurrency=4), auto_approve=True)
    return asyncio.run(run_project(project, ctx, brief=brief))


def test_continuous_shots_chain_last_frame_to_first_frame(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    outcome = _run(project, UNBROKEN)
    state = outcome.state
    assert outcome.status == "done" and state.cut is not None
    shots = state.plan.shots
    assert len(shots) >= 2
    chained = [s for s in shots if s.chain_from is not None]
    assert chained, "an unbroken scene must chain its clips"
    assert all(s.chain_from == s.index - 1 for s in chained)
    ledger = [json.loads(line) for line in project.ledger_path.read_text().splitlines()]
    order = [(e["kind"], e["shot"], e["attempt"]) for e in ledger]
    for s in chained:
        take = state.results[s.index].takes[0]
        frame = Path(take.request.first_frame)
        assert frame.is_file() and frame.name == f"chain{s.index:02d}_first.png"
        # The chained clip was paid for only after its predecessor's clip was inspected.
        before = max(i for i, o in enumerate(order) if o[0] == "take" and o[1] == s.chain_from)
        submitted = order.index(("submit", s.index, 1))
        assert submitted > before


def test_a_cut_scene_renders_every_shot_at_once(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    outcome = _run(project, CUT)
    assert outcome.state.cut is not None
    assert all(s.chain_from is None for s in outcome.state.plan.shots)
    assert all(not r.takes[0].request.first_frame for r in outcome.state.results.values())

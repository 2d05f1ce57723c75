"""The graph end to end in-process: gate, fan-out, inspection, one-variable retakes, budget."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from director.config import Settings
from director.errors import BudgetError
from director.film import Brief, GenerationRequest, TaskRef, TaskStatus
from director.ledger import Ledger
from director.project import Project
from director.tools.providers.animatic import AnimaticProvider
from director.ui.runner import make_context, run_project

ONE_LINER = Brief(
    title="Paper boat",
    text="a paper boat drifting down a flooded gutter after rain",
    target_duration_s=4,
)


def _run(project: Project, **kw) -> object:
    ctx = make_context(project, Settings(concurrency=2), auto_approve=kw.pop("yes", True))
    if "providers" in kw:
        ctx.providers = kw.pop("providers")
    return asyncio.run(run_project(project, ctx, **kw))


def test_gate_waits_for_approval_then_renders(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    first = _run(project, brief=ONE_LINER, yes=False)
    assert first.status == "awaiting_approval"
    assert first.question["shots"] and not list(project.takes_dir.glob("*.mp4"))
    plan = json.loads(project.plan_path.read_text())
    assert {"index", "duration_s", "characters", "model", "prompt"} <= set(plan["shots"][0])
    # A free storyboard is ready for the person to judge before anything is paid for.
    assert (project.root / plan["storyboard"]).is_file()
    for shot in plan["shots"]:
        first, last = (Image.open(project.root / p) for p in shot["storyboard"])
        assert first.width == 640
        moved = np.abs(np.asarray(first, float) - np.asarray(last, float)).mean()
        if shot["shot"]["camera"]["move"] == "static":
            assert moved < 1.0
        else:
            assert moved > 1.0

    rejected = _run(project, yes=False, decision="no, wrong mood")
    assert rejected.status == "rejected" and not list(project.takes_dir.glob("*.mp4"))
    assert rejected.state.rejected_reason == "no, wrong mood"

    approved_later = _run(project, yes=True)
    assert approved_later.status == "done" and approved_later.state.cut is not None
    assert len(list(project.takes_dir.glob("*.mp4"))) == len(approved_later.state.plan.shots)


def test_approved_run_cuts_every_shot(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    outcome = _run(project, brief=ONE_LINER)
    state = outcome.state
    assert outcome.status == "done"
    assert all(r.status == "accepted" for r in state.results.values())
    assert state.cut is not None
    planned = sum(s.duration_s for s in state.plan.shots)
    assert abs(state.cut.duration_s - planned) <= 0.1 * len(state.plan.shots)
    assert project.report_path.exists() and project.final_path.exists()


class WrongDurationOnce(AnimaticProvider):
    """Renders the first take of shot 0 one second short: a provider missing its parameters."""

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        if request.shot_index == 0 and request.attempt == 1:
            request = request.model_copy(update={"duration_s": request.duration_s - 1})
        return await super().submit(request, idempotency_key)


def test_failed_take_is_retaken_changing_one_variable(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    provider = WrongDurationOnce(tmp_path / "tasks")
    brief = ONE_LINER.model_copy(update={"target_duration_s": 6})
    state = _run(project, brief=brief, providers=lambda name: provider).state
    shot0 = state.results[0]
    assert shot0.status == "accepted" and len(shot0.takes) == 2
    assert shot0.takes[0].qc is not None and not shot0.takes[0].qc.passed
    assert [f.check for f in shot0.takes[0].qc.findings] == ["duration"]
    (revision,) = shot0.revisions
    assert revision.variable == "seed" and revision.outcome == "fixed"
    first, second = (t.request for t in shot0.takes)
    assert first.model_dump(exclude={"seed", "attempt"}) == second.model_dump(
        exclude={"seed", "attempt"}
    )
    kinds = [(e.kind, e.shot, e.attempt) for e in Ledger(project.ledger_path).entries()]
    assert ("revision", 0, 2) in kinds and ("submit", 0, 2) in kinds


class AlwaysFails(AnimaticProvider):
    async def poll(self, ref: TaskRef) -> TaskStatus:
        return TaskStatus(state="failed", error="content risk control")


def test_shot_that_keeps_failing_is_reported_not_retried_forever(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    provider = AlwaysFails(tmp_path / "tasks")
    state = _run(project, brief=ONE_LINER, providers=lambda name: provider).state
    for result in state.results.values():
        assert result.status == "failed"
        assert 1 <= len(result.takes) <= 3
        assert "content risk control" in result.reason or "no further revision" in result.reason
    assert state.cut is None


def test_budget_cap_stops_before_any_spend(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    brief = ONE_LINER.model_copy(update={"budget_usd": 0.01})
    ctx = make_context(project, Settings(), auto_approve=True, provider="kling")
    with pytest.raises(BudgetError):
        asyncio.run(run_project(project, ctx, brief=brief))
    assert Ledger(project.ledger_path).spent_usd() == 0

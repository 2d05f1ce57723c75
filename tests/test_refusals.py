"""Content refusals reach the reviser as findings; a flaky download of a paid clip is retried."""

from __future__ import annotations

import asyncio
from pathlib import Path

from director.config import Settings
from director.errors import ProviderError
from director.film import Brief, GenerationRequest, TaskRef, TaskStatus
from director.ledger import Ledger
from director.project import Project
from director.tools.providers.animatic import AnimaticProvider
from director.ui.runner import make_context, run_project

BRIEF = Brief(title="Cup", text="a cup of tea steaming on a windowsill", target_duration_s=5)


def _run(tmp_path: Path, provider: AnimaticProvider):
    project = Project(tmp_path / "p")
    ctx = make_context(project, Settings(poll_interval_s=0.01), auto_approve=True)
    ctx.providers = lambda name: provider
    return project, asyncio.run(run_project(project, ctx, brief=BRIEF))


class RefusesAtSubmit(AnimaticProvider):
    calls = 0

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        type(self).calls += 1
        raise ProviderError("risk control: the prompt was refused", policy=True)


def test_a_refusal_at_submit_is_a_finding_and_nothing_is_paid_to_be_refused_again(
    tmp_path: Path,
) -> None:
    project, outcome = _run(tmp_path, RefusesAtSubmit(tmp_path / "tasks"))
    result = outcome.state.results[0]
    assert result.status == "failed"
    take = result.takes[0]
    assert take.policy and take.qc is not None
    assert [f.check for f in take.qc.findings] == ["policy"]
    # The offline brain cannot know which words a filter objects to: it stops, says why.
    assert "refused the content" in result.reason and "risk control" in result.reason
    assert RefusesAtSubmit.calls == 1
    assert Ledger(project.ledger_path).spent_usd() == 0.0


class RefusesAtPoll(AnimaticProvider):
    async def poll(self, ref: TaskRef) -> TaskStatus:
        return TaskStatus(state="failed", error="content moderation failed", policy=True)


def test_a_refusal_while_rendering_is_marked_as_policy(tmp_path: Path) -> None:
    _, outcome = _run(tmp_path, RefusesAtPoll(tmp_path / "tasks"))
    take = outcome.state.results[0].takes[0]
    assert take.policy and "content moderation failed" in take.error
    assert take.qc.findings[0].check == "policy"


class FlakyDownload(AnimaticProvider):
    downloads = 0

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        type(self).downloads += 1
        if type(self).downloads <= 2:
            raise ProviderError("connection dropped mid-body", retryable=True)
        return await super().download(ref, status, dest)


def test_a_paid_clip_whose_download_drops_is_fetched_again_not_rendered_again(
    tmp_path: Path,
) -> None:
    project, outcome = _run(tmp_path, FlakyDownload(tmp_path / "tasks"))
    result = outcome.state.results[0]
    assert result.status == "accepted" and len(result.takes) == 1
    assert FlakyDownload.downloads == 3
    submits = [e for e in Ledger(project.ledger_path).entries() if e.kind == "submit"]
    assert len(submits) == 1

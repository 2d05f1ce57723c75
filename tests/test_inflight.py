"""Per-provider task slots and budget reservations for parallel submissions."""

from __future__ import annotations

import asyncio
from pathlib import Path

from director.agent.inflight import InFlight
from director.config import Settings
from director.film import Brief, GenerationRequest, TaskRef, TaskStatus
from director.ledger import Ledger
from director.project import Project
from director.tools.providers.animatic import AnimaticProvider
from director.ui.runner import make_context, run_project


def test_slots_cap_running_tasks_and_let_a_holder_back_in() -> None:
    async def scenario() -> list[str]:
        slots = InFlight()
        order: list[str] = []
        await slots.acquire("kling", "a", 2)
        await slots.acquire("kling", "b", 2)

        async def third() -> None:
            await slots.acquire("kling", "c", 2)
            order.append("c")

        waiter = asyncio.create_task(third())
        await asyncio.sleep(0.05)
        assert slots.running("kling") == 2 and order == []
        # Another account is not held up by this one.
        await asyncio.wait_for(slots.acquire("fal", "x", 1), 1)
        # A replayed submit of a key that holds a slot passes at once.
        await asyncio.wait_for(slots.acquire("kling", "a", 2), 1)
        order.append("released a")
        await slots.release("kling", "a")
        await asyncio.wait_for(waiter, 1)
        return order

    assert asyncio.run(scenario()) == ["released a", "c"]


class CountingProvider(AnimaticProvider):
    """An animatic that reports one task at a time and counts how many ran at once."""

    max_concurrency = 1

    def __init__(self, work_dir: Path) -> None:
        super().__init__(work_dir)
        self.running = 0
        self.peak = 0

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        self.running += 1
        self.peak = max(self.peak, self.running)
        return await super().submit(request, idempotency_key)

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        await asyncio.sleep(0.05)
        try:
            return await super().download(ref, status, dest)
        finally:
            self.running -= 1


def test_a_run_never_exceeds_the_providers_concurrency(tmp_path: Path) -> None:
    project = Project(tmp_path / "p")
    provider = CountingProvider(tmp_path / "tasks")
    ctx = make_context(project, Settings(concurrency=4), auto_approve=True)
    ctx.providers = lambda name: provider
    brief = Brief(title="Three", text="a kettle, a cup, a window at dawn", target_duration_s=15)
    outcome = asyncio.run(run_project(project, ctx, brief=brief))
    assert outcome.status == "done" and len(outcome.state.plan.shots) >= 2
    assert provider.peak == 1
    submits = [e for e in Ledger(project.ledger_path).entries() if e.kind == "submit"]
    assert len(submits) >= len(outcome.state.plan.shots)


class SlowSubmit(AnimaticProvider):
    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        await asyncio.sleep(0.2)
        return await super().submit(request, idempotency_key)


def test_parallel_submissions_cannot_both_pass_the_cap(tmp_path: Path) -> None:
    from director.agent.nodes.submit import _submit_once

    project = Project(tmp_path / "p")
    project.ensure()
    provider = SlowSubmit(tmp_path / "tasks")
    ctx = make_context(project, Settings(), auto_approve=True)

    def request(shot: int) -> GenerationRequest:
        return GenerationRequest(
            shot_index=shot,
            model="animatic",
            provider="animatic",
            prompt="a cup",
            duration_s=2,
            width=64,
            height=36,
        )

    async def both() -> list[dict]:
        return await asyncio.gather(
            *(
                _submit_once(ctx, request(i), provider, f"k{i}", cost=1.0, cap=1.5, members=[])
                for i in range(2)
            )
        )

    outcomes = asyncio.run(both())
    # Both calls overlap inside the slow service call; only one may be paid for.
    assert sorted("task" in o for o in outcomes) == [False, True]
    refused = next(o for o in outcomes if "failure" in o)
    assert "budget" in refused["failure"] and "$1.50 cap" in refused["failure"]
    assert Ledger(project.ledger_path).spent_usd() == 1.0
    assert not ctx.reserved_usd


def test_a_request_the_model_would_ignore_is_refused_before_any_spend(tmp_path: Path) -> None:
    from langgraph.runtime import Runtime

    from director.agent.nodes.submit import submit
    from director.agent.state import ShotState

    project = Project(tmp_path / "p")
    project.ensure()
    calls: list[str] = []

    class Recording(AnimaticProvider):
        async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
            calls.append(idempotency_key)
            return await super().submit(request, idempotency_key)

    ctx = make_context(project, Settings(), auto_approve=True)
    ctx.providers = lambda name: Recording(tmp_path / "tasks")
    brief = Brief(title="One", text="a cup on a table", target_duration_s=5)
    plan = asyncio.run(run_project(Project(tmp_path / "q"), _planning(tmp_path), brief=brief))
    planned = plan.state.plan.shots[0]
    # 7 s on a 5/10 s model must not reach the service (which would bill a 10 s clip).
    request = GenerationRequest(
        shot_index=0,
        model="kling-v2-6-std",
        provider="kling",
        prompt=planned.prompt,
        duration_s=7,
        width=1280,
        height=720,
    )
    state = ShotState(
        planned=planned, aspect_ratio="16:9", resolution="720p", audio=False, request=request
    )
    out = asyncio.run(submit(state, Runtime(context=ctx)))
    assert out["failure"].startswith("not submitted: kling-v2-6-std cannot take duration_s")
    assert calls == [] and Ledger(project.ledger_path).spent_usd() == 0.0
    assert ctx.inflight.running("kling") == 0


def _planning(tmp_path: Path):
    return make_context(Project(tmp_path / "q"), Settings(), auto_approve=False)


def test_runs_in_one_process_share_an_accounts_slots() -> None:
    """Two run contexts (two projects on one chat page or server worker) submit to one
    account: its limit holds across both. Another event loop has slots of its own."""
    from director.agent.inflight import SharedInFlight

    async def scenario() -> tuple[int, bool]:
        first, second = SharedInFlight(), SharedInFlight()
        await first.acquire("kling", "p1-s00-a1", 2)
        await second.acquire("kling", "p2-s00-a1", 2)
        blocked = asyncio.create_task(second.acquire("kling", "p2-s01-a1", 2))
        await asyncio.sleep(0.05)
        waiting = not blocked.done()
        await first.release("kling", "p1-s00-a1")
        await asyncio.wait_for(blocked, 1)
        return second.running("kling"), waiting

    assert asyncio.run(scenario()) == (2, True)

    async def fresh_loop() -> int:
        return SharedInFlight().running("kling")

    assert asyncio.run(fresh_loop()) == 0

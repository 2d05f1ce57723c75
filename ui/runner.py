"""Run or resume a project through the graph: the one entry point every front door shares."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from langgraph.types import Command

from director.agent.brains.llm import choose_brain, make_llm_brain
from director.agent.brains.rules import RulesBrain
from director.agent.checkpoint import open_run
from director.agent.context import RunContext, provider_cache
from director.agent.graph import build_graph
from director.agent.state import DirectorState
from director.config import Settings
from director.errors import UsageError
from director.film import Brief
from director.ledger import Ledger
from director.project import Project
from director.tools.pools import finishing_pool, run_in
from director.tools.providers import available, make_provider
from director.ui.report import write_report

Status = Literal["done", "awaiting_approval", "rejected"]


@dataclass
class Outcome:
    """Where a run stopped."""

    status: Status
    state: DirectorState
    question: dict[str, Any] = field(default_factory=dict)


def check_options(tier: str, provider: str, flag: str = "") -> None:
    """A tier or provider that does not exist is one UsageError (exit 2) before any work;
    `flag` prefixes the option names as the door spells them ("--" on the command line)."""
    if tier and tier not in ("draft", "final"):
        raise UsageError(f"{flag}tier must be draft or final, not {tier!r}")
    if provider and provider not in available():
        raise UsageError(
            f"{flag}provider {provider!r} is not a backend (available: {', '.join(available())})"
        )


def make_context(
    project: Project,
    settings: Settings,
    *,
    auto_approve: bool,
    provider: str = "",
    tier: str = "",
    on_event: Callable[[dict[str, Any]], None] | None = None,
    brain: str = "",
) -> RunContext:
    """`brain` is "llm", "rules" or "" (llm when OPENAI_API_KEY or OPENAI_BASE_URL is set)."""
    check_options(tier, provider)
    tasks_dir = project.takes_dir / ".tasks"
    ctx = RunContext(
        project=project,
        brain=RulesBrain(),
        providers=provider_cache(lambda name: make_provider(name, tasks_dir)),
        settings=settings,
        auto_approve=auto_approve,
        provider_override=provider,
        tier_override=tier,
        on_event=on_event,
    )
    from director.tools.qc.judge import make_judge

    # None unless DIRECTOR_VISION_MODEL is set; the client and its key stay in the context.
    ctx.judge = make_judge()
    if choose_brain(brain) == "llm":
        # The client (and its key) lives in the run context only, never in graph state.
        ctx.brain = make_llm_brain(
            ledger=Ledger(project.ledger_path),
            on_event=lambda event: ctx.on_event(event) if ctx.on_event else None,
        )
    return ctx


def _rejected(values: dict[str, Any]) -> bool:
    return bool(values.get("plan")) and not values.get("approved")


async def run_project(
    project: Project,
    ctx: RunContext,
    *,
    brief: Brief | None = None,
    brief_file: Path | None = None,
    decision: Any = None,
    scratch: bool = False,
) -> Outcome:
    """Start a run (brief given) or continue one (brief None) and stop at the gate or the end.

    `decision` answers a pending approval question. Durability is "sync" so every finished
    step, above all a submitted paid task, is on disk before the next one starts.
    A `scratch` project (a temporary folder) leaves no thread behind in a shared database.
    """
    project.ensure()
    with project.run_lock():
        return await _run_locked(project, ctx, brief, brief_file, decision, scratch)


async def _run_locked(
    project: Project,
    ctx: RunContext,
    brief: Brief | None,
    brief_file: Path | None,
    decision: Any,
    scratch: bool,
) -> Outcome:
    # Leftovers of writers killed mid-write by an earlier crash: never read, only clutter.
    project.sweep_temp()
    if brief_file is not None:
        shutil.copyfile(brief_file, project.root / f"brief{brief_file.suffix.lower()}")
    async with open_run(project, create=True) as opened:
        assert opened is not None
        saver, where = opened
        config = where.config(max_concurrency=ctx.settings.concurrency)
        graph = build_graph(saver)
        snapshot = await graph.aget_state(config)
        if brief is not None and not snapshot.values:
            payload: Any = {"brief": brief}
        elif snapshot.interrupts:
            if decision is None and not ctx.auto_approve:
                return Outcome(
                    "awaiting_approval",
                    DirectorState.model_validate(snapshot.values),
                    dict(snapshot.interrupts[0].value),
                )
            payload = Command(resume=True if ctx.auto_approve else decision)
        elif ctx.auto_approve and not snapshot.next and _rejected(snapshot.values):
            # Approving a plan that was turned down earlier: record the approval as the gate's
            # answer so the graph fans out from the gate as if it had been given there.
            await graph.aupdate_state(
                config, {"approved": True, "rejected_reason": ""}, as_node="gate"
            )
            snapshot = await graph.aget_state(config)
            payload = None
        else:
            payload = None
        # `tasks` without `next`: a step's writes were saved but the checkpoint after it was
        # not (a crash or a full disk right then); continuing runs what is left.
        if payload is not None or snapshot.next or snapshot.tasks:
            async for _ in graph.astream(
                payload,
                config,
                context=ctx,
                stream_mode="custom",
                subgraphs=True,
                durability="sync",
            ):
                pass
        snapshot = await graph.aget_state(config)
        if scratch:
            await saver.adelete_thread(where.thread)
    state = DirectorState.model_validate(snapshot.values)
    if snapshot.interrupts:
        return Outcome("awaiting_approval", state, dict(snapshot.interrupts[0].value))
    if state.plan is not None and not state.approved:
        return Outcome("rejected", state)
    if state.plan is not None:
        # Thumbnails and fsync: off the event loop, which other projects' runs may share.
        await run_in(finishing_pool(), write_report, project, state)
    return Outcome("done", state)

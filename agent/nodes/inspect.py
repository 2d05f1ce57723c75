"""inspect: pixels in, QCReport out; then score the experiment that produced this take.

A retake is scored against the take its experiment started from (the best take so far, see
revise), not merely the take before it: fixed, improved, unchanged or worse.
"""

from __future__ import annotations

import asyncio

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.nodes.revise import fail_count, failing_checks
from director.agent.state import ShotState
from director.film import Finding, PromptSpec, QCReport, Revision, Take
from director.ledger import LedgerEntry
from director.tools.pools import run_in
from director.tools.qc.inspector import inspect_take, qc_pool


async def take_qc(ctx: RunContext, take: Take, spec: PromptSpec) -> QCReport:
    """Inspect the take's clip against its own request; a take without a clip fails with the
    provider's reason."""
    if take.video_path:
        return await run_in(qc_pool(), inspect_take, ctx.project.root / take.video_path,
                            take.request, judge=ctx.judge, spec=spec)
    # A content refusal asks for different words; any other failure for another roll.
    check, variable = ("policy", "subject") if take.policy else ("provider", "seed")
    return QCReport(
        decodable=False,
        findings=[Finding(check=check, message=take.error, variable=variable)],
    )


def record_take(ctx: RunContext, take: Take, qc: QCReport, **extra: object) -> None:
    """The inspected take in the ledger (no cost: only submissions carry money)."""
    ctx.ledger.append(
        LedgerEntry(
            kind="take",
            shot=take.shot_index,
            attempt=take.attempt,
            data={
                "model": take.request.model,
                "seed": take.request.seed,
                "video": take.video_path,
                "error": take.error,
                "passed": qc.passed,
                "findings": [f.model_dump() for f in qc.findings],
                **extra,
            },
        )
    )


async def inspect(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    take = state.take
    assert take is not None
    spec = state.spec or state.planned.spec
    qc = await take_qc(ctx, take, spec)
    take = take.model_copy(update={"qc": qc, "spec": spec})
    scored = _score_last_revision(state, take)
    revisions = [*state.revisions[:-1], scored] if scored else state.revisions
    # Ledger lines are fsynced: off the event loop, so other shots' polls are not held up.
    await asyncio.to_thread(record_take, ctx, take, qc)
    if scored is not None:
        # Same key as the pending entry: readers keep this scored one.
        await asyncio.to_thread(ctx.ledger.append, LedgerEntry(
            kind="revision", shot=scored.shot_index, attempt=scored.attempt,
            data=scored.model_dump()))
    emit(
        runtime,
        {
            "event": "inspected",
            "shot": take.shot_index,
            "attempt": take.attempt,
            "passed": qc.passed,
            "failing": failing_checks(qc),
        },
    )
    return {"takes": [*state.takes, take], "take": None, "revisions": revisions}


def _score_last_revision(state: ShotState, take: Take) -> Revision | None:
    """The experiment this take tested, with its outcome filled in (None for a first take)."""
    if not state.revisions or state.revisions[-1].outcome != "pending":
        return None
    last = state.revisions[-1]
    if last.attempt != take.attempt:
        return None
    base = next((t for t in state.takes if t.attempt == last.base_attempt), None)
    if base is None and state.takes:
        base = state.takes[-1]
    before = fail_count(base.qc if base else None)
    after = fail_count(take.qc)
    if take.qc is not None and take.qc.passed:
        outcome = "fixed"
    elif after < before:
        outcome = "improved"
    elif after == before:
        outcome = "unchanged"
    else:
        outcome = "worse"
    return last.model_copy(update={
        "outcome": outcome,
        "qc_after": failing_checks(take.qc),
        "cost_usd": take.cost_usd,
        "base_attempt": base.attempt if base else last.base_attempt,
        "qc_before": last.qc_before or failing_checks(base.qc if base else None),
    })

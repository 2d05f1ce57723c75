"""inspect: pixels in, QCReport out; then score the experiment that produced this take."""

from __future__ import annotations

import asyncio

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.state import ShotState
from director.film import Finding, QCReport, Revision
from director.ledger import LedgerEntry
from director.tools.qc.probe import probe


async def inspect(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    take = state.take
    assert take is not None
    if take.video_path:
        qc = await asyncio.to_thread(probe, ctx.project.root / take.video_path, take.request)
    else:
        qc = QCReport(
            decodable=False,
            findings=[Finding(check="provider", message=take.error, variable="seed")],
        )
    take = take.model_copy(update={"qc": qc})
    revisions = _score_last_revision(state, qc)
    ctx.ledger.append(
        LedgerEntry(
            kind="take",
            shot=take.shot_index,
            attempt=take.attempt,
            data={
                "model": take.request.model,
                "video": take.video_path,
                "error": take.error,
                "passed": qc.passed,
                "findings": [f.model_dump() for f in qc.findings],
            },
        )
    )
    emit(
        runtime,
        {
            "event": "inspected",
            "shot": take.shot_index,
            "attempt": take.attempt,
            "passed": qc.passed,
        },
    )
    return {"takes": [*state.takes, take], "take": None, "revisions": revisions}


def fail_count(qc: QCReport | None) -> int:
    if qc is None:
        return 1_000
    return sum(1 for f in qc.findings if f.severity == "fail") + (0 if qc.decodable else 100)


def _score_last_revision(state: ShotState, qc: QCReport) -> list[Revision]:
    """Fill in the outcome of the experiment this take tested (if it was a retake)."""
    if not state.revisions or state.revisions[-1].outcome != "pending":
        return state.revisions
    before = fail_count(state.takes[-1].qc) if state.takes else fail_count(None)
    after = fail_count(qc)
    if qc.passed:
        outcome = "fixed"
    elif after < before:
        outcome = "improved"
    elif after == before:
        outcome = "unchanged"
    else:
        outcome = "worse"
    return [*state.revisions[:-1], state.revisions[-1].model_copy(update={"outcome": outcome})]

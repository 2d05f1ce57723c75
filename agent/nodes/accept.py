"""accept and give_up: hand the shot's result back to the run.

A shot no take passed is reported failed with its reason, never quietly cut in with its best
failing take; every take stays on disk and in the ledger for a person to judge.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.nodes.revise import best_take
from director.agent.state import ShotResult, ShotState
from director.ledger import LedgerEntry


def accept(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    best = state.takes[-1]
    takes = [*state.takes[:-1], best.model_copy(update={"accepted": True})]
    index = state.planned.index
    emit(runtime, {"event": "accepted", "shot": index, "attempt": best.attempt})
    result = ShotResult(
        index=index,
        status="accepted",
        takes=takes,
        revisions=state.revisions,
        video_path=best.video_path,
    )
    return {"results": {index: result}}


def give_up(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    index = state.planned.index
    reason = state.failure or _last_problem(state)
    runtime.context.ledger.append(
        LedgerEntry(kind="failed", shot=index, attempt=len(state.takes),
                    data={"reason": reason, "takes": [t.video_path for t in state.takes]})
    )
    emit(runtime, {"event": "failed", "shot": index, "reason": reason})
    result = ShotResult(
        index=index, status="failed", takes=state.takes, revisions=state.revisions, reason=reason
    )
    return {"results": {index: result}}


def _last_problem(state: ShotState) -> str:
    if not state.takes:
        return "no take was rendered"
    best = best_take(state.takes)
    detail = (best.qc.failures() if best.qc else "") or best.error or "failed inspection"
    return (f"{len(state.takes)} take(s) failed (attempt cap {state.max_attempts}); "
            f"best was take {best.attempt}: {detail}")

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
from director.film import Revision, Take
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
    if state.members and not state.takes:
        # A multi-shot group that could not be submitted or rendered: every shot in it fails
        # with the group's reason (a later run sends the group again).
        reason = state.failure or "the multi-shot request ended without a clip"
        return {"results": {m.index: failed_result(runtime, m.index, [], [], reason)
                            for m in state.members}}
    index = state.planned.index
    reason = state.failure or _last_problem(state)
    return {"results": {index: failed_result(runtime, index, state.takes, state.revisions,
                                             reason)}}


def failed_result(runtime: Runtime[RunContext], index: int, takes: list[Take],
                  revisions: list[Revision], reason: str) -> ShotResult:
    """A failed shot's result, recorded in the ledger with every take kept on disk."""
    runtime.context.ledger.append(
        LedgerEntry(kind="failed", shot=index, attempt=len(takes),
                    data={"reason": reason, "takes": [t.video_path for t in takes]})
    )
    emit(runtime, {"event": "failed", "shot": index, "reason": reason})
    return ShotResult(index=index, status="failed", takes=takes, revisions=revisions,
                      reason=reason)


def _last_problem(state: ShotState) -> str:
    if not state.takes:
        return "no take was rendered"
    best = best_take(state.takes)
    detail = (best.qc.failures() if best.qc else "") or best.error or "failed inspection"
    return (f"{len(state.takes)} take(s) failed (attempt cap {state.max_attempts}); "
            f"best was take {best.attempt}: {detail}")

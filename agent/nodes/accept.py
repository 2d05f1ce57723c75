"""accept and give_up: hand the shot's result back to the run."""

from __future__ import annotations

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.state import ShotResult, ShotState


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
    emit(runtime, {"event": "failed", "shot": index, "reason": reason})
    result = ShotResult(
        index=index, status="failed", takes=state.takes, revisions=state.revisions, reason=reason
    )
    return {"results": {index: result}}


def _last_problem(state: ShotState) -> str:
    if not state.takes:
        return "no take was rendered"
    last = state.takes[-1]
    detail = (last.qc.failures() if last.qc else "") or last.error or "failed inspection"
    return f"{len(state.takes)} take(s) failed: {detail}"

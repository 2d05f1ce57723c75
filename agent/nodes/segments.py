"""segments: cut a multi-shot group's clip into one take per shot and inspect each segment as
the shot it stands for.

Each segment is judged against its own shot's request (camera move, length, size) and prompt.
A shot whose segment passes is accepted. A shot whose segment fails is handed back to the run
and retaken on its own: its loop starts from the segment take (attempt 1) with a single-shot
request built from its plan entry, so the one-variable check compares like with like. The
group itself is never submitted again for one failing segment.
"""

from __future__ import annotations

import asyncio

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.accept import failed_result
from director.agent.nodes.common import emit
from director.agent.nodes.inspect import record_take, take_qc
from director.agent.nodes.revise import failing_checks
from director.agent.requests import first_request, segment_bounds
from director.agent.state import ShotResult, ShotState
from director.errors import DirectorError
from director.film import Take
from director.plan import PlannedShot
from director.tools import edit


async def segments(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    group = state.take
    assert group is not None and state.members
    lead = state.planned.index
    shares = cost_shares(group.cost_usd, [m.duration_s for m in state.members])
    results: dict[int, ShotResult] = {}
    handoff: dict[int, Take] = {}
    bounds = segment_bounds(state.members)
    for member, (start, end), cost in zip(state.members, bounds, shares, strict=True):
        take = await _segment_take(ctx, state, member, group, start, end, cost)
        qc = await take_qc(ctx, take, member.spec)
        take = take.model_copy(update={"qc": qc, "spec": member.spec})
        # The take's request is the shot's own; what the model was sent for it is recorded here.
        # Ledger lines are fsynced: off the event loop, as inspect does.
        await asyncio.to_thread(record_take, ctx, take, qc, group=lead, segment=[start, end],
                                segment_prompt=member.segment_prompt,
                                group_video=group.video_path)
        index = member.index
        emit(runtime, {"event": "inspected", "shot": index, "attempt": take.attempt,
                       "passed": qc.passed, "failing": failing_checks(qc), "group": lead})
        if qc.passed:
            emit(runtime, {"event": "accepted", "shot": index, "attempt": take.attempt})
            results[index] = ShotResult(
                index=index, status="accepted", takes=[take.model_copy(update={"accepted": True})],
                video_path=take.video_path,
            )
        elif state.max_attempts <= 1:
            detail = qc.failures() or take.error or "failed inspection"
            reason = (f"its segment of the multi-shot take failed (attempt cap "
                      f"{state.max_attempts}): {detail}")
            results[index] = failed_result(runtime, index, [take], [], reason)
        else:
            handoff[index] = take
    return {"results": results, "handoff": handoff, "take": None}


def cost_shares(total: float, durations: list[float]) -> list[float]:
    """Each segment's share of the group's price, by length (shown per take; the ledger holds
    the one real charge). The shares add up to the total exactly."""
    length = sum(durations)
    shares = [round(total * d / length, 4) for d in durations[:-1]]
    return [*shares, round(total - sum(shares), 4)]


async def _segment_take(ctx: RunContext, state: ShotState, member: PlannedShot, group: Take,
                        start: float, end: float, cost: float) -> Take:
    """The member's take: its own single-shot request (what it is inspected against and what
    a retake of it starts from) and its cut of the group's clip."""
    request = first_request(member, aspect_ratio=state.aspect_ratio,
                            resolution=state.resolution, audio=state.audio)
    take = Take(
        shot_index=member.index,
        attempt=group.attempt,
        request=request,
        task=group.task,
        cost_usd=cost,
        submitted_at=group.submitted_at,
        finished_at=group.finished_at,
        error=group.error,
        policy=group.policy,
    )
    if not group.video_path:
        return take
    root = ctx.project.root
    dest = ctx.project.take_path(member.index, group.attempt)
    try:
        await asyncio.to_thread(edit.cut, root / group.video_path, dest, start, end)
    except DirectorError as exc:
        return take.model_copy(update={
            "error": f"segment {start:g}-{end:g} s of the multi-shot clip: {exc}"})
    return take.model_copy(update={"video_path": str(dest.relative_to(root))})

"""route: pick a model per shot from the catalog by tier, capability and budget; price the plan;
group consecutive shots of one scene into one multi-shot request where the model allows.

The estimate stays per shot: multi-shot models bill per second, so a group costs the sum of its
shots."""

from __future__ import annotations

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.grouping import group_shots
from director.agent.nodes.common import (
    budget_cap,
    effective_provider,
    effective_tier,
    emit,
    save_plan,
)
from director.agent.state import DirectorState
from director.errors import BudgetError
from director.plan import PlannedShot
from director.prompts import compose
from director.tools import catalog


def route(state: DirectorState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    assert state.plan is not None
    brief = state.brief
    tier, provider = effective_tier(ctx, brief), effective_provider(ctx)
    cap = budget_cap(ctx, brief)
    left = cap
    shots = []
    for planned in state.plan.shots:
        spec = catalog.choose(
            tier,
            provider,
            aspect_ratio=brief.aspect_ratio,
            audio=brief.audio,
            duration_s=planned.duration_s,
            budget_left_usd=left,
            resolution=brief.resolution,
        )
        price = catalog.price(
            spec, planned.duration_s, brief.audio and spec.audio, brief.resolution
        )
        if left is not None:
            left -= price
        update = {
            "model": spec.id,
            "provider": provider,
            "estimate_usd": round(price, 4),
            "chain_from": _chain_from(planned, shots, spec.first_frame),
        }
        if spec.id != planned.model:
            update["prompt"] = compose.render(planned.spec, spec.family)
        shots.append(planned.model_copy(update=update))
    settings = ctx.settings
    # A keyframe per shot is a first frame per shot, which one multi-shot request cannot take.
    shots = group_shots(shots, state.plan.bible,
                        enabled=settings.multi_shot and not settings.keyframes)
    estimate = round(sum(s.estimate_usd for s in shots), 4)
    if cap is not None and estimate > cap + 1e-9:
        raise BudgetError(
            f"estimated ${estimate:.2f} for one take of each shot exceeds the ${cap:.2f} cap"
        )
    plan = state.plan.model_copy(update={"shots": shots, "estimate_usd": estimate})
    save_plan(ctx, plan)
    groups = [s.group for s in shots if s.group]
    emit(runtime, {"event": "routed", "estimate_usd": estimate, "groups": groups})
    return {"plan": plan, "budget_usd": cap, "max_attempts": ctx.settings.max_attempts}


def _chain_from(planned: PlannedShot, routed: list[PlannedShot], first_frame: bool) -> int | None:
    """A continuous shot starts on the previous clip's last frame when its model takes a first
    frame; otherwise it is rendered on its own and bridged by its stated start position."""
    if not planned.shot.continuous or not routed or not first_frame:
        return None
    prev = routed[-1]
    return prev.index if prev.shot.scene == planned.shot.scene else None

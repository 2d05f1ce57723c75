"""plan: the brain turns the brief into a bible and a shot list."""

from __future__ import annotations

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import effective_provider, effective_tier, emit
from director.agent.state import DirectorState
from director.tools import catalog


def plan(state: DirectorState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    # A sync node runs on a worker thread: the folder is made here, not on the event loop
    # (the server builds its context there); every other door has made it already.
    ctx.project.ensure()
    # Plan against the model the tier would use, so every duration is one it accepts.
    model = catalog.default_model(
        effective_tier(ctx, state.brief),
        effective_provider(ctx),
        aspect_ratio=state.brief.aspect_ratio,
        audio=state.brief.audio,
    )
    shotlist = ctx.brain.plan(state.brief, model.durations)
    emit(runtime, {"event": "planned", "shots": len(shotlist.shots)})
    return {"shotlist": shotlist}

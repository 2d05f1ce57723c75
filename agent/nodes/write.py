"""write: one four-part prompt per shot, lint-fixed, rendered for the model family."""

from __future__ import annotations

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import effective_provider, effective_tier, emit
from director.agent.requests import first_seed
from director.agent.state import DirectorState
from director.plan import Plan, PlannedShot
from director.prompts import compose, lint
from director.tools import catalog


def write(state: DirectorState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    assert state.shotlist is not None
    bible = state.shotlist.bible
    model = catalog.default_model(
        effective_tier(ctx, state.brief),
        effective_provider(ctx),
        aspect_ratio=state.brief.aspect_ratio,
        audio=state.brief.audio,
    )
    shots: list[PlannedShot] = []
    for shot in state.shotlist.shots:
        # Whatever the brain wrote, code enforces the craft before anything is paid for.
        spec, remaining = lint.fix(ctx.brain.write(shot, bible), shot, bible, model.family)
        shots.append(
            PlannedShot(
                index=shot.index,
                duration_s=shot.duration_s,
                characters=list(shot.characters),
                model=model.id,
                provider=effective_provider(ctx),
                prompt=compose.render(spec, model.family),
                negative_prompt=spec.negative_prompt,
                seed=first_seed(state.brief.title, shot.index),
                lint=[f.message for f in remaining],
                shot=shot,
                spec=spec,
            )
        )
    emit(runtime, {"event": "written", "shots": len(shots)})
    return {
        "plan": Plan(
            title=state.brief.title,
            brief=state.brief,
            characters=bible.characters,
            locations=bible.locations,
            look=bible.look,
            shots=shots,
        )
    }

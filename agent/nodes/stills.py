"""stills: a free storyboard of every shot (first and last frame) for the approval gate, and
the reference stills: one per character (and a keyframe per shot when asked).

People asked for stills before money is spent on clips; the animatic's frames show framing,
where the move starts and ends, and the light, at no cost.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit, save_plan
from director.agent.references import make_references
from director.agent.requests import first_request
from director.agent.state import DirectorState
from director.film import GenerationRequest
from director.plan import PlannedShot
from director.tools.providers.animatic import render_frames
from director.tools.stills import contact_sheet

PREVIEW_WIDTH = 640
"""Storyboard frames are drawn at this width: enough to judge framing, cheap to draw."""


async def stills(state: DirectorState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    plan = state.plan
    assert plan is not None
    project = ctx.project
    # Two at a time: drawing is CPU work and this box has two cores.
    limit = asyncio.Semaphore(2)

    async def board(planned: PlannedShot) -> PlannedShot:
        first = project.stills_dir / f"board{planned.index:02d}_first.png"
        last = project.stills_dir / f"board{planned.index:02d}_last.png"
        async with limit:
            await asyncio.to_thread(_board_frames, _preview(planned, state), first, last)
        paths = [str(p.relative_to(project.root)) for p in (first, last)]
        return planned.model_copy(update={"storyboard": paths})

    shots = list(await asyncio.gather(*(board(p) for p in plan.shots)))
    sheet = project.stills_dir / "storyboard.png"
    labels = [
        f"{s.index + 1}. {s.shot.camera.move.replace('_', ' ')}, {s.duration_s:g}s" for s in shots
    ]
    await asyncio.to_thread(
        contact_sheet, [project.root / s.storyboard[0] for s in shots], sheet, 4, labels
    )
    plan = plan.model_copy(
        update={"shots": shots, "storyboard": str(sheet.relative_to(project.root))}
    )
    plan = await make_references(
        plan, project, ctx.settings, ctx.ledger, local_root=ctx.reference_dir
    )
    await asyncio.to_thread(save_plan, ctx, plan)
    emit(runtime, {"event": "storyboard", "path": str(sheet)})
    return {"plan": plan}


def _preview(planned: PlannedShot, state: DirectorState) -> GenerationRequest:
    request = first_request(
        planned,
        aspect_ratio=state.brief.aspect_ratio,
        resolution=state.brief.resolution,
        audio=state.brief.audio,
    )
    scale = PREVIEW_WIDTH / request.width
    width = max(16, round(request.width * scale / 2) * 2)
    height = max(16, round(request.height * scale / 2) * 2)
    return request.model_copy(update={"width": width, "height": height, "provider": "animatic"})


def _board_frames(request: GenerationRequest, first: Path, last: Path) -> None:
    """Draw a shot's first and last storyboard frames unless an earlier run already did."""
    if not (first.exists() and last.exists()):
        render_frames(request, first, last)

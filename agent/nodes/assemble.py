"""assemble: join the accepted takes in order into final.mp4, with one still per shot."""

from __future__ import annotations

import asyncio

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.state import CutResult, DirectorState
from director.ledger import LedgerEntry
from director.tools import edit
from director.tools.pools import finishing_pool, run_in
from director.tools.qc.probe import probe
from director.tools.stills import extract_still


async def assemble(state: DirectorState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    project = ctx.project
    assert state.plan is not None
    order = [s.index for s in state.plan.shots]
    accepted = [i for i in order if i in state.results and state.results[i].status == "accepted"]
    missing = [i for i in order if i not in accepted]
    if not accepted:
        emit(runtime, {"event": "cut", "shots": 0, "missing": missing})
        return {"cut": None}
    clips = [project.root / state.results[i].video_path for i in accepted]
    pool = finishing_pool()
    await run_in(pool, edit.concat, clips, project.final_path)
    for i, clip in zip(accepted, clips, strict=True):
        await run_in(pool, extract_still, clip, project.stills_dir / f"shot{i:02d}.png")
    report = await run_in(pool, probe, project.final_path)
    cut = CutResult(
        path=project.final_path.name,
        duration_s=round(report.duration_s, 3),
        shots=accepted,
        missing=missing,
    )
    await asyncio.to_thread(ctx.ledger.append, LedgerEntry(kind="cut", data=cut.model_dump()))
    emit(
        runtime,
        {"event": "cut", "shots": len(accepted), "missing": missing, "duration_s": cut.duration_s},
    )
    return {"cut": cut}

"""continuity: the script supervisor's pass over the accepted takes before they are cut.

Consecutive shots of one scene are compared across the cut (subject colours, light side,
exposure), and each character's look is compared across all of their shots. The checks are
colour statistics of a frame region, not identity recognition, so their findings are warnings
for the person (in the report), never a reason to throw away a paid take.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.state import ContinuityNote, DirectorState
from director.errors import DirectorError
from director.tools.pools import finishing_pool, run_in
from director.tools.qc.continuity import character_drift, compare_shots


def _notes(state: DirectorState, root: Path) -> list[ContinuityNote]:
    assert state.plan is not None
    clips = {
        i: root / r.video_path
        for i, r in state.results.items()
        if r.status == "accepted" and r.video_path
    }
    notes: list[ContinuityNote] = []
    for prev, nxt in itertools.pairwise(state.plan.shots):
        if prev.shot.scene != nxt.shot.scene or prev.index not in clips or nxt.index not in clips:
            continue
        for finding in compare_shots(clips[prev.index], clips[nxt.index]):
            notes.append(ContinuityNote(shots=[prev.index, nxt.index], finding=finding))
    by_character: dict[str, list[Path]] = {}
    owner: dict[str, int] = {}
    for planned in state.plan.shots:
        if planned.index not in clips:
            continue
        for name in planned.characters:
            by_character.setdefault(name, []).append(clips[planned.index])
            owner[clips[planned.index].name] = planned.index
    for finding in character_drift(by_character):
        shot = next((i for name, i in owner.items() if name in finding.message), None)
        notes.append(ContinuityNote(shots=[] if shot is None else [shot], finding=finding))
    return notes


async def continuity(state: DirectorState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    try:
        notes = await run_in(finishing_pool(), _notes, state, ctx.project.root)
    except DirectorError as exc:
        # An unreadable clip was already reported by inspection; the cut goes ahead.
        emit(runtime, {"event": "continuity", "notes": 0, "error": str(exc)})
        return {"continuity": []}
    emit(runtime, {"event": "continuity", "notes": len(notes)})
    return {"continuity": notes}

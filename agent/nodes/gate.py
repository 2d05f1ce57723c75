"""gate: the person approves the shot list, prompts and cost before anything is paid for."""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from director.agent.context import RunContext
from director.agent.state import DirectorState

APPROVE_WORDS = {"approve", "approved", "yes", "y", "ok", "go"}


def gate(state: DirectorState, runtime: Runtime[RunContext]) -> dict:
    if state.approved or runtime.context.auto_approve:
        return {"approved": True}
    assert state.plan is not None
    # The node re-runs from the top on resume, so everything above interrupt() is idempotent.
    decision = interrupt(
        {
            "question": "Approve this shot list and spend?",
            "title": state.plan.title,
            "estimate_usd": state.plan.estimate_usd,
            "storyboard": state.plan.storyboard,
            "references": state.plan.references,
            "stills_usd": state.plan.stills_usd,
            # The brain's one clarifying question, if the brief left something open.
            "clarify": state.shotlist.question if state.shotlist else "",
            "shots": [
                {"index": s.index, "duration_s": s.duration_s, "model": s.model, "prompt": s.prompt,
                 "group_lead": s.group_lead, "segment_prompt": s.segment_prompt}
                for s in state.plan.shots
            ],
            # Shots rendered together as one multi-shot request, lead first.
            "groups": [s.group for s in state.plan.shots if s.group],
        }
    )
    if decision is True or str(decision).strip().lower() in APPROVE_WORDS:
        return {"approved": True}
    return {"approved": False, "rejected_reason": str(decision) or "rejected"}

"""The run's checkpointed state, read and changed between runs (edits, picks, retakes, budget).

Every change goes through LangGraph's `aupdate_state` with the node it stands in for, so the
graph's own edges decide what runs next: a plan edit "as write" re-routes, re-draws the
storyboard and asks for approval again; a new take "as shot" leads to assemble.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any, Literal

from director.agent.checkpoint import open_run
from director.agent.graph import build_graph
from director.agent.state import DirectorState
from director.errors import ProjectError
from director.project import Project

Stage = Literal["empty", "awaiting_approval", "rejected", "rendering", "done"]


@dataclass
class Snapshot:
    """The state of a project's run as the checkpoint holds it."""

    state: DirectorState | None
    next: tuple[str, ...] = ()
    question: dict[str, Any] = field(default_factory=dict)

    @property
    def stage(self) -> Stage:
        s = self.state
        if s is None or s.plan is None:
            return "empty"
        if self.question:
            return "awaiting_approval"
        if not s.approved:
            return "rejected" if not self.next else "awaiting_approval"
        return "rendering" if self.next else "done"


async def read(project: Project) -> Snapshot:
    """The checkpointed state; an empty Snapshot when the folder has no run yet."""
    try:
        async with open_run(project) as opened:
            if opened is None:
                return Snapshot(None)
            saver, where = opened
            snap = await build_graph(saver).aget_state(where.config())
        if not snap.values:
            return Snapshot(None)
        question = dict(snap.interrupts[0].value) if snap.interrupts else {}
        return Snapshot(DirectorState.model_validate(snap.values), tuple(snap.next), question)
    except (OSError, ValueError, sqlite3.Error) as exc:  # ValueError covers pydantic's
        source = project.state_path if project.state_path.exists() else f"the run of {project.root}"
        raise ProjectError(f"cannot read {source}: {exc}") from None


async def update(project: Project, values: dict[str, Any], as_node: str) -> Snapshot:
    """Write `values` as if node `as_node` had returned them; the graph's edges pick what is next.

    A pending approval question belongs to the checkpoint it was asked in, so an update made
    "as write" or "as route" leaves it behind and the gate asks again on the edited plan.
    """
    # A change made while another door runs the project would land between its steps.
    with project.run_lock():
        async with open_run(project) as opened:
            if opened is None:
                raise ProjectError(f"{project.root} holds no run to change")
            saver, where = opened
            await build_graph(saver).aupdate_state(where.config(), values, as_node=as_node)
    return await read(project)

"""Graph state: the parent run and one shot's subgraph. Plain pydantic facts only."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, Field

from director.film import Brief, Finding, GenerationRequest, PromptSpec, Revision, Take, TaskRef
from director.plan import Plan, PlannedShot, ShotList


class ShotResult(BaseModel):
    """What one shot's subgraph hands back to the run."""

    index: int
    """Shot index."""
    status: Literal["accepted", "failed"]
    """accepted: a take is in the cut; failed: attempts or budget ran out."""
    takes: list[Take] = Field(default_factory=list)
    """Every take, in attempt order."""
    revisions: list[Revision] = Field(default_factory=list)
    """Every one-variable experiment."""
    video_path: str = ""
    """The accepted take, relative to the project folder."""
    reason: str = ""
    """Why the shot failed, in one line."""


T = TypeVar("T")


def merge_by_shot(old: dict[int, T], new: dict[int, T]) -> dict[int, T]:
    """Fan-in reducer keyed by shot index: a re-run shot's result (or a segment handed back
    by a multi-shot group) replaces the earlier one."""
    return {**(old or {}), **(new or {})}


class ContinuityNote(BaseModel):
    """A script supervisor's note on the accepted takes: a cut or a character that drifts."""

    shots: list[int]
    """The shots it concerns (the two sides of a cut, or the shot where a look drifts)."""
    finding: Finding
    """What was measured, as a warning with the variable a retake would change."""


class CutResult(BaseModel):
    """The assembled film."""

    path: str
    """final.mp4, relative to the project folder."""
    duration_s: float
    """Duration of the cut measured from decoded frames."""
    shots: list[int]
    """Shot indexes in the cut, in order."""
    missing: list[int] = Field(default_factory=list)
    """Shots left out because they failed."""


class DirectorState(BaseModel):
    """The parent graph: plan, gate, fan out, assemble."""

    brief: Brief
    """The brief being directed."""
    shotlist: ShotList | None = None
    """The brain's bible and shots, before prompts are written."""
    plan: Plan | None = None
    """Shot list, bible, prompts and routes, once written and routed."""
    budget_usd: float | None = None
    """The effective spend cap (brief, else settings), fixed when the plan is routed."""
    max_attempts: int = 4
    """Takes allowed per shot, fixed when the plan is routed."""
    approved: bool = False
    """Whether the plan passed the approval gate."""
    rejected_reason: str = ""
    """Why approval was refused, when it was."""
    results: Annotated[dict[int, ShotResult], merge_by_shot] = Field(default_factory=dict)
    """Per-shot outcomes, merged as shots finish."""
    handoff: Annotated[dict[int, Take], merge_by_shot] = Field(default_factory=dict)
    """Shots of a multi-shot group whose segment failed inspection: the inspected segment take
    each one's own single-shot retake loop starts from (ignored once the shot has a result)."""
    continuity: list[ContinuityNote] = Field(default_factory=list)
    """Continuity warnings on the accepted takes, checked before the cut."""
    cut: CutResult | None = None
    """The final cut, once assembled."""


class ShotInput(BaseModel):
    """What the router sends to one shot's subgraph."""

    planned: PlannedShot
    """The shot, its prompt and its route."""
    aspect_ratio: str
    """Frame shape of the film."""
    resolution: str
    """Delivery resolution."""
    audio: bool
    """Whether native audio was asked for."""
    budget_usd: float | None = None
    """The run's spend cap, checked (with the ledger) before every paid submission."""
    max_attempts: int = 4
    """Takes allowed for this shot."""
    chain_video: str = ""
    """For a continuous shot: the previous shot's accepted clip (relative to the project),
    whose last frame becomes this clip's first frame; empty when not chained."""
    members: list[PlannedShot] = Field(default_factory=list)
    """For a multi-shot group: every shot it renders in one request, the lead (`planned`)
    first; empty for a shot rendered on its own."""
    takes: list[Take] = Field(default_factory=list)
    """Finished takes: empty for a fresh shot; a grouped shot whose segment failed starts its
    own retake loop from its segment take."""


class ShotState(ShotInput):
    """One shot's subgraph: submit -> poll -> inspect -> accept | revise -> submit."""

    request: GenerationRequest | None = None
    """The request of the current attempt."""
    spec: PromptSpec | None = None
    """The four-part prompt of the current attempt (the plan's until a revision rewrites one
    part of it); the request's prompt is this spec rendered for the model's family."""
    task: TaskRef | None = None
    """The paid task of the current attempt, checkpointed before polling."""
    take: Take | None = None
    """The current attempt's take once its task ended (before inspection); for a group, the
    whole clip before it is cut into segments."""
    revisions: list[Revision] = Field(default_factory=list)
    """Experiments so far."""
    failure: str = ""
    """Set when the shot cannot continue (budget, attempts, provider refusal)."""
    results: Annotated[dict[int, ShotResult], merge_by_shot] = Field(default_factory=dict)
    """Output to the parent graph."""
    handoff: Annotated[dict[int, Take], merge_by_shot] = Field(default_factory=dict)
    """Output to the parent graph: a group's failed segments, each retaken on its own."""


class ShotOutput(BaseModel):
    """The subgraph's output: only the merged result reaches the parent."""

    results: Annotated[dict[int, ShotResult], merge_by_shot] = Field(default_factory=dict)
    """This shot's result (a group's: each member's), keyed by index."""
    handoff: Annotated[dict[int, Take], merge_by_shot] = Field(default_factory=dict)
    """A group's failed segments, keyed by shot index, for their own retake loops."""

"""What a front door shows of a project, read from plan.json's source (the checkpoint) and the
ledger, never from a browser, so a reload or another door sees the same state."""

from __future__ import annotations

from pydantic import BaseModel, Field

from director.agent.state import DirectorState, ShotResult
from director.agent.variables import PART_OF
from director.film import Revision
from director.ledger import Ledger
from director.plan import PlannedShot
from director.project import Project
from director.prompts.compose import split_sentences
from director.ui.graphstate import Snapshot, Stage


class TakeRow(BaseModel):
    """One take of one shot."""

    take: int
    """Attempt number, from 1."""
    video: str = ""
    """Clip path relative to the project folder; empty when the provider failed."""
    model: str = ""
    """Model that rendered it."""
    passed: bool = False
    """Whether QC passed it."""
    findings: list[str] = Field(default_factory=list)
    """QC failures and warnings, one line each."""
    cost_usd: float = 0.0
    """What the take cost."""
    revision: str = ""
    """The one variable this retake changed, "variable: before -> after (outcome)"."""
    in_cut: bool = False
    """Whether this take is the one in the cut."""


class ShotRow(BaseModel):
    """One shot of the plan with its status."""

    number: int
    """Shot number, from 1."""
    duration_s: float
    """Clip length."""
    subject: str
    """Who or what the shot is about."""
    action: str
    """The one primary action."""
    move: str
    """Camera move."""
    size: str
    """Shot size."""
    lens_mm: int
    """Focal length."""
    kelvin: int
    """Key light colour temperature."""
    light_side: str
    """Side the key light comes from."""
    model: str
    """Routed model."""
    estimate_usd: float
    """Price of one take."""
    prompt: str
    """The exact provider text."""
    lint: list[str] = Field(default_factory=list)
    """Craft findings left after auto-fix."""
    storyboard: list[str] = Field(default_factory=list)
    """First and last storyboard frames, relative to the project."""
    status: str = "planned"
    """planned, accepted, failed."""
    reason: str = ""
    """Why it failed, when it did."""
    takes: list[TakeRow] = Field(default_factory=list)
    """Every take so far."""


class CastRow(BaseModel):
    """A recurring character."""

    name: str
    """Name."""
    descriptor: str
    """The descriptor pasted verbatim into every prompt the character is in."""


class BudgetView(BaseModel):
    """Money: the plan's estimate, what the ledger says was spent, and the cap."""

    estimate_usd: float = 0.0
    """One take of every shot."""
    spent_usd: float = 0.0
    """Paid submissions so far."""
    cap_usd: float | None = None
    """Spend cap; None for no cap."""


class ProjectView(BaseModel):
    """Everything a front door shows of a project."""

    project: str = ""
    """Project folder."""
    title: str = ""
    """Working title."""
    stage: Stage = "empty"
    """empty, awaiting_approval, rejected, rendering, done."""
    shots: list[ShotRow] = Field(default_factory=list)
    """The plan's shots."""
    cast: list[CastRow] = Field(default_factory=list)
    """The character bible."""
    locations: list[str] = Field(default_factory=list)
    """Locations, "name: place"."""
    budget: BudgetView = Field(default_factory=BudgetView)
    """Estimate, spend, cap."""
    storyboard: str = ""
    """Contact sheet of the plan, relative to the project."""
    cut: str = ""
    """final.mp4 relative to the project, once assembled."""
    cut_duration_s: float = 0.0
    """Measured length of the cut."""
    report: str = ""
    """report.html relative to the project, once written."""


def revision_summary(rev: Revision) -> str:
    """"seed: 1 -> 2"; for a prompt variable only the sentences that changed."""
    if rev.variable in PART_OF:
        old = split_sentences(rev.before)
        new = [s for s in split_sentences(rev.after) if s not in old]
        return f"{rev.variable}: " + (" ".join(new) or "(sentences removed)")
    return f"{rev.variable}: {rev.before} -> {rev.after}"


def _take_rows(result: ShotResult | None) -> list[TakeRow]:
    if result is None:
        return []
    revisions = {r.attempt: r for r in result.revisions}
    rows = []
    for t in result.takes:
        rev = revisions.get(t.attempt)
        rows.append(
            TakeRow(
                take=t.attempt,
                video=t.video_path,
                model=t.request.model,
                passed=bool(t.qc and t.qc.passed),
                findings=[f"{f.severity}: {f.message}" for f in (t.qc.findings if t.qc else [])]
                + ([f"error: {t.error}"] if t.error else []),
                cost_usd=t.cost_usd,
                revision=f"{revision_summary(rev)} ({rev.outcome})" if rev else "",
                in_cut=t.accepted,
            )
        )
    return rows


def _shot_row(planned: PlannedShot, result: ShotResult | None) -> ShotRow:
    shot = planned.shot
    return ShotRow(
        number=planned.index + 1,
        duration_s=planned.duration_s,
        subject=shot.subject,
        action=shot.action,
        move=shot.camera.move,
        size=shot.camera.size,
        lens_mm=shot.camera.focal_length_mm,
        kelvin=shot.lighting.colour_temperature_k,
        light_side=shot.lighting.side,
        model=planned.model,
        estimate_usd=planned.estimate_usd,
        prompt=planned.prompt,
        lint=planned.lint,
        storyboard=planned.storyboard,
        status=result.status if result else "planned",
        reason=result.reason if result else "",
        takes=_take_rows(result),
    )


def build_view(project: Project | None, snap: Snapshot) -> ProjectView:
    if project is None:
        return ProjectView()
    state: DirectorState | None = snap.state
    spent = Ledger(project.ledger_path).spent_usd()
    if state is None or state.plan is None:
        return ProjectView(project=str(project.root), budget=BudgetView(spent_usd=spent))
    plan = state.plan
    cap = state.budget_usd if state.budget_usd is not None else state.brief.budget_usd
    return ProjectView(
        project=str(project.root),
        title=plan.title,
        stage=snap.stage,
        shots=[_shot_row(p, state.results.get(p.index)) for p in plan.shots],
        cast=[CastRow(name=c.name, descriptor=c.descriptor) for c in plan.characters],
        locations=[f"{loc.name}: {loc.place}" for loc in plan.locations],
        budget=BudgetView(estimate_usd=plan.estimate_usd, spent_usd=spent, cap_usd=cap),
        storyboard=plan.storyboard,
        cut=state.cut.path if state.cut and project.final_path.exists() else "",
        cut_duration_s=state.cut.duration_s if state.cut else 0.0,
        report=project.report_path.name if project.report_path.exists() else "",
    )

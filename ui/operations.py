"""What each command does to a project: plan, edit, approve, render, revise, pick, cut, budget.

Every change is made through the graph (runs and `aupdate_state`) so the checkpoint stays the
one source of truth; replies are read back from it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from director.agent.context import RunContext
from director.agent.state import DirectorState, ShotResult, ShotState
from director.commands import (
    Budget,
    Command,
    EditShot,
    Pick,
    Render,
    Revise,
)
from director.controls import strip_controls
from director.errors import DirectorError
from director.film import GenerationRequest, PromptSpec, Revision
from director.project import Project
from director.tools import catalog
from director.ui import graphstate, retakes, texts
from director.ui.commands import CommandError, usage
from director.ui.graphstate import Snapshot
from director.ui.plan_edit import edit_plan, forget_storyboard
from director.ui.runner import Outcome, run_project
from director.ui.views import ProjectView, build_view, revision_summary

log = logging.getLogger(__name__)

ContextFactory = Callable[..., RunContext]
Take = tuple[ShotState, GenerationRequest, PromptSpec, Revision, list[str]]
"""A retake built but not run: the shot, its request and prompt, its revision, lint left."""


@dataclass
class Result:
    text: str
    files: list[Path] = field(default_factory=list)
    ok: bool = True


class Operations:
    """Executes commands on `project`; `context(auto_approve=, tier=)` builds run contexts."""

    def __init__(
        self,
        project: Project | None,
        context: ContextFactory,
        new_project: Callable[[str], tuple[Project, Any]],
    ) -> None:
        self.project = project
        self.context = context
        self.new_project = new_project

    # --- reading ----------------------------------------------------------------------------

    async def snapshot(self) -> Snapshot:
        if self.project is None:
            return Snapshot(None)
        return await graphstate.read(self.project)

    async def _state(self, *stages: str) -> tuple[Project, Snapshot, DirectorState]:
        snap = await self.snapshot()
        if self.project is None or snap.state is None or snap.state.plan is None:
            raise CommandError("no project yet; start one with /new <brief>")
        if stages and snap.stage not in stages:
            raise CommandError(f"not now: the project is {texts.STAGE_WORDS[snap.stage]}")
        return self.project, snap, snap.state

    async def _view(self) -> ProjectView:
        return build_view(self.project, await self.snapshot())

    # --- pricing ------------------------------------------------------------------------------

    async def estimate(self, cmd: Command) -> float | None:
        """What running `cmd` would spend, from the catalog; None when it cannot be priced.

        A command that cannot run now (no project, wrong stage, a retake that cannot be built)
        raises CommandError here, before the person is asked to pay for it.
        """
        _, snap, state = await self._state(*_STAGES.get(cmd.name, ()))
        assert state.plan is not None
        if isinstance(cmd, Render):
            _check_render(cmd, snap)
        if snap.stage in ("awaiting_approval", "rejected"):
            tier = cmd.tier if isinstance(cmd, Render) else None
            if tier is None:
                return state.plan.estimate_usd
            return _plan_estimate(state, tier)
        if snap.stage == "rendering":
            return round(sum(s.estimate_usd for s in state.plan.shots
                             if _not_accepted(state, s.index)), 4)
        # A retake that cannot be built is refused now, before the person is asked to pay.
        takes = self._takes(cmd, state)
        resolution = state.brief.resolution
        return round(sum(retakes.price(take[1], resolution) for take in takes), 4)

    def _takes(self, cmd: Command, state: DirectorState) -> list[Take]:
        """The retakes `cmd` asks for, each with its one-variable revision, built but not run."""
        assert state.plan is not None
        ctx = self.context(auto_approve=True)
        out: list[Take] = []
        if isinstance(cmd, Revise):
            planned = retakes.planned_shot(state, cmd.shot)
            shot = retakes.shot_state(state, planned)
            request, spec, attempt = retakes.base_request(ctx, shot)
            new, new_spec, rev, findings = retakes.manual_revision(
                shot, request, spec, attempt, cmd.variable, cmd.value, state.plan.bible
            )
            return [(shot, new, new_spec, rev, findings)]
        assert isinstance(cmd, Render)
        numbers = cmd.shots or [s.index + 1 for s in state.plan.shots]
        for number in numbers:
            planned = retakes.planned_shot(state, number)
            shot = retakes.shot_state(state, planned)
            request, spec, attempt = retakes.base_request(ctx, shot)
            model = cmd.model
            if model is None and cmd.tier is not None:
                model = catalog.choose(
                    cmd.tier, request.provider, aspect_ratio=request.aspect_ratio,
                    audio=state.brief.audio, duration_s=request.duration_s,
                    resolution=state.brief.resolution,
                ).id
            reason = "a new take asked for by the person"
            if model is not None and catalog.get(model).id != request.model:
                new, rev = retakes.model_revision(shot, request, spec, attempt, model, reason)
            else:
                new, rev = retakes.seed_revision(shot, request, spec, attempt, reason)
            out.append((shot, new, spec, rev, []))
        return out

    # --- running ------------------------------------------------------------------------------

    async def run(self, cmd: Command) -> Result:
        handler = getattr(self, f"_do_{cmd.name}")
        return await handler(cmd)

    async def _do_help(self, cmd: Command) -> Result:
        return Result(usage(getattr(cmd, "topic", None)))

    async def _do_new(self, cmd: Command) -> Result:
        project, brief = self.new_project(cmd.text)  # type: ignore[union-attr]
        self.project = project
        outcome = await run_project(project, self.context(auto_approve=False), brief=brief)
        view = await self._view()
        text = texts.plan_text(view)
        text += (f"\n\nProject `{project.root}` planned ({outcome.status.replace('_', ' ')}). "
                 "Check `/shots` and `/cast`, change a shot with `/edit shot N <field> <value>`,"
                 " then `/approve`.")
        return Result(text, files=_existing(project, [view.storyboard]))

    async def _do_plan(self, cmd: Command) -> Result:
        project, _, _ = await self._state()
        view = await self._view()
        return Result(texts.plan_text(view), files=_existing(project, [view.storyboard]))

    async def _do_shots(self, cmd: Command) -> Result:
        await self._state()
        return Result(texts.shots_text(await self._view()))

    async def _do_cast(self, cmd: Command) -> Result:
        await self._state()
        return Result(texts.cast_text(await self._view()))

    async def _do_status(self, cmd: Command) -> Result:
        return Result(texts.status_text(await self._view()))

    async def _do_budget(self, cmd: Budget) -> Result:  # type: ignore[override]
        project, snap, state = await self._state()
        if cmd.usd is not None:
            if snap.stage == "rendering":
                raise CommandError("finish the render first (/render), then change the budget")
            brief = state.brief.model_copy(update={"budget_usd": cmd.usd})
            values = {"brief": brief, "budget_usd": cmd.usd}
            if snap.stage in ("awaiting_approval", "rejected"):
                # Re-route under the new cap: the estimate must fit it before approval.
                await graphstate.update(project, {**values, "plan": state.plan}, as_node="write")
                await run_project(project, self.context(auto_approve=False))
            else:
                await graphstate.update(project, values, as_node="assemble")
        return Result(texts.budget_text(await self._view()))

    async def _do_edit(self, cmd: EditShot) -> Result:  # type: ignore[override]
        project, _, state = await self._state("awaiting_approval", "rejected")
        assert state.plan is not None
        ctx = self.context(auto_approve=False)
        # The brain may be an LLM call: off the event loop, so other sessions keep answering.
        plan, shotlist, planned = await asyncio.to_thread(
            edit_plan, state.plan, state.shotlist, ctx.brain, cmd)
        forget_storyboard(project, planned.index)
        await graphstate.update(project, {"plan": plan, "shotlist": shotlist}, as_node="write")
        await run_project(project, ctx)
        view = await self._view()
        row = view.shots[planned.index]
        lint = ("lint clean" if not row.lint else "lint: " + "; ".join(row.lint))
        text = (f"Shot {cmd.shot}: {cmd.field} → {strip_controls(cmd.value)}. Prompt re-written "
                f"({len(row.prompt.split())} words, {lint}); estimate now "
                f"${view.budget.estimate_usd:.2f}.\n\n> {row.prompt}")
        return Result(text, files=_existing(project, row.storyboard))

    async def _do_approve(self, cmd: Command) -> Result:
        project, _, _ = await self._state(*_STAGES["approve"])
        outcome = await run_project(project, self.context(auto_approve=True))
        return await self._after_run(project, outcome)

    async def _do_reject(self, cmd: Command) -> Result:
        project, _, _ = await self._state("awaiting_approval")
        reason = getattr(cmd, "reason", "") or "rejected"
        await run_project(project, self.context(auto_approve=False), decision=reason)
        return Result(f"Plan turned down ({reason}); nothing was rendered. Edit it, then /approve.")

    async def _do_render(self, cmd: Render) -> Result:  # type: ignore[override]
        project, snap, state = await self._state()
        _check_render(cmd, snap)
        if snap.stage in ("awaiting_approval", "rejected", "rendering"):
            if cmd.tier and snap.stage != "rendering":
                ctx = self.context(auto_approve=True, tier=cmd.tier)
                await graphstate.update(project, {"plan": state.plan}, as_node="write")
            else:
                ctx = self.context(auto_approve=True)
            return await self._after_run(project, await run_project(project, ctx))
        return await self._retakes(project, state, self._takes(cmd, state))

    async def _do_revise(self, cmd: Revise) -> Result:  # type: ignore[override]
        project, _, state = await self._state(*_STAGES["revise"])
        return await self._retakes(project, state, self._takes(cmd, state))

    async def _retakes(self, project: Project, state: DirectorState, takes: list[Take]) -> Result:
        ctx = self.context(auto_approve=True)
        results: dict[int, ShotResult] = {}
        lines: list[str] = []
        files: list[Path] = []
        crashed = False
        for shot, request, spec, revision, findings in takes:
            number = shot.planned.index + 1
            try:
                result = await retakes.run_take(ctx, shot, request, revision, spec)
            except Exception as exc:
                # One shot's failure must not stop the others, nor the cut from re-assembling.
                log.debug("take of shot %s failed", number, exc_info=True)
                lines.append(f"Shot {number}: no take ({type(exc).__name__}: "
                             f"{' '.join(str(exc).split())[:200]}).")
                crashed = True
                continue
            results[shot.planned.index] = result
            # Into the checkpoint at once: a failure on a later shot must not lose a paid take.
            await graphstate.update(project, {"results": {shot.planned.index: result}},
                                    as_node="shot")
            change = revision_summary(revision)
            new = next((t for t in result.takes if t.attempt == request.attempt), None)
            if new is None:
                lines.append(f"Shot {number}: no take ({result.reason}).")
                continue
            verdict = "passed QC, now in the cut" if new.accepted else (
                f"failed QC ({result.reason}); the cut keeps the earlier take")
            lint = f" Lint: {'; '.join(findings)}." if findings else ""
            lines.append(f"Shot {number} take {new.attempt} ({change}): {verdict}.{lint}")
            if new.video_path:
                files.append(project.root / new.video_path)
        outcome = await run_project(project, ctx)
        done = await self._after_run(project, outcome)
        ok = not crashed and all(r.status == "accepted" for r in results.values())
        return Result("\n".join([*lines, done.text]), files=files + done.files, ok=ok)

    async def _do_takes(self, cmd: Command) -> Result:
        project, _, state = await self._state()
        number = cmd.shot  # type: ignore[union-attr]
        retakes.planned_shot(state, number)
        view = await self._view()
        videos = [project.root / t.video for t in view.shots[number - 1].takes if t.video]
        return Result(texts.takes_text(view, number), files=[p for p in videos if p.exists()])

    async def _do_pick(self, cmd: Pick) -> Result:  # type: ignore[override]
        project, _, state = await self._state("done")
        planned = retakes.planned_shot(state, cmd.shot)
        result = state.results.get(planned.index)
        take = next((t for t in (result.takes if result else []) if t.attempt == cmd.take), None)
        if result is None or take is None:
            have = ", ".join(str(t.attempt) for t in (result.takes if result else [])) or "none"
            raise CommandError(f"shot {cmd.shot} has no take {cmd.take} (takes: {have})")
        if not take.video_path or take.qc is None or not take.qc.decodable:
            raise CommandError(f"take {cmd.take} of shot {cmd.shot} has no playable clip")
        takes = [t.model_copy(update={"accepted": t.attempt == cmd.take}) for t in result.takes]
        picked = result.model_copy(update={"status": "accepted", "takes": takes,
                                           "video_path": take.video_path, "reason": ""})
        await graphstate.update(project, {"results": {planned.index: picked}}, as_node="shot")
        done = await self._after_run(project, await run_project(project, self.context(
            auto_approve=True)))
        note = "" if take.qc.passed else " (it failed QC; picked anyway)"
        return Result(f"Shot {cmd.shot}: take {cmd.take} is in the cut{note}.\n{done.text}",
                      files=done.files, ok=done.ok)

    async def _do_cut(self, cmd: Command) -> Result:
        project, _, _ = await self._state("done", "rendering")
        await graphstate.update(project, {"results": {}}, as_node="shot")
        return await self._after_run(project, await run_project(project, self.context(
            auto_approve=True)))

    async def _do_export(self, cmd: Command) -> Result:
        project, _, state = await self._state()
        if state.cut is None or not project.final_path.exists():
            raise CommandError("there is no cut yet; /approve renders one")
        files = _existing(project, [project.final_path.name, project.report_path.name])
        text = "\n".join(f"- `{p}`" for p in files)
        return Result(f"Final cut and report:\n{text}", files=files)

    async def _after_run(self, project: Project, outcome: Outcome) -> Result:
        view = await self._view()
        status = texts.status_text(view)
        files = _existing(project, [view.cut, view.report])
        failed = [s.number for s in view.shots if s.status == "failed"]
        ok = outcome.status == "done" and not failed and bool(view.cut)
        return Result(status, files=files, ok=ok)


_STAGES: dict[str, tuple[str, ...]] = {
    "approve": ("awaiting_approval", "rejected"),
    "revise": ("done",),
}
"""The stages a paid command runs in (render runs in any stage that has a plan)."""


def _check_render(cmd: Render, snap: Snapshot) -> None:
    if snap.stage not in ("awaiting_approval", "rejected", "rendering"):
        return
    if cmd.shots:
        raise CommandError("render N makes new takes of a rendered shot; render the plan first "
                           "(/approve or /render)")
    if cmd.model:
        raise CommandError("--model picks the model of new takes after the first render; "
                           "before it use --tier draft|final")


def _existing(project: Project, names: list[str]) -> list[Path]:
    paths = [project.root / n for n in names if n]
    return [p for p in paths if p.is_file()]


def _not_accepted(state: DirectorState, index: int) -> bool:
    result = state.results.get(index)
    return result is None or result.status != "accepted"


def _plan_estimate(state: DirectorState, tier: str) -> float | None:
    assert state.plan is not None
    total = 0.0
    brief = state.brief
    for s in state.plan.shots:
        try:
            spec = catalog.choose(tier, s.provider, aspect_ratio=brief.aspect_ratio,
                                  audio=brief.audio, duration_s=s.duration_s,
                                  resolution=brief.resolution)
        except DirectorError:
            return None
        total += catalog.price(spec, s.duration_s, brief.audio and spec.audio, brief.resolution)
    return round(total, 4)

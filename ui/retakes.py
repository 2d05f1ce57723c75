"""Takes a person asks for after the run: a new seed, another model or tier, or a one-variable
change to the prompt. Each is applied by agent/nodes/revise.py's `apply_revision`, the same
one-variable check the automatic retakes pass, then runs the shot subgraph's own nodes (submit
records the paid task before polling, poll, inspect).
"""

from __future__ import annotations

import json

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.inspect import inspect
from director.agent.nodes.poll import poll
from director.agent.nodes.revise import (
    RevisionRejected,
    apply_revision,
    best_take,
    failing_checks,
)
from director.agent.nodes.submit import submit
from director.agent.requests import first_request
from director.agent.state import DirectorState, ShotResult, ShotState
from director.agent.variables import (
    PART_OF,
    filler_sentences,
    is_light_sentence,
    is_subject_sentence,
)
from director.film import Bible, GenerationRequest, PromptSpec, Revision, Shot, Take
from director.ledger import LedgerEntry
from director.plan import PlannedShot
from director.prompts import compose, lint
from director.prompts.compose import split_sentences
from director.tools import catalog
from director.ui.commands import CommandError
from director.ui.values import MOVES, SIDES, choice, number

REASON = "asked for by the person"


def planned_shot(state: DirectorState, shot_number: int) -> PlannedShot:
    if state.plan is None:
        raise CommandError("there is no plan yet; start one with /new <brief>")
    index = shot_number - 1
    if not 0 <= index < len(state.plan.shots):
        raise CommandError(f"there is no shot {shot_number}; the plan has {len(state.plan.shots)}")
    return state.plan.shots[index]


def shot_state(state: DirectorState, planned: PlannedShot) -> ShotState:
    result = state.results.get(planned.index)
    brief = state.brief
    return ShotState(
        planned=planned,
        aspect_ratio=brief.aspect_ratio,
        resolution=brief.resolution,
        audio=brief.audio,
        budget_usd=state.budget_usd,
        max_attempts=state.max_attempts,
        takes=list(result.takes) if result else [],
        revisions=list(result.revisions) if result else [],
    )


def base_take(shot: ShotState) -> Take | None:
    """Where a person's retake starts: the take in the cut, else the best so far."""
    if not shot.takes:
        return None
    return next((t for t in shot.takes if t.accepted), None) or best_take(shot.takes)


def base_request(ctx: RunContext, shot: ShotState) -> tuple[GenerationRequest, PromptSpec, int]:
    """The request and prompt spec a retake starts from, and the retake's attempt number.

    The attempt also counts paid submissions in the ledger, so a retake never reuses the number
    (and the take file) of a submission the checkpoint does not know about.
    """
    base = base_take(shot)
    if base is not None:
        request, spec = base.request, base.spec or shot.planned.spec
    else:
        request = first_request(
            shot.planned,
            aspect_ratio=shot.aspect_ratio,
            resolution=shot.resolution,
            audio=shot.audio,
        )
        spec = shot.planned.spec
    index = shot.planned.index
    paid = [e.attempt for e in ctx.ledger.entries() if e.kind == "submit" and e.shot == index]
    attempt = max([0, *(t.attempt for t in shot.takes), *paid]) + 1
    return request, spec, attempt


def price(request: GenerationRequest, resolution: str) -> float:
    spec = catalog.get(request.model)
    return round(catalog.price(spec, request.duration_s, request.audio, resolution), 4)


def _revision(shot: ShotState, attempt: int, variable: str, before: str, after: str,
              reason: str) -> Revision:
    base = base_take(shot)
    return Revision.model_validate({
        "shot_index": shot.planned.index, "attempt": attempt, "variable": variable,
        "before": before, "after": after, "reason": reason,
        "base_attempt": base.attempt if base else 0,
        "qc_before": failing_checks(base.qc) if base else [],
    })


def _apply(shot: ShotState, request: GenerationRequest, spec: PromptSpec,
           revision: Revision) -> tuple[GenerationRequest, PromptSpec]:
    try:
        return apply_revision(request, spec, shot.planned.shot, revision,
                              resolution=shot.resolution)
    except RevisionRejected as exc:
        raise CommandError(f"that retake is not a one-variable change: {exc}") from None


def model_revision(shot: ShotState, request: GenerationRequest, spec: PromptSpec, attempt: int,
                   model_id: str, reason: str = REASON) -> tuple[GenerationRequest, Revision]:
    model = catalog.get(model_id)
    if request.provider not in model.providers:
        raise CommandError(f"{model.id} is not served by {request.provider} "
                           f"(served by {', '.join(model.providers)})")
    if not model.accepts(request.duration_s):
        raise CommandError(f"{model.id} cannot render a {request.duration_s:g} s clip")
    revision = _revision(shot, attempt, "model", request.model, model.id, reason)
    return _apply(shot, request, spec, revision)[0], revision


def seed_revision(shot: ShotState, request: GenerationRequest, spec: PromptSpec, attempt: int,
                  reason: str = REASON, seed: int | None = None,
                  ) -> tuple[GenerationRequest, Revision]:
    new_seed = seed if seed is not None else (request.seed * 7919 + attempt * 104_729) % 1_000_000
    if new_seed == request.seed:
        raise CommandError(f"the seed is already {new_seed}")
    revision = _revision(shot, attempt, "seed", str(request.seed), str(new_seed), reason)
    return _apply(shot, request, spec, revision)[0], revision


def manual_revision(
    shot: ShotState, request: GenerationRequest, spec: PromptSpec, attempt: int, variable: str,
    value: str, bible: Bible,
) -> tuple[GenerationRequest, PromptSpec, Revision, list[str]]:
    """A person's one-variable retake: the request, its prompt spec, the revision and the lint
    findings left in the prompt."""
    if variable == "seed":
        seed = int(number(value, request.seed, 0, 2**31 - 1, "seed"))
        new, revision = seed_revision(shot, request, spec, attempt, seed=seed)
        return new, spec, revision, []
    if variable == "model":
        new, revision = model_revision(shot, request, spec, attempt, value)
        return new, spec, revision, []
    if variable == "params":
        duration = number(value, request.duration_s, 1, 60, "duration")
        if not catalog.get(request.model).accepts(duration):
            raise CommandError(f"{request.model} cannot render a {duration:g} s clip")
        revision = _revision(shot, attempt, "params",
                             json.dumps({"duration_s": request.duration_s}),
                             json.dumps({"duration_s": duration}), REASON)
        return _apply(shot, request, spec, revision)[0], spec, revision, []
    if variable not in PART_OF:
        raise CommandError(f"cannot revise {variable!r}")
    new_shot, fresh = _edited_shot(shot.planned.shot, variable, value, bible)
    part = PART_OF[variable]
    before = getattr(spec, part)
    after = _replace_owned(before, fresh, variable, shot.planned.shot, new_shot)
    if after == before:
        raise CommandError(f"{variable} {value[:40]!r} changes nothing in the prompt")
    revision = _revision(shot, attempt, variable, before, after, REASON)
    new_request, new_spec = _apply(shot, request, spec, revision)
    family = catalog.get(request.model).family
    findings = lint.lint(new_spec, new_shot, bible, family)
    return new_request, new_spec, revision, [f.message for f in findings]


def _edited_shot(old: Shot, variable: str, value: str, bible: Bible) -> tuple[Shot, list[str]]:
    """The shot with the variable changed, and the sentences that now express that variable."""
    data = old.model_dump()
    if variable == "camera":
        data["camera"]["move"] = choice(value, MOVES, "camera")
    elif variable == "lighting":
        light = data["lighting"]
        word = value.strip().lower().removeprefix("camera-").removeprefix("camera ")
        if any(ch.isdigit() for ch in value):
            light["colour_temperature_k"] = int(
                number(value, old.lighting.colour_temperature_k, 1000, 12000, "lighting kelvin")
            )
        elif word in SIDES:
            light["side"] = word
            light["direction"] = f"camera-{word} at 45°" if word in ("left", "right") else word
        else:
            light["source"] = value.strip()
    elif variable == "action":
        data["action"] = value.strip()
    elif variable == "atmosphere":
        data["atmosphere"] = value.strip()
    shot = Shot.model_validate(data)
    if variable in ("subject", "environment"):
        return shot, [compose.split_sentences(value.strip().rstrip(".") + ".")[0]]
    part = {
        "camera": compose.camera_part(shot),
        "lighting": compose.environment_part(shot, bible),
        "action": compose.subject_part(shot, bible),
        "atmosphere": compose.atmosphere_part(shot, bible),
    }[variable]
    return shot, [s for s in split_sentences(part) if _owner(s, variable, shot) == variable]


def _owner(sentence: str, variable: str, shot: Shot) -> str:
    """Which prompt variable a sentence of `variable`'s part belongs to (see agent/variables)."""
    part = PART_OF[variable]
    if part == "subject":
        return "subject" if is_subject_sentence(sentence, shot) else "action"
    if part == "environment":
        return "lighting" if is_light_sentence(sentence) else "environment"
    return variable


def _replace_owned(text: str, fresh: list[str], variable: str, old: Shot, new: Shot) -> str:
    """`text` with the sentences `variable` owns replaced by `fresh`, everything else (length
    filler included) kept in place."""
    filler = set(filler_sentences(old))
    out: list[str] = []
    placed = False
    for sentence in split_sentences(text):
        if sentence not in filler and _owner(sentence, variable, old) == variable:
            if not placed:
                out.extend(fresh)
                placed = True
        else:
            out.append(sentence)
    if not placed:
        out.extend(fresh)
    return " ".join(out)


async def run_take(
    ctx: RunContext, shot: ShotState, request: GenerationRequest, revision: Revision | None,
    spec: PromptSpec | None = None,
) -> ShotResult:
    """Submit, poll and inspect one take with the subgraph's nodes; the shot's new result.

    A take that passes QC goes in the cut; one that fails is kept beside the take already there.
    """
    runtime = Runtime(context=ctx)
    state = shot.model_copy(update={"request": request, "spec": spec, "task": None,
                                    "take": None})
    if revision is not None:
        state = state.model_copy(update={"revisions": [*state.revisions, revision]})
        ctx.ledger.append(LedgerEntry(kind="revision", shot=revision.shot_index,
                                      attempt=revision.attempt, data=revision.model_dump()))
    state = state.model_copy(update=await submit(state, runtime))
    index = shot.planned.index
    accepted = next((t for t in shot.takes if t.accepted), None)
    kept = {"status": "accepted" if accepted else "failed",
            "video_path": accepted.video_path if accepted else ""}
    if state.failure:
        return ShotResult(index=index, takes=list(shot.takes), revisions=state.revisions,
                          reason=state.failure, **kept)
    state = state.model_copy(update=await poll(state, runtime))
    state = state.model_copy(update=await inspect(state, runtime))
    new = state.takes[-1]
    if new.qc is not None and new.qc.passed:
        takes = [t.model_copy(update={"accepted": False}) for t in state.takes[:-1]]
        takes.append(new.model_copy(update={"accepted": True}))
        return ShotResult(index=index, status="accepted", takes=takes,
                          revisions=state.revisions, video_path=new.video_path)
    detail = (new.qc.failures() if new.qc else "") or new.error or "failed inspection"
    return ShotResult(index=index, takes=state.takes, revisions=state.revisions,
                      reason=f"take {new.attempt} failed: {detail}", **kept)

"""revise: the brain proposes ONE change; code checks that only that variable changed.

The experiment starts from the best take so far: when the last retake scored worse than an
earlier take, its change is reverted (the next proposal is made against the best take's request
and prompt) and the brain's next hypothesis is tried instead.
"""

from __future__ import annotations

import asyncio
import json

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.state import ShotState
from director.agent.variables import (
    MODEL_CONSEQUENCES,
    PART_OF,
    changed_request_fields,
    changed_spec_variables,
    request_variables,
)
from director.film import GenerationRequest, PromptSpec, QCReport, Revision, Shot, Take
from director.ledger import LedgerEntry
from director.prompts import compose
from director.tools import catalog


class RevisionRejected(ValueError):
    """A proposed retake changed something other than its one declared variable."""


def fail_count(qc: QCReport | None) -> int:
    """How badly a take failed: failing findings, far worse when nothing decoded."""
    if qc is None:
        return 1_000
    return sum(1 for f in qc.findings if f.severity == "fail") + (0 if qc.decodable else 100)


def failing_checks(qc: QCReport | None) -> list[str]:
    if qc is None:
        return ["no clip"]
    checks = [f.check for f in qc.findings if f.severity == "fail"]
    return checks or ([] if qc.decodable else ["decodable"])


def best_take(takes: list[Take]) -> Take:
    """The take with the fewest failures (the earliest on a tie)."""
    return min(takes, key=lambda t: (fail_count(t.qc), t.attempt))


def base_take(takes: list[Take]) -> Take:
    """Where the next experiment starts: the last take, unless it scored worse than the best
    so far, in which case its change is reverted and the best take is the base."""
    last, best = takes[-1], best_take(takes)
    return best if fail_count(last.qc) > fail_count(best.qc) else last


def changed_variables(old: GenerationRequest, new: GenerationRequest) -> set[str]:
    """Which retake variables differ between two requests ("prompt" for a text edit)."""
    return request_variables(changed_request_fields(old, new))


def apply_revision(
    request: GenerationRequest,
    spec: PromptSpec,
    shot: Shot,
    revision: Revision,
    *,
    resolution: str = "720p",
) -> tuple[GenerationRequest, PromptSpec]:
    """The request and spec of the retake; raises RevisionRejected unless exactly the declared
    variable changed (prompt variables: that variable's sentences of the spec; params, seed,
    model: those request fields, plus what a new model implies)."""
    variable = revision.variable
    update: dict[str, object] = {"attempt": revision.attempt}
    new_spec = spec
    try:
        if variable == "seed":
            update["seed"] = int(revision.after)
        elif variable == "model":
            model = catalog.get(revision.after)
            width, height = catalog.size(model, request.aspect_ratio, resolution)
            update.update(model=model.id, prompt=compose.render(spec, model.family),
                          audio=request.audio and model.audio, width=width, height=height,
                          negative_prompt=spec.negative_prompt if model.negative_prompt else "")
        elif variable == "params":
            update.update(json.loads(revision.after))
        elif variable in PART_OF:
            part = PART_OF[variable]
            if revision.before != getattr(spec, part):
                raise RevisionRejected(f"the {variable} revision was written against a "
                                       f"different {part} part than the current prompt")
            new_spec = spec.model_copy(update={part: revision.after})
            family = catalog.get(request.model).family
            update["prompt"] = compose.render(new_spec, family)
        else:
            raise RevisionRejected(f"no way to apply a {variable} revision")
        new = GenerationRequest.model_validate({**request.model_dump(), **update})
    except RevisionRejected:
        raise
    except Exception as exc:  # a malformed value from a brain is a rejected proposal
        raise RevisionRejected(f"cannot apply the {variable} revision: {exc}") from exc
    _check_one_variable(request, new, spec, new_spec, shot, variable)
    return new, new_spec


def _check_one_variable(old: GenerationRequest, new: GenerationRequest, old_spec: PromptSpec,
                        new_spec: PromptSpec, shot: Shot, variable: str) -> None:
    fields = changed_request_fields(old, new)
    if variable == "model":
        # A model brings its own frame size, audio ability and prompt dialect: one decision.
        fields -= {"prompt", *MODEL_CONSEQUENCES}
    request_vars = request_variables(fields)
    spec_vars = changed_spec_variables(old_spec, new_spec, shot)
    if variable in PART_OF:
        changed = spec_vars | (request_vars - {"prompt"})
    else:
        changed = request_vars | spec_vars
    if changed != {variable}:
        raise RevisionRejected(
            f"revision of {variable} changed {', '.join(sorted(changed)) or 'nothing'}"
        )


async def revise(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    base = base_take(state.takes)
    spec = base.spec or state.spec or state.planned.spec
    assert base.qc is not None
    # An LLM brain answers over the network: off the event loop, so other shots keep polling.
    proposal = await asyncio.to_thread(
        ctx.brain.revise, state.planned.shot, spec, base.request, base.qc, state.revisions
    )
    if proposal is None:
        return {"failure": _no_fix(state)}
    revision = proposal.model_copy(update={
        "attempt": len(state.takes) + 1,
        "base_attempt": base.attempt,
        "qc_before": failing_checks(base.qc),
    })
    try:
        request, spec = apply_revision(base.request, spec, state.planned.shot, revision,
                                       resolution=state.resolution)
    except RevisionRejected as exc:
        return {"failure": f"rejected revision: {exc}"}
    await asyncio.to_thread(
        ctx.ledger.append,
        LedgerEntry(
            kind="revision",
            shot=revision.shot_index,
            attempt=revision.attempt,
            data=revision.model_dump(),
        )
    )
    emit(
        runtime,
        {
            "event": "revised",
            "shot": revision.shot_index,
            "attempt": revision.attempt,
            "variable": revision.variable,
            "before": revision.before,
            "after": revision.after,
            "reverted_to": base.attempt if base is not state.takes[-1] else None,
        },
    )
    return {"request": request, "spec": spec, "task": None,
            "revisions": [*state.revisions, revision]}


def _no_fix(state: ShotState) -> str:
    best = best_take(state.takes)
    problems = (best.qc.failures() if best.qc else "") or best.error or "failed inspection"
    return (f"no further revision to try after {len(state.takes)} take(s); "
            f"best was take {best.attempt}: {problems}")

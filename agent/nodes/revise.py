"""revise: the brain proposes ONE change; code checks that only that variable changed."""

from __future__ import annotations

import json

from langgraph.runtime import Runtime

from director.agent.context import RunContext
from director.agent.nodes.common import emit
from director.agent.state import ShotState
from director.film import GenerationRequest, Revision
from director.ledger import LedgerEntry
from director.prompts import compose
from director.tools import catalog

_PARAM_FIELDS = ("duration_s", "width", "height", "fps", "aspect_ratio", "audio")


class RevisionRejected(ValueError):
    """A proposed retake changed something other than its one declared variable."""


def changed_variables(old: GenerationRequest, new: GenerationRequest) -> set[str]:
    """Which retake variables differ between two requests ("prompt" for a bare text edit)."""
    changed: set[str] = set()
    if old.seed != new.seed:
        changed.add("seed")
    if (old.model, old.provider) != (new.model, new.provider):
        changed.add("model")
    if any(getattr(old, f) != getattr(new, f) for f in _PARAM_FIELDS):
        changed.add("params")
    # A new model may need its own prompt dialect; that is part of the model change.
    if old.prompt != new.prompt and "model" not in changed:
        changed.add("prompt")
    return changed


def apply_revision(
    request: GenerationRequest, revision: Revision, state: ShotState
) -> GenerationRequest:
    update: dict[str, object] = {"attempt": revision.attempt}
    if revision.variable == "seed":
        update["seed"] = int(revision.after)
    elif revision.variable == "model":
        model = catalog.get(revision.after)
        update["model"] = model.id
        update["prompt"] = compose.render(state.planned.spec, model.family)
        update["audio"] = request.audio and model.audio
        update["negative_prompt"] = state.planned.negative_prompt if model.negative_prompt else ""
    elif revision.variable == "params":
        update.update(json.loads(revision.after))
    else:
        raise RevisionRejected(f"no way to apply a {revision.variable} revision to a request")
    new = request.model_copy(update=update)
    changed = changed_variables(request, new)
    # audio can drop when the new model has none: still one decision, the model.
    if revision.variable == "model":
        changed.discard("params")
    if changed != {revision.variable}:
        raise RevisionRejected(
            f"revision of {revision.variable} changed {sorted(changed) or 'nothing'}"
        )
    return new


async def revise(state: ShotState, runtime: Runtime[RunContext]) -> dict:
    ctx = runtime.context
    last = state.takes[-1]
    assert last.qc is not None
    revision = ctx.brain.revise(
        state.planned.shot, state.planned.spec, last.request, last.qc, state.revisions
    )
    if revision is None:
        return {"failure": _no_fix(state)}
    try:
        request = apply_revision(last.request, revision, state)
    except RevisionRejected as exc:
        return {"failure": f"rejected revision: {exc}"}
    ctx.ledger.append(
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
            "variable": revision.variable,
            "before": revision.before,
            "after": revision.after,
        },
    )
    return {"request": request, "task": None, "revisions": [*state.revisions, revision]}


def _no_fix(state: ShotState) -> str:
    last = state.takes[-1]
    problems = last.qc.failures() if last.qc else last.error
    return f"no further revision to try after {len(state.takes)} take(s): {problems}"

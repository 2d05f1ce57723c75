"""The failure taxonomy: which ONE variable a retake changes for a QC finding (qc.md's table).

Precedence: params -> subject -> action -> camera -> environment -> lighting -> atmosphere, with
seed re-rolls for technical defects. The same variable failing twice, or a defect surviving a
re-roll, escalates to the model choice.
"""

from __future__ import annotations

import json
from typing import get_args

from director.film import (
    Finding,
    GenerationRequest,
    PromptSpec,
    QCReport,
    Revision,
    Shot,
    Variable,
)
from director.tools import catalog

# Variable is declared in qc.md's precedence order; the model is the escalation, not a choice.
PRECEDENCE: tuple[Variable, ...] = tuple(v for v in get_args(Variable) if v != "model")
ESCALATE_AFTER = 2


def propose_revision(
    shot: Shot,
    spec: PromptSpec,
    request: GenerationRequest,
    qc: QCReport,
    history: list[Revision],
) -> Revision | None:
    finding = _primary(qc)
    if finding is None:
        return None
    variable = finding.variable
    if variable == "params" and _params_valid(request):
        # The request already asked for what the model accepts: the service missed it,
        # which a new seed may fix before we blame the model.
        variable = "seed"
    tried = sum(1 for r in history if r.variable == variable)
    if tried >= ESCALATE_AFTER or (variable == "seed" and tried >= 1):
        variable = "model"
    attempt = request.attempt + 1
    reason = f"{finding.check}: {finding.message}"
    if variable == "seed":
        return Revision(
            shot_index=shot.index,
            attempt=attempt,
            variable="seed",
            before=str(request.seed),
            after=str(_next_seed(request.seed, attempt)),
            reason=reason,
        )
    if variable == "model":
        better = _escalate(request)
        if better is None:
            return None
        return Revision(
            shot_index=shot.index,
            attempt=attempt,
            variable="model",
            before=request.model,
            after=better,
            reason=reason,
        )
    if variable == "params":
        model = catalog.get(request.model)
        duration = min(model.durations, key=lambda d: abs(d - request.duration_s))
        return Revision(
            shot_index=shot.index,
            attempt=attempt,
            variable="params",
            before=json.dumps({"duration_s": request.duration_s}),
            after=json.dumps({"duration_s": duration}),
            reason=reason,
        )
    # Prompt-part revisions need the judge's element verdicts to say what to change.
    return None


def _primary(qc: QCReport) -> Finding | None:
    fails = [f for f in qc.findings if f.severity == "fail"]
    if not fails:
        return None
    return min(
        fails, key=lambda f: PRECEDENCE.index(f.variable) if f.variable in PRECEDENCE else 99
    )


def _params_valid(request: GenerationRequest) -> bool:
    model = catalog.get(request.model)
    return any(abs(d - request.duration_s) < 1e-6 for d in model.durations)


def _next_seed(seed: int, attempt: int) -> int:
    # A large odd stride keeps successive seeds far apart in the generator's noise space.
    return (seed + 7919 * attempt) % 2_147_483_647


def _escalate(request: GenerationRequest) -> str | None:
    """The next better model on the same service that can render this request unchanged."""
    current = catalog.get(request.model)
    price = catalog.price(current, request.duration_s, request.audio)
    candidates = [
        m
        for m in catalog.models()
        if m.id != current.id
        and request.provider in m.providers
        and request.aspect_ratio in m.aspect_ratios
        and any(abs(d - request.duration_s) < 1e-6 for d in m.durations)
        and m.text_to_video
        and m.verified
        and (m.audio or not request.audio)
        and catalog.price(m, request.duration_s, request.audio) >= price
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda m: catalog.price(m, request.duration_s, request.audio)).id

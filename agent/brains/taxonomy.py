"""The failure taxonomy: which ONE variable a retake changes for a QC finding (qc.md's table).

Every finding names its variable (the inspector sets it from qc.md's table: duration, size and
letterbox -> params; black, frozen, flicker -> seed; a wrong or missing camera move -> camera;
a static clip or an unexpected cut -> action; judge verdicts -> subject, action, environment,
lighting or atmosphere). The failing finding first in precedence order
(params -> subject -> action -> camera -> environment -> lighting -> atmosphere, then seed) is
addressed first; when nothing can be tried for it, the next finding is.

Escalation to the model choice, as qc.md prescribes:
- a defect that survives a seed re-roll (the same check failed again after a new seed);
- the same variable failing after two revisions of it (each prompt variable has two rewrites,
  agent/brains/rewrite.py).
A params finding on a request the model accepts means the service missed what it was asked
for, so a new seed is tried before blaming the model.

The model ladder climbs to the cheapest model of higher quality on the same service that can
render the request unchanged (kling v2.6 -> v2.6 pro / v3); image-to-video models join the
ladder when the request already carries a first frame.
"""

from __future__ import annotations

import json
import zlib
from typing import get_args

from director.agent.brains.rewrite import HYPOTHESES, rewrite
from director.agent.variables import PART_OF
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
ESCALATE_AFTER = HYPOTHESES
"""Revisions of one variable before it counts as failed twice and the model changes."""


def propose_revision(
    shot: Shot,
    spec: PromptSpec,
    request: GenerationRequest,
    qc: QCReport,
    history: list[Revision],
) -> Revision | None:
    """The one-variable experiment to run next for a failed take, or None to give up."""
    attempt = max([request.attempt, *(r.attempt for r in history)]) + 1
    for finding in ordered_failures(qc):
        revision = _for_finding(finding, shot, spec, request, history, attempt)
        if revision is not None:
            return revision
    return None


def ordered_failures(qc: QCReport) -> list[Finding]:
    """Failing findings in precedence order (stable for findings of one variable)."""
    fails = [f for f in qc.findings if f.severity == "fail"]
    if not qc.decodable and not fails:
        fails = [Finding(check="decodable", message="the clip cannot be decoded",
                         variable="seed")]
    return sorted(fails, key=lambda f: PRECEDENCE.index(f.variable)
                  if f.variable in PRECEDENCE else len(PRECEDENCE))


def check_of(revision: Revision) -> str:
    """The QC check a revision answered ("camera" from "camera: expected pan_left ...")."""
    return revision.reason.split(":", 1)[0].strip()


def _for_finding(finding: Finding, shot: Shot, spec: PromptSpec, request: GenerationRequest,
                 history: list[Revision], attempt: int) -> Revision | None:
    variable: Variable = finding.variable
    if finding.check == "policy":
        # Which words a service's content filter objects to is not knowable offline; the
        # person (or an LLM brain) rewrites the shot. A new seed or model would pay to be
        # refused again.
        return None
    if variable == "params" and _params_valid(request):
        variable = "seed"
    reason = f"{finding.check}: {finding.message}"

    def revision(var: Variable, before: str, after: str) -> Revision:
        return Revision(shot_index=shot.index, attempt=attempt, variable=var, before=before,
                        after=after, reason=reason)

    if variable == "seed" and any(r.variable == "seed" and check_of(r) == finding.check
                                  for r in history):
        variable = "model"  # the defect survived a re-roll
    if variable in PART_OF:
        tried = sum(1 for r in history if r.variable == variable)
        family = catalog.get(request.model).family
        for hypothesis in range(tried, HYPOTHESES):
            new = rewrite(variable, hypothesis, shot, spec, family)
            if new is not None:
                part = PART_OF[variable]
                return revision(variable, getattr(spec, part), getattr(new, part))
        variable = "model"
    if variable == "seed":
        seed = _next_seed(request, history)
        return revision("seed", str(request.seed), str(seed))
    if variable == "params":
        model = catalog.get(request.model)
        duration = model.snap_duration(request.duration_s)
        return revision("params", json.dumps({"duration_s": request.duration_s}),
                        json.dumps({"duration_s": duration}))
    better = escalate(request)
    if better is None:
        return None
    return revision("model", request.model, better)


def _params_valid(request: GenerationRequest) -> bool:
    return catalog.get(request.model).accepts(request.duration_s)


def _next_seed(request: GenerationRequest, history: list[Revision]) -> int:
    """A seed far from every seed tried so far on this shot (a reverted retake must not
    re-roll into a seed it already rendered)."""
    used = {request.seed} | {int(r.after) for r in history if r.variable == "seed"}
    used |= {int(r.before) for r in history if r.variable == "seed"}
    n = len(history) + 1
    while True:
        seed = zlib.crc32(f"{request.seed}|{n}".encode()) % 2_147_483_647
        if seed not in used:
            return seed
        n += 1


def ladder(request: GenerationRequest) -> list[catalog.ModelSpec]:
    """Stronger models on the same service that render this request unchanged, cheapest
    first (image-to-video ones only when the request carries a first frame)."""
    current = catalog.get(request.model)
    conditioned = bool(request.first_frame)
    candidates = [
        m
        for m in catalog.models()
        if m.id != current.id
        and m.verified
        and m.quality > current.quality
        and request.provider in m.providers
        and request.aspect_ratio in m.aspect_ratios
        and m.accepts(request.duration_s)
        and (m.text_to_video or conditioned)
        and (m.first_frame or not conditioned)
        and (m.audio or not request.audio)
    ]
    return sorted(candidates, key=lambda m: (
        catalog.price(m, request.duration_s, request.audio), -m.quality))


def escalate(request: GenerationRequest) -> str | None:
    """The cheapest stronger model on the same service that renders this request unchanged."""
    steps = ladder(request)
    return steps[0].id if steps else None

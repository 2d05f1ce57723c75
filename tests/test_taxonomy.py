"""Failure -> one variable, escalation, and the code-enforced one-variable rule."""

from __future__ import annotations

import json

import pytest

from director.agent.brains.taxonomy import propose_revision
from director.agent.nodes.revise import RevisionRejected, apply_revision, changed_variables
from director.film import (
    Finding,
    GenerationRequest,
    Lighting,
    PromptSpec,
    QCReport,
    Revision,
    Shot,
)

SHOT = Shot(index=0, beat="b", duration_s=5, subject="a boat", action="drifts",
            lighting=Lighting(source="sky", direction="above"), atmosphere="grain")
SPEC = PromptSpec(shot_index=0, subject="s", camera="c", environment="e", atmosphere="a")


def request(model: str = "kling-v2-6-std", provider: str = "kling", **kw) -> GenerationRequest:
    base = dict(shot_index=0, model=model, provider=provider, prompt="p", duration_s=5,
                width=1280, height=720, seed=11)
    return GenerationRequest(**{**base, **kw})


def failed(check: str, variable: str) -> QCReport:
    return QCReport(decodable=True, findings=[Finding(check=check, message="bad",
                                                      variable=variable)])


def test_provider_missing_valid_params_rerolls_seed_then_escalates_model() -> None:
    qc = failed("duration", "params")
    first = propose_revision(SHOT, SPEC, request(), qc, [])
    assert first is not None and first.variable == "seed" and first.after != "11"
    second = propose_revision(SHOT, SPEC, request(attempt=2), qc, [first])
    assert second is not None and second.variable == "model"
    assert second.before == "kling-v2-6-std" and second.after != second.before


def test_invalid_duration_is_snapped_as_params() -> None:
    rev = propose_revision(SHOT, SPEC, request(duration_s=7), failed("duration", "params"), [])
    assert rev is not None and rev.variable == "params"
    assert json.loads(rev.after) == {"duration_s": 5.0}


def test_animatic_has_no_model_to_escalate_to() -> None:
    history = [Revision(shot_index=0, attempt=2, variable="seed", before="1", after="2",
                        reason="x")]
    req = request(model="animatic", provider="animatic")
    assert propose_revision(SHOT, SPEC, req, failed("decodable", "seed"), history) is None


def test_prompt_variables_are_not_guessed_without_a_judge() -> None:
    assert propose_revision(SHOT, SPEC, request(), failed("camera", "camera"), []) is None


def test_apply_revision_changes_exactly_the_declared_variable() -> None:
    old = request()
    rev = Revision(shot_index=0, attempt=2, variable="seed", before="11", after="99", reason="r")
    new = apply_revision(old, rev, state=None)  # type: ignore[arg-type]
    assert changed_variables(old, new) == {"seed"} and new.attempt == 2
    sneaky = Revision(shot_index=0, attempt=2, variable="params", before="{}",
                      after=json.dumps({"duration_s": 10, "seed": 5}), reason="r")
    with pytest.raises(RevisionRejected):
        apply_revision(old, sneaky, state=None)  # type: ignore[arg-type]

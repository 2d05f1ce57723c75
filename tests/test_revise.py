"""The one-variable rule in code, and reverting a retake that made things worse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from langgraph.runtime import Runtime
from test_taxonomy import SHOT, SPEC, request

from director.agent.nodes.revise import (
    RevisionRejected,
    apply_revision,
    base_take,
    changed_variables,
    revise,
)
from director.agent.state import ShotState
from director.config import Settings
from director.film import Finding, PromptSpec, QCReport, Revision, Take
from director.ledger import Ledger
from director.plan import PlannedShot
from director.project import Project
from director.prompts import compose
from director.ui.runner import make_context


def rev(variable: str, before: str, after: str, attempt: int = 2) -> Revision:
    return Revision(shot_index=0, attempt=attempt, variable=variable, before=before, after=after,
                    reason="check: x")


def test_seed_revision_changes_exactly_the_seed() -> None:
    old = request()
    new, spec = apply_revision(old, SPEC, SHOT, rev("seed", "11", "99"))
    assert changed_variables(old, new) == {"seed"} and new.attempt == 2 and spec == SPEC


def test_two_variable_proposals_are_rejected() -> None:
    sneaky_params = rev("params", "{}", json.dumps({"duration_s": 10, "seed": 5}))
    with pytest.raises(RevisionRejected, match="params, seed"):
        apply_revision(request(), SPEC, SHOT, sneaky_params)
    # A camera rewrite that also moves the key light to the other side changes two variables.
    both = SPEC.camera.replace("85mm", "50mm") + " Key light from camera-right, 5600K."
    with pytest.raises(RevisionRejected, match="camera, lighting"):
        apply_revision(request(), SPEC, SHOT, rev("camera", SPEC.camera, both))
    # A lighting rewrite may not relocate the scene (the place belongs to the environment).
    relit = SPEC.environment.replace("restaurant kitchen", "rooftop garden").replace(
        "3200K", "4300K")
    with pytest.raises(RevisionRejected, match="environment, lighting"):
        apply_revision(request(), SPEC, SHOT, rev("lighting", SPEC.environment, relit))


def test_revision_must_start_from_the_current_prompt_and_change_something() -> None:
    stale = rev("camera", "an older camera line.", "Medium shot, slow pan left.")
    with pytest.raises(RevisionRejected, match="different camera part"):
        apply_revision(request(), SPEC, SHOT, stale)
    with pytest.raises(RevisionRejected, match="changed nothing"):
        apply_revision(request(), SPEC, SHOT, rev("camera", SPEC.camera, SPEC.camera))
    with pytest.raises(RevisionRejected, match="cannot apply"):
        apply_revision(request(), SPEC, SHOT, rev("seed", "11", "not a number"))


def test_model_change_brings_its_own_size_and_dialect_only() -> None:
    old = request(width=1280, height=720)
    new, _ = apply_revision(old, SPEC, SHOT, rev("model", old.model, "sora-2"))
    assert new.model == "sora-2" and new.prompt == compose.render(SPEC, "sora")
    assert new.seed == old.seed and new.duration_s == old.duration_s


def _take(attempt: int, fails: int, spec: PromptSpec, **kw) -> Take:
    qc = QCReport(decodable=True, findings=[
        Finding(check="camera", message="camera reads as pan_right, asked for pan_left",
                variable="camera")] * fails)
    return Take(shot_index=0, attempt=attempt, request=request(attempt=attempt, **kw), qc=qc,
                spec=spec)


def test_base_take_reverts_only_a_worse_retake() -> None:
    a, b = _take(1, 1, SPEC), _take(2, 2, SPEC)
    assert base_take([a, b]) is a
    c = _take(2, 1, SPEC)
    assert base_take([a, c]) is c  # unchanged is kept: only worse is reverted


def test_revise_node_reverts_to_the_best_take_and_tries_the_next_hypothesis(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path / "p").ensure()
    ctx = make_context(project, Settings(), auto_approve=True)
    first = _take(1, 1, SPEC)
    tried = rev("camera", SPEC.camera, SPEC.camera + " Camera at eye level.")
    changed = SPEC.model_copy(update={"camera": tried.after})
    worse = _take(2, 2, changed, seed=11)
    tried = tried.model_copy(update={"outcome": "worse", "base_attempt": 1})
    planned = PlannedShot(index=0, duration_s=5, model="kling-v2-6-std", provider="kling",
                          prompt=compose.render(SPEC, "kling"), shot=SHOT, spec=SPEC)
    state = ShotState(planned=planned, aspect_ratio="16:9", resolution="720p", audio=False,
                      takes=[first, worse], revisions=[tried], spec=changed)
    out = asyncio.run(revise(state, Runtime(context=ctx)))
    nxt = out["revisions"][-1]
    assert nxt.base_attempt == 1 and nxt.attempt == 3 and nxt.variable == "camera"
    # Started from take 1's prompt, not the worse one, with the second camera hypothesis.
    assert nxt.before == SPEC.camera and "very slow pan left only" in nxt.after
    assert out["spec"].camera == nxt.after and out["request"].attempt == 3
    assert out["request"].seed == first.request.seed
    (entry,) = Ledger(project.ledger_path).experiments()
    assert entry.base_attempt == 1 and entry.qc_before == ["camera"]

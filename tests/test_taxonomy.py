"""Failure -> one variable: precedence, the rewrite ladders, and escalation to the model."""

from __future__ import annotations

import json

import pytest

from director.agent.brains.taxonomy import (
    escalate,
    ladder,
    ordered_failures,
    propose_revision,
)
from director.agent.nodes.revise import apply_revision
from director.agent.variables import changed_spec_variables
from director.film import (
    Bible,
    Camera,
    Character,
    Finding,
    GenerationRequest,
    Lighting,
    Location,
    QCReport,
    Revision,
    Shot,
    WardrobeItem,
)
from director.prompts import compose, lint
from director.tools import catalog

ANA = Character(name="Ana", age="40s", hair="black hair in a tight bun", eyes="green eyes",
                wardrobe=[WardrobeItem(garment="chef jacket", material="cotton", colour="white")])
KITCHEN = Location(name="kitchen", place="a steel restaurant kitchen", time_of_day="night",
                   lighting=Lighting(source="tungsten practical", direction="camera-left at 45°",
                                     side="left", colour_temperature_k=3200))
BIBLE = Bible(characters=[ANA], locations=[KITCHEN], look="Kodak 250D, fine grain")
SHOT = Shot(index=0, beat="Ana plates", duration_s=5, subject="Ana", characters=["Ana"],
            location="kitchen", action="plates a dish of risotto, then wipes the rim",
            camera=Camera(move="pan_left", size="medium", focal_length_mm=85),
            lighting=KITCHEN.lighting, atmosphere="Kodak 250D, fine grain, amber palette.",
            end_position="Ana standing behind the pass")
SPEC = lint.fix(compose.compose_spec(SHOT, BIBLE), SHOT, BIBLE, "kling")[0]


def request(model: str = "kling-v2-6-std", provider: str = "kling", **kw) -> GenerationRequest:
    base = dict(shot_index=0, model=model, provider=provider, prompt=compose.render(SPEC, "kling"),
                duration_s=5, width=1280, height=720, seed=11)
    return GenerationRequest(**{**base, **kw})


def failed(*pairs: tuple[str, str]) -> QCReport:
    return QCReport(decodable=True, findings=[
        Finding(check=check, message=f"{check} is wrong", variable=variable)
        for check, variable in pairs])


def test_precedence_follows_qc_table_order() -> None:
    qc = failed(("frozen", "seed"), ("lighting", "lighting"), ("camera", "camera"),
                ("size", "params"))
    assert [f.variable for f in ordered_failures(qc)] == ["params", "camera", "lighting", "seed"]
    rev = propose_revision(SHOT, SPEC, request(width=640), failed(("camera", "camera"),
                                                                  ("frozen", "seed")), [])
    assert rev is not None and rev.variable == "camera" and rev.reason.startswith("camera:")


def test_camera_rewrite_states_direction_speed_and_screen_effect_lint_clean() -> None:
    rev = propose_revision(SHOT, SPEC, request(), failed(("camera", "camera")), [])
    assert rev is not None and rev.variable == "camera" and rev.before == SPEC.camera
    assert "slow pan left" in rev.after and "scene sliding right" in rev.after
    new_request, new_spec = apply_revision(request(), SPEC, SHOT, rev.model_copy(
        update={"attempt": 2}))
    assert changed_spec_variables(SPEC, new_spec, SHOT) == {"camera"}
    assert new_request.prompt == compose.render(new_spec, "kling")
    assert not {f.rule for f in lint.lint(new_spec, SHOT, BIBLE)} - {
        f.rule for f in lint.lint(SPEC, SHOT, BIBLE)}
    # The second camera hypothesis simplifies to the one move, slower; the third is the model.
    second = propose_revision(SHOT, new_spec, new_request, failed(("camera", "camera")), [rev])
    assert second is not None and second.variable == "camera"
    assert "very slow pan left only" in second.after
    third = propose_revision(SHOT, new_spec, new_request, failed(("camera", "camera")),
                             [rev, second])
    assert third is not None and third.variable == "model"
    assert catalog.get(third.after).quality > catalog.get("kling-v2-6-std").quality


@pytest.mark.parametrize(("variable", "expect"), [
    ("action", "visibly plates a dish of risotto"),
    ("lighting", "camera-left at 45°, 3200K"),
    ("subject", "Same Ana in every frame"),
])
def test_prompt_variables_rewrite_only_their_own_sentences(variable: str, expect: str) -> None:
    rev = propose_revision(SHOT, SPEC, request(), failed((f"judge:{variable}", variable)), [])
    assert rev is not None and rev.variable == variable and expect in rev.after
    _, new_spec = apply_revision(request(), SPEC, SHOT, rev.model_copy(update={"attempt": 2}))
    assert changed_spec_variables(SPEC, new_spec, SHOT) == {variable}
    assert ANA.descriptor in new_spec.subject  # the descriptor is never touched or varied
    assert "wipes the rim" not in new_spec.subject or variable != "action"  # one beat only


def test_provider_missing_valid_params_rerolls_seed_then_escalates_model() -> None:
    qc = failed(("duration", "params"))
    first = propose_revision(SHOT, SPEC, request(), qc, [])
    assert first is not None and first.variable == "seed" and first.after != "11"
    second = propose_revision(SHOT, SPEC, request(attempt=2, seed=int(first.after)), qc, [first])
    assert second is not None and second.variable == "model"
    assert second.before == "kling-v2-6-std" and second.after != second.before


def test_defect_surviving_a_reroll_escalates_but_a_new_defect_gets_its_own_seed() -> None:
    rolled = Revision(shot_index=0, attempt=2, variable="seed", before="11", after="12",
                      reason="frozen: picture freezes at 1.0s")
    same = propose_revision(SHOT, SPEC, request(attempt=2), failed(("frozen", "seed")), [rolled])
    assert same is not None and same.variable == "model"
    other = propose_revision(SHOT, SPEC, request(attempt=2), failed(("black", "seed")), [rolled])
    assert other is not None and other.variable == "seed"
    assert other.after not in ("11", "12") and other.attempt == 3


def test_invalid_duration_is_snapped_as_params() -> None:
    rev = propose_revision(SHOT, SPEC, request(duration_s=7), failed(("duration", "params")), [])
    assert rev is not None and rev.variable == "params"
    assert json.loads(rev.after) == {"duration_s": 5.0}


def test_animatic_has_no_model_to_escalate_to() -> None:
    history = [Revision(shot_index=0, attempt=2, variable="seed", before="1", after="2",
                        reason="decodable: x")]
    req = request(model="animatic", provider="animatic")
    assert propose_revision(SHOT, SPEC, req, failed(("decodable", "seed")), history) is None


def test_escalation_climbs_quality_on_the_same_service() -> None:
    assert escalate(request()) == "kling-v2-6-pro"  # cheapest stronger kling at 5 s
    assert escalate(request(model="kling-v3-pro")) is None  # nothing stronger and verified
    # Image-to-video models join the ladder only when a first frame exists.
    assert all(m.text_to_video for m in ladder(request()))
    framed = ladder(request(first_frame="a.png"))
    assert any(not m.text_to_video for m in framed) and all(m.first_frame for m in framed)

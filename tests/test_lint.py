"""Every craft rule fires on a prompt that breaks it, stays quiet on one that keeps it, and
`fix` repairs each mechanical one while leaving the rest for a person or a brain."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from director.film import Bible, Camera, Character, Location, PromptSpec, Shot, WardrobeItem
from director.prompts.compose import compose_spec, render
from director.prompts.lint import MULTISHOT, RULES, LintFinding, fix, lint, lint_text
from director.prompts.vocabulary import MOVE_PHRASES, find_moves, word_count

ANA = Character(
    name="Ana", age="40s", hair="black hair in a tight bun",
    wardrobe=[WardrobeItem(garment="double-breasted chef jacket", colour="white")],
    marks=["a small gold nose ring"],
)
LIGHT = dict(source="tungsten heat lamps", direction="camera-right at 45°", side="right",
             colour_temperature_k=3200, quality="warm, hard")
KITCHEN = Location(name="kitchen pass", place="the pass of a restaurant kitchen",
                   time_of_day="evening service", lighting=LIGHT)
BIBLE = Bible(characters=[ANA], locations=[KITCHEN])
SHOT = Shot(
    index=0, beat="Ana chops spring onions", location="kitchen pass", duration_s=4,
    subject="Ana", characters=["Ana"], action="chops spring onions on a board",
    camera=Camera(move="pan_right", size="medium", focal_length_mm=50), lighting=LIGHT,
    atmosphere="Kodak Vision3 500T film stock, fine grain, amber and brushed-steel palette. "
               "Steam rising from the pans through the light.",
    end_position="Ana holding still at the pass, knife resting on the board",
    negative_prompt="on-screen text, watermark, extra fingers",
)
BOAT = SHOT.model_copy(update=dict(subject="a paper boat", characters=[],
                                   action="drifts down a flooded gutter", end_position=""))


def good() -> PromptSpec:
    return compose_spec(SHOT, BIBLE)


def rules(findings: list[LintFinding]) -> set[str]:
    return {f.rule for f in findings}


def edit(**parts: str) -> Callable[[PromptSpec], PromptSpec]:
    return lambda spec: spec.model_copy(update=parts)


def append(part: str, text: str) -> Callable[[PromptSpec], PromptSpec]:
    return lambda spec: spec.model_copy(update={part: f"{getattr(spec, part)} {text}"})


def replace(part: str, old: str, new: str) -> Callable[[PromptSpec], PromptSpec]:
    def apply(spec: PromptSpec) -> PromptSpec:
        value = getattr(spec, part)
        assert old in value, (old, value)
        return spec.model_copy(update={part: value.replace(old, new)})
    return apply


# (rule, how to break a good spec); every one of these is mechanical, so fix() must repair it.
FIXABLE: list[tuple[str, Callable[[PromptSpec], PromptSpec]]] = [
    ("four_parts", edit(atmosphere="")),
    ("word_count", edit(subject=f"{ANA.descriptor}. Ana chops spring onions.",
                        atmosphere="Fine grain.")),
    ("word_count", append("atmosphere", " ".join(["Grease-spotted tickets flutter."] * 12))),
    ("camera_move", replace("camera", "slow pan right, ", "")),
    ("second_move", replace("camera", "slow pan right", "slow pan right, then a slow dolly-in")),
    ("second_move", append("subject", "The camera orbits her.")),
    ("framing", append("subject", "Extreme close-up on her hands.")),
    ("light_direction", replace("environment", "from camera-right at 45°, ", "")),
    ("colour_temperature", replace("environment", "3200K ", "")),
    ("focal_length", replace("camera", ", 50mm lens", "")),
    ("vague_words", append("atmosphere", "The mood is dramatic and cinematic.")),
    ("vague_words", replace("environment", "The pass", "The beautiful pass")),
    ("descriptor", replace("subject", "black hair in a tight bun", "dark hair in a loose bun")),
    ("descriptor", replace("subject", f"{ANA.descriptor}. ", "")),
    ("negative_subject", edit(negative_prompt="watermark, Ana, blurry")),
]


def test_a_composed_prompt_is_clean() -> None:
    assert lint(good(), SHOT, BIBLE) == []


def test_every_rule_is_documented() -> None:
    fired = {rule for rule, _ in FIXABLE} | {"one_action", "segment_length"}
    assert fired <= set(RULES)


@pytest.mark.parametrize(("rule", "breaker"), FIXABLE, ids=[f"{r}-{i}" for i, (r, _) in
                                                             enumerate(FIXABLE)])
def test_rule_fires_on_a_bad_spec(rule: str, breaker: Callable[[PromptSpec], PromptSpec]) -> None:
    findings = lint(breaker(good()), SHOT, BIBLE)
    hit = [f for f in findings if f.rule == rule]
    assert hit, findings
    assert all(f.fixable for f in hit)
    assert all(f.severity == "error" and f.message for f in hit)


@pytest.mark.parametrize(("rule", "breaker"), FIXABLE, ids=[f"{r}-{i}" for i, (r, _) in
                                                             enumerate(FIXABLE)])
def test_fix_repairs_each_mechanical_rule(rule: str,
                                          breaker: Callable[[PromptSpec], PromptSpec]) -> None:
    fixed, remaining = fix(breaker(good()), SHOT, BIBLE)
    assert remaining == []
    assert lint(fixed, SHOT, BIBLE) == []
    text = fixed.text()
    assert ANA.descriptor in text
    assert MOVE_PHRASES["pan_right"] in text
    assert "camera-right" in text and "3200K" in text and "50mm" in text


def test_fix_drops_the_second_move_and_keeps_the_first() -> None:
    bad = replace("camera", "slow pan right", "slow pan right, then a slow dolly-in")(good())
    fixed, _ = fix(bad, SHOT, BIBLE)
    assert [key for key, _, _ in find_moves(fixed.text())] == ["pan_right"]
    assert "then" not in fixed.camera


def test_fix_cuts_a_sentence_that_is_only_mood() -> None:
    bad = append("atmosphere", "The mood is dramatic and cinematic.")(good())
    fixed, _ = fix(bad, SHOT, BIBLE)
    assert "mood is" not in fixed.text()
    assert "Steam rising from the pans" in fixed.text()


def test_fix_keeps_the_grounded_rest_of_a_sentence_with_a_vague_word() -> None:
    bad = append("environment", "Stunning copper pans hang over the stove.")(good())
    fixed, _ = fix(bad, SHOT, BIBLE)
    assert "copper pans hang over the stove" in fixed.text().lower()
    assert "tunning" not in fixed.text()


def test_fix_inserts_light_and_lens_from_the_shot() -> None:
    bad = good().model_copy(update=dict(environment="The pass of a restaurant kitchen.",
                                        camera="Medium shot, slow pan right."))
    fixed, remaining = fix(bad, SHOT, BIBLE)
    assert remaining == []
    assert SHOT.lighting.phrase()[1:] in fixed.environment
    assert "50mm lens" in fixed.camera


def test_fix_restores_a_varied_descriptor_verbatim() -> None:
    bad = replace("subject", "a small gold nose ring", "a silver nose stud")(good())
    assert "descriptor" in rules(lint(bad, SHOT, BIBLE))
    fixed, _ = fix(bad, SHOT, BIBLE)
    assert ANA.descriptor in fixed.subject and "silver nose stud" not in fixed.text()


def test_fix_removes_only_the_negative_terms_that_name_the_subject() -> None:
    spec = compose_spec(BOAT, BIBLE).model_copy(
        update=dict(negative_prompt="boats, watermark, paper, blurry"))
    assert "negative_subject" in rules(lint(spec, BOAT, BIBLE))
    fixed, _ = fix(spec, BOAT, BIBLE)
    assert fixed.negative_prompt == "watermark, blurry"


@pytest.mark.parametrize("action", [
    "chops spring onions and then plates them",
    "chops spring onions, then plates them",
    "chops spring onions, plates the scallop and smiles",
    "chops spring onions. After that she plates them",
])
def test_one_action_fires_on_chained_actions_and_is_not_fixable(action: str) -> None:
    shot = SHOT.model_copy(update=dict(action=action))
    findings = [f for f in lint(compose_spec(shot, BIBLE), shot, BIBLE) if f.rule == "one_action"]
    assert findings and not any(f.fixable for f in findings)
    _, remaining = fix(compose_spec(shot, BIBLE), shot, BIBLE)
    assert "one_action" in rules(remaining)


@pytest.mark.parametrize("action", ["chops spring onions and chives on a board",
                                    "slides the plate toward the lens",
                                    "as steam rises slowly"])
def test_one_action_is_quiet_on_one_action(action: str) -> None:
    shot = SHOT.model_copy(update=dict(action=action))
    assert "one_action" not in rules(lint(compose_spec(shot, BIBLE), shot, BIBLE))


def test_focal_length_is_required_only_with_a_person_in_frame() -> None:
    spec = compose_spec(BOAT, BIBLE)
    no_lens = spec.model_copy(update=dict(camera=spec.camera.replace(", 50mm lens", "")))
    assert "focal_length" not in rules(lint(no_lens, BOAT, BIBLE))
    hands = BOAT.model_copy(update=dict(subject="hands"))
    assert "focal_length" in rules(lint(no_lens, hands, BIBLE))


def test_unknown_character_is_reported_but_not_fixable() -> None:
    shot = SHOT.model_copy(update=dict(characters=["Ana", "Ghost"]))
    found = [f for f in lint(good(), shot, BIBLE) if f.rule == "descriptor"]
    assert found and not found[0].fixable


def test_vague_words_inside_a_descriptor_belong_to_the_bible_not_the_prompt() -> None:
    diva = Character(name="Lu", descriptor="Lu, a stunning singer in a red silk gown")
    bible = Bible(characters=[diva], locations=[KITCHEN])
    shot = SHOT.model_copy(update=dict(characters=["Lu"], subject="Lu", action="sings"))
    spec = compose_spec(shot, bible)
    assert lint(spec, shot, bible) == []
    fixed, _ = fix(spec, shot, bible)
    assert diva.descriptor in fixed.text()


def test_multishot_family_checks_characters_not_words() -> None:
    short = compose_spec(BOAT, BIBLE).model_copy(update=dict(atmosphere="Fine grain."))
    assert len(short.text()) <= 512
    assert lint(short, BOAT, BIBLE, MULTISHOT) == []
    assert "word_count" in rules(lint(short, BOAT, BIBLE))
    spec = good()
    long = append("atmosphere", "Copper pans hang in a row above the stove. " * 10)(spec)
    assert "segment_length" in rules(lint(long, SHOT, BIBLE, MULTISHOT))
    fixed, remaining = fix(long, SHOT, BIBLE, MULTISHOT)
    assert remaining == [] and len(fixed.text()) <= 512
    assert ANA.descriptor in fixed.text() and MOVE_PHRASES["pan_right"] in fixed.text()


def test_lint_text_reads_rendered_provider_text() -> None:
    spec = good().model_copy(update=dict(audio="knife on board"))
    for family in ("kling", "sora", "animatic"):
        text = render(spec, family)
        assert lint_text(text, SHOT, BIBLE, family, spec.negative_prompt) == []
    broken = render(spec, "kling").replace("slow pan right", "slow pan right and a crash zoom")
    assert "second_move" in rules(lint_text(broken, SHOT, BIBLE))


def test_action_words_are_not_mistaken_for_camera_moves() -> None:
    shot = SHOT.model_copy(update=dict(action="pulls back the hood and folds a paper crane"))
    spec = compose_spec(shot, BIBLE)
    assert "second_move" not in rules(lint(spec, shot, BIBLE))


def test_fixed_word_count_lands_in_range() -> None:
    bad = edit(subject=f"{ANA.descriptor}. Ana chops spring onions.", atmosphere="Fine grain.")(
        good())
    fixed, _ = fix(bad, SHOT, BIBLE)
    assert 80 <= word_count(fixed.text()) <= 120


# --- spoken words are not direction ---------------------------------------------------------------


def test_quoted_speech_is_not_read_as_direction() -> None:
    """A line of dialogue may say "then", "epic" or "pan left"; those are words spoken."""
    said = ' Ana whispers "Every night. Then the sun comes up, an epic pan left, a close-up."'
    spec = append("subject", said)(good())
    found = rules(lint(spec, SHOT, BIBLE))
    assert not found & {"one_action", "vague_words", "second_move", "framing"}
    shot = SHOT.model_copy(update=dict(action='says "first this, then that" to the pass'))
    assert "one_action" not in rules(lint(compose_spec(shot, BIBLE), shot, BIBLE))


def test_the_audio_cue_is_not_read_as_direction() -> None:
    spec = good().model_copy(update=dict(audio='Ana says: "Then we plate. Dramatic, huh?"'))
    for family in ("kling", "sora", "animatic"):
        text = render(spec, family)
        assert lint_text(text, SHOT, BIBLE, family, spec.negative_prompt) == [], text

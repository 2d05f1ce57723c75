"""The four-part composer: order, verbatim descriptors, word range, per-family rendering, and
Kling multi-shot segments that fit the provider's 512-character limit."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from director.film import (
    Bible,
    Camera,
    CameraMove,
    Character,
    DialogueLine,
    Location,
    Shot,
    WardrobeItem,
)
from director.prompts.compose import (
    MULTISHOT_SEGMENT_CHARS,
    WORD_RANGE,
    compose_spec,
    render,
    render_multishot,
)
from director.prompts.lint import MULTISHOT, lint, lint_text
from director.prompts.vocabulary import (
    LIGHTING_SETUPS,
    MOVE_PHRASES,
    find_moves,
    find_vague_words,
    lighting_setup,
    move_matches,
    word_count,
)

ANA = Character(
    name="Ana", age="40s", hair="black hair in a tight bun",
    wardrobe=[WardrobeItem(garment="double-breasted chef jacket", colour="white")],
    marks=["a small gold nose ring"],
)
MARCO = Character(
    name="Marco",
    descriptor=("Marco, a sous-chef in his 50s, close-cropped silver hair and a trimmed grey "
                "beard, brown eyes, wearing a navy cotton apron over a white linen shirt, a "
                "burn scar across the back of his left hand, round steel glasses"),
)
KITCHEN = Location(name="kitchen pass", place="the pass of a restaurant kitchen",
                   time_of_day="evening service", lighting=lighting_setup("kitchen"))
BIBLE = Bible(characters=[ANA, MARCO], locations=[KITCHEN],
              look="Kodak Vision3 500T film stock, fine grain, amber palette")


def make_shot(**overrides: object) -> Shot:
    fields: dict[str, object] = dict(
        index=0, beat="Ana chops spring onions", location="kitchen pass", duration_s=4,
        subject="Ana", characters=["Ana"], action="chops spring onions on a board",
        camera=Camera(move="pan_right", size="wide", focal_length_mm=24),
        lighting=lighting_setup("kitchen"),
        atmosphere="Kodak Vision3 500T film stock, fine grain, amber and brushed-steel palette. "
                   "Steam rising from the pans through the light.",
        end_position="Ana holding still at the pass, knife resting on the board",
        negative_prompt="on-screen text, watermark",
    )
    fields.update(overrides)
    return Shot.model_validate(fields)


def test_parts_come_in_the_four_part_order() -> None:
    shot = make_shot()
    spec = compose_spec(shot, BIBLE)
    assert spec.subject.startswith(ANA.descriptor)
    assert "chops spring onions" in spec.subject
    assert MOVE_PHRASES["pan_right"] in spec.camera and "24mm lens" in spec.camera
    assert "wide shot" in spec.camera.lower()
    assert "from above and camera-right at 45°" in spec.environment
    assert "3200K" in spec.environment
    assert "the pass of a restaurant kitchen" in spec.environment.lower()
    assert "Vision3 500T" in spec.atmosphere
    text = spec.text()
    order = [text.index(p.strip()) for p in spec.parts()]
    assert order == sorted(order)


def test_composed_prompt_is_lint_clean_and_in_range() -> None:
    shot = make_shot()
    spec = compose_spec(shot, BIBLE)
    assert WORD_RANGE[0] <= word_count(spec.text()) <= WORD_RANGE[1]
    assert lint(spec, shot, BIBLE) == []


def test_short_shot_is_padded_with_setup_sheet_detail_not_adjectives() -> None:
    shot = make_shot(subject="a paper boat", characters=[], action="drifts along the gutter",
                     location="", atmosphere="Fujifilm Eterna look, fine grain.",
                     end_position="", camera=Camera(move="static", size="close_up",
                                                    focal_length_mm=100))
    spec = compose_spec(shot, BIBLE)
    n = word_count(spec.text())
    assert WORD_RANGE[0] <= n <= WORD_RANGE[1]
    assert find_vague_words(spec.text()) == []
    assert "f/" in spec.text() or "shutter" in spec.text()
    assert lint(spec, shot, BIBLE) == []


def test_long_shot_is_trimmed_without_cutting_what_the_craft_protects() -> None:
    shot = make_shot(
        characters=["Ana", "Marco"], subject="Ana and Marco",
        action="lift the copper pan off the flame together",
        start_position="Ana and Marco standing shoulder to shoulder behind the pass, both "
                       "hands flat on the steel counter, eyes on the order tickets",
        end_position="Ana and Marco standing still behind the pass, the copper pan held "
                     "between them at chest height, both looking at the lens",
        atmosphere="Kodak Vision3 500T film stock, fine grain, amber and brushed-steel palette. "
                   "Steam rising from the pans through the light. Warm amber highlights on "
                   "the steel; grease-spotted tickets fluttering on the rail above the pass.",
    )
    spec = compose_spec(shot, BIBLE)
    text = spec.text()
    assert word_count(text) <= WORD_RANGE[1]
    assert ANA.descriptor in text and MARCO.descriptor in text
    assert "lift the copper pan off the flame together" in text
    assert MOVE_PHRASES["pan_right"] in text
    assert "camera-right at 45°" in text and "3200K" in text and "24mm" in text


def test_descriptors_are_pasted_verbatim_even_with_punctuation_inside() -> None:
    odd = Character(name="Vi", descriptor="Vi. A woman, 70, silver bob; red wool coat")
    bible = Bible(characters=[odd], locations=[KITCHEN])
    shot = make_shot(characters=["Vi"], subject="Vi", action="waits by the door")
    spec = compose_spec(shot, bible)
    assert odd.descriptor in spec.subject


@pytest.mark.parametrize("move", get_args(CameraMove))
def test_every_move_has_a_phrase_the_recogniser_reads_back(move: str) -> None:
    phrase = MOVE_PHRASES[move]  # type: ignore[index]
    hits = find_moves(f"Medium shot, {phrase}, 50mm lens.")
    assert len(hits) == 1 and move_matches(hits[0][0], move)  # type: ignore[arg-type]


@pytest.mark.parametrize("move", get_args(CameraMove))
def test_each_move_composes_into_a_clean_prompt(move: str) -> None:
    shot = make_shot(camera=Camera(move=move, size="medium", focal_length_mm=50))
    spec = compose_spec(shot, BIBLE)
    assert lint(spec, shot, BIBLE) == []


@pytest.mark.parametrize("key", sorted(LIGHTING_SETUPS))
def test_every_lighting_setup_states_direction_and_kelvin(key: str) -> None:
    light = lighting_setup(key)
    shot = make_shot(lighting=light)
    spec = compose_spec(shot, BIBLE)
    assert light.phrase()[1:] in spec.environment
    assert re.search(r"\d{4,5}K", spec.environment)
    assert lint(spec, shot, BIBLE) == []


def test_place_takes_the_time_of_day_before_its_details() -> None:
    street = Location(name="street", place="a rainy city street, where neon signs reflect",
                      time_of_day="night", lighting=lighting_setup("night_neon"))
    shot = make_shot(location="street", lighting=street.lighting)
    spec = compose_spec(shot, Bible(characters=[ANA], locations=[street]))
    assert "A rainy city street at night, where neon signs reflect." in spec.environment


def test_render_kling_and_animatic_are_the_four_parts_as_prose_plus_audio() -> None:
    shot = make_shot(sfx=["knife on board"], dialogue=[DialogueLine(speaker="Ana",
                                                                    text="Service!")])
    spec = compose_spec(shot, BIBLE)
    kling = render(spec, "kling")
    assert kling.startswith(spec.text())
    assert kling.endswith('Audio: knife on board; Ana says: "Service!"')
    assert render(spec, "animatic") == kling
    assert lint_text(kling, shot, BIBLE, "kling", spec.negative_prompt) == []


def test_render_sora_has_prose_then_a_labelled_cinematography_block() -> None:
    shot = make_shot()
    spec = compose_spec(shot, BIBLE)
    sora = render(spec, "sora")
    prose, block = sora.split("\n\n", 1)
    assert prose.startswith(ANA.descriptor) and "camera-right" in prose
    assert block.startswith("Cinematography: ") and MOVE_PHRASES["pan_right"] in block
    assert "Look: " in block
    assert lint_text(sora, shot, BIBLE, "sora", spec.negative_prompt) == []


def test_render_rejects_unknown_family() -> None:
    with pytest.raises(ValueError, match="unknown prompt family"):
        render(compose_spec(make_shot(), BIBLE), "veo")


def test_multishot_segments_fit_512_and_keep_descriptor_action_move_and_light() -> None:
    assert MULTISHOT_SEGMENT_CHARS == 512
    shots = [
        make_shot(index=0),
        make_shot(index=1, characters=["Ana", "Marco"], subject="Ana and Marco",
                  action="lift the copper pan off the flame together",
                  camera=Camera(move="push_in", size="medium", focal_length_mm=50),
                  start_position="Ana holding still at the pass, knife resting on the board",
                  end_position="Ana and Marco standing still behind the pass, pan held high"),
    ]
    specs = [compose_spec(s, BIBLE) for s in shots]
    segments = render_multishot(specs, BIBLE)
    assert len(segments) == 2
    for segment, shot in zip(segments, shots, strict=True):
        assert len(segment) <= MULTISHOT_SEGMENT_CHARS
        for name in shot.characters:
            assert BIBLE.character(name).descriptor in segment  # type: ignore[union-attr]
        assert shot.action in segment
        assert MOVE_PHRASES[shot.camera.move] in segment
        assert "camera-right at 45°" in segment
        assert lint_text(segment, shot, BIBLE, MULTISHOT) == []


def test_multishot_leaves_short_segments_untouched() -> None:
    shot = make_shot(characters=[], subject="a paper boat", action="drifts", end_position="",
                     atmosphere="Fine grain.", location="")
    spec = compose_spec(shot, BIBLE)
    assert len(spec.text()) <= MULTISHOT_SEGMENT_CHARS
    assert render_multishot([spec], BIBLE) == [spec.text()]

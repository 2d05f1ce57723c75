"""The offline rules brain on real briefs: clip lengths the model accepts summing to the target,
varied sizes, one move per shot, descriptors verbatim, bridged positions, lint-clean prompts,
and the same plan every time."""

from __future__ import annotations

import itertools
import sys
import types
from pathlib import Path

import pytest

from director.agent.brains.base import Brain
from director.agent.brains.rules import RulesBrain
from director.agent.brains.shotcraft import allot_durations
from director.film import (
    Bible,
    Brief,
    Character,
    GenerationRequest,
    Location,
    PromptSpec,
    QCReport,
    Revision,
    Shot,
)
from director.plan import ShotList
from director.prompts.compose import render, render_multishot
from director.prompts.lint import MULTISHOT, lint, lint_text
from director.prompts.vocabulary import VAGUE_WORDS, find_moves, move_matches

# Copies of the shared reference briefs, so a clean clone tests them.
SHARED = Path(__file__).resolve().parent / "data" / "reference_briefs"

KLING_26 = [5.0, 10.0]
KLING_V3 = [float(s) for s in range(3, 16)]
SORA = [4.0, 8.0, 12.0]
ANIMATIC = [x / 2 for x in range(2, 41)]
DURATION_SETS = {"kling26": KLING_26, "klingv3": KLING_V3, "sora": SORA, "animatic": ANIMATIC}

OWN_BRIEFS: dict[str, dict[str, object]] = {
    "paper-boat": dict(text="a paper boat drifting down a flooded gutter after rain"),
    "diner-dialogue": dict(target_duration_s=20, text=(
        "Two-hander at a diner counter at night, 16:9, 20 seconds.\n"
        "Mara: late 20s, short platinum hair, grey eyes, a red leather jacket, a silver hoop "
        "earring.\n"
        "Theo: 60s, close-cropped grey hair, brown eyes, a navy wool peacoat, round "
        "tortoiseshell glasses.\n"
        'Mara slides a brass key across the counter. Mara says: "It\'s yours now." Theo picks '
        'up the key and turns it over. Theo says: "I never wanted it." Mara walks out into the '
        "rain.")),
    "two-scene-story": dict(target_duration_s=30, text=(
        "A short story in two places, 16:9, 30 seconds.\n"
        "Characters: Lena (early 40s, long grey-streaked black hair, hazel eyes, a mustard wool "
        "cardigan) and her son Kofi (about 8, curly black hair, brown eyes, a yellow nylon "
        "raincoat).\n"
        "Scene 1, a cluttered kitchen in the morning: Lena packs a lunchbox. Kofi laces his "
        "boots. Lena hands Kofi the lunchbox.\n"
        "Scene 2, a windy beach at golden hour: Kofi runs along the shoreline. Lena watches "
        "from the dunes. They sit together on the sand.")),
    "product-spot": dict(target_duration_s=15, text=(
        "Product spot for the Aurora wireless earbuds, 16:9, 15 seconds. Matte black charging "
        "case with a copper hinge.\n"
        "Shots: an extreme close-up of the matte black case on a slate slab as the lid opens; "
        "the earbuds rising slowly out of the case; a wide of the case on the slab with the "
        "logo card beside it.\n"
        "Style: clean, premium, cool. No hands. No text.")),
    "nature-piece": dict(target_duration_s=20, text=(
        "Nature piece, 20 seconds, 16:9. A misty pine forest at dawn. A red fox steps out of "
        "the ferns, sniffs the frosted air, and trots across a fallen log. Sunlight breaks "
        "through the trees as the fox disappears into the mist. Epic and breathtaking.")),
    "vertical-ad": dict(target_duration_s=10, aspect_ratio="9:16", text=(
        "Vertical 9:16 ad for a running shoe, 10 seconds, for Instagram Reels.\n"
        "Runner: Priya, mid-20s, high black ponytail, brown eyes, a neon orange mesh running "
        "vest, white knit sneakers.\n"
        "Priya sprints up concrete stadium steps at sunrise. Close-up of her sneakers hitting "
        "the top step. She turns to camera and grins.")),
}


def shared_brief(name: str) -> Brief:
    path = SHARED / f"{name}.md"
    text = path.read_text(encoding="utf-8")
    if name == "chef-table":
        beats = [line for line in text.splitlines() if line[:2] in ("1.", "2.", "3.")]
        return Brief(title=name, text=text, aspect_ratio="9:16", target_duration_s=12,
                     audio=True, beats=beats)
    target = {"neon-rain": 25, "morning-coffee": 20}[name]
    return Brief(title=name, text=text, target_duration_s=target)


def make_brief(name: str) -> Brief:
    if name in ("chef-table", "neon-rain", "morning-coffee"):
        return shared_brief(name)
    return Brief.model_validate({"title": name, **OWN_BRIEFS[name]})


ALL = ["chef-table", "neon-rain", "morning-coffee", *OWN_BRIEFS]


def plan(name: str, durations: list[float] = ANIMATIC) -> tuple[Brief, ShotList]:
    brief = make_brief(name)
    return brief, RulesBrain().plan(brief, durations)


def best_sum(target: float, allowed: list[float], max_shots: int = 12) -> float:
    """The reachable total nearest the target, by plain enumeration of sums."""
    layer, sums = {0.0}, set()
    for _ in range(max_shots):
        layer = {total + v for total in layer for v in allowed}
        sums |= layer
    return min(sums, key=lambda s: (abs(s - target), s))


# --- durations ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_animatic_durations_sum_exactly_to_the_target(name: str) -> None:
    brief, shot_list = plan(name)
    assert all(s.duration_s in ANIMATIC for s in shot_list.shots)
    assert sum(s.duration_s for s in shot_list.shots) == pytest.approx(brief.target_duration_s)
    assert all(3 <= s.duration_s <= 8 for s in shot_list.shots)


@pytest.mark.parametrize("durations", [KLING_26, KLING_V3, SORA], ids=["kling26", "klingv3",
                                                                       "sora"])
@pytest.mark.parametrize("name", ALL)
def test_durations_come_from_the_allowed_set_and_sum_closest(name: str,
                                                             durations: list[float]) -> None:
    brief, shot_list = plan(name, durations)
    assert all(s.duration_s in durations for s in shot_list.shots)
    total = sum(s.duration_s for s in shot_list.shots)
    best = best_sum(brief.target_duration_s, durations)
    assert abs(total - brief.target_duration_s) == pytest.approx(
        abs(best - brief.target_duration_s))


@pytest.mark.parametrize(("target", "allowed", "beats", "expected"), [
    (12, KLING_26, 3, [5.0, 5.0]),
    (25, KLING_26, 5, [5.0] * 5),
    (25, SORA, 5, [4.0, 4.0, 4.0, 4.0, 8.0]),
    (12, ANIMATIC, 3, [4.0, 4.0, 4.0]),
    (15, ANIMATIC, 1, [5.0, 5.0, 5.0]),
    (4, ANIMATIC, 1, [4.0]),
    (60, KLING_V3, 2, [7.0] * 4 + [8.0] * 4),
])
def test_allot_durations(target: float, allowed: list[float], beats: int,
                         expected: list[float]) -> None:
    got = allot_durations(target, allowed, beats)
    assert sorted(got) == sorted(expected)


# --- shot design --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_sizes_vary_and_each_shot_has_one_move(name: str) -> None:
    _, shot_list = plan(name)
    sizes = [s.camera.size for s in shot_list.shots]
    if len(sizes) > 1:
        assert len(set(sizes)) > 1
        assert all(a != b for a, b in itertools.pairwise(sizes))
    brain = RulesBrain()
    for shot in shot_list.shots:
        text = brain.write(shot, shot_list.bible).text()
        keys = {key for key, _, _ in find_moves(text)}
        assert keys and all(move_matches(k, shot.camera.move) for k in keys), (keys, text)


@pytest.mark.parametrize("name", ALL)
def test_bridging_positions_match_between_consecutive_shots_of_a_scene(name: str) -> None:
    _, shot_list = plan(name)
    assert [s.index for s in shot_list.shots] == list(range(len(shot_list.shots)))
    for prev, shot in itertools.pairwise(shot_list.shots):
        assert prev.end_position
        if shot.scene == prev.scene:
            assert shot.start_position == prev.end_position
        else:
            assert shot.scene == prev.scene + 1


@pytest.mark.parametrize("durations", DURATION_SETS.values(), ids=DURATION_SETS.keys())
@pytest.mark.parametrize("name", ALL)
def test_every_written_prompt_is_lint_clean(name: str, durations: list[float]) -> None:
    _, shot_list = plan(name, durations)
    brain, bible = RulesBrain(), shot_list.bible
    specs = [brain.write(shot, bible) for shot in shot_list.shots]
    for shot, spec in zip(shot_list.shots, specs, strict=True):
        assert lint(spec, shot, bible) == [], spec.text()
        for family in ("kling", "sora", "animatic"):
            text = render(spec, family)
            assert lint_text(text, shot, bible, family, spec.negative_prompt) == [], text
        for name_in_frame in shot.characters:
            character = bible.character(name_in_frame)
            assert character is not None and character.descriptor in spec.text()
        assert not any(w in spec.text().lower().split() for w in VAGUE_WORDS)
    for shot, segment in zip(shot_list.shots, render_multishot(specs, bible), strict=True):
        assert len(segment) <= 512
        assert lint_text(segment, shot, bible, MULTISHOT) == [], segment


def test_chef_table_follows_the_numbered_beats() -> None:
    _, shot_list = plan("chef-table")
    shots = shot_list.shots
    assert len(shots) == 3 and [s.duration_s for s in shots] == [4.0, 4.0, 4.0]
    assert shots[0].camera.move == "pan_right"
    assert shots[1].camera.size == "close_up"
    ana = shot_list.bible.character("Ana")
    assert ana is not None
    assert "tight bun" in ana.descriptor and "nose ring" in ana.descriptor
    assert any(w.colour == "white" for w in ana.wardrobe)
    brain = RulesBrain()
    for shot in shots:
        assert "Ana" in shot.characters
        assert ana.descriptor in render(brain.write(shot, shot_list.bible), "kling")
        assert "knife on board" in shot.sfx
        assert shot.lighting.colour_temperature_k == 3200
    assert "plate toward the lens" in shots[2].action and "smiling" in shots[2].end_position


def test_chef_table_on_kling_26_merges_beats_into_two_five_second_shots() -> None:
    _, shot_list = plan("chef-table", KLING_26)
    assert [s.duration_s for s in shot_list.shots] == [5.0, 5.0]
    assert shot_list.shots[0].camera.move == "pan_right"


def test_neon_rain_reads_the_character_the_light_and_the_camera() -> None:
    _, shot_list = plan("neon-rain")
    june = shot_list.bible.character("June")
    assert june is not None and june.age == "early 30s" and june.eyes == "green eyes"
    assert june.wardrobe[0].model_dump() == dict(garment="trench coat", material="waxed-cotton",
                                                 colour="green")
    assert "carrying a transparent bubble umbrella" in june.marks
    shots = shot_list.shots
    assert len(shots) == 5 and all(s.characters == ["June"] for s in shots)
    assert shots[1].camera.move in ("orbit_left", "orbit_right")
    assert "looks up" in shots[1].action
    location = shot_list.bible.locations[0]
    assert location.time_of_day == "night"
    assert location.lighting.side == "right" and location.lighting.colour_temperature_k == 4000
    assert "neon" in location.place


def test_morning_coffee_keeps_the_stated_window_light_and_no_faces() -> None:
    _, shot_list = plan("morning-coffee")
    shots = shot_list.shots
    assert len(shots) == 4 and not shot_list.bible.characters
    light = shots[0].lighting
    assert light.side == "left" and light.colour_temperature_k == 5600
    assert "camera-left" in light.direction and "window" in light.source
    assert shots[0].camera.size == "close_up" and shots[-1].camera.size == "wide"
    assert all("faces" in s.negative_prompt for s in shots)
    assert "hands" not in shots[1].negative_prompt  # the subject is never negated


def test_one_liner_plans_wide_medium_close() -> None:
    _, shot_list = plan("paper-boat")
    assert [s.camera.size for s in shot_list.shots] == ["wide", "medium", "close_up"]
    assert [s.camera.focal_length_mm for s in shot_list.shots][:2] == [24, 50]
    assert all("paper boat" in s.subject for s in shot_list.shots)
    assert 1 <= len(RulesBrain().plan(Brief(title="b", text=OWN_BRIEFS["paper-boat"]["text"],
                                            target_duration_s=4), ANIMATIC).shots) <= 3


def test_dialogue_lines_stay_with_their_speaker() -> None:
    _, shot_list = plan("diner-dialogue")
    spoken = [(s.dialogue[0].speaker, s.dialogue[0].text) for s in shot_list.shots if s.dialogue]
    assert spoken == [("Mara", "It's yours now."), ("Theo", "I never wanted it.")]
    for shot in shot_list.shots:
        if shot.dialogue:
            assert shot.dialogue[0].speaker in shot.characters
            assert shot.dialogue[0].text in RulesBrain().write(shot, shot_list.bible).audio
    assert {c.name for c in shot_list.bible.characters} == {"Mara", "Theo"}
    _, merged = plan("diner-dialogue", KLING_26)  # 5 beats into 4 clips: lines stay voiced
    lines = [(d.speaker, shot) for shot in merged.shots for d in shot.dialogue]
    assert len(lines) == 2 and all(who in shot.characters for who, shot in lines)


def test_two_scenes_get_two_locations_with_their_own_light() -> None:
    _, shot_list = plan("two-scene-story")
    scenes = [s.scene for s in shot_list.shots]
    assert scenes == sorted(scenes) and set(scenes) == {0, 1}
    first_of_two = next(s for s in shot_list.shots if s.scene == 1)
    assert first_of_two.start_position == ""
    kitchen, beach = shot_list.bible.locations
    assert kitchen.lighting.colour_temperature_k == 5600 and kitchen.time_of_day == "morning"
    assert beach.time_of_day == "golden hour" and beach.lighting.colour_temperature_k < 4000
    together = shot_list.shots[-1]
    assert set(together.characters) == {"Lena", "Kofi"}


def test_product_and_nature_prompts_drop_ungrounded_mood_words() -> None:
    for name in ("product-spot", "nature-piece"):
        _, shot_list = plan(name)
        for shot in shot_list.shots:
            text = RulesBrain().write(shot, shot_list.bible).text().lower()
            assert not any(w in text for w in ("premium", "epic", "breathtaking"))
    _, product = plan("product-spot")
    assert product.shots[0].camera.size == "extreme_close_up"
    assert product.shots[0].camera.focal_length_mm == 100
    assert "spotless surfaces" in product.shots[0].atmosphere.lower()


def test_vertical_ad_puts_priya_in_every_shot_including_her_sneakers() -> None:
    brief, shot_list = plan("vertical-ad")
    priya = shot_list.bible.character("Priya")
    assert priya is not None and "neon orange mesh running vest" in priya.descriptor
    assert all("Priya" in s.characters for s in shot_list.shots)
    assert shot_list.shots[1].subject == "Priya's sneakers"
    assert sum(s.duration_s for s in shot_list.shots) == brief.target_duration_s


def test_structured_briefs_are_taken_as_given() -> None:
    mei = Character(name="Mei", descriptor="Mei, a woman in her 60s, white bob, jade cardigan")
    loc = Location(name="tea house", place="a wooden tea house", time_of_day="afternoon",
                   lighting=dict(source="paper screen daylight", direction="camera-left at 30°",
                                 side="left", colour_temperature_k=5200))
    brief = Brief(title="tea", text="A quiet tea ceremony.", target_duration_s=8,
                  characters=[mei], locations=[loc],
                  beats=["Mei pours tea into a clay cup", "Mei lifts the cup and smiles"])
    shot_list = RulesBrain().plan(brief, ANIMATIC)
    assert shot_list.bible.characters == [mei] and shot_list.bible.locations == [loc]
    assert [s.characters for s in shot_list.shots] == [["Mei"], ["Mei"]]
    assert all(s.lighting == loc.lighting and s.location == "tea house" for s in shot_list.shots)
    for shot in shot_list.shots:
        spec = RulesBrain().write(shot, shot_list.bible)
        assert mei.descriptor in spec.text() and lint(spec, shot, shot_list.bible) == []


# --- the brain as a whole -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_same_brief_same_plan_same_prompts(name: str) -> None:
    _, first = plan(name)
    _, second = plan(name)
    assert first.model_dump() == second.model_dump()
    brain = RulesBrain()
    assert [brain.write(s, first.bible) for s in first.shots] == [
        RulesBrain().write(s, second.bible) for s in second.shots]


def test_rules_brain_is_a_brain() -> None:
    brain: Brain = RulesBrain()
    assert brain.name == "rules"


def test_revise_delegates_to_the_failure_taxonomy(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []
    revision = Revision(shot_index=0, attempt=2, variable="camera", before="static",
                        after="push_in", reason="no motion")

    def propose_revision(*args: object) -> Revision:
        calls.append(args)
        return revision

    fake = types.ModuleType("director.agent.brains.taxonomy")
    fake.propose_revision = propose_revision  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "director.agent.brains.taxonomy", fake)
    shot = Shot(index=0, beat="b", duration_s=4, subject="s", action="a",
                lighting=dict(source="sun", direction="camera-left"), atmosphere="x")
    spec = PromptSpec(shot_index=0, subject="s", camera="c", environment="e", atmosphere="a")
    request = GenerationRequest(shot_index=0, model="animatic", provider="animatic", prompt="p",
                                duration_s=4, width=640, height=360)
    qc = QCReport(decodable=True)
    assert RulesBrain().revise(shot, spec, request, qc, []) is revision
    assert calls == [(shot, spec, request, qc, [])]


def test_plan_never_returns_an_empty_shot_list() -> None:
    shot_list = RulesBrain().plan(Brief(title="Untitled", text=""), ANIMATIC)
    assert shot_list.shots and isinstance(shot_list.bible, Bible)

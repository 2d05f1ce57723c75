"""The offline planner on a corpus of briefs it was not written for (tests/data/briefs): every
brief, every clip-length set, every prompt family. Each plan must be usable as it stands: no
exception, lint-clean prompts, clip lengths the model accepts summing as close to the target as
they can, one camera move and one clean action per shot, descriptors verbatim wherever a
character is named, and spoken words kept out of what the camera is told to show."""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path

import pytest

from director.agent.brains.rules import RulesBrain
from director.briefs import load_brief
from director.film import Brief, PromptSpec
from director.plan import ShotList
from director.prompts.compose import FAMILIES, render, render_multishot
from director.prompts.lint import MULTISHOT, lint, lint_text
from director.prompts.vocabulary import find_moves, is_base_verb, move_matches, verb_base

CORPUS = Path(__file__).parent / "data" / "briefs"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "briefs"
SUFFIXES = (".md", ".txt", ".yaml", ".yml", ".json")
CORPUS_BRIEFS = sorted(p for p in CORPUS.iterdir() if p.suffix in SUFFIXES)
# The shipped examples are briefs too: every check holds for them as well.
BRIEFS = CORPUS_BRIEFS + sorted(p for p in EXAMPLES.iterdir() if p.suffix in SUFFIXES)
DURATION_SETS: dict[str, list[float]] = {
    "kling26": [5.0, 10.0],
    "klingv3": [float(s) for s in range(3, 16)],
    "sora": [4.0, 8.0, 12.0],
    "animatic": [x / 2 for x in range(2, 41)],
}
# Words that direct the camera; they belong in the camera part, never in the subject or action.
CAMERA_JARGON = re.compile(
    r"\b(?:close-?ups?|wide shot|medium shot|establishing|over-the-shoulder|\d{2,3}\s?mm|"
    r"dolly|push-in|pull-?back|pans? (?:left|right|across)|tilts? (?:up|down)|tracking shot|"
    r"low-angle|high-angle|overhead shot|top-down|drone shot|crane shot|rack focus|"
    r"handheld|macro|the camera (?:pans|tilts|moves|follows|pushes|pulls|tracks|orbits))\b",
    re.IGNORECASE)
# An action that starts like this is a fragment, not a verb phrase.
FRAGMENT_START = {"a", "an", "the", "as", "and", "or", "but", "then", "while", "of", "on", "in",
                  "at", "to", "with", "from", "she", "he", "they", "it", "his", "her", "their"}


def test_the_corpus_is_broad_enough() -> None:
    assert len(CORPUS_BRIEFS) >= 25
    suffixes = {p.suffix for p in CORPUS_BRIEFS}
    assert {".md", ".txt"} <= suffixes


@cache
def planned(path: Path, durations: str) -> tuple[Brief, ShotList, tuple[PromptSpec, ...]]:
    brief = load_brief(path)
    brain = RulesBrain()
    shot_list = brain.plan(brief, DURATION_SETS[durations])
    specs = tuple(brain.write(shot, shot_list.bible) for shot in shot_list.shots)
    return brief, shot_list, specs


def closest_total(target: float, allowed: list[float], most: int) -> float:
    """The reachable sum of at most `most` clips nearest the target, by dynamic programming on
    the half-second grid every duration set here lives on."""
    units = sorted({round(v * 2) for v in allowed})
    goal = round(target * 2)
    limit = goal + units[-1]
    reach = {0}
    sums: set[int] = set()
    for _ in range(most):
        reach = {r + u for r in reach for u in units if r + u <= limit}
        sums |= reach
    return min(sums, key=lambda s: (abs(s - goal), s)) / 2


def is_clean_action(action: str) -> bool:
    """A verb phrase: starts with a verb, holds no quote or stray punctuation."""
    words = action.split()
    if not words or re.search(r"[\"“”?!:;…]|^\W|[,.\-—]$", action):
        return False
    first = words[0].lower()
    if first in FRAGMENT_START or not first.isalpha():
        return False
    return bool(verb_base(first)) or is_base_verb(first) or first in ("is", "are") or (
        first.endswith("s") and not first.endswith("ss"))


@pytest.mark.parametrize("durations", DURATION_SETS)
@pytest.mark.parametrize("path", BRIEFS, ids=[f"{p.parent.name}/{p.name}" for p in BRIEFS])
def test_plan_is_usable_as_it_stands(path: Path, durations: str) -> None:
    brief, shot_list, specs = planned(path, durations)
    shots, bible = shot_list.shots, shot_list.bible
    allowed = DURATION_SETS[durations]

    # Clip lengths: accepted values, the closest achievable sum, a sensible count.
    assert 1 <= len(shots) <= 60
    assert all(s.duration_s in allowed for s in shots)
    total = sum(s.duration_s for s in shots)
    best = closest_total(brief.target_duration_s, allowed, 60)
    assert math.isclose(abs(total - brief.target_duration_s),
                        abs(best - brief.target_duration_s)), (total, best)
    if len(shots) > 1:
        assert all(3 <= s.duration_s <= 15 for s in shots), [s.duration_s for s in shots]

    spoken = [d.text for s in shots for d in s.dialogue]
    for shot, spec in zip(shots, specs, strict=True):
        where = f"shot {shot.index}: {shot.subject!r} / {shot.action!r}"
        text = spec.text()
        # One clean action, a subject without speech or camera words.
        assert is_clean_action(shot.action), where
        assert not re.search(r"[\"“”]", shot.subject + shot.action), where
        assert not any(line[:12] in shot.subject + shot.action for line in spoken), where
        assert not CAMERA_JARGON.search(f"{shot.subject} {shot.action}"), where
        assert shot.action.rstrip(".") in text, where
        # The light and the place are setup-sheet phrases, not sentences of the brief.
        source = shot.lighting.source
        assert len(source.split()) <= 20 and ". " not in source, (where, source)
        place = bible.location(shot.location)
        assert place is not None and len(place.place.split()) <= 40, where
        assert not re.search(r"[\"“”]", place.place), (where, place.place)
        # Exactly one camera move, and it is the shot's own.
        keys = {key for key, _, _ in find_moves(text)}
        assert keys and all(move_matches(k, shot.camera.move) for k in keys), (where, keys)
        # Lint-clean in every family and as a multi-shot segment.
        assert lint(spec, shot, bible) == [], (where, text)
        for family in FAMILIES:
            rendered = render(spec, family)
            assert lint_text(rendered, shot, bible, family, spec.negative_prompt) == [], rendered
        # Speakers are in frame; every named character brings their descriptor.
        cast = {c.name for c in bible.characters}
        assert all(d.speaker in shot.characters for d in shot.dialogue if d.speaker in cast), where
        for character in bible.characters:
            # "Rosa's diner" names a place, not Rosa in frame.
            named = re.search(rf"\b{re.escape(character.name)}\b(?!['’]s)", text, re.IGNORECASE)
            if character.name in shot.characters or named:
                assert character.descriptor in text, (where, character.name)
    for shot, segment in zip(shots, render_multishot(list(specs), bible), strict=True):
        assert len(segment) <= 512
        assert lint_text(segment, shot, bible, MULTISHOT) == [], segment


# --- what the corpus must read correctly --------------------------------------------------------


def test_night_shift_diner_keeps_speech_out_of_the_action() -> None:
    brief = load_brief(EXAMPLES / "night-shift-diner.md")
    brain = RulesBrain()
    shot_list = brain.plan(brief, DURATION_SETS["kling26"])
    shots = shot_list.shots
    assert {c.name for c in shot_list.bible.characters} == {"Dolores", "Sam"}
    lines = [(d.speaker, d.text) for s in shots for d in s.dialogue]
    assert lines == [("Sam", "You ever think about just... not driving back?"),
                     ("Dolores", "Every night, hon. Then the sun comes up.")]
    second, third = shots[1], shots[2]
    assert second.subject == "Sam" and "Sam" in second.characters
    assert "driving" not in second.action and is_clean_action(second.action)
    assert third.subject == "Dolores" and third.camera.size == "close_up"
    assert third.camera.focal_length_mm == 85
    assert shots[0].camera.size == "wide" and "Wide" not in shots[0].subject
    for shot in shots:
        spec = brain.write(shot, shot_list.bible)
        assert lint(spec, shot, shot_list.bible) == []
        assert lint_text(render(spec, "sora"), shot, shot_list.bible, "sora") == []


def plan_text(text: str, durations: str = "animatic", target: float = 15) -> ShotList:
    return RulesBrain().plan(Brief(title="t", text=text, target_duration_s=target),
                             DURATION_SETS[durations])


@pytest.mark.parametrize("line", [
    'Mara: "It\'s yours now."',
    'Mara says "It\'s yours now."',
    '"It\'s yours now," Mara says.',
    '"It\'s yours now," says Mara.',
    'Mara whispers, "It\'s yours now."',
    'MARA\n(quietly)\nIt\'s yours now.',
    "MARA: It's yours now.",
])
def test_every_dialogue_form_becomes_a_line_of_its_speaker(line: str) -> None:
    text = ("Mara: late 20s, short platinum hair, a red leather jacket.\n"
            "Theo: 60s, grey hair, a navy wool peacoat.\n\n"
            f"Theo waits at the counter.\n\n{line}")
    shots = plan_text(text).shots
    spoken = [(d.speaker, d.text.rstrip(".,")) for s in shots for d in s.dialogue]
    assert spoken and spoken[0] == ("Mara", "It's yours now")
    for shot in shots:
        assert "yours" not in shot.action and "yours" not in shot.subject
        assert all(d.speaker in shot.characters for d in shot.dialogue)


def test_camera_words_set_the_camera_not_the_subject() -> None:
    shots = plan_text("1. Low-angle shot at ankle height: a runner's shoe lands on wet granite.\n"
                      "2. Slow push-in on a candle as it flickers.\n"
                      "3. Overhead shot, static: hands knead dough on a floured counter.\n"
                      "4. Pan right across shelves of ticking clocks.\n"
                      "5. The drone's gimbal rotates, close-up.\n").shots
    assert shots[0].camera.angle == "low_angle" and "ankle height" in shots[0].camera.height
    assert shots[1].camera.move == "push_in" and shots[1].subject == "a candle"
    assert shots[1].action == "flickers"
    assert shots[2].camera.angle == "overhead" and shots[2].camera.move == "static"
    assert shots[3].camera.move == "pan_right"
    assert shots[4].camera.size == "close_up" and shots[4].action == "rotates"
    assert not any(CAMERA_JARGON.search(f"{s.subject} {s.action}") for s in shots)


def test_an_unnamed_lead_described_on_entry_is_cast_and_kept_verbatim() -> None:
    shot_list = plan_text("A woman in her 60s with short silver hair and a mustard wool coat sits "
                          "on a bench feeding pigeons. She tosses a handful of seeds.")
    woman = shot_list.bible.character("the woman")
    assert woman is not None and "mustard wool coat" in woman.descriptor
    assert all("the woman" in s.characters for s in shot_list.shots)


def test_a_crowded_beat_keeps_the_prompt_within_its_word_budget() -> None:
    people = "\n".join(f"- {n}, {a}0s, {h} hair, a {c} wool coat, silver rings on both hands."
                       for n, a, h, c in [("Ana", 3, "red", "green"), ("Ben", 4, "grey", "blue"),
                                          ("Cleo", 5, "black", "brown"),
                                          ("Dev", 6, "white", "black")])
    shot_list = plan_text(f"Characters:\n{people}\n\nAna, Ben, Cleo and Dev toast at a table.")
    shot = shot_list.shots[0]
    assert 1 <= len(shot.characters) < 4 and "the rest of the group" in shot.subject
    assert lint(RulesBrain().write(shot, shot_list.bible), shot, shot_list.bible) == []

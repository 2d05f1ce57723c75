"""The offline brain: plans, writes and revises with rules, deterministically, with no model.

It reads the brief (reading.py, casting.py), designs each shot (shotcraft.py) and writes
prompts through the same compose-then-lint path every brain's output goes through, so what it
writes is lint-clean by construction.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from director.agent.brains.brieftext import place_in
from director.agent.brains.reading import BeatReading, BriefReading, read_brief, style_words
from director.agent.brains.shotcraft import (
    EXTERIOR,
    allot_durations,
    ambience,
    atmosphere,
    camera_angle,
    camera_move,
    end_position,
    focal_length,
    group_beats,
    negative_terms,
    scene_light,
    setting_of,
    shot_size,
    time_of_day,
)
from director.film import (
    Bible,
    Brief,
    Camera,
    DialogueLine,
    GenerationRequest,
    Location,
    PromptSpec,
    QCReport,
    Revision,
    Shot,
    ShotSize,
)
from director.plan import ShotList
from director.prompts.compose import compose_spec
from director.prompts.lint import fix, offending_terms
from director.prompts.vocabulary import LOOKS, handle, has_person, vague_regex


@dataclass(frozen=True)
class _Scene:
    """A designed scene: where it is, how it is lit, how it looks."""

    location: Location
    setting: str
    atmosphere: str
    look: str
    ambience: str


class RulesBrain:
    """The Brain protocol, offline and deterministic: same input, same output."""

    name = "rules"

    def plan(self, brief: Brief, durations: Sequence[float]) -> ShotList:
        """A bible and a shot list whose clip lengths come from `durations` and sum as close to
        the brief's target as those lengths allow."""
        reading = read_brief(brief)
        scenes = self._scenes(reading, brief)
        lengths = allot_durations(brief.target_duration_s, durations, len(reading.beats))
        groups = group_beats(reading.beats, len(lengths))
        shots: list[Shot] = []
        for index, (group, length) in enumerate(zip(groups, lengths, strict=True)):
            coverage = sum(1 for g in groups[:index] if g[0] == group[0])
            continuing = index + 1 < len(groups) and groups[index + 1][0] == group[0]
            beats = [reading.beats[i] for i in group]
            shots.append(self._shot(index, beats, length, scenes, shots, coverage, continuing,
                                    reading, brief))
        _bridge(shots, [c.name for c in reading.characters])
        bible = Bible(characters=list(reading.characters),
                      locations=[s.location for s in scenes], look=scenes[0].look)
        return ShotList(bible=bible, shots=shots)

    def write(self, shot: Shot, bible: Bible) -> PromptSpec:
        """Compose the four parts, then let lint apply every mechanical fix."""
        spec, _ = fix(compose_spec(shot, bible), shot, bible)
        return spec

    def revise(self, shot: Shot, spec: PromptSpec, request: GenerationRequest, qc: QCReport,
               history: list[Revision]) -> Revision | None:
        """The failure taxonomy picks the ONE variable to change."""
        from director.agent.brains.taxonomy import propose_revision

        return propose_revision(shot, spec, request, qc, history)

    # --- planning helpers ------------------------------------------------------------------------

    def _scenes(self, reading: BriefReading, brief: Brief) -> list[_Scene]:
        style = style_words(reading)
        designed: list[_Scene] = []
        names: set[str] = set()
        for number, scene in enumerate(reading.scenes):
            beats = [b for b in reading.beats if b.scene == number]
            text = " ".join([scene.place, *scene.text, *scene.details, *(b.text for b in beats)])
            given = _given_location(brief.locations, number, text)
            setting = setting_of(text) or setting_of(reading.text)
            time = time_of_day(text) or time_of_day(reading.text)
            stated = scene.light or next((b.light for b in beats if b.light), "")
            light, look = scene_light(setting, time, text or reading.text, stated)
            if given is not None:
                location = given
            else:
                found = scene.place or place_in(text) or place_in(reading.text)
                place = _place(found, setting, scene.details)
                short = "kitchen pass" if setting == "kitchen_pro" else handle(found)
                name = _unique(short.removeprefix("the ") or f"scene {number + 1}", names)
                location = Location(name=name, place=place, time_of_day=time or _default_time(
                    setting), lighting=light)
            names.add(location.name)
            stock, grain, palette, _ = LOOKS[look]
            designed.append(_Scene(location=location, setting=setting,
                                   atmosphere=atmosphere(look, style),
                                   look=f"{stock}, {grain}, {palette}",
                                   ambience=ambience(setting, text)))
        return designed

    def _shot(self, index: int, beats: list[BeatReading], length: float, scenes: list[_Scene],
              earlier: list[Shot], coverage: int, continuing: bool, reading: BriefReading,
              brief: Brief) -> Shot:
        beat = beats[0]
        scene = scenes[beat.scene]
        prev = earlier[-1] if earlier else None
        first = prev is None or prev.scene != beat.scene
        size: ShotSize = shot_size(beat, first, prev.camera.size if prev else None, coverage)
        subject = _clean(beat.subject) or "the subject"
        person = bool(beat.characters) or has_person(subject)
        move = camera_move(beat, size, index, first, scene.setting)
        label = subject if beat.characters or "'" in subject else handle(subject)
        angle, height = camera_angle(move, beat, person, scene.setting, label)
        action = _clean(beat.action)
        shot = Shot(
            index=index,
            beat=" / ".join(b.text for b in beats),
            scene=beat.scene,
            location=scene.location.name,
            duration_s=length,
            subject=subject,
            # A line spoken in a merged beat brings its speaker into frame.
            characters=list(dict.fromkeys([*beat.characters, *(
                who for b in beats for who, _ in b.dialogue)])),
            action=action,
            camera=Camera(move=move, size=size, angle=angle, height=height,
                          focal_length_mm=focal_length(size, person, beat.text)),
            lighting=scene.location.lighting.model_copy(),
            atmosphere=scene.atmosphere,
            end_position=end_position(label, action, beat.after, continuing),
            dialogue=[DialogueLine(speaker=who, text=line)
                      for b in beats for who, line in b.dialogue],
            sfx=_sfx(reading, scene, brief),
        )
        terms = negative_terms(reading.negatives, person)
        shot.negative_prompt = ", ".join(terms)
        bad = set(offending_terms(shot.negative_prompt, shot))
        shot.negative_prompt = ", ".join(t for t in terms if t not in bad)
        return shot


def _bridge(shots: list[Shot], names: list[str]) -> None:
    """Each clip of a scene begins where the previous one ended (same stated position). A
    character that position names joins the frame, so their descriptor comes with them."""
    for prev, shot in itertools.pairwise(shots):
        if shot.scene == prev.scene:
            shot.start_position = prev.end_position
            named = [n for n in names if re.search(rf"\b{re.escape(n)}\b", shot.start_position)]
            shot.characters = list(dict.fromkeys([*shot.characters, *named]))


def _given_location(locations: list[Location], number: int, text: str) -> Location | None:
    """A location the brief states: the one its name appears with, else the scene's own."""
    if not locations:
        return None
    named = [loc for loc in locations if loc.name.lower() in text.lower()]
    return named[0] if named else locations[min(number, len(locations) - 1)]


def _place(found: str, setting: str, details: Sequence[str]) -> str:
    place = found or {"studio": "a seamless studio set", "tabletop": "a tabletop set"}.get(
        setting, "the scene")
    if setting == "kitchen_pro" and "kitchen" not in place.lower():
        place += " of a restaurant kitchen"
    if details:
        place += ", where " + " and ".join(d[0].lower() + d[1:] for d in details)
    return place


def _default_time(setting: str) -> str:
    return "" if setting in ("studio", "kitchen_pro") else "day" if setting in EXTERIOR else ""


def _unique(name: str, taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name} {n}", n + 1
    return candidate


def _sfx(reading: BriefReading, scene: _Scene, brief: Brief) -> list[str]:
    if not brief.audio:
        return []
    return list(reading.sfx) or [scene.ambience]


def _clean(text: str) -> str:
    """Vague mood words out of the brief's own words before they reach a prompt."""
    return re.sub(r"\s+", " ", vague_regex().sub("", text)).strip(" ,")

"""The offline brain: plans, writes and revises with rules, deterministically, with no model.

It reads the brief (reading.py and the readers it uses), designs each shot (shotcraft.py for
the camera, lighting.py for the light) and writes prompts through the same compose-then-lint
path every brain's output goes through, so what it writes is lint-clean by construction.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from director.agent.brains.grammar import place_in
from director.agent.brains.lighting import (
    ambience,
    atmosphere,
    scene_light,
    setting_of,
    time_of_day,
)
from director.agent.brains.normalise import clean, plain
from director.agent.brains.places import (
    default_time,
    given_location,
    place_text,
    stated_for_beat,
    unique,
    venue_for,
)
from director.agent.brains.reading import (
    DEFAULT_ACTION,
    BeatReading,
    BriefReading,
    read_brief,
    style_words,
)
from director.agent.brains.shotcraft import (
    allot_durations,
    camera_angle,
    camera_move,
    end_position,
    focal_length,
    group_beats,
    negative_terms,
    shot_size,
)
from director.commands import ConverseContext, ConverseReply
from director.film import (
    Bible,
    Brief,
    Camera,
    Character,
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
from director.prompts.vocabulary import (
    LOOKS,
    handle,
    has_person,
    is_plural_noun,
    word_count,
)

DESCRIPTOR_BUDGET_WORDS = 60
"""Descriptor words one clip can carry and still fit a 120-word prompt with its action, camera
and light; a crowded beat shows the characters that fit, in the order the beat names them."""
DESCRIPTOR_BUDGET_CHARS = 330
"""The same budget in characters, for 512-character multi-shot segments."""


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
        characters = _cast(reading)
        scenes = self._scenes(reading, brief)
        lengths = allot_durations(brief.target_duration_s, durations, len(reading.beats))
        groups = group_beats(reading.beats, len(lengths))
        shots: list[Shot] = []
        venues: dict[str, tuple[Location, str]] = {}
        for index, (group, length) in enumerate(zip(groups, lengths, strict=True)):
            coverage = sum(1 for g in groups[:index] if g[0] == group[0])
            continuing = index + 1 < len(groups) and groups[index + 1][0] == group[0]
            beats = [reading.beats[i] for i in group]
            shot = self._shot(index, beats, length, scenes, shots, coverage, continuing,
                              reading, brief, characters)
            _place_shot(shot, beats[0], scenes, venues, brief, reading)
            shots.append(shot)
        _bridge(shots, characters, unbroken=bool(_UNBROKEN.search(brief.text)))
        locations = [s.location for s in scenes]
        used = {s.location for s in shots}
        extra = [loc for loc in brief.locations if loc.name in used and loc not in locations]
        bible = Bible(characters=characters,
                      locations=[*locations, *extra, *(v[0] for v in venues.values())],
                      look=scenes[0].look)
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

    def converse(self, message: str, context: ConverseContext) -> ConverseReply:
        """Keyword intents (agent/brains/intent.py): an answer and one-variable proposals."""
        from director.agent.brains.intent import converse

        return converse(message, context)

    # --- planning helpers ------------------------------------------------------------------------

    def _scenes(self, reading: BriefReading, brief: Brief) -> list[_Scene]:
        style = style_words(reading)
        designed: list[_Scene] = []
        names: set[str] = set()
        for number, scene in enumerate(reading.scenes):
            beats = [b for b in reading.beats if b.scene == number]
            # Sentences end with a stop so no place phrase runs from one into the next.
            text = ". ".join([scene.place, *scene.text, *scene.details, *(b.text for b in beats)])
            given = given_location(brief.locations, number, text)
            setting = setting_of(text) or setting_of(reading.text)
            time = time_of_day(" ".join(scene.text[:2])) or time_of_day(text) or time_of_day(
                reading.text)
            stated = scene.light or next((b.light for b in beats if b.light), "")
            light, look = scene_light(setting, time, text or reading.text, stated)
            light.source = plain(light.source) or light.source
            if given is not None:
                location = given
            else:
                found = scene.place or next((p for d in scene.details if (p := place_in(d))),
                                            "") or place_in(text) or place_in(reading.text)
                place = place_text(found, setting, scene.details)
                short = "kitchen pass" if setting == "kitchen_pro" else clean(handle(found))
                name = unique(short.removeprefix("the ").removeprefix("an ").removeprefix("a ")
                               or f"scene {number + 1}", names)
                location = Location(name=name, place=place, time_of_day=time or default_time(
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
              brief: Brief, cast: list[Character]) -> Shot:
        beat = beats[0]
        scene = scenes[beat.scene]
        prev = earlier[-1] if earlier else None
        first = prev is None or prev.scene != beat.scene
        size: ShotSize = shot_size(beat, first, prev.camera.size if prev else None, coverage)
        subject = plain(re.sub(r'["“”]', "", beat.subject)) or "the subject"
        # "The vault wheel" reads mid-sentence in positions and focus notes: lower the article.
        subject = re.sub(r"^(The|A|An)\b", lambda m: m.group(1).lower(), subject)
        names = [c.name for c in cast]
        # A line spoken in a merged beat brings its speaker into frame; so does its listener.
        wanted = [*beat.characters, *(who for b in beats for who, _ in b.dialogue),
                  *([beat.listener] if beat.listener else [])]
        characters = _fit_in_frame([n for n in dict.fromkeys(wanted) if n in names], cast)
        named = [n for n in names if re.search(rf"\b{re.escape(n)}\b", subject)]
        if any(n not in characters for n in named):
            subject = _crowd(subject, [n for n in named if n in characters])
        # Names the brief never describes ("Leila and Sebastián") are people too.
        person = bool(characters) or has_person(subject) or bool(
            re.fullmatch(r"[A-Z][\w'’-]+(?:(?:,| and) [A-Z][\w'’-]+)*", subject))
        move = camera_move(beat, size, index, first, scene.setting, coverage)
        label = subject if characters or "'" in subject else handle(subject)
        angle, height = camera_angle(move, beat, person, scene.setting, label)
        # Quote marks around words the camera sees ("the sign reads "CLOSED"") stay out of the
        # action; a beat that yields no action at all still holds a position.
        action = plain(re.sub(r'["“”]', "", beat.action)) or (
            "hold still in frame" if is_plural_noun(subject) else DEFAULT_ACTION)
        # The end state may not name someone the frame cannot hold (their descriptor stays out).
        after = ", ".join(plain(c) for c in beat.after.split(", ") if not any(
            re.search(rf"\b{re.escape(n)}\b", c) for n in names if n not in characters))
        shot = Shot(
            index=index,
            beat=" / ".join(b.text for b in beats),
            scene=beat.scene,
            location=scene.location.name,
            duration_s=length,
            subject=subject,
            characters=characters,
            action=action,
            camera=Camera(move=move, size=size, angle=angle, height=height,
                          focal_length_mm=focal_length(size, person, beat, coverage)),
            lighting=scene.location.lighting.model_copy(),
            atmosphere=scene.atmosphere,
            end_position=end_position(label, action, after, continuing),
            dialogue=[DialogueLine(speaker=who, text=line)
                      for b in beats for who, line in b.dialogue],
            sfx=_sfx(reading, scene, brief),
        )
        terms = negative_terms(reading.negatives, person)
        shot.negative_prompt = ", ".join(terms)
        bad = set(offending_terms(shot.negative_prompt, shot))
        shot.negative_prompt = ", ".join(t for t in terms if t not in bad)
        return shot


def _place_shot(shot: Shot, beat: BeatReading, scenes: list[_Scene],
                venues: dict[str, tuple[Location, str]], brief: Brief,
                reading: BriefReading) -> None:
    """Move a shot to the stated location its words describe, or to the venue it names, with
    that place's light (and look, for a venue lit differently from its scene)."""
    scene = scenes[beat.scene]
    venue = venue_for(beat, scene.location, venues, {s.location.name for s in scenes},
                      scene.setting)
    stated = stated_for_beat(beat, brief.locations, scene.location.name)
    if stated is not None:
        venue = (stated, "")
    if venue is None:
        return
    location, look = venue
    shot.location, shot.lighting = location.name, location.lighting.model_copy()
    if look:
        shot.atmosphere = atmosphere(look, style_words(reading))


def _cast(reading: BriefReading) -> list[Character]:
    """The bible's characters: the brief's, plus anyone who speaks without being described
    (named only, so their name is at least the same in every prompt)."""
    cast = list(reading.characters)
    known = {c.name for c in cast}
    for beat in reading.beats:
        for who, _ in beat.dialogue:
            if who not in known and re.fullmatch(r"[A-Z][\w'’-]+", who):
                cast.append(Character(name=who, descriptor=who))
                known.add(who)
    return cast


def _fit_in_frame(names: list[str], cast: list[Character]) -> list[str]:
    """The characters whose descriptors fit one prompt, in the order the beat names them."""
    kept: list[str] = []
    words = chars = 0
    for name in names:
        character = next(c for c in cast if c.name == name)
        w, c = word_count(character.descriptor), len(character.descriptor) + 2
        if kept and (words + w > DESCRIPTOR_BUDGET_WORDS or chars + c > DESCRIPTOR_BUDGET_CHARS):
            continue
        kept.append(name)
        words, chars = words + w, chars + c
    return kept


def _crowd(subject: str, shown: list[str]) -> str:
    """A subject naming more people than fit: the ones shown, with the rest as a group."""
    if not shown:
        return "the group"
    return f"{', '.join(shown)} and the rest of the group" if len(shown) > 1 else \
        f"{shown[0]} and the rest of the group"


_UNBROKEN = re.compile(
    r"\b(?:one|single) (?:continuous )?(?:take|shot)\b|\boner\b|\bcontinuous(?:ly)?\b|"
    r"\bunbroken\b|\bseamless(?:ly)?\b|\bwithout (?:a )?cuts?\b|\bno cuts\b",
    re.IGNORECASE,
)
"""Brief wording that asks for the scene to play as one unbroken move across clips."""


def _bridge(shots: list[Shot], cast: list[Character], *, unbroken: bool = False) -> None:
    """Each clip of a scene begins where the previous one ended (same stated position). A
    character that position names joins the frame, so their descriptor comes with them; a cut
    in to a close-up of someone else, or a frame already full, starts fresh instead. When the
    brief asks for an unbroken scene, a bridged clip is marked continuous: it is rendered from
    the previous clip's last frame."""
    names = [c.name for c in cast]
    for prev, shot in itertools.pairwise(shots):
        if shot.scene != prev.scene:
            continue
        named = [n for n in names if re.search(rf"\b{re.escape(n)}\b", prev.end_position)]
        joining = [n for n in named if n not in shot.characters]
        close = shot.camera.size in ("close_up", "extreme_close_up")
        if joining and (close or _fit_in_frame([*shot.characters, *joining], cast)
                        != [*shot.characters, *joining]):
            continue
        shot.start_position = prev.end_position
        shot.characters = [*shot.characters, *joining]
        shot.continuous = unbroken


def _sfx(reading: BriefReading, scene: _Scene, brief: Brief) -> list[str]:
    if not brief.audio:
        return []
    heard = [s for s in reading.sfx if not re.fullmatch(
        r"(?:native )?(?:dialogue|music|voice-?over|vo|narration|audio)", s, re.IGNORECASE)]
    return heard or [scene.ambience]

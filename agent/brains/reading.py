"""Reading a brief's prose: beats, who is in each, scenes and places, sound, negatives, style.

Deterministic text heuristics, no model. Listed lines (numbered, "Shot N:", bullets, a
"Shots:" list) are one beat each; free narrative is split into one beat per action ("steps in,
shakes the umbrella, and looks back" is three beats). Inside every beat, spoken lines become
dialogue (speech.py), camera words become cues (cues.py), and what is left is split into a
subject, the characters in frame and ONE primary action (clauses.py, people.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from director.agent.brains.brieftext import (
    LIST_MARKER,
    SceneReading,
    place_in,
    prepare,
    sort_text,
    split_sentences,
    take_light,
    words_of,
)
from director.agent.brains.casting import is_character_line, read_cast
from director.agent.brains.clauses import (
    DEFAULT_ACTION,
    Memory,
    Names,
    clauses_of,
    header_list,
    is_setting_only,
    primary,
    referents,
    split_subject,
)
from director.agent.brains.cues import Cues, split_cues
from director.agent.brains.lighting import time_of_day
from director.agent.brains.speech import Line, bare_quote, speaking_action, take_speech
from director.film import Brief, Character
from director.prompts.vocabulary import VAGUE_WORDS

__all__ = ["DEFAULT_ACTION", "BeatReading", "BriefReading", "read_brief", "style_words"]
_CLOSE = ("close_up", "extreme_close_up")


@dataclass(frozen=True)
class BeatReading:
    """One beat as the brief tells it."""

    text: str
    scene: int
    subject: str
    characters: tuple[str, ...]
    action: str
    after: str = ""
    """A secondary action folded into the end position ("smiling"), keeping one action."""
    cues: Cues = field(default_factory=Cues)
    light: str = ""
    dialogue: tuple[tuple[str, str], ...] = ()
    listener: str = ""
    """Who a spoken line is addressed to, when they share the frame."""


@dataclass(frozen=True)
class BriefReading:
    """Everything the brief's prose says, sorted for the shot designer."""

    beats: tuple[BeatReading, ...]
    scenes: tuple[SceneReading, ...]
    characters: tuple[Character, ...]
    sfx: tuple[str, ...]
    negatives: tuple[str, ...]
    style: tuple[str, ...]
    text: str


def read_brief(brief: Brief) -> BriefReading:
    """Structured fields win (brief.beats, brief.characters); the prose fills the rest."""
    prepared = prepare(brief.text)
    cast = read_cast(prepared)
    characters = list(brief.characters) or cast.characters
    characters += _undescribed_speakers(cast.story, characters)
    names = Names.of(characters, cast.story)
    story = _quote_cast_lines(cast.story, names)
    text = sort_text(story, is_character_line)
    items = text.items
    if brief.beats and not _same_beats(brief.beats, items, prepared):
        items = [(0, LIST_MARKER.sub("", prepare(b)).strip()) for b in brief.beats if b.strip()]
    beats = _read_beats(items, text.narrative, text.scenes, names)
    if not beats:
        # Nothing read as an action (a brief in another language, or all description): film
        # what it describes, sentence by sentence, before falling back to the title.
        described = [(i, d) for i, s in enumerate(text.scenes) for d in s.details]
        memory = names.memory()
        beats = [b for i, d in described for b in _read_unit(d, i, names, memory, listed=True)]
        for scene in text.scenes:
            scene.details.clear()
    if not beats:
        beats = _read_unit(brief.title or "the subject", 0, names, names.memory(), listed=True)
    beats = _split_by_time(beats, text.scenes)
    used = list(dict.fromkeys(b.scene for b in beats))  # in the order the film meets them
    renumber = {old: new for new, old in enumerate(used)}
    beats = [replace(b, scene=renumber[b.scene]) for b in beats]
    style = [*words_of(brief.style), *text.style]
    return BriefReading(beats=tuple(beats), scenes=tuple(text.scenes[i] for i in used),
                        characters=tuple(characters), sfx=tuple(dict.fromkeys(text.sfx)),
                        negatives=tuple(text.negatives), style=tuple(dict.fromkeys(style)),
                        text=brief.text)


def _quote_cast_lines(story: str, names: Names) -> str:
    """"Priya: We missed the turn." (a cast member's name, a colon, no quotes) is a line."""
    def quote(m: re.Match[str]) -> str:
        who = names.canonical(m["who"])
        if who not in names.all:
            return m.group(0)
        return f'{who}{m["how"] or ""}: "{m["line"].strip()}"'
    return re.sub(r"^(?P<who>[A-Z][\w'’-]+)(?P<how>\s*\([^)]*\))?\s*:\s+(?P<line>[^\"“\n]+)$",
                  quote, story, flags=re.MULTILINE)


def _undescribed_speakers(story: str, cast: list[Character]) -> list[Character]:
    """People who speak but were never described: cast by name alone, so the name is at least
    identical in every prompt and "she" can find them."""
    known = Names.of(cast, story)
    found: dict[str, Character] = {}
    for line in story.split("\n"):
        for spoken in take_speech(line)[1]:
            who = spoken.speaker
            if not re.fullmatch(r"[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?", who) or who in (
                    "She", "He", "They", "I"):
                continue
            name = known.canonical(who)
            if name not in known.all:
                found.setdefault(name, Character(name=name, descriptor=name))
    return list(found.values())


def _split_by_time(beats: list[BeatReading], scenes: list[SceneReading]) -> list[BeatReading]:
    """A beat that states a new time of day ("... at golden hour", "... at midnight") starts a
    new scene in the same place: the light changes with the hour, so the setup does too."""
    out: list[BeatReading] = []
    current: dict[int, tuple[int, str]] = {}  # brief scene -> (scene now in use, its time)
    for beat in beats:
        origin = beat.scene
        if origin not in current:
            header = time_of_day(" ".join(scenes[origin].text[:2]))
            current[origin] = (origin, header or time_of_day(beat.text))
        scene, time = current[origin]
        stated = time_of_day(re.sub(r'"[^"]*"|“[^”]*”', " ", beat.text))
        if stated and time and stated != time:
            base = scenes[origin]
            scenes.append(SceneReading(place=base.place, text=[beat.text],
                                       details=list(base.details)))
            scene, time = len(scenes) - 1, stated
            current[origin] = (scene, time)
        out.append(replace(beat, scene=scene))
    return out


def _same_beats(given: list[str], items: list[tuple[int, str]], text: str) -> bool:
    """Whether the brief's beats are the listed lines of its own text (then the text's reading,
    which knows their scenes and has cast its people, is used)."""
    def key(s: str) -> str:
        return re.sub(r"[^a-z0-9]", "", LIST_MARKER.sub("", s).lower())[:40]
    whole = re.sub(r"[^a-z0-9]", "", text.lower())
    if items and len(items) >= len(given) and all(key(b)[:25] in whole for b in given):
        return True  # a loader lifted them from this very text
    listed = [key(t) for _, t in items]
    # A loader may run a listed beat on into the next paragraph; a shared start is a match.
    return bool(items) and all(any(k.startswith(item) or item.startswith(k) for item in listed
                                   if item) for b in given if b.strip() and (k := key(prepare(b))))


def _read_beats(items: list[tuple[int, str]], narrative: list[tuple[int, str]],
                scenes: list[SceneReading], names: Names) -> list[BeatReading]:
    memory = names.memory()
    beats: list[BeatReading] = []
    if items:
        # The prose around a list introduces who "she" is in it ("A trail runner ... runs down
        # a ridge. 1. Side tracking shot as she runs ...").
        introduced = names.mentioned(" ".join(t for _, t in narrative))
        if introduced or len(names.all) == 1:
            memory.remember(introduced[:1] or names.all[:1], "")
        for scene, text in items:
            _enter(memory, scene)
            beats += _read_unit(text, scene, names, memory, listed=True)
        # Camera words in the prose around a list ("Overhead top-down camera on a marble
        # counter") hold for every listed shot that states none of its own.
        framing = Cues()
        for _, sentence in narrative:
            cues, _ = split_cues(sentence)
            framing = framing.over(Cues(angle=cues.angle, height=cues.height))
        return [replace(b, cues=b.cues.over(framing)) for b in beats]
    units = [(scene, s) for scene, text in narrative for s in split_sentences(text)]
    alone = len(units) <= 1
    pending = Cues()
    for scene, sentence in units:
        _enter(memory, scene)
        if not alone and is_setting_only(sentence, names, memory):
            scenes[scene].details.append(sentence.rstrip("."))
            continue
        for beat in _read_unit(sentence, scene, names, memory, listed=False, alone=alone,
                               details=scenes[scene].details):
            if not beat.action and not beat.dialogue:  # camera words with no story
                if beats and beats[-1].scene == scene and not beats[-1].cues.moves:
                    beats[-1] = replace(beats[-1], cues=beats[-1].cues.over(beat.cues))
                else:
                    pending = beat.cues.over(pending)
                continue
            beats.append(replace(beat, cues=beat.cues.over(pending)))
            pending = Cues()
    return beats


def _enter(memory: Memory, scene: int) -> None:
    if scene != memory.scene:
        memory.scene, memory.scene_characters = scene, []


def _read_unit(text: str, scene: int, names: Names, memory: Memory, listed: bool,
               alone: bool = True, details: list[str] | None = None) -> list[BeatReading]:
    """The beats of one listed line (always one beat) or one narrative sentence (one beat per
    action clause)."""
    rest, lines = take_speech(text)
    if not lines and (quote := bare_quote(text)):
        rest, lines = "", [Line(speaker="", text=quote)]
    rest, noted = _asides(rest)
    spoken = [(_speaker(line, rest, names, memory), line) for line in lines]
    if spoken and spoken[0][0] in names.all:
        memory.remember((spoken[0][0],), "")
    pieces = header_list(rest)
    if pieces is not None:  # "Macro and close shots of a tide pool: a crab ..., an anemone ..."
        header, parts = pieces
        listed_parts: list[BeatReading] = []
        for i, part in enumerate(parts):
            cue = header if not header.sizes else replace(
                header, size=header.sizes[i % len(header.sizes)])
            listed_parts += [replace(b, cues=b.cues.over(cue))
                             for b in _read_unit(part, scene, names, memory, listed, alone=False)]
        return listed_parts
    read: list[tuple[str, Cues, str, str]] = []
    clauses = clauses_of(rest, listed)
    in_list = not listed and len(clauses) >= 3 and len(split_sentences(rest)) == 1
    for clause in clauses:
        cues, story = split_cues(clause)
        story, light = take_light(story)
        if cues.moves and story and not read and not names.lead_split(story) and not re.match(
                r"(?:she|he|they|it|we|i)\b", story, re.IGNORECASE):
            memory.object_hint(story)
        read.append((clause, cues, story, light))
    beats: list[BeatReading] = []
    for clause, cues, story, light in read:
        if not story:
            beats.append(BeatReading(text=clause, scene=scene, subject="", characters=(),
                                     action="", cues=cues, light=light))
            continue
        # In a run of short beats ("cozy cafe, barista whisking, latte art heart") only a
        # verbless part naming a place is setting; the rest are things to film.
        setting = is_setting_only(story, names, memory) and (not in_list or place_in(story))
        if not listed and not alone and details is not None and setting and (beats or in_list):
            details.append(story)
            continue
        subject, characters, action = split_subject(story, names, memory)
        action, after = primary(action)
        moving = re.match(rf"^(?P<np>.+?)\s+(?P<way>(?:{_MOTION})\s.+)$", subject)
        if moving and _idle(action) and "handheld" in cues.moves:
            # "following the drone over turquoise water": a followed subject is moving
            subject, action = moving["np"], f"moves {moving['way']}"
        if not characters:  # "steam rolls off the crust as he breaks it": he is in frame
            characters = names.mentioned(action) or referents(action, memory)
        memory.remember(characters, subject)
        beats.append(BeatReading(text=text if listed else clause, scene=scene, subject=subject,
                                 characters=characters, action=action, after=after, cues=cues,
                                 light=light))
    if listed:
        beats = [_merge(beats, text, scene)]
    beats = [replace(b, cues=b.cues.over(noted)) for b in beats]
    return _voice(beats, spoken, names, memory, text, scene)


def _asides(text: str) -> tuple[str, Cues]:
    """Parenthetical notes out of the story: "(camera: static overhead)" becomes cues; "(4 s)",
    "(logo at the end? maybe)" are notes to the editor, not something to film."""
    cues = Cues()
    for m in re.finditer(r"\((?:camera|shot|lens|framing|angle|move|movement|size)\s*:\s*"
                         r"(?P<v>[^)]*)\)", text, re.IGNORECASE):
        cues = cues.over(split_cues(f"The camera {m['v']}")[0])
    return re.sub(r"\s*\([^()]*\)", "", text).strip(), cues


def _merge(beats: list[BeatReading], text: str, scene: int) -> BeatReading:
    """One listed line is one shot: the first clause with a story leads, camera words from
    any clause add up, and later actions become the end state."""
    cues = Cues()
    for b in beats:
        cues = cues.over(b.cues)
    story = [b for b in beats if b.action]
    if not story:
        return BeatReading(text=text, scene=scene, subject="", characters=(), action="",
                           cues=cues, light=next((b.light for b in beats if b.light), ""))
    lead = story[0]
    later = [b for b in story[1:] if b.action and b.subject == lead.subject]
    after = ", ".join(a for a in [lead.after, *(_gerund_phrase(b.action) for b in later)] if a)
    characters = tuple(dict.fromkeys(c for b in story for c in b.characters))
    return replace(lead, text=text, after=after, cues=cues, characters=characters,
                   light=next((b.light for b in beats if b.light), ""))


def _gerund_phrase(action: str) -> str:
    from director.prompts.vocabulary import to_gerund

    words = action.split()
    return " ".join([to_gerund(words[0]), *words[1:]]) if words else ""


def _voice(beats: list[BeatReading], spoken: list[tuple[str, Line]], names: Names,
           memory: Memory, text: str, scene: int) -> list[BeatReading]:
    """Attach the spoken lines: to the speaker's own action beat when there is one, else as a
    beat of their own whose action is the speaking, never the words."""
    if not spoken:
        return beats
    lines = tuple((who, line.text) for who, line in spoken)
    speaker, first = spoken[0]
    # A beat that only names who is framed ("Over-the-shoulder on Sam.") is the speaking.
    story = [b for b in beats if b.action and not _idle(b.action)]
    if story:
        target = next((b for b in reversed(story) if speaker in b.characters), story[-1])
        merged = replace(target, dialogue=target.dialogue + lines,
                         characters=tuple(dict.fromkeys([*target.characters,
                                                         *(w for w, _ in lines
                                                           if w in names.all)])))
        return [merged if b is target else b for b in beats]
    cues = Cues()
    for b in beats:
        cues = cues.over(b.cues)
    framed = next((b for b in beats if b.action), None)
    if speaker == "off-screen voice" and framed and framed.characters:
        speaker = framed.characters[0]
        lines = tuple((speaker, text) for _, text in lines)
    in_frame = speaker in names.all
    # "OTS Lily: Joe says ...": the named shoulder is the listener's; "over-the-shoulder on
    # Sam" names the speaker, and the listener is whoever else is in the scene.
    shoulder = names.canonical(cues.on) if cues.shoulder and cues.on else ""
    others = [n for n in [shoulder, first.to, *memory.recent, *memory.scene_characters,
                          *names.all] if n and n != speaker and n in names.all]
    close = cues.size in _CLOSE
    listener = "" if close or not others else others[0]
    heard = listener or ("someone out of frame" if others and close else "")
    subject = speaker if in_frame or speaker else "the speaker"
    characters = tuple(c for c in (speaker, listener) if c and c in names.all)
    if not in_frame and speaker in ("", "off-screen voice") and memory.last_characters:
        # A voice nobody on screen owns ("a voice over the radio"): the shot is the listener.
        subject = " and ".join(memory.last_characters)
        characters = memory.last_characters
        action = "listens to the voice"
    else:
        action = speaking_action(first, heard)
    memory.remember(characters, subject)
    return [BeatReading(text=text, scene=scene, subject=subject, characters=characters,
                        action=action, cues=cues, dialogue=lines, listener=listener,
                        light=next((b.light for b in beats if b.light), ""))]


_MOTION = "over|across|through|along|past|down|up|toward|towards|into|around|between"


def _idle(action: str) -> bool:
    return bool(re.match(r"^holds? still in frame$", action))


def _speaker(line: Line, rest: str, names: Names, memory: Memory) -> str:
    """The speaker's bible name: a written name, a pronoun resolved from the beats so far, or
    for an unattributed line the subject of the sentence around it."""
    who = line.speaker
    if who.lower() in ("she", "he", "they", "i"):
        found = memory.resolve(who, rest)
        return found[0] if found else "off-screen voice"
    if who:
        return names.canonical(who)
    lead = names.leading(rest)
    if lead:
        return lead[0]
    if re.search(r"\bvoice\b|\bradio\b|\bphone\b|\boff-?screen\b|\bnarrat", rest, re.I):
        return "off-screen voice"
    return memory.last_characters[0] if memory.last_characters else "off-screen voice"


def style_words(reading: BriefReading) -> list[str]:
    """The brief's mood words minus the vague ones the craft forbids."""
    return [w for w in reading.style if w not in VAGUE_WORDS]


"""Camera directions written into a beat ("Wide from the booth side, ...", "Close-up on Dolores,
85mm.", "Slow push-in on Nadia as she smiles", "The camera pans left as ...") read into cues,
and cut out of the story text so they never leak into a subject or an action.

A camera phrase is a run of camera words at the start of a clause (sizes, angles, moves and
their modifiers), then an optional position ("at ankle height", "from the booth side"), then a
joint that says what follows: ":" "," "of" "on" "as", or a move's preposition ("across the
shelves"), whose object is what the shot is on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from director.film import CameraMove
from director.prompts.vocabulary import find_moves

_SIZES: tuple[tuple[str, str], ...] = (
    (r"extreme close-?ups?|extreme closeups?|ecu|xcu|macro|details?|inserts?", "extreme_close_up"),
    (r"medium close-?ups?|mcu|close-?ups?|closeups?|cu|tight|close", "close_up"),
    (r"extreme wide|ews|els|aerial|drone|bird'?s-eye", "extreme_wide"),
    (r"medium wide|mws|mls|full|full-length|long|wide|wides|ws|ls|establishing|master", "wide"),
    (r"medium|mid|mid-shot|ms|two-shot|2-shot|waist-up", "medium"),
)
_ANGLES: tuple[tuple[str, str], ...] = (
    (r"low-angle|worm'?s-eye", "low_angle"),
    (r"high-angle", "high_angle"),
    (r"overhead|top-down|flat-lay", "overhead"),
    (r"dutch|canted", "dutch"),
)
_MOVES: tuple[tuple[str, CameraMove], ...] = (
    (r"(?:tracking|follow|following|steadicam|handheld|hand-held|shaky-cam)", "handheld"),
    (r"(?:dolly-in|push-in|pushes in|push in|pushing in|zooms? in|creeps? in|moves? in|"
     r"dollies (?:in|forward))", "push_in"),
    (r"(?:dolly-out|dolly-back|pull-back|pull-out|pulls? (?:back|out)|pulling (?:back|out)"
     r"|zooms? out|dollies (?:out|back))", "pull_out"),
    (r"(?:rack focus|focus pull|pulls? focus|shifts? focus)", "rack_focus"),
    (r"(?:pans?|panning|whip-pan) (?:to the )?left", "pan_left"),
    (r"(?:pans?|panning|whip-pan)(?: (?:to the )?right)?", "pan_right"),
    (r"tilts? (?:up|upward)|tilting up", "tilt_up"),
    (r"tilts? (?:down|downward)|tilting down|tilts?", "tilt_down"),
    (r"(?:orbits?|arcs?|circles?)(?: \w+)? left", "orbit_left"),
    (r"(?:orbits?|arcs?|circles?)(?: \w+)?(?: right)?", "orbit_right"),
    (r"(?:cranes?|jibs?|booms?) (?:up|rising)|rises|rising|ascends|ascending|lifts|"
     r"pull(?:s|ing)? up|lifting", "crane_up"),
    (r"(?:cranes?|jibs?|booms?)(?: (?:down|descending))?|descends|descending|drops", "crane_down"),
    (r"(?:static|locked-off|tripod|holds?|still)", "static"),
    (r"(?:starts|stays|moves)? ?behind (?:her|him|them)|from behind", "handheld"),
)
# Bare direction words, read only when the text is known to be about the camera ("the camera
# moves closer") and names no move outright.
_FALLBACK: tuple[tuple[str, CameraMove], ...] = (
    (r"\b(?:side angle|around)\b", "orbit_right"),
    (r"\b(?:closer|toward|towards|in)\b", "push_in"),
    (r"\b(?:away|back|out|reveals?|widens?)\b", "pull_out"),
    (r"\b(?:lifts?|up|higher)\b", "crane_up"),
    (r"\b(?:lowers?|down)\b", "crane_down"),
)
_FILLER = (r"a|an|slow|slowly|quick|fast|gentle|gently|smooth|steady|final|opening|closing|"
           r"first|last|loose|side|single|continuous|shot|shots|camera|cam|angle|view|lens|"
           r"and|then|reverse|move|moves|frame")
_WORD = re.compile(r"[A-Za-z'’-]+")
_JOINTS = re.compile(
    r"^(?:(?P<punct>[:,.;—–]|-\s)|(?P<of>of)\b|(?P<on>on|onto)\b|(?P<as>as|while|when)\b"
    r"|(?P<prep>across|around|over|along|through|toward|towards|past|into|to|from|between|"
    r"above|behind|up|down|at|in|inside)\b)", re.IGNORECASE)
_POSITION = re.compile(
    r"^(?:at|from)\s+(?P<pos>(?:the\s+)?(?:[\w'-]+\s+){0,3}?(?:height|level|side|angle|end|"
    r"corner|doorway|window)|behind|above|below|the side|the front|the back|floor level|"
    r"ground level)\b", re.IGNORECASE)
_LENS = re.compile(r"(?:,\s*|\s+|^)(?:(?:on|with|at|using|through)\s+)?(?:an?\s+)?"
                   r"(?P<mm>\d{2,3})\s?mm(?:\s+lens)?\b", re.IGNORECASE)
_CAMERA_SENTENCE = re.compile(
    r"^(?:the\s+)?camera\s+(?P<cue>.+?)(?:\s+(?:as|while)\s+(?P<rest>.+))?$", re.IGNORECASE)
_CAMERA_INLINE = re.compile(
    r"[,;]?\s*(?:(?:as|while)\s+the\s+camera\s+(?P<cue>[^,;]+)"
    r"|(?:and|then)\s+the\s+camera\s+(?P<tail>[^;]+))", re.IGNORECASE)


@dataclass(frozen=True)
class Cues:
    """What a beat says about the camera; empty fields were not stated."""

    size: str = ""
    sizes: tuple[str, ...] = ()
    """Every size named, in order ("macro and close shots" names two)."""
    moves: tuple[CameraMove, ...] = ()
    """Every move named, in order; the shot takes the first, coverage the next."""
    angle: str = ""
    height: str = ""
    focal: int = 0
    shoulder: bool = False
    """Over-the-shoulder: the listener's shoulder frames the subject."""
    on: str = ""
    """Who or what the phrase names ("on Sam", "OTS Lily"), for telling speaker from listener."""
    text: str = ""
    """The camera words as written, for rules that read them."""

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self))

    def over(self, other: Cues) -> Cues:
        """These cues, with what they leave unstated taken from `other`."""
        return replace(self, **{f.name: getattr(other, f.name) for f in fields(self)
                                if not getattr(self, f.name) and getattr(other, f.name)})


def split_cues(text: str) -> tuple[Cues, str]:
    """(cues, the story text left) for one clause."""
    t = text.strip().rstrip(".")
    focal = 0
    if lens := _LENS.search(t):
        focal = int(lens["mm"])
        t = (t[: lens.start()] + t[lens.end():]).strip(" ,")
    if m := _CAMERA_SENTENCE.match(t):
        cues = read_camera_words(m["cue"], camera=True)
        return replace(cues, focal=focal or cues.focal), (m["rest"] or "").strip()
    inline = _CAMERA_INLINE.search(t)
    if inline:
        t = (t[: inline.start()] + t[inline.end():]).strip()
        cues = read_camera_words(inline["cue"] or inline["tail"], camera=True)
    else:
        cues = Cues()
    tail = re.search(r"(?:,|\s[—–-])\s*(?P<cue>[^,—–]+?)\s*$", t)
    if tail and tail.start() > 0:
        words = _lead(tail["cue"])
        if words[0] and not words[1]:  # "the gimbal rotates, close-up": the tail is camera only
            cues = read_camera_words(words[0]).over(cues) if cues else read_camera_words(words[0])
            t = t[:tail.start()].strip()
    rest = t
    for _ in range(3):  # "a drone pulls back ... while zooming in on her hands"
        lead, rest = _lead(rest)
        if not lead:
            break
        named = re.match(r"^(?P<who>[A-Z][\w'’-]+)\b", rest)
        found = read_camera_words(lead)
        if named and re.search(r"\b(?:on|ots|over-the-shoulder)$", lead, re.IGNORECASE):
            found = replace(found, on=named["who"])
        cues = cues.over(found) if cues else found
    return replace(cues, focal=focal or cues.focal), rest


def read_camera_words(words: str, camera: bool = False) -> Cues:
    """Cues from camera words alone ("slow push-in", "low-angle shot, tilt up", "handheld
    follow from behind"); `camera` says the words are known to describe the camera, so bare
    directions ("moves closer") count as moves too."""
    low = " " + re.sub(r"\s+", " ", words.lower().replace("’", "'")) + " "
    low = re.sub(r"over[- ]the[- ]shoulder|\bots\b", " ots ", low)
    low = re.sub(r"point[- ]of[- ]view|\bpov\b", " pov ", low)
    sizes = [size for pos, size in sorted(
        (m.start(), size) for rx, size in _SIZES for m in re.finditer(rf"(?<=[\s,(])(?:{rx})"
                                                                      r"(?=[\s,.:;)])", low))]
    sizes = list(dict.fromkeys(sizes))
    if " ots " in low or " pov " in low:
        sizes = sizes or ["medium"]
    angle = next((a for rx, a in _ANGLES if re.search(rf"(?<![\w-])(?:{rx})(?![\w-])", low)), "")
    if not angle and re.search(r"\bfrom (?:below|the ground)\b", low):
        angle = "low_angle"
    elif not angle and re.search(r"\bfrom above\b", low):
        angle = "high_angle"
    height = ""
    if h := re.search(r"\bat (?P<h>(?:[\w'-]+ ){0,2}(?:height|level))\b", low):
        height = h["h"]
    elif p := re.search(r"\bfrom (?P<p>(?:the )?(?:[\w'-]+ ){0,3}?(?:side|end|corner|doorway))\b",
                        low):
        height = f"eye height, {p.group(0)}"
    elif re.search(r"\bfrom behind\b|\bbehind (?:her|him|them)\b", low):
        height = "shoulder height, from behind"
    moves = _moves(low)
    if not moves and camera:
        moves = tuple(m for rx, m in _FALLBACK if re.search(rx, low))[:1]
    return Cues(size=sizes[0] if sizes else "", sizes=tuple(sizes), moves=moves,
                angle=angle, height=height, shoulder=" ots " in low, text=words.strip())


def _moves(low: str) -> tuple[CameraMove, ...]:
    """Every move named, in order: the recogniser's phrases first, then bare camera verbs."""
    found: list[tuple[int, CameraMove]] = []
    taken: list[tuple[int, int]] = []
    generic: list[tuple[int, str]] = []
    for key, start, end in find_moves(low):
        taken.append((start, end))
        if key in _GENERIC:
            generic.append((start, key))
        else:
            found.append((start, key))  # type: ignore[arg-type]
    for rx, move in _MOVES:
        for m in re.finditer(rf"(?<![\w-])(?:{rx})(?![\w-])", low):
            if not any(s <= m.start() < e or m.start() <= s < m.end() for s, e in taken):
                found.append((m.start(), move))
                taken.append((m.start(), m.end()))
    # "A drone shot rises": the generic "drone shot" takes the direction the text states.
    for start, key in generic:
        if not any(_family(move) == key for _, move in found):
            found.append((start, _concrete(key, low)))
    return tuple(dict.fromkeys(move for _, move in sorted(found)))


_GENERIC = {"pan", "orbit", "crane", "track", "zoom", "tilt"}


def _family(move: str) -> str:
    return {"push_in": "zoom", "handheld": "track"}.get(move, move.split("_")[0])


def _concrete(key: str, text: str) -> CameraMove:
    """A generic mention ("the camera orbits") made concrete in the direction the text hints."""
    left = bool(re.search(r"\bleft\b", text))
    generic: dict[str, CameraMove] = {"pan": "pan_left" if left else "pan_right",
                                      "orbit": "orbit_left" if left else "orbit_right",
                                      "crane": "crane_down", "track": "handheld",
                                      "zoom": "push_in", "tilt": "tilt_up"}
    return generic.get(key, key)  # type: ignore[return-value,arg-type]


# --- the camera phrase at the start of a clause -------------------------------------------------

_CAMERA_WORDS = re.compile(
    rf"^(?:{_FILLER}|extreme|close-?ups?|closeups?|ecu|xcu|cu|mcu|ews|els|ms|mls|mws|ws|ls|"
    r"2-shot|macro|details?|"
    r"inserts?|tight|close|medium|mid|mid-shot|two-shot|waist-up|wide|wides|full|full-length|"
    r"long|establishing|master|aerial|drone|bird'?s-eye|overhead|top-down|flat-lay|"
    r"low-angle|high-angle|low|high|dutch|canted|worm'?s-eye|over-the-shoulder|ots|pov|"
    r"tracking|follow|follows|following|steadicam|handheld|hand-held|shaky-cam|static|"
    r"locked-off|tripod|dolly|dolly-in|dolly-out|dolly-back|push-in|push|pushes|pull-back|"
    r"pull-out|pull|pulls|back|in|out|zoom|zooms|pan|pans|panning|whip-pan|whip|tilt|tilts|"
    r"up|upward|down|downward|left|right|orbit|orbits|arc|arcs|circles|crane|cranes|jib|boom|"
    r"rack|focus|rises|rising|descends|descending|hold|holds|creeps|drifts|glides|moves|"
    r"sweeps|lingers|settles|zooming|panning|tilting|pushing|pulling|craning|orbiting|"
    r"circling|frames|finds|reveals)$", re.IGNORECASE)
# Words that can only be camera words at the start of a clause ("close" alone is not enough:
# "Close the door" is an action); the run must contain one of these.
_ANCHORS = re.compile(
    r"^(?:close-?ups?|closeups?|ecu|xcu|cu|mcu|ews|els|ms|mls|mws|ws|ls|2-shot|macro|details?|"
    r"inserts?|medium|mid-shot|"
    r"two-shot|wide|wides|establishing|aerial|drone|overhead|top-down|flat-lay|low-angle|"
    r"high-angle|dutch|over-the-shoulder|ots|pov|tracking|steadicam|handheld|hand-held|"
    r"static|locked-off|dolly|dolly-in|dolly-out|push-in|pull-back|pull-out|pan|pans|"
    r"whip-pan|tilt|tilts|orbit|orbits|crane|cranes|jib|rack|shot|shots|camera|zooming|"
    r"panning|tilting|craning|orbiting|tracking)$",
    re.IGNORECASE)
_TRANSITIVE = re.compile(r"\b(?:orbits|circles|follows|tracks|frames|finds|reveals|following|"
                         r"tracking|circling|orbiting|revealing)$", re.IGNORECASE)
_IMPERATIVE = re.compile(r"^(?:slowly\s+)?(?:pan|tilt|orbit|crane|dolly|push|pull|zoom|track|"
                         r"follow|hold|rack|arc|circle|jib|boom)\b", re.IGNORECASE)


def _lead(t: str) -> tuple[str, str]:
    """(camera phrase, rest) when `t` opens with one, else ("", t)."""
    close = re.match(r"^(?:(?:a|an)\s+)?(?:tight|close|closer)(?:\s+in)?\s+on\s+", t, re.IGNORECASE)
    if close:  # "Close on the spinning rear wheel", "tight on her hands"
        return "close-up on", t[close.end():]
    tokens = list(re.finditer(r"\d+-[A-Za-z]+|[A-Za-z'’-]+|\d+|[^\sA-Za-z\d]", t))
    words: list[str] = []
    end = 0
    anchored = False
    for tok in tokens:
        word = tok.group(0)
        # "the" belongs to a camera phrase only as "the camera" ("following the drone" ends it).
        the_camera = word.lower() == "the" and re.match(r"\s*camera\b", t[tok.end():], re.I)
        if _CAMERA_WORDS.match(word) or the_camera or (
                word == "," and words and _next_is_camera(t, tok)):
            words.append(word)
            anchored = anchored or bool(_ANCHORS.match(word))
            end = tok.end()
            continue
        break
    if not words or not (anchored or _IMPERATIVE.match(t)):
        return "", t
    # Trailing connectives belong to the story, not the camera ("a slow orbit and then").
    while words and words[-1].lower() in ("and", "then", "the", "a", "an", "in", "up", "down",
                                          "back", "out", "left", "right") and len(words) > 1:
        if words[-1].lower() in ("in", "up", "down", "back", "out", "left", "right") and \
                re.match(r"(?:push|pull|tilt|pan|crane|zoom|dolly|orbit|jib|boom)\w*$",
                         words[-2], re.IGNORECASE):
            break
        words.pop()
        end = t.lower().rfind(words[-1].lower(), 0, end) + len(words[-1])
    phrase, rest = t[:end], t[end:].lstrip()
    if pos := _POSITION.match(rest):
        phrase, rest = f"{phrase} {pos.group(0)}", rest[pos.end():].lstrip()
    ots = re.match(r"^(?P<who>[A-Z][\w'’-]+)\s*(?:[:,]\s*(?P<rest>.*))?$", rest)
    if ots and re.search(r"\b(?:ots|over-the-shoulder)$", phrase, re.IGNORECASE):
        return phrase, f"{ots['who']} {ots['rest'] or ''}".strip()  # "OTS Lily: ..." names Lily
    joint = _JOINTS.match(rest)
    if not joint and rest and _TRANSITIVE.search(phrase):
        return _object(phrase, "", rest)  # "a drone orbits the tower while ..."
    if not joint:
        return ("", t) if rest else (phrase, "")
    after = rest[joint.end():].strip()
    if joint["punct"] or joint["of"] or joint["as"]:
        return phrase, after
    if joint["on"]:
        return f"{phrase} on", after
    # A move's object: "across shelves of clocks", "from the tweezers to Henrik's eye".
    return _object(phrase, joint.group(0), after)


def _object(phrase: str, prep: str, after: str) -> tuple[str, str]:
    """The phrase and the story left when a move names what it is on."""
    if ":" in after:  # "static in the rain: June waits" - the colon opens the story
        where, _, story = after.partition(":")
        return f"{phrase} {prep} {where}", story.strip()
    target, _, clause = _split_as(after)
    # "pull back to reveal snow-capped peaks": what is revealed is what the shot is on.
    target = re.sub(r"^(?:reveal|show|find|discover|frame|include)\s+", "", target, flags=re.I)
    moved = prep.lower() == "from" and re.search(r"\bto\b", target)
    if moved:
        target = re.split(r"\bto\b", target, maxsplit=1)[1].strip()
    if clause and moved:
        # "crane up from the pool to the whole shoreline as the sun clears the horizon": the
        # shot lands on the shoreline while the clause plays out.
        return phrase, f"{target} as {clause.strip(' ,')}"
    if clause:
        return phrase, clause.strip(" ,")
    # Only the camera words are read as cues: "following the drone" is not a drone shot.
    return f"{phrase} {prep}".strip(), target.strip(" ,")


def _split_as(text: str) -> tuple[str, str, str]:
    parts = re.split(r"\s+(?:as|while|when)\s+", text, maxsplit=1)
    return (parts[0], "as", parts[1]) if len(parts) == 2 else (parts[0], "", "")


def _next_is_camera(t: str, comma: re.Match[str]) -> bool:
    nxt = _WORD.search(t, comma.end())
    return nxt is not None and bool(_ANCHORS.match(nxt.group(0))) and \
        nxt.start() - comma.end() <= 2

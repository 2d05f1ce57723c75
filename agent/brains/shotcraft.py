"""Shot design, the cinematographer's decisions: clip lengths, sizes and lenses, the ONE move,
angle and height, bridging positions, negatives (the light of each place is lighting.py's).

Pure functions of their inputs, so the same brief always yields the same plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from director.agent.brains.reading import BeatReading
from director.film import CameraAngle, CameraMove, ShotSize
from director.prompts.vocabulary import FOCAL_LENGTHS, LOCOMOTION_VERBS, to_gerund, verb_base

TYPICAL_CLIP_S: tuple[float, float] = (3.0, 8.0)
"""Clip lengths that read as one shot; longer ones drift, shorter ones flash."""
MAX_TYPICAL_S = 15.0
"""The longest clip that still reads as one shot in a long film."""
MAX_SHOTS = 60

# --- durations ----------------------------------------------------------------------------------


def allot_durations(target: float, allowed: Sequence[float], beats: int) -> list[float]:
    """Clip lengths, each one of `allowed`, whose sum is as close to `target` as they permit.

    Among the counts that reach that closest sum, prefer typical clip lengths, then the count
    nearest the number of beats (a one-line brief earns up to three shots: wide, medium, close),
    then fewer shots. Sums are found exactly with bitset subset-sums on a common grid."""
    values = sorted({float(v) for v in allowed if v > 0})
    if not values:
        raise ValueError("no allowed clip durations")
    unit = _grid(values)
    units = [round(v / unit) for v in values]
    goal = target / unit
    kmax = min(MAX_SHOTS, max(1, math.ceil(target / values[0]) + 1))
    # No closest sum lies beyond goal + the longest clip, so bits past it are never needed.
    mask = (1 << (math.ceil(goal) + units[-1] + 1)) - 1
    reach = [1]
    for _ in range(kmax):
        prev, nxt = reach[-1], 0
        for u in units:
            nxt |= prev << u
        reach.append(nxt & mask)
    desired = beats if beats > 1 else min(3, max(1, round(target / 5)))
    best: tuple[tuple[float, int, int, int], int, int] | None = None
    for k in range(1, kmax + 1):
        total = _closest(reach[k], goal)
        if total is None:
            continue
        avg = total * unit / k
        # Typical lengths first; a long film that cannot stay under 8 s per clip still keeps
        # clips a viewer reads as shots (up to 15 s) before it fills the shot budget.
        band = 0 if TYPICAL_CLIP_S[0] <= avg <= TYPICAL_CLIP_S[1] else (
            1 if TYPICAL_CLIP_S[0] <= avg <= MAX_TYPICAL_S else 2)
        key = (round(abs(total - goal) * unit, 6), band, abs(k - desired), k)
        if best is None or key < best[0]:
            best = (key, k, total)
    assert best is not None  # k=1 always reaches the shortest clip
    _, k, total = best
    return [round(u * unit, 6) for u in _balanced(k, total, units, reach)]


def _grid(values: list[float]) -> float:
    for step in (1.0, 0.5, 0.25, 0.2, 0.1, 0.05, 0.01):
        if all(abs(v / step - round(v / step)) < 1e-9 for v in values):
            return step
    return 0.01


def _closest(bits: int, goal: float) -> int | None:
    if not bits:
        return None
    low = max(0, math.floor(goal))
    below = bits & ((1 << (low + 1)) - 1)
    down = below.bit_length() - 1 if below else None
    above = bits >> math.ceil(goal)
    up = math.ceil(goal) + (above & -above).bit_length() - 1 if above else None
    if down is None or (up is not None and up - goal < goal - down):
        return up
    return down


def _balanced(k: int, total: int, units: list[int], reach: list[int]) -> list[int]:
    """k clip lengths summing to `total`, each as close to the running average as possible."""
    out, rest = [], total
    for i in range(k):
        left = k - i
        for u in sorted(units, key=lambda u: (abs(u - rest / left), u)):
            if u <= rest and (reach[left - 1] >> (rest - u)) & 1:
                out.append(u)
                rest -= u
                break
    return out


def group_beats(beats: Sequence[BeatReading], shots: int) -> list[list[int]]:
    """Beat indexes per shot: extra shots cover the wordiest beats again (wider then closer);
    too few shots merge neighbouring beats, keeping the opening beat on its own."""
    n = len(beats)
    if shots >= n:
        counts = [1] * n
        # Extra coverage goes to the wordiest beats, but no beat gets more than its share
        # rounded up: six clips of four beats is two beats covered twice, not one thrice.
        most = -(-shots // n)
        for _ in range(shots - n):
            weights = [len(b.text.split()) / c if c < most else -1.0
                       for b, c in zip(beats, counts, strict=True)]
            counts[weights.index(max(weights))] += 1
        return [[i] for i, c in enumerate(counts) for _ in range(c)]
    sizes = [n // shots + (1 if j >= shots - n % shots else 0) for j in range(shots)]
    groups, start = [], 0
    for size in sizes:
        groups.append(list(range(start, start + size)))
        start += size
    return groups


# --- camera -------------------------------------------------------------------------------------

_REVEAL = re.compile(r"\b(?:reveal\w*|the whole|whole (?:valley|city|scene|set|room|"
                     r"shoreline|coast|field|group|family|table)|panorama|landscape|skyline)\b",
                     re.IGNORECASE)
_NEXT_SIZE: dict[str, ShotSize] = {"extreme_wide": "wide", "wide": "medium", "medium": "close_up",
                                   "close_up": "medium", "extreme_close_up": "medium"}


def shot_size(beat: BeatReading, first_in_scene: bool, prev: ShotSize | None,
              coverage: int) -> ShotSize:
    """The size the brief states; else establish wide, then move in. A body in motion is never
    framed tighter than medium."""
    sizes = beat.cues.sizes or ((beat.cues.size,) if beat.cues.size else ())
    if sizes and coverage < len(sizes):
        return sizes[coverage]  # type: ignore[return-value]
    if prev is None or (first_in_scene and coverage == 0):
        return "wide"
    if coverage == 0 and _REVEAL.search(f"{beat.text} {beat.action} {beat.after}"):
        return "wide"  # a reveal needs the frame it reveals
    if beat.listener and coverage == 0:
        # Shot/reverse-shot over the listener's shoulder: medium, or a close single after one.
        return "medium" if prev != "medium" else "close_up"
    size = _NEXT_SIZE[prev]
    if size in ("close_up", "extreme_close_up") and _leading_verb(beat.action) in (
            LOCOMOTION_VERBS | {"step", "enter", "exit", "leave", "climb"}):
        size = "medium" if prev != "medium" else "wide"
    return size


def focal_length(size: ShotSize, person: bool, beat: BeatReading, coverage: int = 0) -> int:
    """The lens the brief names for this beat; else by purpose: 24 establishing, 50 neutral,
    85 any person close, 100 macro, 135 to compress."""
    if beat.cues.focal and coverage == 0:
        return beat.cues.focal
    if beat.cues.shoulder and person:
        return FOCAL_LENGTHS["person"]
    if re.search(r"\b(?:long lens|telephoto|compress\w*|from a distance)\b", beat.text,
                 re.IGNORECASE) and size not in ("wide", "extreme_wide"):
        return FOCAL_LENGTHS["compression"]
    if size in ("wide", "extreme_wide"):
        return FOCAL_LENGTHS["establishing"]
    if size == "medium":
        return FOCAL_LENGTHS["neutral"]
    if size == "close_up" and person:
        return FOCAL_LENGTHS["person"]
    return FOCAL_LENGTHS["macro"]


def camera_move(beat: BeatReading, size: ShotSize, index: int, first_in_scene: bool,
                setting: str, coverage: int = 0) -> CameraMove:
    """The ONE move: what the brief says the camera does (a second stated move goes to the
    beat's next coverage shot, never into the same clip), else what the action asks for."""
    moves = beat.cues.moves
    if moves and coverage < len(moves):
        return moves[coverage]
    text = f"{_said_removed(beat.text)} {beat.action}".lower()
    rules: tuple[tuple[str, CameraMove], ...] = (
        (r"\b(?:looks?|gazes?|glances?|stares?) up\b", "tilt_up"),
        (r"\b(?:looks?|gazes?|glances?|stares?) down\b", "tilt_down"),
        (r"\b(?:toward|towards|to|into|at) (?:the )?(?:lens|camera)\b", "static"),
        (r"\b(?:reveal\w*|final wide|the whole)\b", "pull_out"),
        (r"\bfocus\b", "rack_focus"),
    )
    for pattern, move in rules:
        if re.search(pattern, text):
            return move
    if _leading_verb(beat.action) in LOCOMOTION_VERBS:
        return "handheld"
    if first_in_scene and size in ("wide", "extreme_wide") and setting in ("nature", "beach") \
            and not (beat.cues.angle or beat.cues.height):  # a stated height holds the camera
        return "crane_down"
    if beat.dialogue or re.search(r"\b(?:whisper\w*|tears?|intimate|breath\w*)\b", text):
        return "push_in"
    return "static" if index % 2 == 0 else "push_in"


def _said_removed(text: str) -> str:
    return re.sub(r'"[^"]*"|“[^”]*”', " ", text)


def camera_angle(move: CameraMove, beat: BeatReading, person: bool, setting: str,
                 label: str) -> tuple[CameraAngle, str]:
    """Vertical angle and camera height: as the brief states them, else what suits the move
    and the subject."""
    cues = beat.cues
    if beat.listener and (cues.shoulder or not (cues.angle or cues.height)):
        return "eye_level", f"shoulder height, over {beat.listener}'s shoulder"
    by_move: dict[str, tuple[CameraAngle, str]] = {
        "tilt_up": ("low_angle", "waist height"),
        "tilt_down": ("high_angle", "above head height"),
        "crane_down": ("high_angle", "high above the scene"),
        "crane_up": ("low_angle", "low, near the ground"),
    }
    if cues.angle == "overhead":
        return "overhead", cues.height or "directly above, looking straight down"
    if cues.angle:
        default = {"low_angle": "knee height", "high_angle": "above head height",
                   "dutch": "eye height", "eye_level": "eye height"}[cues.angle]
        return cues.angle, cues.height or default  # type: ignore[return-value]
    if cues.height and move not in by_move:
        return "eye_level", cues.height.replace("from behind", f"behind {label}")
    if move in by_move:
        return by_move[move]
    if person:
        return "eye_level", "eye height"
    if setting in ("tabletop", "studio"):
        return "eye_level", "table height"
    return "eye_level", "subject height"


def _leading_verb(action: str) -> str:
    words = action.split()
    return (verb_base(words[0]) or "") if words else ""


# --- bridging and negatives ---------------------------------------------------------------------

BASE_NEGATIVE = ("on-screen text", "subtitles", "watermark", "logo", "flicker", "jump cut")
PERSON_NEGATIVE = ("extra fingers", "deformed hands", "warped face", "duplicate person")


def end_position(label: str, action: str, after: str, continuing: bool) -> str:
    """The stable position the subject holds at the last frame, stated so the next clip can
    begin from it; a beat that carries on into the next shot holds its framing instead."""
    words = action.split()
    first = {"is": "being", "are": "being"}.get(words[0], "") if words else ""
    doing = " ".join([first or to_gerund(words[0]), *words[1:]]) if words else ""
    still = re.match(r"^holds? still\b", action)
    if still or not doing:
        rest = action[still.end():] if still else " in frame"
        base = f"{label} holding still{rest}"
    elif continuing:
        base = f"{label} centred in frame, {doing}"
    elif words[0].lower() in ("holds", "hold"):
        base = f"{label} {doing}"  # "holding it up to the light" is already a held position
    else:
        base = f"{label} holding still after {doing}"
    return f"{base}, {after}" if after else base


def negative_terms(extra: Sequence[str], person: bool) -> list[str]:
    terms = [*extra, *BASE_NEGATIVE, *(PERSON_NEGATIVE if person else ())]
    return list(dict.fromkeys(t.strip() for t in terms if t.strip()))

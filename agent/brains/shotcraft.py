"""Shot design, the cinematographer's decisions: clip lengths, sizes and lenses, the ONE move,
angle and height, the light of each place and its look, bridging positions, negatives.

Pure functions of their inputs, so the same brief always yields the same plan.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from director.agent.brains.reading import DEFAULT_ACTION, BeatReading
from director.film import CameraAngle, CameraMove, Lighting, ShotSize
from director.prompts.vocabulary import (
    FOCAL_LENGTHS,
    KELVIN_BY_SOURCE,
    LOCOMOTION_VERBS,
    LOOKS,
    MOOD_GROUNDING,
    find_moves,
    lighting_setup,
    to_gerund,
    verb_base,
)

TYPICAL_CLIP_S: tuple[float, float] = (3.0, 8.0)
"""Clip lengths that read as one shot; longer ones drift, shorter ones flash."""
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
        typical = TYPICAL_CLIP_S[0] <= avg <= TYPICAL_CLIP_S[1]
        key = (round(abs(total - goal) * unit, 6), 0 if typical else 1, abs(k - desired), k)
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
        for _ in range(shots - n):
            weights = [len(b.text.split()) / c for b, c in zip(beats, counts, strict=True)]
            counts[weights.index(max(weights))] += 1
        return [[i] for i, c in enumerate(counts) for _ in range(c)]
    sizes = [n // shots + (1 if j >= shots - n % shots else 0) for j in range(shots)]
    groups, start = [], 0
    for size in sizes:
        groups.append(list(range(start, start + size)))
        start += size
    return groups


# --- camera -------------------------------------------------------------------------------------

_NEXT_SIZE: dict[str, ShotSize] = {"extreme_wide": "wide", "wide": "medium", "medium": "close_up",
                                   "close_up": "medium", "extreme_close_up": "medium"}


def shot_size(beat: BeatReading, first_in_scene: bool, prev: ShotSize | None,
              coverage: int) -> ShotSize:
    """Establish wide, then move in; a body in motion is never framed tighter than medium."""
    if beat.size_cue and coverage == 0:
        return beat.size_cue  # type: ignore[return-value]
    if prev is None or (first_in_scene and coverage == 0):
        return "wide"
    size = _NEXT_SIZE[prev]
    if size in ("close_up", "extreme_close_up") and _leading_verb(beat.action) in (
            LOCOMOTION_VERBS | {"step", "enter", "exit", "leave", "climb"}):
        size = "medium" if prev != "medium" else "wide"
    return size


def focal_length(size: ShotSize, person: bool, text: str) -> int:
    if re.search(r"\b(?:long lens|telephoto|compress\w*|from a distance|across the)\b", text,
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
                setting: str) -> CameraMove:
    """The ONE move: what the brief says the camera does, else what the action asks for."""
    if beat.camera_cue and (move := _move_from_cue(beat.camera_cue)):
        return move
    if hits := find_moves(beat.text):
        return _concrete(hits[0][0], beat.text)
    text = f"{beat.text} {beat.action}".lower()
    rules: tuple[tuple[str, CameraMove], ...] = (
        (r"\b(?:looks?|gazes?|glances?|stares?) up\b", "tilt_up"),
        (r"\b(?:looks?|gazes?|glances?|stares?) down\b", "tilt_down"),
        (r"\b(?:toward|towards|to|into|at) (?:the )?(?:lens|camera)\b", "static"),
        (r"\b(?:reveal\w*|final wide|whole)\b", "pull_out"),
        (r"\bfocus\b", "rack_focus"),
    )
    for pattern, move in rules:
        if re.search(pattern, text):
            return move
    if _leading_verb(beat.action) in LOCOMOTION_VERBS:
        return "handheld"
    if first_in_scene and size in ("wide", "extreme_wide") and setting in ("nature", "beach"):
        return "crane_down"
    if beat.dialogue or re.search(r"\b(?:whisper\w*|tears?|intimate|breath\w*)\b", text):
        return "push_in"
    return "static" if index % 2 == 0 else "push_in"


def _move_from_cue(cue: str) -> CameraMove | None:
    if hits := find_moves(cue):
        return _concrete(hits[0][0], cue)
    low = cue.lower()
    rules: tuple[tuple[str, CameraMove], ...] = (
        (r"\b(?:side angle|around|circles?|arcs?)\b", "orbit_left" if "left" in low
         else "orbit_right"),
        (r"\b(?:behind|follows?|following|tracks?)\b", "handheld"),
        (r"\bpans?\b", "pan_left" if re.search(r"\bleft\b(?!.*\bright\b)", low) else "pan_right"),
        (r"\b(?:rises?|lifts?|cranes? up|up)\b", "crane_up"),
        (r"\b(?:descends?|lowers?|down)\b", "crane_down"),
        (r"\b(?:pushes|closer|toward|towards|in)\b", "push_in"),
        (r"\b(?:pulls?|away|back|out|reveals?)\b", "pull_out"),
        (r"\b(?:still|static|locked|holds?)\b", "static"),
    )
    return next((move for pattern, move in rules if re.search(pattern, low)), None)


def _concrete(key: str, text: str) -> CameraMove:
    """A generic mention ("the camera orbits") made concrete in the direction the text hints."""
    left = bool(re.search(r"\bleft\b", text, re.IGNORECASE))
    generic: dict[str, CameraMove] = {"pan": "pan_left" if left else "pan_right",
                                      "orbit": "orbit_left" if left else "orbit_right",
                                      "crane": "crane_down", "track": "handheld",
                                      "zoom": "push_in", "tilt": "tilt_up"}
    return generic.get(key, key)  # type: ignore[return-value]


def camera_angle(move: CameraMove, beat: BeatReading, person: bool, setting: str,
                 label: str) -> tuple[CameraAngle, str]:
    """Vertical angle and camera height that suit the move and the subject."""
    by_move: dict[str, tuple[CameraAngle, str]] = {
        "tilt_up": ("low_angle", "waist height"),
        "tilt_down": ("high_angle", "above head height"),
        "crane_down": ("high_angle", "high above the scene"),
        "crane_up": ("low_angle", "low, near the ground"),
    }
    if move in by_move:
        return by_move[move]
    text = beat.text.lower()
    if re.search(r"\b(?:overhead|top-down|from above|bird's-eye)\b", text):
        return "overhead", "directly above, looking straight down"
    if "behind" in beat.camera_cue.lower():
        return "eye_level", f"shoulder height behind {label}"
    if re.search(r"\b(?:low angle|from below|low-angle)\b", text):
        return "low_angle", "knee height"
    if person:
        return "eye_level", "eye height"
    if setting in ("tabletop", "studio"):
        return "eye_level", "table height"
    return "eye_level", "subject height"


def _leading_verb(action: str) -> str:
    words = action.split()
    return (verb_base(words[0]) or "") if words else ""


# --- place, light, look -------------------------------------------------------------------------

_SETTINGS: tuple[tuple[str, str], ...] = (
    ("kitchen_pro", r"\b(?:chef|restaurant|the pass|service|line cooks?)\b"),
    ("street", r"\b(?:street|alley|avenue|road|gutter|sidewalk|pavement|city|crosswalk)\b"),
    ("beach", r"\b(?:beach|shore(?:line)?|coast|sea|ocean|dunes?|sand)\b"),
    ("nature", r"\b(?:forest|woods|meadow|field|mountain|valley|lake|river|jungle|desert|"
               r"canyon|hill|glade|ferns?|pines?)\b"),
    ("stadium", r"\b(?:stadium|track|steps|stairs|court|park)\b"),
    ("studio", r"\b(?:studio|slab|backdrop|seamless|plinth|pedestal)\b"),
    ("kitchen", r"\bkitchen\b"),
    ("interior", r"\b(?:room|bedroom|office|caf[eé]|bar|diner|apartment|hallway|library|hotel|"
                 r"shop|store|lobby|gym)\b"),
    ("tabletop", r"\b(?:table|counter|desk|tray|countertop)\b"),
)
EXTERIOR = frozenset({"street", "beach", "nature", "stadium"})
_TIMES = ("golden hour", "blue hour", "sunset", "sunrise", "dawn", "dusk", "midnight", "night",
          "evening", "morning", "afternoon", "midday", "noon", "daytime", "day")
_AMBIENCE = {"kitchen_pro": "kitchen ambience", "street": "distant traffic",
             "beach": "waves on the shore", "nature": "birdsong and wind in the trees",
             "stadium": "wind and a distant city hum"}


def setting_of(text: str) -> str:
    """A coarse setting key ("street", "kitchen_pro", "studio", ...) for light and look."""
    return next((key for key, rx in _SETTINGS if re.search(rx, text, re.IGNORECASE)), "")


def time_of_day(text: str) -> str:
    low = text.lower()
    return next((t for t in _TIMES if re.search(rf"\b{t}\b", low)), "")


def ambience(setting: str, text: str) -> str:
    if re.search(r"\brain\w*\b", text, re.IGNORECASE):
        return "rain on pavement, distant traffic" if setting in EXTERIOR else "rain on the windows"
    return _AMBIENCE.get(setting, "quiet room tone")


def scene_light(setting: str, time: str, text: str, stated: str) -> tuple[Lighting, str]:
    """The lighting setup of a place and the look that goes with it. Light the brief states
    wins; otherwise time of day and setting decide, as a gaffer would."""
    low = text.lower()
    if stated and (light := stated_lighting(stated)):
        return light, _look_for_kelvin(light.colour_temperature_k, setting, time)
    if "candle" in low:
        key, look = "candlelight", "candle"
    elif setting == "kitchen_pro":
        key, look = "kitchen", "kitchen"
    elif time in ("golden hour", "sunset", "dusk"):
        key, look = "golden_hour", "golden_hour"
    elif time in ("dawn", "sunrise"):
        key, look = "dawn", "golden_hour"
    elif time == "blue hour":
        key, look = "blue_hour", "overcast"
    elif time in ("night", "midnight", "evening"):
        if setting in EXTERIOR:
            key = "night_neon" if "neon" in low else "moonlight" if "moon" in low else "streetlight"
            look = "night_neon" if key == "night_neon" else "interior"
        else:
            key, look = "tungsten_interior", "interior"
    elif setting == "studio":
        key, look = "studio_softbox", "product"
    elif setting in EXTERIOR:
        wet = re.search(r"\b(?:rain\w*|overcast|cloud\w*|grey|fog\w*|mist\w*|drizzle)\b", low)
        key = "overcast_day" if wet else "daylight"
        look = "overcast" if wet else "nature" if setting in ("nature", "beach") else "default"
    else:
        key, look = "morning_window", "morning"
    return lighting_setup(key), look


def stated_lighting(statement: str) -> Lighting | None:
    """"morning sunlight entering from a window on the left" -> window light from camera-left
    at 45°, 5600K; None when the statement gives no direction."""
    low = statement.lower()
    sides = (("left", r"\bleft\b"), ("right", r"\bright\b"), ("back", r"\bbehind\b|\bbacklit\b"),
             ("top", r"\babove\b|\boverhead\b"))
    side = next((s for s, rx in sides if re.search(rx, low)), None)
    if side is None:
        return None
    degrees = re.search(r"(\d{1,2})\s*(?:°|degrees)", low)
    angle = f" at {degrees.group(1)}°" if degrees else " at 45°"
    direction = {"left": f"camera-left{angle}", "right": f"camera-right{angle}",
                 "back": "behind the subject", "top": "directly above"}[side]
    kelvin = re.search(r"\b(\d{4,5})\s?k\b", low)
    temp = int(kelvin.group(1)) if kelvin else next(
        (k for word, k in KELVIN_BY_SOURCE if word in low), 5600)
    by = re.search(r"\bby\s+(?:a|an|the)?\s*(?P<src>[^,.;]+)", statement, re.IGNORECASE)
    source = by["src"] if by else re.split(
        r"\s+(?:entering|coming|falling|streaming|pouring|spilling|shining|from|through|on)\b",
        statement.strip(), maxsplit=1)[0]
    source = re.sub(r"^(?:lit|a|an|the)\b\s*", "", source.strip(), flags=re.IGNORECASE)
    if "window" in low and "window" not in source.lower():
        source += " through a window"
    quality = "hard" if re.search(r"\b(?:hard|harsh|direct)\b", low) else "soft"
    return Lighting(source=source or "key light", direction=direction,
                    side=side,  # type: ignore[arg-type]
                    colour_temperature_k=min(12000, max(1000, temp)), quality=quality)


def _look_for_kelvin(kelvin: int, setting: str, time: str) -> str:
    if kelvin <= 2500:
        return "candle"
    if setting == "studio":
        return "product"
    if time in ("morning", "dawn", "sunrise") or setting in ("tabletop", "kitchen"):
        return "morning"
    if kelvin <= 3600:
        return "interior"
    return "nature" if setting in ("nature", "beach") else "default"


def atmosphere(look: str, style: Sequence[str]) -> str:
    """Stock, grain and palette, the look's physical detail, and the brief's mood words
    translated into what the camera sees (ungrounded ones are dropped, not passed on)."""
    stock, grain, palette, detail = LOOKS[look]
    text = f"{stock}, {grain}, {palette}. {detail[0].upper()}{detail[1:]}."
    grounded = list(dict.fromkeys(MOOD_GROUNDING[w] for w in style if w in MOOD_GROUNDING))
    if grounded:
        mood = "; ".join(grounded)
        text += f" {mood[0].upper()}{mood[1:]}."
    return text


# --- bridging and negatives ---------------------------------------------------------------------

BASE_NEGATIVE = ("on-screen text", "subtitles", "watermark", "logo", "flicker", "jump cut")
PERSON_NEGATIVE = ("extra fingers", "deformed hands", "warped face", "duplicate person")


def end_position(label: str, action: str, after: str, continuing: bool) -> str:
    """The stable position the subject holds at the last frame, stated so the next clip can
    begin from it; a beat that carries on into the next shot holds its framing instead."""
    words = action.split()
    doing = " ".join([to_gerund(words[0]), *words[1:]]) if words else ""
    if continuing and action != DEFAULT_ACTION and not action.startswith("as "):
        base = f"{label} centred in frame, {doing}"
    elif action == DEFAULT_ACTION or not doing:
        base = f"{label} holding still in frame"
    elif action.startswith("as "):
        base = f"{label} {'centred in frame' if continuing else 'holding still'} {action}"
    else:
        base = f"{label} holding still after {doing}"
    return f"{base}, {after}" if after else base


def negative_terms(extra: Sequence[str], person: bool) -> list[str]:
    terms = [*extra, *BASE_NEGATIVE, *(PERSON_NEGATIVE if person else ())]
    return list(dict.fromkeys(t.strip() for t in terms if t.strip()))

"""Technical defects in the pixels: black frames, frozen stretches, flicker, hard cuts inside a
clip, letterbox bars, and a clip where nothing moves although motion was asked for.

Every check works on the small decode of frames.py. Thresholds come from the tools that define
them (FFmpeg blackdetect/freezedetect/cropdetect, PySceneDetect, WCAG 2 general flash rule,
VBench dynamic degree); where a value had to be calibrated on the labelled clip set, the
constant says so.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from director.film import CameraMotion, Defect
from director.tools.qc.frames import Clip, decode

BLACK_PIXEL = 0.10
"""A pixel is black at or below black + 10 % of the luma range (blackdetect pix_th)."""
BLACK_PICTURE = 0.98
"""A frame is black when this share of its pixels is (blackdetect pic_th)."""
FROZEN_MIN_S = 0.5
"""Shortest stall reported (freezedetect waits 2 s; generated clips are only a few long)."""
FROZEN_DIFF = 0.25
"""Mean absolute luma change per frame (levels) at or under which a frame repeats the last,
when the rest of the clip changes at least FROZEN_RATIO times more. Calibrated."""
FROZEN_RATIO = 4.0
"""How much livelier than a stall the clip's typical frame change must be."""
FROZEN_EDGE_S = 1.5
"""Shortest stall reported when it touches the first or last frame..."""
FROZEN_EDGE_SHARE = 0.3
"""...and the share of the clip it must also cover there."""
FROZEN_LIVE = 0.05
"""A clip whose typical frame change is below this (levels) is a still scene, not a stall."""
FLASH_DELTA = 0.10
"""WCAG: a flash is a pair of opposing relative-luminance changes of 10 % or more..."""
FLASH_DARK = 0.80
"""...where the darker state is below 0.80 relative luminance."""
FLASH_TRANSITIONS = 7
"""More than three flashes (six transitions) in one second fails WCAG 2.3.1."""
FLICKER_LUMA = 0.03
"""Frame-difference flicker: alternating mean-luma swings of 3 % of the range, seven within a
second, fail even below the WCAG flash size (a beating exposure, not a scene change)."""
CUT_MIN_SCORE = 15.0
"""ContentDetector score (mean |dH|,|dS|,|dV| of 0..255) under which nothing is a cut
(AdaptiveDetector min_content_val)."""
CUT_RATIO = 3.0
"""A cut scores this many times the average of its neighbours (AdaptiveDetector threshold)."""
CUT_WINDOW = 2
"""Neighbours each side for that average (AdaptiveDetector window_width)."""
LETTERBOX_LEVEL = 24 / 255
"""A bar row or column is at most black + this share of the range (cropdetect limit 24)."""
LETTERBOX_MIN = 0.02
"""Smallest bar reported, as a share of the frame height (or width for pillarbox)."""
STATIC_DYNAMIC = 0.25
"""Below this dynamic degree (share of half-second windows where anything moves clear of the
clip's noise floor, activity.py), with no camera move, nothing moves (VBench: 4 pairs in 16)."""


def find_defects(
    path: Path | str,
    expect_motion: bool = False,
    *,
    clip: Clip | None = None,
    camera: CameraMotion | None = None,
    ignore_below: float | None = None,
) -> list[Defect]:
    """Every defect in the clip at `path`, in time order.

    `expect_motion` says the shot asked for movement (a camera move or an action); only then is
    a clip where nothing moves a "static" defect. Pass a decoded `clip` and its measured
    `camera` to reuse work already done; `ignore_below` masks a caption band for motion.
    """
    clip = clip if clip is not None else decode(Path(path))
    black = black_frames(clip)
    found = _runs(black, clip, "black")
    found += frozen(clip, black)
    flashes = flicker(clip)
    found += flashes
    # Every flash is a big frame change; inside a flicker those are not cuts.
    frame = 1 / clip.fps if clip.fps else 0.0
    found += [
        c
        for c in cuts(clip, black)
        if not any(f.start_s - frame <= c.start_s <= f.end_s + frame for f in flashes)
    ]
    found += letterbox(clip)
    if expect_motion:
        if camera is None:
            from director.tools.qc.motion import measure

            camera = measure(clip, ignore_below=ignore_below)
        found += static(clip, camera)
    return sorted(found, key=lambda d: (d.start_s, d.type))


def black_frames(clip: Clip) -> np.ndarray:
    """Boolean per frame: the picture is black."""
    low, high = clip.black_level
    limit = low + BLACK_PIXEL * (high - low)
    share = (clip.gray <= limit).mean(axis=(1, 2))
    return share >= BLACK_PICTURE


def frame_changes(clip: Clip) -> np.ndarray:
    """Mean absolute luma change from each frame to the next (n - 1 values, in levels)."""
    gray = clip.gray
    if len(gray) < 2:
        return np.zeros(0)
    out = np.empty(len(gray) - 1)
    for i in range(1, len(gray)):
        out[i - 1] = cv2.absdiff(gray[i], gray[i - 1]).mean()
    return out


def frozen(clip: Clip, black: np.ndarray | None = None) -> list[Defect]:
    """Stretches where the picture stops changing inside a clip that otherwise changes.

    A clip that never changes is not frozen here: a locked-off shot of a still scene looks the
    same, and "nothing moves although motion was asked for" is the static check's business.
    """
    d = frame_changes(clip)
    if len(d) < 2:
        return []
    black = black_frames(clip) if black is None else black
    live = float(np.percentile(d, 75))
    if live < FROZEN_LIVE:
        return []
    limit = min(FROZEN_DIFF, live / FROZEN_RATIO)
    # Frame i repeats frame i-1 when d[i-1] is tiny; black frames repeat without a stall.
    same = np.zeros(clip.frames, bool)
    same[1:] = (d <= limit) & ~black[1:] & ~black[:-1]
    min_s = max(3, round(FROZEN_MIN_S * clip.fps)) / clip.fps
    # A move that eases in or out barely changes the picture near the clip's ends; a stall
    # there has to be long to tell it from that.
    edge_s = max(FROZEN_EDGE_S, FROZEN_EDGE_SHARE * clip.duration_s)
    found = []
    for run in _runs(same, clip, "frozen"):
        a, b = round(run.start_s * clip.fps), round(run.end_s * clip.fps)
        # A stall against the clip's ends, or against black frames (which end or start it).
        at_edge = a <= 1 or b >= clip.frames or black[a - 2] or black[min(b, clip.frames - 1)]
        if run.end_s - run.start_s >= (edge_s if at_edge else min_s):
            found.append(run)
    return found


def relative_luminance(clip: Clip) -> np.ndarray:
    """Mean WCAG relative luminance of each frame (sRGB decoded to linear light), 0..1."""
    c = clip.colour.astype(np.float32) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    # Thumbnails are BGR.
    return (lin @ np.array([0.0722, 0.7152, 0.2126], np.float32)).mean(axis=(1, 2))


def flicker(clip: Clip) -> list[Defect]:
    """Flashing by the WCAG general flash rule, and beating exposure by frame difference."""
    lum = relative_luminance(clip)
    luma = clip.gray.mean(axis=(1, 2)) / 255.0
    found = _alternations(lum, FLASH_DELTA, clip, dark=FLASH_DARK)
    found += _alternations(luma, FLICKER_LUMA, clip)
    return _merge(found, clip, "flicker")


def _alternations(
    series: np.ndarray, delta: float, clip: Clip, dark: float | None = None
) -> list[tuple[int, int]]:
    """Frame spans holding FLASH_TRANSITIONS or more opposing swings of `delta` within 1 s."""
    turns = _swings(series, delta, dark)
    second = max(2, round(clip.fps))
    spans: list[tuple[int, int]] = []
    for k in range(len(turns) - FLASH_TRANSITIONS + 1):
        first, last = turns[k], turns[k + FLASH_TRANSITIONS - 1]
        if last - first < second:
            spans.append((max(0, first - 1), last + 1))
    return spans


def _swings(series: np.ndarray, delta: float, dark: float | None) -> list[int]:
    """Frames where a swing of at least `delta` against the last extreme completes (hysteresis,
    so slow drifts and noise never count); with `dark`, only swings whose darker end is below
    it count."""
    turns: list[int] = []
    direction = 0
    lo = hi = extreme = float(series[0])
    for i in range(1, len(series)):
        v = float(series[i])
        if direction == 0:
            lo, hi = min(lo, v), max(hi, v)
            rise, fall = v - lo >= delta, hi - v >= delta
            darker = lo if rise else v
        elif direction > 0:
            if v > extreme:
                extreme = v
            rise, fall, darker = False, extreme - v >= delta, v
        else:
            if v < extreme:
                extreme = v
            rise, fall, darker = v - extreme >= delta, False, extreme
        if rise or fall:
            if dark is None or darker < dark:
                turns.append(i)
            direction, extreme = (1 if rise else -1), v
    return turns


def content_scores(clip: Clip) -> np.ndarray:
    """PySceneDetect ContentDetector score between consecutive frames: mean of |dH|, |dS|,
    |dV| over the thumbnail (each 0..255; hue rescaled from OpenCV's 0..180)."""
    hsv = np.stack([cv2.cvtColor(f, cv2.COLOR_BGR2HSV_FULL) for f in clip.colour])
    diff = np.abs(np.diff(hsv.astype(np.int16), axis=0))
    # Hue is circular.
    diff[..., 0] = np.minimum(diff[..., 0], 256 - diff[..., 0])
    return diff.mean(axis=(1, 2, 3))


def cuts(clip: Clip, black: np.ndarray | None = None) -> list[Defect]:
    """Hard cuts inside the clip (AdaptiveDetector: a score well above its neighbours').

    Changes into or out of black frames are the black check's, not cuts.
    """
    scores = content_scores(clip)
    if len(scores) < 2:
        return []
    black = black_frames(clip) if black is None else black
    found: list[Defect] = []
    for i, score in enumerate(scores):
        if score < CUT_MIN_SCORE:
            continue
        lo, hi = max(0, i - CUT_WINDOW), min(len(scores), i + CUT_WINDOW + 1)
        around = np.concatenate([scores[lo:i], scores[i + 1 : hi]])
        if len(around) and score < CUT_RATIO * max(float(around.mean()), 1.0):
            continue
        new = i + 1  # first frame of the new shot
        if black[max(0, new - 1) : new + 1].any():
            continue
        t = round(clip.time(new), 4)
        found.append(Defect(type="cut", start_s=t, end_s=t))
    return found


def letterbox(clip: Clip) -> list[Defect]:
    """Black bars on top and bottom (or left and right) of every frame, cropdetect-style."""
    n = clip.frames
    picks = np.linspace(0, n - 1, min(n, 12)).round().astype(int)
    brightest = clip.gray[picks].max(axis=0).astype(np.float32)
    low, high = clip.black_level
    level = low + LETTERBOX_LEVEL * (high - low)
    h, w = brightest.shape
    bars = {
        "top": _bar(brightest, level),
        "bottom": _bar(brightest[::-1], level),
        "left": _bar(brightest.T, level),
        "right": _bar(brightest.T[::-1], level),
    }
    if bars["top"] >= h // 2 or bars["left"] >= w // 2:
        return []  # the whole picture is black: the black check reports that
    # Letterboxing pads both sides of the picture; one dark edge (a caption band, a night
    # floor, a dark sky) is part of the picture, not a bar.
    rows = min(bars["top"], bars["bottom"]) / h
    cols = min(bars["left"], bars["right"]) / w
    if max(rows, cols) < LETTERBOX_MIN:
        return []
    return [Defect(type="letterbox", start_s=0.0, end_s=round(clip.duration_s, 4))]


def letterbox_bars(clip: Clip) -> dict[str, int]:
    """Bar thickness on each side in source pixels (0 where there is none)."""
    picks = np.linspace(0, clip.frames - 1, min(clip.frames, 12)).round().astype(int)
    brightest = clip.gray[picks].max(axis=0).astype(np.float32)
    low, high = clip.black_level
    level = low + LETTERBOX_LEVEL * (high - low)
    h, w = brightest.shape
    sy, sx = clip.height / h, clip.width / w
    return {
        "top": round(_bar(brightest, level) * sy),
        "bottom": round(_bar(brightest[::-1], level) * sy),
        "left": round(_bar(brightest.T, level) * sx),
        "right": round(_bar(brightest.T[::-1], level) * sx),
    }


def _bar(image: np.ndarray, level: float) -> int:
    """Rows from the top of `image` that are dark and flat."""
    means = image.mean(axis=1)
    highs = np.percentile(image, 95, axis=1)
    count = 0
    for mean, top in zip(means, highs, strict=True):
        if mean > level or top > level + 10:
            break
        count += 1
    return count


def static(clip: Clip, camera: CameraMotion) -> list[Defect]:
    """The whole clip, when neither the camera nor anything in frame moves."""
    if camera.move != "static" or camera.dynamic_degree >= STATIC_DYNAMIC:
        return []
    return [Defect(type="static", start_s=0.0, end_s=round(clip.duration_s, 4))]


def _runs(flags: np.ndarray, clip: Clip, kind: str) -> list[Defect]:
    """One defect per run of flagged frames; frames [a, b) span [a/fps, b/fps)."""
    found: list[Defect] = []
    i, n = 0, len(flags)
    while i < n:
        if not flags[i]:
            i += 1
            continue
        j = i
        while j < n and flags[j]:
            j += 1
        found.append(
            Defect(type=kind, start_s=round(clip.time(i), 4), end_s=round(clip.time(j), 4))  # type: ignore[arg-type]
        )
        i = j
    return found


def _merge(spans: list[tuple[int, int]], clip: Clip, kind: str) -> list[Defect]:
    flags = np.zeros(clip.frames, bool)
    for a, b in spans:
        flags[a : min(b, clip.frames)] = True
    return _runs(flags, clip, kind)

"""Does anything move? VBench's dynamic degree, measured against the clip's own noise floor.

Sensor noise and codec shimmer jitter every track a little from one frame to the next, and on a
dark, flat picture that jitter is as large as a slow subject's travel over one frame pair. The
two differ in how they add up: a moving subject's displacement grows with the time between the
frames compared, while noise does not (each frame's noise is fresh, so a point tracked across
half a second lands about as far from where it started as across one frame). So the frames are
compared half a second apart, where a subject crossing a tenth of the frame in six seconds has
moved several pixels and noise still moves a track well under one.

In each window the camera's share of the motion is taken out (the median displacement), and a
window counts as moving when the camera moved or when at least MOVERS tracks stand clear of
both MIN_TRAVEL and NOISE_K times the window's median track. Requiring a few tracks, not the
fastest few percent, keeps a small subject (a handful of the ~300 corners) visible; requiring
more than one keeps a single mistracked corner from counting. Where tracking cannot follow the
subject at all (a repeating pattern, a smooth prop), a window also counts as moving when a part
of the picture, not most of it, changes far beyond noise.
"""

from __future__ import annotations

import cv2
import numpy as np

BASELINE_S = 0.5
"""Time between the two frames of a window."""
EVERY_S = 0.25
"""Time between the starts of consecutive windows."""
CORNERS = 300
"""Corners tracked per window (denser than the camera fit, so a small subject gets some)."""
MIN_DISTANCE = 5
"""Least spacing between corners, in analysis pixels."""
FB_MAX = 0.5
"""A track that does not come back to within this many analysis pixels is dropped."""
MIN_TRACKS = 10
"""Fewer surviving tracks and the window is not measured (black frames, a cut)."""
MIN_TRAVEL = 1 / 320
"""Travel over one window, in frame widths, that counts as moving (one analysis pixel at 320
wide; calibrated: on the labelled set's still scenes with noise up to sigma 3.5 no track but an
occasional single mistracked corner reaches it; a subject crossing 10 % of the frame in 6 s
moves about 2.7 px)."""
NOISE_K = 10.0
"""...and this many times the window's median residual track (noise's third-largest residual
among ~300 tracks sits near its 99th percentile, 6-8 times the median on the labelled set), so
footage noisier than the set raises the bar with it."""
MOVERS = 3
"""Tracks that must clear the bar for the window to be moving."""
CHANGE_LEVEL = 48
"""A pixel whose luma changes by more than this many 8-bit levels over a window has changed
(sensor noise and codec shimmer on the labelled set's still scenes never reach it)..."""
CHANGE_SHARE = (0.005, 0.25)
"""...and a window in which such pixels make up a share of the picture inside this range is
moving: a subject whose texture tracking cannot follow (a repeating pattern travelling further
than its period, a smooth prop). A change over most of the picture is a cut, a fade or black,
which are the defect checks' business, not evidence of action."""


def dynamic_degree(gray: np.ndarray, fps: float, rows: int | None = None) -> float:
    """Share of half-second windows of `gray` (frames, h, w) in which the camera or something in
    frame moves. `rows` limits the tracked corners to the rows above it (a fixed caption)."""
    n = len(gray)
    if n < 2:
        return 0.0
    rate = fps or 24.0
    base = min(n - 1, max(1, round(BASELINE_S * rate)))
    every = max(1, round(EVERY_S * rate))
    starts = range(0, n - base, every)
    moving = [window_moves(gray[a], gray[a + base], rows) for a in starts]
    return sum(moving) / len(moving) if moving else 0.0


def window_moves(first: np.ndarray, last: np.ndarray, rows: int | None = None) -> bool:
    """Whether the camera or something in frame moved between two frames."""
    residual, camera = _residuals(first, last, rows)
    if residual is None:
        return False  # nothing trackable: black frames or a cut, not evidence of motion
    w = first.shape[1]
    bar = max(MIN_TRAVEL * w, NOISE_K * float(np.median(residual)))
    if camera >= MIN_TRAVEL * w or int((residual > bar).sum()) >= MOVERS:
        return True
    changed = float((cv2.absdiff(first[:rows], last[:rows]) > CHANGE_LEVEL).mean())
    return CHANGE_SHARE[0] <= changed <= CHANGE_SHARE[1]


def _residuals(
    first: np.ndarray, last: np.ndarray, rows: int | None
) -> tuple[np.ndarray | None, float]:
    """Each kept track's displacement less the median one (analysis pixels), and the length of
    the median displacement (the camera's travel, when most tracks are background)."""
    region = first if rows is None else first[:rows]
    p0 = cv2.goodFeaturesToTrack(region, CORNERS, 0.01, MIN_DISTANCE, blockSize=5)
    if p0 is None or len(p0) < MIN_TRACKS:
        return None, 0.0
    lk = {"winSize": (21, 21), "maxLevel": 3}
    p1, ok, _ = cv2.calcOpticalFlowPyrLK(first, last, p0, None, **lk)
    back, ok_back, _ = cv2.calcOpticalFlowPyrLK(last, first, p1, None, **lk)
    a, b = p0.reshape(-1, 2), p1.reshape(-1, 2)
    # Forward-backward agreement drops tracks lost in flat areas or occluded.
    keep = (ok[:, 0] == 1) & (ok_back[:, 0] == 1)
    keep &= np.linalg.norm(back.reshape(-1, 2) - a, axis=1) < FB_MAX
    if keep.sum() < MIN_TRACKS:
        return None, 0.0
    d = b[keep] - a[keep]
    shift = np.median(d, axis=0)
    return np.linalg.norm(d - shift, axis=1), float(np.hypot(*shift))

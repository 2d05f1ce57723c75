"""Camera motion from pixels: sparse optical flow, a RANSAC similarity per frame pair, and the
centre of frame followed through the clip.

Sign convention (measured): content moving left on screen means the camera pans right; content
moving down means the camera tilts up; a scale above 1 means the camera pushes in. The centre
displacement `A @ c + t - c` is used, never the corner translation `t`, which a pure zoom turns
into a false pan and tilt.

A subject moving in frame must not move the camera. Corners are found cell by cell over a grid,
so a richly textured subject cannot hold most of the tracks; each pair is fitted once loosely and
once tightly, the tracks clearly off the tight fit that cluster together are the subject, and
the camera is refitted without them and without their neighbours (a pair's subject found in the
pairs either side too, where it moved too slowly to stand out). Without this, tracks whose
tracking window straddles the subject's edge drag the fit a fraction of a pixel its way, pair
after pair, and a locked-off shot of someone gesturing reads as handheld.

Orbit is told from pan by parallax: circling a subject slides what is beyond it one way and what
is in front of it the other, so the upper and lower parts of the frame travel horizontally in
opposite directions while the left and right parts do not travel vertically (which is what tells
it from a roll). It is the least reliable verdict here: a real orbit around a subject standing
against a distant backdrop with no visible foreground reads as a pan.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from director.film import CameraClass, CameraMotion, CameraMove, CameraSample
from director.tools.qc.activity import dynamic_degree
from director.tools.qc.frames import Clip, decode

PAIR_RATE = 12.0
"""Frame pairs measured per second of footage (frames are skipped above this rate)."""
MAX_CORNERS = 200
"""Corners tracked per pair."""
BANDS = 3
"""Horizontal bands the corners are spread over..."""
COLUMNS = 4
"""...and vertical strips: corners are found cell by cell."""
MIN_INLIERS = 15
"""Fewer RANSAC inliers than this and the pair's fit is not trusted."""
MIN_INLIER_RATIO = 0.4
"""A lower share of tracks agreeing on one motion and the pair's fit is not trusted."""
RANSAC_PX = 1.5
"""RANSAC reprojection threshold, in analysis pixels (320 wide)."""
TIGHT_PX = 0.5
"""Tighter threshold of the fit that finds the moving subject."""
PAN_MIN = 0.04
"""Net horizontal travel, in frame widths, that makes a pan."""
TILT_MIN = 0.04
"""Net vertical travel, in frame heights, that makes a tilt."""
ZOOM_MIN = 0.03
"""Net log magnification that makes a push-in or pull-out."""
ROLL_MIN_DEG = 2.0
"""Net rotation that makes a roll."""
ORBIT_MIN = 0.04
"""Opposite horizontal travel of the upper and lower frame, in widths, that makes an orbit."""
SHAKE_MIN = 0.006
"""Back-and-forth travel, in frame widths, that makes handheld when there is no net move."""
MOVER_PX = 0.4
"""A track this far (analysis pixels) off its pair's fit may be a moving subject..."""
MOVER_K = 4.0
"""...if it is also this many times the pair's median distance off the fit (tracking noise)."""
MOVER_NEIGHBOURS = 2
"""Other off-fit tracks that must lie within SUBJECT_RADIUS: a subject is a cluster."""
SUBJECT_RADIUS = 16.0
"""Tracks this close (analysis pixels) to a moving subject are left out of the camera fit."""
MIN_KEEP = 0.25
"""Share of a pair's tracks that must remain after masking for the masked fit to be used."""

MOVE_CLASS: dict[CameraMove, CameraClass] = {
    "static": "static",
    "pan_left": "pan_left",
    "pan_right": "pan_right",
    "tilt_up": "tilt_up",
    "tilt_down": "tilt_down",
    "push_in": "push_in",
    "pull_out": "pull_out",
    "orbit_left": "orbit_left",
    "orbit_right": "orbit_right",
    # A crane travels vertically: on screen it reads as a tilt in the same direction.
    "crane_up": "tilt_up",
    "crane_down": "tilt_down",
    "handheld": "handheld",
    # Focus changes, the camera does not move.
    "rack_focus": "static",
}
"""The class of pixel motion each planned camera move should produce."""


def expected_class(move: CameraMove) -> CameraClass:
    """The measured class that honours the planned `move`."""
    return MOVE_CLASS[move]


@dataclass
class _Pair:
    """One frame pair's fitted motion, in analysis pixels."""

    t: float
    dx: float
    dy: float
    log_scale: float
    angle: float
    shear: float
    ok: bool
    top_dx: float = 0.0
    bottom_dx: float = 0.0


def analyse_motion(
    path: Path | str,
    *,
    ignore_below: float | None = None,
    clip: Clip | None = None,
) -> CameraMotion:
    """Measure and classify the camera move of the clip at `path`.

    `ignore_below` is the fraction of the frame height from which rows are ignored (a caption
    or lower-third fixed to the screen would otherwise pull the estimate towards static).
    Pass an already decoded `clip` to skip decoding.
    """
    clip = clip if clip is not None else decode(Path(path))
    return measure(clip, ignore_below=ignore_below)


def measure(clip: Clip, *, ignore_below: float | None = None) -> CameraMotion:
    """Camera motion of a decoded clip (see analyse_motion)."""
    gray = clip.gray
    n, h, w = gray.shape
    step = max(1, round(clip.fps / PAIR_RATE)) if clip.fps else 1
    rows = h if ignore_below is None else int(np.clip(round(ignore_below * h), h // 4, h))
    tracked = [
        _track(gray[i], gray[i + step], rows, clip.time(i + step))
        for i in range(0, n - step, step)
    ]
    movers = [_movers(tr) for tr in tracked]
    pairs = []
    for k, tr in enumerate(tracked):
        # A subject found moving in this pair or its neighbours (where it moved too slowly to
        # stand out here) is masked before the camera is fitted.
        near = [m for m in movers[max(0, k - 1) : k + 2] if len(m)]
        pairs.append(_fit(tr, w, h, np.concatenate(near) if near else np.empty((0, 2))))
    dynamic = dynamic_degree(gray, clip.fps, None if ignore_below is None else rows)
    return classify(pairs, w, h, clip.fps / step if clip.fps else PAIR_RATE, dynamic)


def _corners(prev: np.ndarray, rows: int) -> np.ndarray | None:
    """Corners spread over a grid of cells, a share each, so neither a textured sky nor a
    richly textured subject can take them all: the floor (the orbit's lower layer) stays
    tracked, and a subject filling a third of the frame holds about a third of the tracks,
    leaving the background the dominant motion."""
    found = []
    h_edges = np.linspace(0, rows, BANDS + 1).astype(int)
    w_edges = np.linspace(0, prev.shape[1], COLUMNS + 1).astype(int)
    per_cell = MAX_CORNERS // (BANDS * COLUMNS)
    for r0, r1 in itertools.pairwise(h_edges):
        for c0, c1 in itertools.pairwise(w_edges):
            pts = cv2.goodFeaturesToTrack(prev[r0:r1, c0:c1], per_cell, 0.01, 7, blockSize=5)
            if pts is not None:
                pts[:, 0] += (c0, r0)
                found.append(pts)
    return np.concatenate(found) if found else None


@dataclass
class _Tracks:
    """Corners of one frame pair that tracked there and back, and the pair's first fit."""

    t: float
    a: np.ndarray
    """(k, 2) positions in the earlier frame, analysis pixels."""
    b: np.ndarray
    """(k, 2) positions in the later frame."""
    m: np.ndarray | None = None
    """RANSAC similarity fitted to every track (None when it failed)."""
    inliers: int = 0
    """Tracks that agree with `m`."""
    tight: np.ndarray | None = None
    """RANSAC similarity at TIGHT_PX: the motion most tracks follow exactly, which a slow
    subject cannot share with a still background (None when too few tracks agree)."""


def _track(prev: np.ndarray, curr: np.ndarray, rows: int, t: float) -> _Tracks:
    empty = np.empty((0, 2), np.float32)
    p0 = _corners(prev, rows)
    if p0 is None or len(p0) < MIN_INLIERS:
        return _Tracks(t, empty, empty)
    p1, status, _ = cv2.calcOpticalFlowPyrLK(prev, curr, p0, None, winSize=(21, 21), maxLevel=3)
    back, status_b, _ = cv2.calcOpticalFlowPyrLK(curr, prev, p1, None, winSize=(21, 21), maxLevel=3)
    # Forward-backward agreement drops tracks that slid along an edge or into an occlusion.
    good = (status[:, 0] == 1) & (status_b[:, 0] == 1)
    good &= np.linalg.norm((back - p0).reshape(-1, 2), axis=1) < 0.5
    tr = _Tracks(t, p0.reshape(-1, 2)[good], p1.reshape(-1, 2)[good])
    if len(tr.a) >= MIN_INLIERS:
        tr.m, tr.inliers = _ransac(tr.a, tr.b, RANSAC_PX)
        tight, count = _ransac(tr.a, tr.b, TIGHT_PX)
        if count >= max(MIN_INLIERS, MIN_KEEP * len(tr.a)):
            tr.tight = tight
    return tr


def _ransac(a: np.ndarray, b: np.ndarray, px: float) -> tuple[np.ndarray | None, int]:
    m, inliers = cv2.estimateAffinePartial2D(
        a, b, method=cv2.RANSAC, ransacReprojThreshold=px, maxIters=500
    )
    if m is None or inliers is None:
        return None, 0
    return m, int(inliers.sum())


def _residual(m: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return b - (a @ m[:, :2].T + m[:, 2])


def _movers(tr: _Tracks) -> np.ndarray:
    """Positions of tracks that move on their own: clearly off the pair's fit (beyond the noise
    of the tracks that agree with it) and in a cluster, so an isolated mistrack is no subject."""
    if tr.m is None:
        return np.empty((0, 2), np.float32)
    # Against the loose fit, a subject drifting a pixel or so a pair can be absorbed into a
    # small zoom shared with the background; the tight fit leaves it off.
    m = tr.tight if tr.tight is not None else tr.m
    off = np.linalg.norm(_residual(m, tr.a, tr.b), axis=1)
    off_pts = tr.a[off > max(MOVER_PX, MOVER_K * float(np.median(off)))]
    if len(off_pts) <= MOVER_NEIGHBOURS:
        return np.empty((0, 2), np.float32)
    dist = np.linalg.norm(off_pts[:, None] - off_pts[None], axis=2)
    clustered = (dist < SUBJECT_RADIUS).sum(axis=1) > MOVER_NEIGHBOURS  # counts itself
    return off_pts[clustered]


def _fit(tr: _Tracks, w: int, h: int, movers: np.ndarray) -> _Pair:
    none = _Pair(tr.t, 0.0, 0.0, 0.0, 0.0, 0.0, False)
    if tr.m is None:
        return none
    a, b, m = tr.a, tr.b, tr.m
    # The dominant motion must be the camera's: most tracks agree on it.
    ok = tr.inliers >= MIN_INLIERS and tr.inliers >= MIN_INLIER_RATIO * len(a)
    if len(movers):
        # Refit without the moving subject and the tracks beside it, whose 21-pixel tracking
        # windows take in part of the subject and drag the fit its way by a fraction of a pixel.
        dist = np.linalg.norm(a[:, None] - movers[None], axis=2).min(axis=1)
        keep = dist > SUBJECT_RADIUS
        if keep.sum() >= max(MIN_INLIERS, MIN_KEEP * len(a)):
            refit, count = _ransac(a[keep], b[keep], RANSAC_PX)
            if refit is not None and count >= MIN_INLIERS:
                m = refit
    c = np.array([w / 2, h / 2])
    centre = m[:, :2] @ c + m[:, 2] - c
    scale = float(np.hypot(m[0, 0], m[1, 0]))
    angle = float(np.arctan2(m[1, 0], m[0, 0]))
    # Layers are read over every track, the masked ones too: a parallax layer "moves on its
    # own" as well and must still count as evidence of an orbit. The tight fit is the one layer
    # exactly, so the other shows its whole travel and a compact subject barely moves a median.
    layer_fit = tr.tight if tr.tight is not None else tr.m
    shear, top_dx, bottom_dx = _layers(a[:, 1], _residual(layer_fit, a, b)[:, 0], (b - a)[:, 0])
    return _Pair(
        tr.t,
        float(centre[0]),
        float(centre[1]),
        float(np.log(scale)),
        angle,
        shear,
        ok,
        top_dx,
        bottom_dx,
    )


def _layers(y: np.ndarray, residual_dx: np.ndarray, dx: np.ndarray) -> tuple[float, float, float]:
    """Horizontal travel of the upper third of the tracks minus the lower third, left over after
    the pair's best single similarity is taken out, and the raw travel of both thirds (analysis
    pixels). Pans, tilts, zooms and rolls leave no residual; two layers sliding apart do,
    whichever layer the fit chose."""
    top, bottom = y < np.quantile(y, 1 / 3), y > np.quantile(y, 2 / 3)
    if min(top.sum(), bottom.sum()) < 5:
        return 0.0, 0.0, 0.0
    shear = float(np.median(residual_dx[top]) - np.median(residual_dx[bottom]))
    return shear, float(np.median(dx[top])), float(np.median(dx[bottom]))


def classify(
    pairs: list[_Pair], w: int, h: int, pair_rate: float, dynamic: float = 0.0
) -> CameraMotion:
    """Accumulate per-pair motion into net travel and name the move; `dynamic` is the clip's
    dynamic degree (activity.py), reported alongside."""
    used = [p for p in pairs if p.ok]
    if not used:
        return CameraMotion(
            dynamic_degree=round(dynamic, 3),
            pairs=len(pairs),
            note="too few trackable points to measure camera motion",
        )
    # Camera travel is the opposite of content travel on screen (and y points down).
    pan = -np.cumsum([p.dx for p in used]) / w
    tilt = np.cumsum([p.dy for p in used]) / h
    zoom = np.cumsum([p.log_scale for p in used])
    roll = -np.degrees(np.cumsum([p.angle for p in used]))
    parallax = float(np.sum([p.shear for p in used])) / w
    upper = float(np.sum([p.top_dx for p in used])) / w
    lower = float(np.sum([p.bottom_dx for p in used])) / w
    # Layers that slide the same way by clearly different amounts are a trucking move seen
    # with parallax, not an orbit: an orbit moves the far and near layers in opposite ways.
    if upper * lower > 0 and min(abs(upper), abs(lower)) > 0.25 * max(abs(upper), abs(lower)):
        parallax_ok = False
    else:
        parallax_ok = True
    shake = _shake(pan, pair_rate) + _shake(tilt * h / w, pair_rate)
    net = {
        "pan": float(pan[-1]),
        "tilt": float(tilt[-1]),
        "zoom": float(zoom[-1]),
        "roll": float(roll[-1]),
    }
    ratios = {
        "pan": abs(net["pan"]) / PAN_MIN,
        "tilt": abs(net["tilt"]) / TILT_MIN,
        "zoom": abs(net["zoom"]) / ZOOM_MIN,
        "roll": abs(net["roll"]) / ROLL_MIN_DEG,
        "orbit": abs(parallax) / ORBIT_MIN if parallax_ok else 0.0,
    }
    move, confidence = _decide(net, ratios, parallax, shake)
    return CameraMotion(
        move=move,
        confidence=round(confidence, 3),
        pan=round(net["pan"], 4),
        tilt=round(net["tilt"], 4),
        zoom=round(net["zoom"], 4),
        roll_deg=round(net["roll"], 3),
        parallax=round(parallax, 4),
        shake=round(shake, 4),
        dynamic_degree=round(dynamic, 3),
        pairs=len(pairs),
        pairs_used=len(used),
        path=_path(used, pan, tilt, zoom, roll),
        note=(
            "orbit is read from opposite travel of the upper and lower frame (parallax); "
            "an orbit with no visible foreground reads as a pan"
            if move.startswith("orbit")
            else ""
        ),
    )


def _decide(
    net: dict[str, float], ratios: dict[str, float], parallax: float, shake: float
) -> tuple[CameraClass, float]:
    if ratios["orbit"] >= 1.0:
        # A single camera move leaves no residual between layers, so parallax outranks the pan
        # and the spurious roll that the two layers put into the similarity fit; still, this is
        # the verdict with the least margin, so its confidence is capped.
        move: CameraClass = "orbit_left" if parallax < 0 else "orbit_right"
        others = max(ratios["tilt"], ratios["zoom"])
        return move, min(0.7, _confidence(ratios["orbit"], others))
    ranked = sorted(ratios.items(), key=lambda kv: kv[1], reverse=True)
    (best, top), (_, second) = ranked[0], ranked[1]
    if top < 1.0:
        if shake >= SHAKE_MIN:
            return "handheld", _confidence(shake / SHAKE_MIN, top)
        return "static", _confidence(1 / max(top, shake / SHAKE_MIN, 0.05), 0.0)
    if best == "pan":
        move = "pan_right" if net["pan"] > 0 else "pan_left"
    elif best == "tilt":
        move = "tilt_up" if net["tilt"] > 0 else "tilt_down"
    elif best == "zoom":
        move = "push_in" if net["zoom"] > 0 else "pull_out"
    else:
        move = "roll"
    return move, _confidence(top, second)


MIRRORED: dict[CameraClass, CameraClass] = {
    "pan_left": "pan_right",
    "pan_right": "pan_left",
    "tilt_up": "tilt_down",
    "tilt_down": "tilt_up",
    "push_in": "pull_out",
    "pull_out": "push_in",
    "orbit_left": "orbit_right",
    "orbit_right": "orbit_left",
}
"""Each directed move and the same move the other way round."""


def direction_clarity(camera: CameraMotion, move: CameraClass) -> float:
    """How clearly the clip travels in the direction `move` names, 0..1, on its own axis only:
    a crane that reads as a tilt the wrong way is as clearly wrong as a pure tilt, whatever
    zoom comes with it (which lowers the class confidence, not the direction's)."""
    travel = {
        "pan_left": -camera.pan / PAN_MIN,
        "pan_right": camera.pan / PAN_MIN,
        "tilt_up": camera.tilt / TILT_MIN,
        "tilt_down": -camera.tilt / TILT_MIN,
        "push_in": camera.zoom / ZOOM_MIN,
        "pull_out": -camera.zoom / ZOOM_MIN,
        "orbit_left": -camera.parallax / ORBIT_MIN,
        "orbit_right": camera.parallax / ORBIT_MIN,
    }.get(move, 0.0)
    return _confidence(travel, 0.0) if travel >= 1.0 else 0.0


def _confidence(top: float, second: float) -> float:
    """High when the winner clears its threshold well and clearly beats the runner-up."""
    clear = 1 - 1 / max(top, 1.0) ** 1.5
    margin = 1 - max(second, 0.0) / max(top, 1e-9)
    return float(np.clip(0.3 + 0.7 * min(clear, margin), 0.0, 1.0))


def _shake(path: np.ndarray, rate: float) -> float:
    """Travel that goes back and forth: path length of the lightly smoothed track minus its net
    travel, halved (a steady move scores about zero; sub-pixel noise is smoothed away)."""
    if len(path) < 4:
        return 0.0
    k = max(1, round(rate / 8))
    smooth = np.convolve(path, np.ones(2 * k + 1) / (2 * k + 1), mode="valid")
    if len(smooth) < 2:
        return 0.0
    length = float(np.abs(np.diff(smooth)).sum())
    return max(0.0, (length - abs(float(smooth[-1] - smooth[0]))) / 2)


def _path(
    used: list[_Pair], pan: np.ndarray, tilt: np.ndarray, zoom: np.ndarray, roll: np.ndarray
) -> list[CameraSample]:
    samples = [CameraSample(t_s=0.0)]
    next_t = 1.0
    for i, p in enumerate(used):
        if p.t >= next_t - 1e-6 or i == len(used) - 1:
            samples.append(
                CameraSample(
                    t_s=round(p.t, 3),
                    pan=round(float(pan[i]), 4),
                    tilt=round(float(tilt[i]), 4),
                    zoom=round(float(zoom[i]), 4),
                    roll_deg=round(float(roll[i]), 3),
                )
            )
            next_t = np.floor(p.t) + 1.0
    return samples

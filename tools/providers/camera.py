"""The animatic's camera: where the window over the storyboard sits in each frame, and how a
frame is cut from the set.

Per frame the window is cut by slicing a copy of the set pre-shifted by a quarter-pixel phase
(translations) or by one resize of that slice (moves that change scale): no general affine warp
per frame, which keeps a 720p render well ahead of real time on two cores. Orbit and rack focus
are layer effects: the window holds still while the layers slide or blur.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from director.film import CameraMove, GenerationRequest
from director.tools.providers.storyboard import Sprite, Storyboard, Yuv, draw_storyboard

PAN = 0.15
"""Half the pan travel, as a fraction of the frame width (0.3 widths in all)."""
TILT = 0.15
"""Half the tilt travel, as a fraction of the frame height."""
PUSH = 0.3
"""Extra magnification at the tight end of a push-in or pull-out."""
CRANE = 0.12
"""Half the crane's vertical travel, as a fraction of the frame height."""
CRANE_ZOOM = 0.08
"""Scale change over a crane move: rising reveals a little more of the set."""
ORBIT_FAR = 0.06
"""Half the background travel in an orbit, in frame widths (the far layer moves less)."""
ORBIT_NEAR = 0.1
"""Half the floor travel in an orbit, in frame widths, opposite to the background."""
SHAKE = (0.008, 0.006)
"""Handheld shake, RMS, as fractions of the frame width (horizontal, vertical)."""
PHASES = 4
"""Sub-pixel positions per luma pixel that a moving window can take (quarter pixels)."""


@dataclass(frozen=True)
class CameraPath:
    """Per-frame window of the camera over the set, in frame pixels."""

    x: np.ndarray
    """Window centre offset from the canvas centre; positive is camera right."""
    y: np.ndarray
    """Window centre offset; positive is camera down."""
    zoom: np.ndarray
    """Magnification; above 1 is tighter."""


def ease(t: np.ndarray) -> np.ndarray:
    """Smoothstep: zero velocity at both ends, like a dolly grip starting and stopping."""
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _eased(frames: int) -> np.ndarray:
    return ease(np.linspace(0.0, 1.0, frames)) if frames > 1 else np.zeros(1)


def camera_path(request: GenerationRequest, frames: int) -> CameraPath:
    """The window positions that perform `request.hints.camera_move` (orbit and rack focus are
    layer effects and keep the window still)."""
    move = request.hints.camera_move
    w, h = request.width, request.height
    e = _eased(frames)
    zero, one = np.zeros(frames), np.ones(frames)
    ramp = 2 * e - 1
    if move in ("pan_left", "pan_right"):  # camera right => the set slides left on screen
        return CameraPath((1 if move == "pan_right" else -1) * PAN * w * ramp, zero, one)
    if move in ("tilt_up", "tilt_down"):  # camera up => the set slides down on screen
        return CameraPath(zero, (-1 if move == "tilt_up" else 1) * TILT * h * ramp, one)
    if move == "push_in":
        return CameraPath(zero, zero, 1 + PUSH * e)
    if move == "pull_out":
        return CameraPath(zero, zero, 1 + PUSH * (1 - e))
    if move in ("crane_up", "crane_down"):
        up = move == "crane_up"
        zoom = 1 + CRANE_ZOOM * ((1 - e) if up else e)
        return CameraPath(zero, (-1 if up else 1) * CRANE * h * ramp, zoom)
    if move == "handheld":
        return _handheld(request, frames)
    return CameraPath(zero, zero, one)


def _handheld(request: GenerationRequest, frames: int) -> CameraPath:
    """Seeded shake, low-passed so it drifts like a body holding a camera, not like noise."""
    rng = np.random.default_rng([request.seed & 0xFFFFFFFF, request.shot_index, 7])
    sigma = max(1.0, request.fps * 0.2)
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()

    def smooth(amplitude: float) -> np.ndarray:
        out = np.convolve(rng.normal(size=frames + 2 * radius), kernel, mode="valid")[:frames]
        rms = float(np.sqrt(np.mean(out**2))) or 1.0
        return out / rms * amplitude

    w = request.width
    return CameraPath(smooth(SHAKE[0] * w), smooth(SHAKE[1] * w), np.ones(frames))


class Planes:
    """One reusable I420 frame buffer laid out the way PyAV's from_ndarray reads it."""

    def __init__(self, width: int, height: int) -> None:
        n = width * height
        self.flat = np.zeros(n * 3 // 2, np.uint8)
        self.y = self.flat[:n].reshape(height, width)
        self.u = self.flat[n : n * 5 // 4].reshape(height // 2, width // 2)
        self.v = self.flat[n * 5 // 4 :].reshape(height // 2, width // 2)
        self.array = self.flat.reshape(height * 3 // 2, width)


class _Phased:
    """A set's planes pre-shifted by sub-pixel phases on demand, so that a window at a
    fractional position is cut by slicing. Luma takes quarter-pixel phases; chroma half-sample
    phases (one luma pixel), finer than the eye can place colour."""

    def __init__(self, yuv: Yuv) -> None:
        self.yuv = yuv
        self._luma: dict[tuple[int, int], np.ndarray] = {}
        self._chroma: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    @staticmethod
    def _shift(plane: np.ndarray, fx: float, fy: float) -> np.ndarray:
        if fx == 0 and fy == 0:
            return plane
        m = np.array([[1.0, 0.0, -fx], [0.0, 1.0, -fy]])
        size = (plane.shape[1], plane.shape[0])
        return cv2.warpAffine(plane, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def luma(self, x: float, y: float) -> tuple[np.ndarray, int, int]:
        """The shifted luma plane and integer origin whose slice starts at canvas (x, y)."""
        ix, px = divmod(round(x * PHASES), PHASES)
        iy, py = divmod(round(y * PHASES), PHASES)
        if (px, py) not in self._luma:
            self._luma[px, py] = self._shift(self.yuv.y, px / PHASES, py / PHASES)
        return self._luma[px, py], ix, iy

    def chroma(self, x: float, y: float) -> tuple[np.ndarray, np.ndarray, int, int]:
        """The same for the chroma planes; (x, y) in luma canvas pixels."""
        ix, px = divmod(round(x), 2)
        iy, py = divmod(round(y), 2)
        if (px, py) not in self._chroma:
            u, v = (self._shift(p, px / 2, py / 2) for p in (self.yuv.u, self.yuv.v))
            self._chroma[px, py] = (u, v)
        u, v = self._chroma[px, py]
        return u, v, ix, iy

    def cut(self, out: Planes, x: float, y: float, rows: tuple[int, int] | None = None) -> None:
        """Copy the frame-sized window whose top-left canvas pixel is (x, y) into `out`
        (only frame rows [r0, r1) when `rows` is given; even bounds)."""
        h, w = out.y.shape
        r0, r1 = rows or (0, h)
        plane, ix, iy = self.luma(x, y)
        out.y[r0:r1] = plane[iy + r0 : iy + r1, ix : ix + w]
        u, v, cx, cy = self.chroma(x, y)
        for src, dst in ((u, out.u), (v, out.v)):
            dst[r0 // 2 : r1 // 2] = src[cy + r0 // 2 : cy + r1 // 2, cx : cx + w // 2]

    def resample(self, out: Planes, x: float, y: float, sw: int, sh: int) -> None:
        """Scale the sw x sh window at canvas (x, y) (even sizes) to the frame."""
        h, w = out.y.shape
        plane, ix, iy = self.luma(x, y)
        cv2.resize(plane[iy : iy + sh, ix : ix + sw], (w, h), dst=out.y)
        u, v, cx, cy = self.chroma(x, y)
        for src, dst in ((u, out.u), (v, out.v)):
            cv2.resize(src[cy : cy + sh // 2, cx : cx + sw // 2], (w // 2, h // 2), dst=dst)


class _WindowRig:
    """Moves one window over the composited set: every move except orbit and rack focus."""

    def __init__(self, board: Storyboard, path: CameraPath, frame: tuple[int, int]) -> None:
        self.set = _Phased(board.composite())
        ch, cw = self.set.yuv.y.shape
        w, h = frame
        self.windows: list[tuple[float, float, int, int]] = []
        for x, y, zoom in zip(path.x, path.y, path.zoom, strict=True):
            # Window size in canvas pixels, even so the chroma window halves exactly.
            sw = 2 * round(w * board.scale / zoom / 2)
            sh = 2 * round(h * board.scale / zoom / 2)
            left = (cw - 1) / 2 + x * board.scale - sw / 2 + 0.5
            top = (ch - 1) / 2 + y * board.scale - sh / 2 + 0.5
            left = float(np.clip(left, 0, cw - sw - 1))
            top = float(np.clip(top, 0, ch - sh - 1))
            self.windows.append((left, top, sw, sh))
        self.frame = frame

    def render(self, i: int, out: Planes) -> None:
        left, top, sw, sh = self.windows[i]
        if (sw, sh) == self.frame:
            self.set.cut(out, left, top)
        else:
            self.set.resample(out, left, top, sw, sh)


def _still_origin(board: Storyboard, frame: tuple[int, int]) -> tuple[int, int]:
    """Canvas origin of the unmoved window (even, by construction of the canvas size)."""
    canvas_h, canvas_w = board.background.y.shape
    return (canvas_w - frame[0]) // 2, (canvas_h - frame[1]) // 2


class _OrbitRig:
    """Parallax: the far layer and the floor slide opposite ways while the subject holds."""

    def __init__(self, board: Storyboard, move: CameraMove, frames: int, frame: tuple[int, int]):
        w, h = frame
        self.board = board
        self.set = _Phased(board.background)
        self.origin = _still_origin(board, frame)
        ramp = 2 * _eased(frames) - 1
        # Circling left, what is beyond the subject slides left on screen and what is in front
        # of it slides right; circling right, the reverse. The near floor moves further.
        sign = -1 if move == "orbit_left" else 1
        self.far = self.origin[0] - sign * ORBIT_FAR * w * ramp
        self.near = self.origin[0] + sign * ORBIT_NEAR * w * ramp
        self.split = int(np.clip(round((board.horizon_y - self.origin[1]) / 2) * 2, 0, h))
        self.height = h

    def render(self, i: int, out: Planes) -> None:
        top = self.origin[1]
        if self.split > 0:
            self.set.cut(out, float(self.far[i]), top, (0, self.split))
        if self.split < self.height:
            self.set.cut(out, float(self.near[i]), top, (self.split, self.height))
        if self.board.shadow is not None:  # the shadow stays at the feet, not on the floor
            self.board.shadow.darken(out.y, *self.origin)
        self.board.subject.paste(out.y, out.u, out.v, *self.origin)


class _RackFocusRig:
    """Focus racks: the background starts soft and the subject sharp, then they trade."""

    def __init__(self, board: Storyboard, frames: int, frame: tuple[int, int]) -> None:
        w, h = frame
        origin = _still_origin(board, frame)
        sharp, subject, cover = Planes(w, h), Planes(w, h), Planes(w, h)
        _Phased(board.background).cut(sharp, *origin)
        board.subject.paste(subject.y, subject.u, subject.v, *origin)
        s = board.subject
        solid = Yuv(*(np.full_like(p, 255) for p in (s.yuv.y, s.yuv.u, s.yuv.v)))
        Sprite(s.x, s.y, solid, s.mask, s.mask_c).paste(cover.y, cover.u, cover.v, *origin)
        sigma = max(1.5, 0.006 * w)
        self.start: list[np.ndarray] = []
        self.end: list[np.ndarray] = []
        for bg, subj, alpha, blur in (
            (sharp.y, subject.y, cover.y, sigma),
            (sharp.u, subject.u, cover.u, sigma / 2),
            (sharp.v, subject.v, cover.v, sigma / 2),
        ):
            a = alpha.astype(np.float32) / 255
            soft_a = cv2.GaussianBlur(a, (0, 0), blur)
            soft_bg = cv2.GaussianBlur(bg, (0, 0), blur).astype(np.float32)
            soft_subj = cv2.GaussianBlur(subj.astype(np.float32) * a, (0, 0), blur)
            self.start.append(_to_u8(soft_bg * (1 - a) + subj * a))
            self.end.append(_to_u8(bg * (1 - soft_a) + soft_subj))
        self.mix = _eased(frames)

    def render(self, i: int, out: Planes) -> None:
        k = float(self.mix[i])
        for a, b, dst in zip(self.start, self.end, (out.y, out.u, out.v), strict=True):
            cv2.addWeighted(a, 1 - k, b, k, 0, dst=dst)


def _to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


Rig = _WindowRig | _OrbitRig | _RackFocusRig


def build_rig(request: GenerationRequest, frames: int) -> Rig:
    """Draw the set for `request` and the camera that performs its move over `frames` frames;
    the rig's `render(i, planes)` writes frame i."""
    move = request.hints.camera_move
    frame = (request.width, request.height)
    if move in ("orbit_left", "orbit_right"):
        return _OrbitRig(draw_storyboard(request, detach_shadow=True), move, frames, frame)
    # Supersample the set when the camera will magnify it, so a push-in ends sharp.
    board = draw_storyboard(request, 1 + PUSH if move in ("push_in", "pull_out") else 1.0)
    if move == "rack_focus":
        return _RackFocusRig(board, frames, frame)
    return _WindowRig(board, camera_path(request, frames), frame)

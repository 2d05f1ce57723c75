"""Frame synthesis for the labelled QC clip set: a camera moving over real photographs.

A clip is a window warped over an upscaled photograph, one similarity transform per frame, so
the camera's motion is known exactly. Sign conventions (the ones the inspector must report):

- A camera path offset `x` is where the camera points, in output pixels: positive is camera
  right. Pan right => the window slides right over the photo => content moves LEFT on screen
  (negative on-screen dx). Likewise positive `y` is camera down: tilt up => content moves DOWN.
- `zoom` above 1 is tighter: a push-in magnifies content.
- `roll` is the window's rotation in degrees in image axes (y down): the camera rolls
  clockwise, so content turns counter-clockwise on screen by the same angle.
- Orbit (parallax, as the animatic draws it): the subject holds at the centre; circling left,
  the far background slides left on screen and the near foreground band slides right, further.

Photos are read straight from the PNG/JPEG files inside the scikit-image wheel, never through
its download registry, so the set builds offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

PHOTO_FILES: dict[str, str] = {
    "astronaut": "astronaut.png",
    "coffee": "coffee.png",
    "chelsea": "chelsea.png",
    "rocket": "rocket.jpg",
    "camera": "camera.png",
}
"""Real photographs that ship inside the scikit-image wheel (skimage/data), no download."""
TEXTURES: tuple[str, ...] = ("grass.png", "gravel.png", "brick.png")
"""Photographed textures, also in the wheel: the near foreground band of an orbit."""


def _data_dir() -> Path:
    import skimage.data  # imported late: only the generator needs scikit-image

    return Path(skimage.data.__file__).parent


@cache
def load_photo(name: str) -> np.ndarray:
    """An RGB uint8 photo from the wheel by short name ("astronaut") or file name ("grass.png")."""
    file = PHOTO_FILES.get(name, name)
    path = _data_dir() / file
    if not path.is_file():
        raise FileNotFoundError(f"{file} is not bundled with this scikit-image")
    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"))
    rgb.setflags(write=False)
    return rgb


@dataclass(frozen=True)
class Path2D:
    """Per-frame camera window: offsets in output pixels, zoom factor, roll in degrees."""

    x: np.ndarray
    """Camera-right offset of the window centre."""
    y: np.ndarray
    """Camera-down offset of the window centre."""
    zoom: np.ndarray
    """Magnification, 1 at the widest."""
    roll: np.ndarray
    """Window rotation in image axes (content turns the other way on screen)."""

    @classmethod
    def still(cls, frames: int) -> Path2D:
        zero = np.zeros(frames)
        return cls(zero, zero, np.ones(frames), zero)


class Layer:
    """A photo upscaled once onto a canvas big enough for every window of its path."""

    def __init__(self, photo: np.ndarray, path: Path2D, size: tuple[int, int]) -> None:
        w, h = size
        phi = np.radians(np.abs(path.roll)).max(initial=0.0)
        box_w = w * math.cos(phi) + h * math.sin(phi)
        box_h = w * math.sin(phi) + h * math.cos(phi)
        # Canvas pixels per output pixel at zoom 1: at least the tightest zoom, so a push-in
        # never magnifies past the canvas's own resolution.
        self.k = max(1.0, float(path.zoom.max()))
        need_w = self.k * (box_w + 2 * np.abs(path.x).max() + 8)
        need_h = self.k * (box_h + 2 * np.abs(path.y).max() + 8)
        ph, pw = photo.shape[:2]
        scale = max(need_w / pw, need_h / ph)
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        size_px = (round(pw * scale), round(ph * scale))
        self.canvas = cv2.resize(photo, size_px, interpolation=interp)
        self.path = path
        self.size = size

    def matrix(self, i: int) -> np.ndarray:
        """The dst->src affine of frame i (output pixel to canvas pixel)."""
        w, h = self.size
        ch, cw = self.canvas.shape[:2]
        p = self.path
        a = self.k / float(p.zoom[i])
        t = math.radians(float(p.roll[i]))
        rot = a * np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        centre_out = np.array([(w - 1) / 2, (h - 1) / 2])
        centre_src = np.array([(cw - 1) / 2, (ch - 1) / 2]) + self.k * np.array(
            [float(p.x[i]), float(p.y[i])]
        )
        return np.hstack([rot, (centre_src - rot @ centre_out)[:, None]])

    def render(self, i: int) -> np.ndarray:
        flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
        return cv2.warpAffine(
            self.canvas, self.matrix(i), self.size, flags=flags, borderMode=cv2.BORDER_REFLECT
        )


class Sprite:
    """A feathered elliptical cut-out of a photo, pasted at a per-frame position (a subject),
    optionally scaled (walking towards the camera) and turned (swaying as it gestures)."""

    def __init__(
        self,
        photo: np.ndarray,
        height: int,
        centres: np.ndarray,
        scales: np.ndarray | None = None,
        angles: np.ndarray | None = None,
    ) -> None:
        ph, pw = photo.shape[:2]
        cw = min(pw, int(ph * 0.8))
        crop = photo[:, (pw - cw) // 2 : (pw - cw) // 2 + cw]
        top = float(np.max(scales)) if scales is not None else 1.0
        # Cut at the largest size the sprite reaches, so growing never magnifies past it.
        h = round(height * top) - round(height * top) % 2
        w = round(h * 0.8)
        self.rgb = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
        mask = np.zeros((h, w), np.float32)
        cv2.ellipse(mask, (w // 2, h // 2), (int(w * 0.45), int(h * 0.47)), 0, 0, 360, 1.0, -1)
        self.alpha = cv2.GaussianBlur(mask, (0, 0), max(1.0, h * 0.02))[..., None]
        self.centres = centres
        """(frames, 2) sprite centre in output pixels per frame."""
        n = len(centres)
        self.scales = (np.ones(n) if scales is None else np.asarray(scales)) / top
        """Per-frame size relative to the cut (1 at the largest)."""
        self.angles = np.zeros(n) if angles is None else np.asarray(angles)
        """Per-frame counter-clockwise turn in degrees, about the sprite's centre."""

    def _pose(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        s, angle = float(self.scales[i]), float(self.angles[i])
        if s == 1.0 and angle == 0.0:
            return self.rgb, self.alpha
        h, w = self.rgb.shape[:2]
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, s)
        rgb = cv2.warpAffine(self.rgb, m, (w, h), flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(self.alpha, m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
        return rgb, alpha

    def paste(self, frame: np.ndarray, i: int) -> None:
        rgb, alpha = self._pose(i)
        h, w = rgb.shape[:2]
        cx, cy = self.centres[i]
        x0, y0 = round(cx - w / 2), round(cy - h / 2)
        fh, fw = frame.shape[:2]
        sx0, sy0 = max(0, -x0), max(0, -y0)
        dx0, dy0 = max(0, x0), max(0, y0)
        dx1, dy1 = min(fw, x0 + w), min(fh, y0 + h)
        if dx1 <= dx0 or dy1 <= dy0:
            return
        sx1, sy1 = sx0 + dx1 - dx0, sy0 + dy1 - dy0
        dst = frame[dy0:dy1, dx0:dx1].astype(np.float32)
        a = alpha[sy0:sy1, sx0:sx1]
        out = dst * (1 - a) + rgb[sy0:sy1, sx0:sx1] * a
        frame[dy0:dy1, dx0:dx1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


@dataclass
class Scene:
    """What the camera sees: a background layer, optionally a near band and a subject."""

    background: Layer
    band: Layer | None = None
    band_top: int = 0
    """First output row of the near band (the orbit's foreground)."""
    sprite: Sprite | None = None

    def render(self, i: int) -> np.ndarray:
        frame = self.background.render(i)
        if self.band is not None:
            frame[self.band_top :] = self.band.render(i)[self.band_top :]
        if self.sprite is not None:
            self.sprite.paste(frame, i)
        return frame


def ramp(frames: int, eased: bool) -> np.ndarray:
    """0 -> 1 over the clip: constant speed, or smoothstep like a grip easing in and out."""
    t = np.linspace(0.0, 1.0, frames)
    return t * t * (3 - 2 * t) if eased else t


def wander(rng: np.random.Generator, frames: int, fps: float, sigma_s: float) -> np.ndarray:
    """Gaussian-smoothed noise with unit RMS that ends where it starts (no net drift)."""
    sigma = max(0.5, sigma_s * fps)
    radius = int(3 * sigma) + 1
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    raw = np.convolve(rng.normal(size=frames + 2 * radius), kernel / kernel.sum(), mode="valid")
    raw = raw[:frames]
    raw = raw - np.linspace(raw[0], raw[-1], frames)
    raw = raw - raw.mean()
    return raw / (float(np.sqrt(np.mean(raw**2))) or 1.0)


def handheld_path(rng: np.random.Generator, frames: int, fps: float, width: int, amp: float):
    """Body wander (0.5 s) plus hand jitter (60 ms), RMS `amp` of the width, no net drift."""
    xs = amp * width * (0.7 * wander(rng, frames, fps, 0.5) + 0.7 * wander(rng, frames, fps, 0.06))
    ys = amp * width * (0.5 * wander(rng, frames, fps, 0.5) + 0.5 * wander(rng, frames, fps, 0.06))
    roll = 0.15 * wander(rng, frames, fps, 0.3)
    return Path2D(xs, ys, np.ones(frames), roll)


class Noise:
    """Sensor noise: fresh Gaussian grain per frame from OpenCV's seeded generator, plus an
    optional coarse shimmer (blotches about 16 px across) that survives H.264, which smooths
    fine grain on a still scene away until consecutive frames decode identical."""

    def __init__(self, sigma: float, size: tuple[int, int], seed: int, shimmer: float = 0) -> None:
        self.sigma = sigma
        self.shimmer = shimmer
        self.size = size
        self.buf = np.zeros((size[1], size[0], 3), np.int16)
        self.coarse = np.zeros((size[1] // 16 + 1, size[0] // 16 + 1), np.float32)
        cv2.setRNGSeed(seed)

    def apply(self, frame: np.ndarray) -> np.ndarray:
        if self.sigma <= 0 and self.shimmer <= 0:
            return frame
        out = frame.astype(np.int16)
        if self.sigma > 0:
            cv2.randn(self.buf, 0.0, self.sigma)
            out += self.buf
        if self.shimmer > 0:
            cv2.randn(self.coarse, 0.0, self.shimmer)
            field = cv2.resize(self.coarse, self.size, interpolation=cv2.INTER_CUBIC)
            out += np.rint(field).astype(np.int16)[..., None]
        return np.clip(out, 0, 255).astype(np.uint8)

"""The animatic's storyboard: one procedurally drawn, lit set, converted to YUV planes once.

Everything here runs once per clip; the per-frame work (moving the camera window) lives in
animatic.py. The set is drawn on a canvas larger than the frame so the camera has room to travel,
with plenty of corners and texture (tile grid, windows, a checkered floor) so that optical-flow
QC can measure the move the animatic performed; the subject in it, a figure or a prop, comes
from figures.py. It is converted to the encoder's YUV planes once, with the key light folded
into the conversion, using OpenCV's 8-bit kernels: big float arrays cost more in page faults
than in arithmetic on a small box.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from director.film import GenerationRequest, LightSide
from director.tools.providers.figures import Shadow, draw_subject, palette

MARGIN_X = 0.2
"""Canvas margin on each side, as a fraction of the frame width: room for pans and parallax."""
MARGIN_Y = 0.2
"""Canvas margin above and below, as a fraction of the frame height: room for tilts and cranes."""
LIGHT_FALLOFF = 0.4
"""Key-light gain change from frame centre to frame edge (1.4 on the lit side, 0.6 opposite)."""

_BT709_Y = np.array([0.2126, 0.7152, 0.0722])
_BT709_U = np.array([-0.1146, -0.3854, 0.5])
_BT709_V = np.array([0.5, -0.4542, -0.0458])


@dataclass(frozen=True)
class Yuv:
    """An image as limited-range BT.709 planes: full-resolution luma, half-resolution chroma."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class Sprite:
    """The subject: planes of its bounding box, a coverage mask, and where the box sits."""

    x: int
    """Left edge on the canvas (even, so chroma lines up)."""
    y: int
    """Top edge on the canvas (even)."""
    yuv: Yuv
    mask: np.ndarray
    """True where the subject covers a luma sample."""
    mask_c: np.ndarray
    """True where the subject covers a chroma sample."""

    def paste(self, y: np.ndarray, u: np.ndarray, v: np.ndarray, dx: int = 0, dy: int = 0) -> None:
        """Copy the subject onto planes whose origin is (dx, dy) canvas pixels (even), clipped."""
        h, w = self.mask.shape
        x0, y0 = self.x - (dx - dx % 2), self.y - (dy - dy % 2)
        sx0, sy0 = max(0, -x0), max(0, -y0)
        sx1, sy1 = min(w, y.shape[1] - x0), min(h, y.shape[0] - y0)
        if sx1 <= sx0 or sy1 <= sy0:
            return
        region = (slice(y0 + sy0, y0 + sy1), slice(x0 + sx0, x0 + sx1))
        np.copyto(y[region], self.yuv.y[sy0:sy1, sx0:sx1], where=self.mask[sy0:sy1, sx0:sx1])
        c = (slice((y0 + sy0) // 2, (y0 + sy1) // 2), slice((x0 + sx0) // 2, (x0 + sx1) // 2))
        cs = (slice(sy0 // 2, sy1 // 2), slice(sx0 // 2, sx1 // 2))
        for dst, src in ((u, self.yuv.u), (v, self.yuv.v)):
            np.copyto(dst[c], src[cs], where=self.mask_c[cs])


@dataclass(frozen=True)
class Storyboard:
    """The lit set without the subject, the subject on its own, and where things are."""

    background: Yuv
    """The set, canvas size."""
    subject: Sprite
    """The subject, placed on the canvas."""
    scale: float
    """Canvas pixels per frame pixel (supersampling for moves that magnify)."""
    horizon_y: float
    """Canvas row of the horizon, where the far layer meets the floor."""
    shadow: Shadow | None = None
    """The subject's cast shadow when it is kept apart from the set (see draw_storyboard)."""

    def composite(self) -> Yuv:
        out = Yuv(self.background.y.copy(), self.background.u.copy(), self.background.v.copy())
        self.subject.paste(out.y, out.u, out.v)
        return out


def canvas_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """Canvas width and height (even, so chroma planes halve exactly)."""

    def side(frame: int, margin: float) -> int:
        # Even core plus even margins: an unscaled window is then an even, chroma-aligned crop.
        return 2 * round(frame * scale / 2) + 4 * round(frame * scale * margin / 2)

    return side(width, MARGIN_X), side(height, MARGIN_Y)


def scene_rng(request: GenerationRequest) -> np.random.Generator:
    """The clip's random source: the seed and the shot decide the set; the attempt does not."""
    return np.random.default_rng([request.seed & 0xFFFFFFFF, request.shot_index])


def draw_storyboard(
    request: GenerationRequest, scale: float = 1.0, *, detach_shadow: bool = False
) -> Storyboard:
    """Draw the set once, deterministically for the request's seed and shot index.

    The cast shadow is burnt into the floor unless `detach_shadow`, for moves where the floor
    slides under a subject that holds still (orbit) and the shadow must stay at the feet."""
    rng = scene_rng(request)
    cw, ch = canvas_size(request.width, request.height, scale)
    unit = request.height * scale
    hue = float(rng.random())
    horizon = ch / 2 + float(rng.uniform(-0.04, 0.1)) * unit
    rgb = _draw_background(rng, cw, ch, horizon, unit, hue)
    _draw_floor(rgb, rng, horizon, unit, hue)
    side = request.hints.light_side
    subject = draw_subject(rng, (cw, ch), unit, horizon, request.hints, hue)
    x, y, layer, mask, shadow = subject.x, subject.y, subject.layer, subject.mask, subject.shadow
    if shadow is not None and not detach_shadow:
        shadow.darken(rgb)
        shadow = None
    gain = _light_gain(cw // 2, ch // 2, request.width * scale / 2, unit / 2, side, horizon / 2)
    tint = _tint(request.hints.colour_temperature_k)
    background = _lit_yuv(rgb, gain, tint)
    sub_gain = gain[y // 2 : (y + layer.shape[0]) // 2, x // 2 : (x + layer.shape[1]) // 2]
    if side == "back":  # the subject stands between camera and key: mostly silhouette
        sub_gain = sub_gain * 0.5
    sprite_yuv = _lit_yuv(layer, sub_gain, tint)
    if side == "back":
        _draw_rim(sprite_yuv.y, mask, unit)
    half = (mask.shape[1] // 2, mask.shape[0] // 2)
    mask_c = cv2.resize(mask.view(np.uint8), half, interpolation=cv2.INTER_NEAREST) > 0
    sprite = Sprite(x, y, sprite_yuv, mask, mask_c)
    return Storyboard(background, sprite, scale, horizon, shadow)


def _draw_background(
    rng: np.random.Generator, cw: int, ch: int, horizon: float, unit: float, hue: float
) -> np.ndarray:
    """Wall or sky with a tile grid, and blocks with window grids along the horizon: corners."""
    top = np.array(palette(hue, 0.0, 0.35, 0.55), np.float32)
    low = np.array(palette(hue, 0.05, 0.25, 0.8), np.float32)
    t = np.clip(np.arange(ch, dtype=np.float32) / max(horizon, 1.0), 0, 1)[:, None]
    column = (top * (1 - t) + low * t).astype(np.uint8)[:, None, :]
    img = np.ascontiguousarray(np.broadcast_to(column, (ch, cw, 3)))
    step = max(4, round(unit / 9))
    grid = palette(hue, 0.0, 0.3, 0.42)
    lw = max(1, round(unit / 360))
    for x in range(int(rng.integers(0, step)), cw, step):
        cv2.line(img, (x, 0), (x, int(horizon)), grid, lw)
    for y in range(int(rng.integers(0, step)), int(horizon), step):
        cv2.line(img, (0, y), (cw, y), grid, lw)
    x = -float(rng.uniform(0, 0.2)) * unit
    while x < cw:
        w = float(rng.uniform(0.12, 0.35)) * unit
        h = float(rng.uniform(0.12, 0.55)) * unit
        # One draw per block seeds its windows, so the layout does not depend on how many
        # windows fit at this resolution: the same seed gives the same set for every move.
        block_rng = np.random.default_rng(int(rng.integers(2**32)))
        _draw_block(img, block_rng, (x, horizon - h, x + w, horizon), unit, hue)
        x += w + float(rng.uniform(0.0, 0.12)) * unit
    for _ in range(3):
        centre = (int(rng.uniform(0, cw)), int(rng.uniform(0.05, 0.4) * horizon))
        radius = max(2, int(rng.uniform(0.03, 0.07) * unit))
        cv2.circle(img, centre, radius, palette(hue, 0.5, 0.2, 0.95), -1, cv2.LINE_AA)
    return img


def _draw_block(
    img: np.ndarray,
    rng: np.random.Generator,
    box: tuple[float, float, float, float],
    unit: float,
    hue: float,
) -> None:
    x0, y0, x1, y1 = (round(v) for v in box)
    body = palette(hue, float(rng.uniform(0.3, 0.7)), 0.45, float(rng.uniform(0.3, 0.7)))
    cv2.rectangle(img, (x0, y0), (x1, y1), body, -1)
    lit = palette(hue, 0.12, 0.5, 0.95)
    dark = tuple(int(c * 0.4) for c in body)
    cell = max(3, round(unit / 22))
    for wy in range(y0 + cell // 2, y1 - cell, cell):
        for wx in range(x0 + cell // 2, x1 - cell, cell):
            colour = lit if rng.random() < 0.45 else dark
            cv2.rectangle(img, (wx, wy), (wx + cell // 2, wy + cell // 2), colour, -1)


def _draw_floor(
    img: np.ndarray, rng: np.random.Generator, horizon: float, unit: float, hue: float
) -> None:
    """A checkered floor in perspective, its contrast fading near the horizon where the tiles
    would alias into noise."""
    ch, cw = img.shape[:2]
    top = min(ch - 1, int(np.ceil(horizon + 1)))
    rows = np.arange(top, ch, dtype=np.float32)[:, None] - np.float32(horizon)
    depth = np.float32(0.35 * unit) / np.maximum(rows, 1.0)
    cols = np.arange(cw, dtype=np.float32)[None, :] - np.float32(cw / 2 + rng.uniform(-1, 1) * unit)
    tile = np.float32(0.45)
    across = np.floor(cols * (depth / (np.float32(unit) * tile))).astype(np.int32)
    along = np.floor(depth * (4 / tile)).astype(np.int32)
    parity = ((across + along) & 1).astype(np.float32)
    fade = np.clip(rows / np.float32(0.12 * unit), 0, 1)
    amp = fade * np.clip(fade * 1.5, 0, 1) * np.float32(127)
    index = (np.float32(128) - amp / 2 + parity * amp).astype(np.uint8)
    a = np.array(palette(hue, 0.55, 0.3, 0.62), np.float32)
    b = np.array(palette(hue, 0.58, 0.35, 0.38), np.float32)
    lut = (b + (a - b) * (np.arange(256, dtype=np.float32)[:, None] / 255)).astype(np.uint8)
    img[top:] = lut[index]


def _light_gain(
    w: int, h: int, half_w: float, half_h: float, side: LightSide, horizon: float
) -> np.ndarray:
    """Key-light gain on a half-resolution grid: brighter towards the side the light comes from.

    The falloff is scaled to the frame, not the canvas, so every camera window shows it."""
    x = (np.arange(w, dtype=np.float32)[None, :] - w / 2) / np.float32(half_w / 2)
    y = (np.arange(h, dtype=np.float32)[:, None] - h / 2) / np.float32(half_h / 2)
    k = np.float32(LIGHT_FALLOFF)
    if side in ("left", "right"):
        sign = -1.0 if side == "left" else 1.0
        gain = np.broadcast_to(1.0 + k * np.clip(sign * x, -1.5, 1.5), (h, w))
    elif side == "top":
        gain = np.broadcast_to(1.0 - k * np.clip(y, -1.5, 1.5), (h, w))
    elif side == "front":
        gain = 1.15 - 0.3 * np.clip(x**2 + y**2, 0, 2.5)
    else:  # back: a glow behind the subject on the horizon, falling off to the edges
        yh = (np.arange(h, dtype=np.float32)[:, None] - horizon) / np.float32(half_h / 2)
        gain = 0.7 + 0.65 * np.exp(-(x**2 + yh**2) * 1.5)
    return np.ascontiguousarray(gain, dtype=np.float32)


def _tint(kelvin: int) -> np.ndarray:
    """Per-channel RGB gains: warm below 4500 K, cool above 6000 K, neutral between."""
    if kelvin < 4500:
        k = min(1.0, 0.4 + (4500 - kelvin) / 2500)
        return np.array([1 + 0.14 * k, 1 + 0.02 * k, 1 - 0.22 * k])
    if kelvin > 6000:
        k = min(1.0, 0.4 + (kelvin - 6000) / 5000)
        return np.array([1 - 0.18 * k, 1.0, 1 + 0.14 * k])
    return np.ones(3)


def _lit_yuv(rgb: np.ndarray, gain: np.ndarray, tint: np.ndarray) -> Yuv:
    """RGB to limited-range BT.709 planes with the key light (`gain`, half resolution) and the
    colour temperature (`tint`) folded into the conversion."""
    h, w = rgb.shape[:2]
    # 8-bit transform with the gain applied as an 8-bit product (128 = unity): stays in uint8.
    # (The tint keeps the luma weights' sum under 1.03, so y_lin cannot saturate.)
    y_lin = cv2.transform(rgb, (_BT709_Y * tint * 219 / 255)[None].astype(np.float32))
    gain_full = cv2.resize(cv2.convertScaleAbs(gain, alpha=128), (w, h))
    y = cv2.min(cv2.add(cv2.multiply(y_lin, gain_full, scale=1 / 128), 16), 235)
    half = cv2.resize(rgb, (w // 2, h // 2), interpolation=cv2.INTER_AREA).astype(np.float32)
    planes = []
    for weights in (_BT709_U, _BT709_V):
        chroma = cv2.transform(half, (weights * tint * 224 / 255)[None].astype(np.float32))
        planes.append(cv2.convertScaleAbs(np.clip(cv2.multiply(chroma, gain) + 128, 16, 240)))
    return Yuv(y, planes[0], planes[1])


def _draw_rim(y: np.ndarray, mask: np.ndarray, unit: float) -> None:
    """A bright edge round a backlit subject, the way a back key reads on camera."""
    width = max(1, round(unit / 180))
    kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    inner = cv2.erode(mask.view(np.uint8), kernel) > 0
    y[mask & ~inner] = 228


def to_yuv(rgb: np.ndarray) -> Yuv:
    """Convert RGB to limited-range BT.709 planes (the colourspace the encoder tags)."""
    h, w = rgb.shape[:2]
    return _lit_yuv(np.ascontiguousarray(rgb), np.ones((h // 2, w // 2), np.float32), np.ones(3))

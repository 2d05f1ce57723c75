"""The animatic's storyboard: one procedurally drawn, lit set, converted to YUV planes once.

Everything here runs once per clip; the per-frame work (moving the camera window) lives in
animatic.py. The set is drawn on a canvas larger than the frame so the camera has room to travel,
with plenty of corners and texture (tile grid, windows, a checkered floor) so that optical-flow
QC can measure the move the animatic performed. It is converted to the encoder's YUV planes
once, with the key light folded into the conversion, using OpenCV's 8-bit kernels: big float
arrays cost more in page faults than in arithmetic on a small box.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

from director.film import GenerationRequest, LightSide, ShotSize

MARGIN_X = 0.2
"""Canvas margin on each side, as a fraction of the frame width: room for pans and parallax."""
MARGIN_Y = 0.2
"""Canvas margin above and below, as a fraction of the frame height: room for tilts and cranes."""
LIGHT_FALLOFF = 0.4
"""Key-light gain change from frame centre to frame edge (1.4 on the lit side, 0.6 opposite)."""

# Body height in frame heights: a wide shot shows the whole figure, a close-up only head and
# shoulders, so one silhouette drawn bigger reads as the stated shot size.
_BODY_HEIGHT: dict[ShotSize, float] = {
    "extreme_wide": 0.22,
    "wide": 0.5,
    "medium": 1.25,
    "close_up": 2.6,
    "extreme_close_up": 5.0,
}
# Head top in frame heights above the frame centre (None: the feet stand on the floor instead).
_HEAD_TOP: dict[ShotSize, float | None] = {
    "extreme_wide": None,
    "wide": None,
    "medium": 0.36,
    "close_up": 0.33,
    "extreme_close_up": 0.62,
}
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
class Shadow:
    """A multiplicative darkening (255 = untouched) placed on the canvas."""

    x: int
    y: int
    keep: np.ndarray

    def darken(self, img: np.ndarray, dx: int = 0, dy: int = 0) -> None:
        """Darken `img` (RGB or a luma plane) whose origin is canvas (dx, dy), clipped."""
        h, w = self.keep.shape
        x0, y0 = self.x - dx, self.y - dy
        sx0, sy0 = max(0, -x0), max(0, -y0)
        sx1, sy1 = min(w, img.shape[1] - x0), min(h, img.shape[0] - y0)
        if sx1 <= sx0 or sy1 <= sy0:
            return
        region = img[y0 + sy0 : y0 + sy1, x0 + sx0 : x0 + sx1]
        keep = self.keep[sy0:sy1, sx0:sx1]
        if region.ndim == 3:
            keep = cv2.merge([keep] * region.shape[2])
        region[:] = cv2.multiply(region, keep, scale=1 / 255)


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
    size, side = request.hints.size, request.hints.light_side
    x, y, layer, mask, feet = _draw_subject(rng, cw, ch, unit, horizon, size, hue)
    shadow = _shadow(feet, unit * _BODY_HEIGHT[size], side) if feet is not None else None
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


def _palette(hue: float, shift: float, sat: float, val: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((hue + shift) % 1.0, sat, val)
    return round(r * 255), round(g * 255), round(b * 255)


def _draw_background(
    rng: np.random.Generator, cw: int, ch: int, horizon: float, unit: float, hue: float
) -> np.ndarray:
    """Wall or sky with a tile grid, and blocks with window grids along the horizon: corners."""
    top = np.array(_palette(hue, 0.0, 0.35, 0.55), np.float32)
    low = np.array(_palette(hue, 0.05, 0.25, 0.8), np.float32)
    t = np.clip(np.arange(ch, dtype=np.float32) / max(horizon, 1.0), 0, 1)[:, None]
    column = (top * (1 - t) + low * t).astype(np.uint8)[:, None, :]
    img = np.ascontiguousarray(np.broadcast_to(column, (ch, cw, 3)))
    step = max(4, round(unit / 9))
    grid = _palette(hue, 0.0, 0.3, 0.42)
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
        cv2.circle(img, centre, radius, _palette(hue, 0.5, 0.2, 0.95), -1, cv2.LINE_AA)
    return img


def _draw_block(
    img: np.ndarray,
    rng: np.random.Generator,
    box: tuple[float, float, float, float],
    unit: float,
    hue: float,
) -> None:
    x0, y0, x1, y1 = (round(v) for v in box)
    body = _palette(hue, float(rng.uniform(0.3, 0.7)), 0.45, float(rng.uniform(0.3, 0.7)))
    cv2.rectangle(img, (x0, y0), (x1, y1), body, -1)
    lit = _palette(hue, 0.12, 0.5, 0.95)
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
    a = np.array(_palette(hue, 0.55, 0.3, 0.62), np.float32)
    b = np.array(_palette(hue, 0.58, 0.35, 0.38), np.float32)
    lut = (b + (a - b) * (np.arange(256, dtype=np.float32)[:, None] / 255)).astype(np.uint8)
    img[top:] = lut[index]


def _draw_subject(
    rng: np.random.Generator,
    cw: int,
    ch: int,
    unit: float,
    horizon: float,
    size: ShotSize,
    hue: float,
) -> tuple[int, int, np.ndarray, np.ndarray, tuple[float, float] | None]:
    """A standing figure drawn at the scale the shot size implies, in its own bounding box.

    Returns the box's canvas origin, its RGB layer and mask, and where the feet touch the floor
    (None when they are out of frame)."""
    height = _BODY_HEIGHT[size] * unit
    head_top = _HEAD_TOP[size]
    cx = cw / 2 + float(rng.uniform(-0.06, 0.06)) * unit
    feet: tuple[float, float] | None = None
    if head_top is None:
        feet_y = max(horizon + 0.05 * unit, ch / 2 + 0.3 * unit)
        top = feet_y - height
        feet = (cx, feet_y)
    else:
        top = ch / 2 - head_top * unit
    x0 = max(0, int(cx - 0.18 * height) // 2 * 2)
    y0 = max(0, int(top) // 2 * 2)
    x1 = min(cw, (int(cx + 0.18 * height) + 2) // 2 * 2)
    y1 = min(ch, (int(top + height) + 2) // 2 * 2)
    x1, y1 = max(x1, x0 + 2), max(y1, y0 + 2)

    def pts(*xy: tuple[float, float]) -> np.ndarray:
        return np.array([[cx - x0 + x * height, top - y0 + y * height] for x, y in xy], np.int32)

    cloth = _palette(hue, 0.45 + float(rng.uniform(-0.1, 0.1)), 0.7, 0.75)
    sleeve = tuple(int(c * 0.75) for c in cloth)
    parts = [
        (pts((-0.08, 0.47), (-0.005, 0.47), (-0.02, 1.0), (-0.075, 1.0)), (60, 55, 70)),
        (pts((0.005, 0.47), (0.08, 0.47), (0.075, 1.0), (0.02, 1.0)), (60, 55, 70)),
        (pts((-0.125, 0.16), (-0.165, 0.2), (-0.15, 0.5), (-0.105, 0.5), (-0.08, 0.24)), sleeve),
        (pts((0.125, 0.16), (0.165, 0.2), (0.15, 0.5), (0.105, 0.5), (0.08, 0.24)), sleeve),
        (pts((-0.125, 0.16), (0.125, 0.16), (0.09, 0.5), (-0.09, 0.5)), cloth),
        (pts((-0.025, 0.11), (0.025, 0.11), (0.025, 0.17), (-0.025, 0.17)), (205, 160, 130)),
    ]
    layer = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
    mask = np.zeros(layer.shape[:2], np.uint8)
    for poly, colour in parts:
        cv2.fillPoly(layer, [poly], colour, cv2.LINE_AA)
        cv2.fillPoly(mask, [poly], 255)
    # Stripes across the garment and hands, eyes and hair: detail that moves with the subject.
    stripe = _palette(hue, 0.15, 0.3, 0.95)
    band = max(1, round(0.022 * height))
    for k in range(5):
        (a, b) = pts((-0.09, 0.22 + k * 0.055), (0.09, 0.22 + k * 0.055))
        cv2.line(layer, tuple(int(v) for v in a), tuple(int(v) for v in b), stripe, band)
    head = (pts((0.0, 0.068))[0], (max(1, round(0.055 * height)), max(1, round(0.068 * height))))
    centre = (int(head[0][0]), int(head[0][1]))
    for hand in pts((-0.128, 0.52), (0.128, 0.52)):
        cv2.circle(
            layer,
            (int(hand[0]), int(hand[1])),
            max(1, round(0.025 * height)),
            (205, 160, 130),
            -1,
            cv2.LINE_AA,
        )
        cv2.circle(mask, (int(hand[0]), int(hand[1])), max(1, round(0.025 * height)), 255, -1)
    cv2.ellipse(layer, centre, head[1], 0, 0, 360, (205, 160, 130), -1, cv2.LINE_AA)
    cv2.ellipse(mask, centre, head[1], 0, 0, 360, 255, -1)
    cv2.ellipse(
        layer, centre, head[1], 0, 180, 360, _palette(hue, 0.08, 0.6, 0.25), -1, cv2.LINE_AA
    )
    for eye in pts((-0.02, 0.075), (0.02, 0.075)):
        cv2.circle(
            layer,
            (int(eye[0]), int(eye[1])),
            max(1, round(0.006 * height)),
            (30, 30, 40),
            -1,
            cv2.LINE_AA,
        )
    return x0, y0, layer, mask > 0, feet


def _shadow(feet: tuple[float, float], body: float, side: LightSide) -> Shadow:
    """A soft cast shadow on the floor at the feet, falling away from the key light."""
    dx, dy, length = {
        "left": (1.0, 0.0, 0.45),
        "right": (-1.0, 0.0, 0.45),
        "front": (0.0, -1.0, 0.12),
        "back": (0.0, 1.0, 0.2),
        "top": (0.0, 0.0, 0.12),
    }[side]
    axes = (max(1, round(max(length * body / 2, 0.08 * body))), max(1, round(0.035 * body)))
    cx, cy = feet[0] + dx * length * body / 2, feet[1] + dy * length * body / 4
    pad = axes[0] + axes[1] + 8
    x0, y0 = int(cx) - pad, int(cy) - pad
    shade = np.zeros((2 * pad, 2 * pad), np.uint8)
    cv2.ellipse(shade, (round(cx) - x0, round(cy) - y0), axes, 0, 0, 360, 115, -1, cv2.LINE_AA)
    shade = cv2.GaussianBlur(shade, (0, 0), max(1.0, 0.01 * body))
    return Shadow(x0, y0, 255 - shade)


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

"""The animatic's storyboard: one procedurally drawn, lit set plus a screen-space caption band.

Everything here runs once per clip; the per-frame work (moving the camera window) lives in
animatic.py. The set is drawn on a canvas larger than the frame so the camera has room to travel,
and it is drawn with plenty of corners and texture (tile grid, windows, fine noise) so that the
optical-flow QC can measure the camera move the animatic performed.
"""

from __future__ import annotations

import colorsys
import textwrap
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from director.film import GenerationRequest, LightSide, ShotSize

MARGIN_X = 0.2
"""Canvas margin on each side, as a fraction of the frame width: room for pans and parallax."""
MARGIN_Y = 0.2
"""Canvas margin above and below, as a fraction of the frame height: room for tilts and cranes."""

# Body height in frame heights: a wide shot shows the whole figure, a close-up only head and
# shoulders, so the same silhouette drawn bigger reads as the stated shot size.
_BODY_HEIGHT: dict[ShotSize, float] = {
    "extreme_wide": 0.22,
    "wide": 0.5,
    "medium": 1.25,
    "close_up": 2.6,
    "extreme_close_up": 5.0,
}
# Where the head top sits, in frame heights above the frame centre (None: feet on the ground).
_HEAD_TOP: dict[ShotSize, float | None] = {
    "extreme_wide": None,
    "wide": None,
    "medium": 0.36,
    "close_up": 0.33,
    "extreme_close_up": 0.62,
}


@dataclass(frozen=True)
class Yuv:
    """An image as limited-range BT.709 planes: full-resolution luma, half-resolution chroma."""

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray


@dataclass(frozen=True)
class Storyboard:
    """The lit set without the subject, the subject layer, and where things are on the canvas."""

    background: np.ndarray
    """RGB canvas without the subject (uint8, canvas size)."""
    subject: np.ndarray
    """RGB subject layer, meaningful where `mask` is set (uint8, canvas size)."""
    mask: np.ndarray
    """Subject coverage, 0 or 255 (uint8, canvas size)."""
    scale: float
    """Canvas pixels per frame pixel (supersampling for moves that zoom in)."""
    horizon_y: float
    """Canvas row of the horizon, where the background layer meets the ground layer."""

    def composite(self) -> np.ndarray:
        out = self.background.copy()
        np.copyto(out, self.subject, where=self.mask[..., None] > 0)
        return out


def canvas_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """Canvas width and height (even, so chroma planes halve exactly)."""
    cw = round(width * (1 + 2 * MARGIN_X) * scale / 2) * 2
    ch = round(height * (1 + 2 * MARGIN_Y) * scale / 2) * 2
    return cw, ch


def scene_rng(request: GenerationRequest) -> np.random.Generator:
    """The clip's random source: the seed and the shot decide the set; the attempt does not."""
    return np.random.default_rng([request.seed & 0xFFFFFFFF, request.shot_index])


def draw_storyboard(request: GenerationRequest, scale: float = 1.0) -> Storyboard:
    """Draw the set once, deterministically for the request's seed and shot index."""
    rng = scene_rng(request)
    cw, ch = canvas_size(request.width, request.height, scale)
    unit = request.height * scale
    hue = float(rng.random())
    horizon = ch / 2 + float(rng.uniform(-0.04, 0.1)) * unit
    bg = _draw_background(rng, cw, ch, horizon, unit, hue)
    _draw_ground(bg, rng, horizon, unit, hue)
    subject, mask, feet = _draw_subject(rng, cw, ch, unit, horizon, request.hints.size, hue)
    side = request.hints.light_side
    if feet is not None:
        _draw_shadow(bg, feet, unit * _BODY_HEIGHT[request.hints.size], side)
    noise = rng.normal(0.0, 4.0, (ch, cw, 1)).astype(np.float32)
    gain = _light_gain(cw, ch, request.width * scale, unit, side, horizon)
    tint = _tint(request.hints.colour_temperature_k)
    bg = _shade(bg, gain, tint, noise)
    subject_gain = gain * (0.5 if side == "back" else 1.0)
    subject = _shade(subject, subject_gain, tint, noise)
    if side == "back":
        _draw_rim(subject, mask, unit)
    return Storyboard(bg, subject, mask, scale, horizon)


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
    img = np.empty((ch, cw, 3), np.uint8)
    img[:] = (top * (1 - t) + low * t)[:, None, :].astype(np.uint8)
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
        _draw_block(img, rng, (x, horizon - h, x + w, horizon), unit, hue)
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


def _draw_ground(
    img: np.ndarray, rng: np.random.Generator, horizon: float, unit: float, hue: float
) -> None:
    """A checkered floor in perspective, fading near the horizon where tiles would alias."""
    ch, cw = img.shape[:2]
    top = min(ch - 1, int(np.ceil(horizon + 1)))
    ys = np.arange(top, ch, dtype=np.float32)[:, None] - horizon
    xs = np.arange(cw, dtype=np.float32)[None, :] - cw / 2 + float(rng.uniform(-1, 1)) * unit
    depth = unit * 0.35 / np.maximum(ys, 1.0)
    tile = 0.45
    parity = (np.floor(xs * depth / unit / tile) + np.floor(depth / tile * 4)) % 2
    fade = np.clip(ys / (0.12 * unit), 0, 1)
    a = np.array(_palette(hue, 0.55, 0.3, 0.62), np.float32)
    b = np.array(_palette(hue, 0.58, 0.35, 0.38), np.float32)
    mid = (a + b) / 2
    mix = (0.5 + (parity - 0.5) * fade)[..., None]
    floor = b + (a - b) * mix
    floor = mid + (floor - mid) * np.clip(fade[..., None] * 1.5, 0, 1)
    img[top:] = floor.astype(np.uint8)


def _draw_subject(
    rng: np.random.Generator,
    cw: int,
    ch: int,
    unit: float,
    horizon: float,
    size: ShotSize,
    hue: float,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float] | None]:
    """A standing figure whose drawn scale is the shot size; returns layer, mask and feet."""
    height = _BODY_HEIGHT[size] * unit
    head_top = _HEAD_TOP[size]
    feet: tuple[float, float] | None = None
    cx = cw / 2 + float(rng.uniform(-0.06, 0.06)) * unit
    if head_top is None:
        feet_y = max(horizon + 0.05 * unit, ch / 2 + 0.3 * unit)
        top = feet_y - height
        feet = (cx, feet_y)
    else:
        top = ch / 2 - head_top * unit

    def pts(*xy: tuple[float, float]) -> np.ndarray:
        return np.array([[cx + x * height, top + y * height] for x, y in xy], np.int32)

    cloth = _palette(hue, 0.45 + float(rng.uniform(-0.1, 0.1)), 0.7, 0.75)
    stripe = _palette(hue, 0.15, 0.3, 0.95)
    skin = (205, 160, 130)
    trousers = _palette(hue, 0.6, 0.4, 0.3)
    layer = np.zeros((ch, cw, 3), np.uint8)
    mask = np.zeros((ch, cw), np.uint8)
    legs = [pts((-0.08, 0.47), (-0.005, 0.47), (-0.02, 1.0), (-0.075, 1.0))]
    legs.append(pts((0.005, 0.47), (0.08, 0.47), (0.075, 1.0), (0.02, 1.0)))
    torso = pts((-0.125, 0.16), (0.125, 0.16), (0.09, 0.5), (-0.09, 0.5))
    arms = [pts((-0.125, 0.16), (-0.165, 0.2), (-0.15, 0.52), (-0.11, 0.52), (-0.1, 0.24))]
    arms.append(pts((0.125, 0.16), (0.165, 0.2), (0.15, 0.52), (0.11, 0.52), (0.1, 0.24)))
    for poly, colour in [(p, trousers) for p in legs] + [(p, cloth) for p in (*arms, torso)]:
        cv2.fillPoly(layer, [poly], colour, cv2.LINE_AA)
        cv2.fillPoly(mask, [poly], 255)
    # Stripes across the garment: texture that moves with the subject, for tracking.
    band = max(1, round(0.022 * height))
    for k in range(5):
        y = round(top + (0.22 + k * 0.055) * height)
        cv2.line(layer, (round(cx - 0.12 * height), y), (round(cx + 0.12 * height), y), stripe, band)
    layer[mask == 0] = 0
    neck = pts((-0.025, 0.11), (0.025, 0.11), (0.025, 0.17), (-0.025, 0.17))
    cv2.fillPoly(layer, [neck], skin)
    cv2.fillPoly(mask, [neck], 255)
    head = (round(cx), round(top + 0.068 * height))
    axes = (max(1, round(0.055 * height)), max(1, round(0.068 * height)))
    cv2.ellipse(layer, head, axes, 0, 0, 360, skin, -1, cv2.LINE_AA)
    cv2.ellipse(mask, head, axes, 0, 0, 360, 255, -1)
    hair = _palette(hue, 0.08, 0.6, 0.25)
    cv2.ellipse(layer, head, axes, 0, 180, 360, hair, -1, cv2.LINE_AA)
    eye_r = max(1, round(0.006 * height))
    for dx in (-0.02, 0.02):
        eye = (round(cx + dx * height), round(top + 0.07 * height))
        cv2.circle(layer, eye, eye_r, (30, 30, 40), -1, cv2.LINE_AA)
    return layer, mask, feet


def _draw_shadow(img: np.ndarray, feet: tuple[float, float], body: float, side: LightSide) -> None:
    """A cast shadow on the floor, away from the key light."""
    dx, dy, length = {
        "left": (1.0, 0.0, 0.45),
        "right": (-1.0, 0.0, 0.45),
        "front": (0.0, -1.0, 0.12),
        "back": (0.0, 1.0, 0.2),
        "top": (0.0, 0.0, 0.12),
    }[side]
    shade = np.zeros(img.shape[:2], np.uint8)
    centre = (round(feet[0] + dx * length * body / 2), round(feet[1] + dy * length * body / 4))
    axes = (max(1, round(max(length * body / 2, 0.08 * body))), max(1, round(0.035 * body)))
    cv2.ellipse(shade, centre, axes, 0, 0, 360, 255, -1, cv2.LINE_AA)
    shade = cv2.GaussianBlur(shade, (0, 0), max(1.0, 0.01 * body))
    factor = 1.0 - shade.astype(np.float32)[..., None] * (0.45 / 255)
    img[:] = (img * factor).astype(np.uint8)


def _light_gain(
    cw: int, ch: int, frame_w: float, unit: float, side: LightSide, horizon: float
) -> np.ndarray:
    """Key-light falloff over the canvas: brighter towards the side the light comes from.

    The gradient is scaled to the frame, not the canvas, so every camera window shows it clearly.
    """
    x = (np.arange(cw, dtype=np.float32)[None, :] - cw / 2) / (frame_w / 2)
    y = (np.arange(ch, dtype=np.float32)[:, None] - ch / 2) / (unit / 2)
    if side in ("left", "right"):
        sign = -1.0 if side == "left" else 1.0
        gain = 1.0 + 0.32 * np.clip(sign * x, -1.6, 1.6) + 0 * y
    elif side == "top":
        gain = 1.0 - 0.32 * np.clip(y, -1.6, 1.6) + 0 * x
    elif side == "front":
        gain = 1.15 - 0.3 * np.clip(x**2 + y**2, 0, 2.5)
    else:  # back: a bright glow behind the subject on the horizon, darker towards the edges
        yh = (np.arange(ch, dtype=np.float32)[:, None] - horizon) / (unit / 2)
        gain = 0.7 + 0.65 * np.exp(-(x**2 + yh**2) * 1.5)
    return gain.astype(np.float32)


def _tint(kelvin: int) -> np.ndarray:
    """Per-channel RGB gains: warm below 4500 K, cool above 6000 K, neutral between."""
    if kelvin < 4500:
        k = min(1.0, 0.4 + (4500 - kelvin) / 2500)
        return np.array([1 + 0.14 * k, 1 + 0.02 * k, 1 - 0.22 * k], np.float32)
    if kelvin > 6000:
        k = min(1.0, 0.4 + (kelvin - 6000) / 5000)
        return np.array([1 - 0.18 * k, 1 + 0.0 * k, 1 + 0.14 * k], np.float32)
    return np.ones(3, np.float32)


def _shade(img: np.ndarray, gain: np.ndarray, tint: np.ndarray, noise: np.ndarray) -> np.ndarray:
    out = img.astype(np.float32) * gain[..., None] * tint + noise
    return np.clip(out, 0, 255).astype(np.uint8)


def _draw_rim(layer: np.ndarray, mask: np.ndarray, unit: float) -> None:
    """A bright edge round a backlit subject, the way a back key reads on camera."""
    width = max(1, round(unit / 180))
    kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    rim = (mask > 0) & (cv2.erode(mask, kernel) == 0)
    layer[rim] = (250, 240, 220)


def to_yuv(rgb: np.ndarray) -> Yuv:
    """Convert RGB to limited-range BT.709 planes (the colourspace the encoder tags)."""
    f = rgb.astype(np.float32)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    y = 16 + (219 / 255) * (0.2126 * r + 0.7152 * g + 0.0722 * b)
    u = 128 + (224 / 255) * (-0.1146 * r - 0.3854 * g + 0.5 * b)
    v = 128 + (224 / 255) * (0.5 * r - 0.4542 * g - 0.0458 * b)
    half = (rgb.shape[1] // 2, rgb.shape[0] // 2)
    return Yuv(
        _u8(y),
        _u8(cv2.resize(u, half, interpolation=cv2.INTER_AREA)),
        _u8(cv2.resize(v, half, interpolation=cv2.INTER_AREA)),
    )


def _u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


# --- caption band --------------------------------------------------------------------------


@dataclass(frozen=True)
class Caption:
    """A screen-space band blended over the bottom rows of every frame, precomputed as
    `out = (in * keep + add) >> 8` per plane so the per-frame cost is two integer ops."""

    top: int
    """First frame row the band covers (even, so the chroma rows line up)."""
    keep: tuple[np.ndarray, np.ndarray]
    """How much of the picture survives, 0..256, for luma and for chroma."""
    add: tuple[np.ndarray, np.ndarray, np.ndarray]
    """Premultiplied band colour for Y, U and V."""

    def apply(self, y: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
        """Blend the band into the frame planes in place."""
        top, ctop = self.top, self.top // 2
        for plane, keep, add, row in (
            (y, self.keep[0], self.add[0], top),
            (u, self.keep[1], self.add[1], ctop),
            (v, self.keep[1], self.add[2], ctop),
        ):
            region = plane[row:]
            region[:] = ((region.astype(np.uint16) * keep + add) >> 8).astype(np.uint8)


def caption_lines(request: GenerationRequest) -> list[str]:
    """The lines the band shows: subject, action, camera, then shot, take and length."""
    hints = request.hints
    first = hints.subject or request.prompt
    lines = [line for line in (first, hints.action, hints.camera_line) if line.strip()]
    lines.append(f"shot {request.shot_index + 1} · take {request.attempt} · {request.duration_s:g}s")
    return lines


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_caption(request: GenerationRequest, max_lines_each: int = 2) -> Caption:
    """Render the wrapped caption lines into a dark translucent band at the frame's bottom."""
    width, height = request.width, request.height
    size = max(9, round(height * 0.034))
    font = _font(size)
    pad = max(3, round(size * 0.45))
    line_h = round(size * 1.22)
    lines: list[tuple[str, bool]] = []
    for i, text in enumerate(caption_lines(request)):
        last = i == len(caption_lines(request)) - 1
        wrapped = _wrap(text, font, width - 2 * pad, 1 if last else max_lines_each)
        lines.extend((w, last) for w in wrapped)
    band_h = min(height // 2, len(lines) * line_h + 2 * pad)
    band_h += band_h % 2
    image = Image.new("RGBA", (width, band_h), (0, 0, 0, 158))
    draw = ImageDraw.Draw(image)
    for i, (text, last) in enumerate(lines):
        colour = (255, 214, 120, 255) if last else (255, 255, 255, 255)
        draw.text((pad, pad + i * line_h), text, font=font, fill=colour)
    rgba = np.asarray(image, dtype=np.uint8)
    return _caption_planes(rgba, height - band_h)


def _wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float, max_lines: int
) -> list[str]:
    """Greedy word wrap by measured pixel width, ending in an ellipsis when it runs over."""
    words = " ".join(text.split())
    avg = max(1.0, font.getlength("abcdefghij klmnopqrst") / 21)
    chars = max(8, int(width / avg))
    while True:
        lines = textwrap.wrap(words, chars) or [""]
        if all(font.getlength(line) <= width for line in lines) or chars <= 8:
            break
        chars -= 1
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        tail = lines[-1]
        while tail and font.getlength(tail + "…") > width:
            tail = tail[:-1]
        lines[-1] = tail.rstrip() + "…"
    return lines


def _caption_planes(rgba: np.ndarray, top: int) -> Caption:
    alpha = rgba[..., 3].astype(np.float32) / 255
    yuv = to_yuv(np.ascontiguousarray(rgba[..., :3]))
    half = (rgba.shape[1] // 2, rgba.shape[0] // 2)
    alpha_c = cv2.resize(alpha, half, interpolation=cv2.INTER_AREA)
    keep = (np.rint((1 - alpha) * 256).astype(np.uint16), np.rint((1 - alpha_c) * 256))
    add = (
        np.rint(yuv.y * alpha * 256).astype(np.uint16),
        np.rint(yuv.u * alpha_c * 256).astype(np.uint16),
        np.rint(yuv.v * alpha_c * 256).astype(np.uint16),
    )
    return Caption(top, (keep[0], keep[1].astype(np.uint16)), add)

"""The storyboard's subject: a standing figure or a prop, each in its own box, and its shadow.

Both are drawn once per clip at the scale the shot size implies, with detail that moves with
them (stripes, eyes, glaze bands and dots) so optical-flow QC can follow the subject. The
storyboard lights them with the set's key light; the prop is also shaded as a solid, with a
highlight on the key side, so it reads as a thing on the floor and never as a person.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import cv2
import numpy as np

from director.film import LightSide, ShotHints, ShotSize

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
# Prop height in frame heights: small in the set when wide, most of the frame in a close-up,
# and in an extreme close-up only its shoulder and lip, the base below the frame.
_PROP_HEIGHT: dict[ShotSize, float] = {
    "extreme_wide": 0.1,
    "wide": 0.22,
    "medium": 0.5,
    "close_up": 0.78,
    "extreme_close_up": 1.5,
}
# Where the prop's base sits, in frame heights below the frame centre (None: on the floor, as a
# figure's feet do).
_PROP_BASE: dict[ShotSize, float | None] = {
    "extreme_wide": None,
    "wide": None,
    "medium": 0.3,
    "close_up": 0.36,
    "extreme_close_up": 1.1,
}
# Where the key light comes from as a unit vector (x right, y down, z towards the camera).
_KEY: dict[LightSide, tuple[float, float, float]] = {
    "left": (-0.62, -0.42, 0.66),
    "right": (0.62, -0.42, 0.66),
    "top": (0.0, -0.88, 0.47),
    "front": (-0.2, -0.3, 0.93),
    "back": (0.0, -0.6, -0.8),
}


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
class Subject:
    """The subject drawn unlit in its bounding box, and the shadow it casts on the floor."""

    x: int
    """Left edge of the box on the canvas (even, so chroma lines up)."""
    y: int
    """Top edge of the box on the canvas (even)."""
    layer: np.ndarray
    """RGB, the box's size."""
    mask: np.ndarray
    """True where the subject covers a pixel."""
    shadow: Shadow | None
    """None when the subject's foot on the floor is out of the set."""


def palette(hue: float, shift: float, sat: float, val: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb((hue + shift) % 1.0, sat, val)
    return round(r * 255), round(g * 255), round(b * 255)


def draw_subject(
    rng: np.random.Generator,
    canvas: tuple[int, int],
    unit: float,
    horizon: float,
    hints: ShotHints,
    hue: float,
) -> Subject:
    """The figure, or the prop when `hints.subject_kind` is "object", placed on a canvas of
    `canvas` (width, height) pixels where `unit` is the frame height."""
    cw, ch = canvas
    if hints.subject_kind == "object":
        return _draw_prop(rng, cw, ch, unit, horizon, hints, hue)
    x, y, layer, mask, feet = _draw_figure(rng, cw, ch, unit, horizon, hints.size, hue)
    body = unit * _BODY_HEIGHT[hints.size]
    shadow = _shadow(feet, body, hints.light_side) if feet is not None else None
    return Subject(x, y, layer, mask, shadow)


def _floor_line(ch: int, unit: float, horizon: float) -> float:
    """Canvas row where a subject standing in the set meets the floor."""
    return max(horizon + 0.05 * unit, ch / 2 + 0.3 * unit)


def _draw_figure(
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
        feet_y = _floor_line(ch, unit, horizon)
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

    cloth = palette(hue, 0.45 + float(rng.uniform(-0.1, 0.1)), 0.7, 0.75)
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
    stripe = palette(hue, 0.15, 0.3, 0.95)
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
    cv2.ellipse(layer, centre, head[1], 0, 180, 360, palette(hue, 0.08, 0.6, 0.25), -1, cv2.LINE_AA)
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


def _draw_prop(
    rng: np.random.Generator,
    cw: int,
    ch: int,
    unit: float,
    horizon: float,
    hints: ShotHints,
    hue: float,
) -> Subject:
    """A glazed pot on the floor: a round belly wider than it is tall, a short neck and an open
    lip, banded and dotted, shaded as a solid lit from the key side with a specular highlight."""
    height = _PROP_HEIGHT[hints.size] * unit
    base = _PROP_BASE[hints.size]
    cx = cw / 2 + float(rng.uniform(-0.06, 0.06)) * unit
    base_y = _floor_line(ch, unit, horizon) if base is None else ch / 2 + base * unit
    belly = float(rng.uniform(0.4, 0.48))  # half-width of the belly, in prop heights
    neck = float(rng.uniform(0.15, 0.21))
    glaze = palette(hue, float(rng.uniform(0.7, 0.92)), 0.6, 0.85)
    trim = palette(hue, 0.3 + float(rng.uniform(-0.06, 0.06)), 0.45, 0.97)
    bands = [low + float(rng.uniform(0, 0.1)) for low in (0.16, 0.38, 0.6)]
    phase = float(rng.uniform(0, np.pi))

    half = (belly + 0.02) * height
    x0 = max(0, int(cx - half) // 2 * 2)
    y0 = max(0, int(base_y - height) // 2 * 2)
    x1 = min(cw, (int(cx + half) + 2) // 2 * 2)
    y1 = min(ch, (int(base_y) + 2) // 2 * 2)
    x1, y1 = max(x1, x0 + 2), max(y1, y0 + 2)
    ox, oy = cx - x0, base_y - y0  # the base centre in box pixels

    def at(u: float, v: float) -> tuple[int, int]:
        """Box pixel of a point `u` prop heights right of the axis and `v` above the base."""
        return round(ox + u * height), round(oy - v * height)

    def axes(a: float, b: float) -> tuple[int, int]:
        return max(1, round(a * height)), max(1, round(b * height))

    layer = np.zeros((y1 - y0, x1 - x0, 3), np.uint8)
    mask = np.zeros(layer.shape[:2], np.uint8)
    belly_c, belly_ax = at(0, 0.42), axes(belly, 0.4)
    for img, colour in ((layer, glaze), (mask, 255)):
        cv2.ellipse(img, belly_c, belly_ax, 0, 0, 360, colour, -1)
        cv2.ellipse(img, at(0, 0.04), axes(0.26, 0.04), 0, 0, 360, colour, -1)  # the foot
        cv2.rectangle(img, at(-0.26, 0.04), at(0.26, 0.12), colour, -1)
        cv2.rectangle(img, at(-neck, 0.7), at(neck, 0.94), colour, -1)
    # Glaze bands curve round the belly as seen from eye height; dots wrap with them.
    line = max(1, round(0.025 * height))
    for v in bands:
        w = belly * np.sqrt(max(0.0, 1 - ((v - 0.42) / 0.4) ** 2))
        cv2.ellipse(layer, at(0, v), axes(w, 0.05), 0, 0, 180, trim, line, cv2.LINE_AA)
        for k in range(9):
            theta = phase + k * np.pi / 4.5
            if np.cos(theta) > 0.2:  # on the side facing the camera
                dot = at(w * np.sin(theta), v - 0.05 * np.cos(theta) - 0.06)
                cv2.circle(layer, dot, max(1, round(0.022 * height)), trim, -1, cv2.LINE_AA)
    cv2.ellipse(layer, at(0, 0.83), axes(neck, 0.03), 0, 0, 180, trim, line, cv2.LINE_AA)
    for img, colour in ((layer, trim), (mask, 255)):  # the lip, open at the top
        cv2.ellipse(img, at(0, 0.94), axes(neck + 0.04, 0.045), 0, 0, 360, colour, -1)
    inside = tuple(int(c * 0.3) for c in glaze)
    cv2.ellipse(layer, at(0, 0.94), axes(neck - 0.01, 0.03), 0, 0, 360, inside, -1, cv2.LINE_AA)
    _shade(layer, (belly_c, belly_ax), (round(ox), round(neck * height)), hints.light_side)
    shadow = None
    if base_y < ch:
        shadow = _shadow((cx, base_y), height, hints.light_side, belly * 1.1, 0.07)
    return Subject(x0, y0, layer, mask > 0, shadow)


def _shade(
    layer: np.ndarray,
    belly: tuple[tuple[int, int], tuple[int, int]],
    neck: tuple[int, int],
    side: LightSide,
) -> None:
    """Light the pot in place as a solid: a diffuse term and a specular highlight from the key's
    direction (the set's gain is applied on top). `belly` is the belly ellipse's centre and
    axes, its normals a sphere's; above it the neck (axis column, half-width) is a cylinder.

    Shading varies slowly, so it is worked out on a half-resolution grid and scaled up."""
    h, w = layer.shape[:2]
    (bx, by), (ax, ay) = belly
    xs = np.arange(0.5, w, 2, dtype=np.float32)[None, :]
    ys = np.arange(0.5, h, 2, dtype=np.float32)[:, None]
    nx = np.broadcast_to((xs - bx) / ax, (ys.size, xs.size))
    ny = np.broadcast_to((ys - by) / ay, (ys.size, xs.size))
    neck_zone = (nx * nx + ny * ny > 1) & (ys < by)
    nx = np.where(neck_zone, (xs - neck[0]) / (neck[1] + 1), nx).clip(-1, 1)
    ny = np.where(neck_zone, np.float32(-0.2), ny).clip(-1, 1)
    nz = np.sqrt(np.clip(1 - nx * nx - ny * ny, 0.02, 1))
    norm = np.sqrt(nx * nx + ny * ny + nz * nz)
    lx, ly, lz = _KEY[side]
    diffuse = np.clip((nx * lx + ny * ly + nz * lz) / norm, 0, 1)
    hn = float(np.sqrt(lx * lx + ly * ly + (lz + 1) ** 2))  # halfway to the camera
    spec = np.clip((nx * lx + ny * ly + nz * (lz + 1)) / (norm * hn), 0, 1)
    for _ in range(5):  # ** 32: a tight highlight
        spec = spec * spec
    gain = cv2.convertScaleAbs(cv2.resize(0.35 + 0.75 * diffuse, (w, h)), alpha=128)
    shine = cv2.convertScaleAbs(cv2.resize(spec, (w, h)), alpha=210)
    lit = cv2.multiply(layer, cv2.merge([gain] * 3), scale=1 / 128)
    cv2.add(lit, cv2.merge([shine] * 3), dst=layer)


def _shadow(
    feet: tuple[float, float],
    body: float,
    side: LightSide,
    half_width: float = 0.08,
    depth: float = 0.035,
) -> Shadow:
    """A soft cast shadow on the floor at the feet, falling away from the key light; at least
    `half_width` by `depth` body heights where the subject touches the floor."""
    dx, dy, length = {
        "left": (1.0, 0.0, 0.45),
        "right": (-1.0, 0.0, 0.45),
        "front": (0.0, -1.0, 0.12),
        "back": (0.0, 1.0, 0.2),
        "top": (0.0, 0.0, 0.12),
    }[side]
    axes = (max(1, round(max(length * body / 2, half_width * body))), max(1, round(depth * body)))
    cx, cy = feet[0] + dx * length * body / 2, feet[1] + dy * length * body / 4
    pad = axes[0] + axes[1] + 8
    x0, y0 = int(cx) - pad, int(cy) - pad
    shade = np.zeros((2 * pad, 2 * pad), np.uint8)
    cv2.ellipse(shade, (round(cx) - x0, round(cy) - y0), axes, 0, 0, 360, 115, -1, cv2.LINE_AA)
    shade = cv2.GaussianBlur(shade, (0, 0), max(1.0, 0.01 * body))
    return Shadow(x0, y0, 255 - shade)

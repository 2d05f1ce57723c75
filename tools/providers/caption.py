"""The animatic's caption: subject, action and camera lines in a band fixed to the screen.

The band does not move with the camera (it is a slate, not part of the set), and it is blended
with integer arithmetic on the bottom rows only, so it costs next to nothing per frame.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from director.film import GenerationRequest
from director.tools.providers.storyboard import to_yuv


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


def caption_lines(request: GenerationRequest) -> tuple[list[str], str]:
    """The band's text lines (subject, action, camera) and its slate tag (shot, take, length)."""
    hints = request.hints
    first = hints.subject or request.prompt
    lines = [line for line in (first, hints.action, hints.camera_line) if line.strip()]
    n, take, length = request.shot_index + 1, request.attempt, request.duration_s
    return lines, f"shot {n} · take {take} · {length:g}s"


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_caption(request: GenerationRequest, max_lines_each: int = 2) -> Caption:
    """Render the wrapped lines into a dark translucent band at the frame's bottom, with the
    slate tag right-aligned on the last line when it fits there (one line less to cover)."""
    width, height = request.width, request.height
    size = max(9, round(min(width, height) * 0.03))  # portrait frames: size by the short side
    font = _font(size)
    pad = max(3, round(size * 0.45))
    line_h = round(size * 1.22)
    texts, tag = caption_lines(request)
    lines: list[str] = []
    for text in texts:
        lines.extend(_wrap(text, font, width - 2 * pad, max_lines_each))
    tag_w = font.getlength(tag)
    gap = 2 * size
    if not lines or font.getlength(lines[-1]) + gap + tag_w > width - 2 * pad:
        lines.append("")
    band_h = min(height // 2, len(lines) * line_h + 2 * pad)
    band_h += band_h % 2
    image = Image.new("RGBA", (width, band_h), (0, 0, 0, 158))
    draw = ImageDraw.Draw(image)
    for i, text in enumerate(lines):
        draw.text((pad, pad + i * line_h), text, font=font, fill=(255, 255, 255, 255))
    tag_x = max(pad, width - pad - tag_w)
    draw.text((tag_x, pad + (len(lines) - 1) * line_h), tag, font=font, fill=(255, 214, 120, 255))
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

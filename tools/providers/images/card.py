"""The offline reference still: a character card drawn locally, at no cost.

The card stands the animatic's storyboard figure (figures.py) on a studio floor beside the
character's name, the descriptor every prompt repeats, and a swatch of the colours the
descriptor names, so a person approving the plan sees who each character is before paying for
a text-to-image model, and image-to-video still gets a first frame to condition on.
"""

from __future__ import annotations

import asyncio
import io
import re
import textwrap
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from director.film import ShotHints
from director.project import atomic_write_bytes
from director.tools.providers.figures import draw_subject, palette
from director.tools.providers.images.base import ImageModel, Size, check_size, image_model

BACKDROP = (214, 214, 210)
INK = (34, 34, 40)
MAX_SWATCHES = 6
_SKIN = (205, 160, 130)
_TROUSERS = (60, 55, 70)
"""Colours figures.py paints skin and trousers with; everything else large is the garment."""
_DESCRIPTOR = re.compile(r"Reference still of (.+?)\.(?:\s|$)", re.DOTALL)


def card_text(prompt: str) -> tuple[str, str]:
    """(name, descriptor) from a still prompt (see base.still_prompt), or from any prompt: the
    name is what comes before the descriptor's first comma."""
    found = _DESCRIPTOR.search(prompt)
    descriptor = (found.group(1) if found else prompt).strip()
    name = descriptor.split(",", 1)[0].strip()
    return (name[:40] or "Character"), descriptor


def named_colours(text: str) -> list[tuple[str, tuple[int, int, int]]]:
    """Colours the text names ("forest green", "navy", "white"), in order, without repeats."""
    words = re.findall(r"[a-z]+", text.lower())
    found: list[tuple[str, tuple[int, int, int]]] = []
    i = 0
    while i < len(words):
        matched = 0
        for span in (2, 1):  # "forest green" before "green"
            chunk = words[i : i + span]
            if len(chunk) < span:
                continue
            try:
                rgb = ImageColor.getrgb("".join(chunk))
            except ValueError:
                continue
            phrase = " ".join(chunk)
            if phrase not in [n for n, _ in found]:
                found.append((phrase, rgb[:3]))
            matched = span
            break
        i += matched or 1
    return found[:MAX_SWATCHES]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def draw_card(prompt: str, size: Size, seed: int = 0) -> Image.Image:
    """The card as an RGB image of exactly `size`; the same prompt, size and seed always give
    the same pixels."""
    width, height = check_size(size)
    name, descriptor = card_text(prompt)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(name.encode())])
    hue = float(rng.random())
    image = Image.new("RGB", (width, height), BACKDROP)
    panel = max(16, round(width * (0.4 if width >= height else 1.0)))
    figure_h = height if width >= height else round(height * 0.55)
    worn = named_colours(descriptor.partition(" wearing ")[2])
    _paste_figure(image, rng, hue, (panel, figure_h), worn[0][1] if worn else None)
    draw = ImageDraw.Draw(image)
    left = panel + round(width * 0.03) if width >= height else round(width * 0.06)
    top = round(height * 0.08) if width >= height else figure_h + round(height * 0.02)
    right = width - round(width * 0.05)
    name_px = max(10, round(height * (0.09 if width >= height else 0.05)))
    draw.text((left, top), name, font=_font(name_px), fill=INK)
    body_px = max(8, round(name_px * 0.42))
    chars = max(12, int((right - left) / (body_px * 0.55)))
    y = top + round(name_px * 1.4)
    swatch_h = max(8, round(height * 0.08))
    bottom = height - swatch_h - round(height * 0.1)
    for line in textwrap.wrap(descriptor, chars):
        if y + body_px > bottom:
            break
        draw.text((left, y), line, font=_font(body_px), fill=INK)
        y += round(body_px * 1.35)
    colours = named_colours(descriptor) or [("", palette(hue, 0.45, 0.7, 0.75))]
    sw = max(8, min(swatch_h * 2, (right - left) // max(1, len(colours))))
    sy = height - swatch_h - round(height * 0.06)
    for k, (label, rgb) in enumerate(colours):
        x = left + k * sw
        draw.rectangle((x, sy, x + sw - 4, sy + swatch_h), fill=rgb, outline=INK)
        if label:
            draw.text((x, sy + swatch_h + 2), label, font=_font(max(6, body_px * 2 // 3)),
                      fill=INK)
    return image


def _dress(layer: np.ndarray, mask: np.ndarray, rgb: tuple[int, int, int]) -> None:
    """Recolour the figure's garment (its most common colour other than skin and trousers,
    and the sleeves' darker shade of it) to `rgb`, the first colour the descriptor wears."""
    colours, counts = np.unique(layer[mask].reshape(-1, 3), axis=0, return_counts=True)
    fixed = {_SKIN, _TROUSERS}
    ranked = [tuple(int(v) for v in c) for c in colours[np.argsort(-counts)]]
    cloth = next((c for c in ranked if c not in fixed), None)
    if cloth is None:
        return
    sleeve = tuple(int(v * 0.75) for v in cloth)
    for old, new in ((cloth, rgb), (sleeve, tuple(int(v * 0.75) for v in rgb))):
        layer[np.all(layer == np.array(old, np.uint8), axis=-1) & mask] = new


def _paste_figure(image: Image.Image, rng: np.random.Generator, hue: float, box: Size,
                  garment: tuple[int, int, int] | None) -> None:
    """Stand the storyboard figure full length on a floor in the `box` at the image's left
    (or top, for a portrait card), dressed in `garment` when the descriptor names a colour."""
    bw, bh = box
    unit = bh * 1.45  # body height is 0.5 unit in a wide shot: about 70 % of the panel
    horizon = bh * 0.62
    floor = np.array(BACKDROP, np.uint8) * 0.86
    pixels = np.asarray(image).copy()
    pixels[round(horizon) : bh, :bw] = floor.astype(np.uint8)
    subject = draw_subject(rng, (bw, bh), unit, horizon, ShotHints(size="wide"), hue)
    if garment is not None:
        _dress(subject.layer, subject.mask, garment)
    if subject.shadow is not None:
        subject.shadow.darken(pixels[:bh, :bw])
    h, w = subject.mask.shape
    region = pixels[subject.y : subject.y + h, subject.x : subject.x + w]
    region[subject.mask[: region.shape[0], : region.shape[1]]] = subject.layer[
        : region.shape[0], : region.shape[1]][subject.mask[: region.shape[0], : region.shape[1]]]
    image.paste(Image.fromarray(pixels))


class CardImageProvider:
    """Draws character cards locally (an ImageProvider)."""

    name = "card"

    def __init__(self, model: ImageModel | None = None) -> None:
        self.model = model or image_model("card")

    async def generate(self, prompt: str, *, size: Size, dest: Path, seed: int = 0) -> Path:
        image = await asyncio.to_thread(draw_card, prompt, size, seed)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        atomic_write_bytes(Path(dest), buffer.getvalue())
        return Path(dest)

"""Text-to-image on fal's queue: FLUX.1 [schnell] (`fal-ai/flux/schnell`) by default.

The endpoint is not in the project's provider reference; its input (prompt, image_size as
{width, height}, seed, num_images, output_format) and result (`images[].url`) follow fal's
model page. FAL_IMAGE_ENDPOINT picks another endpoint with the same input and result shape.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

from director.errors import ProviderError
from director.tools.providers.download import fetch_bytes
from director.tools.providers.fal import FalQueue
from director.tools.providers.images.base import (
    ImageModel,
    Size,
    check_size,
    image_model,
    save_fitted,
)
from director.tools.providers.remote import is_loopback_url

MAX_IMAGE_BYTES = 40 * 1024 * 1024
TARGET_PIXELS = 1024 * 1024
"""Render about one megapixel (the price assumes it), then fit to the asked size."""


def render_size(size: Size) -> dict[str, int]:
    """About a megapixel in the asked shape, each side a multiple of 16."""
    width, height = size
    scale = math.sqrt(TARGET_PIXELS / (width * height))
    return {"width": max(256, round(width * scale / 16) * 16),
            "height": max(256, round(height * scale / 16) * 16)}


class FalImageProvider:
    """A fal text-to-image endpoint (an ImageProvider)."""

    name = "fal"

    def __init__(self, queue: FalQueue, *, model: ImageModel | None = None,
                 poll_interval_s: float = 1.0, timeout_s: float = 300.0) -> None:
        self.queue = queue
        self.model = model or image_model("fal")
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"FalImageProvider({self.model.api_name})"

    async def generate(self, prompt: str, *, size: Size, dest: Path, seed: int = 0) -> Path:
        size = check_size(size)
        body: dict[str, Any] = {"prompt": prompt, "image_size": render_size(size),
                                "seed": int(seed), "num_images": 1, "output_format": "png"}
        _, urls = await self.queue.submit(self.model.api_name, body)
        result = await self.queue.wait(urls, interval_s=self.poll_interval_s,
                                       timeout_s=self.timeout_s)
        images = result.get("images") or []
        url = str(images[0].get("url", "")) if images and isinstance(images[0], dict) else ""
        if not url:
            raise ProviderError(f"fal {self.model.api_name} finished without an image URL")
        data = await fetch_bytes(self.queue.clients.get(), url, max_bytes=MAX_IMAGE_BYTES,
                                 allow_loopback_http=is_loopback_url(self.queue.base),
                                 policy=self.queue.policy, what=f"fal {self.model.api_name}")
        return await asyncio.to_thread(save_fitted, data, size, Path(dest), "fal")

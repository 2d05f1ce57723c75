"""Text-to-image on Replicate: FLUX.1 [schnell] (`black-forest-labs/flux-schnell`) by default.

The model is not in the project's provider reference; its input (prompt, aspect_ratio, seed,
num_outputs, output_format) and output (a list of image URIs) follow Replicate's model page.
REPLICATE_IMAGE_MODEL picks another official model with the same input and output shape.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from director.errors import ProviderError
from director.tools.providers.download import fetch_bytes
from director.tools.providers.images.base import (
    ImageModel,
    Size,
    check_size,
    image_model,
    save_fitted,
)
from director.tools.providers.remote import is_loopback_url
from director.tools.providers.replicate import Predictions, output_uri

MAX_IMAGE_BYTES = 40 * 1024 * 1024
ASPECT_RATIOS = ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21")
"""Shapes flux-schnell renders."""


def nearest_aspect(size: Size) -> str:
    width, height = size

    def ratio(label: str) -> float:
        w, h = label.split(":")
        return int(w) / int(h)

    return min(ASPECT_RATIOS, key=lambda label: abs(ratio(label) - width / height))


class ReplicateImageProvider:
    """A Replicate official text-to-image model (an ImageProvider)."""

    name = "replicate"

    def __init__(self, predictions: Predictions, *, model: ImageModel | None = None,
                 poll_interval_s: float = 1.0, timeout_s: float = 300.0) -> None:
        self.predictions = predictions
        self.model = model or image_model("replicate")
        self.poll_interval_s = poll_interval_s
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"ReplicateImageProvider({self.model.api_name})"

    async def generate(self, prompt: str, *, size: Size, dest: Path, seed: int = 0) -> Path:
        size = check_size(size)
        payload = {"prompt": prompt, "aspect_ratio": nearest_aspect(size), "seed": int(seed),
                   "num_outputs": 1, "output_format": "png"}
        started = await self.predictions.create(self.model.api_name, payload)
        done = await self.predictions.wait(started, interval_s=self.poll_interval_s,
                                           timeout_s=self.timeout_s)
        url = output_uri(done.get("output"))
        if not url:
            raise ProviderError(f"replicate {self.model.api_name} finished without an image")
        data = await fetch_bytes(self.predictions.clients.get(), url, max_bytes=MAX_IMAGE_BYTES,
                                 allow_loopback_http=is_loopback_url(self.predictions.base),
                                 policy=self.predictions.policy,
                                 what=f"replicate {self.model.api_name}")
        return await asyncio.to_thread(save_fitted, data, size, Path(dest), "replicate")

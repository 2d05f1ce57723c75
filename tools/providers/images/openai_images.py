"""OpenAI Images through the SDK: `images.generate` with a gpt-image model, base64 PNG back.

gpt-image models always answer `b64_json` and take 1024x1024, 1536x1024 or 1024x1536; the
adapter asks for the one nearest the wanted shape and fits the result to the exact size.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Callable
from pathlib import Path

import openai

from director.errors import ProviderError
from director.tools.providers.http import DEFAULT_RETRY, PerLoop, RetryPolicy, retrying
from director.tools.providers.images.base import (
    ImageModel,
    Size,
    check_size,
    image_model,
    save_fitted,
)
from director.tools.providers.openai_video import error_from

QUALITY = "medium"
"""gpt-image quality asked for; the catalog price assumes it."""


def api_size(size: Size) -> str:
    """The gpt-image size nearest in shape to `size`."""
    width, height = size
    ratio = width / height
    if ratio > 1.2:
        return "1536x1024"
    if ratio < 1 / 1.2:
        return "1024x1536"
    return "1024x1024"


class OpenAIImageProvider:
    """gpt-image-1 class models over the openai SDK (an ImageProvider)."""

    name = "openai"

    def __init__(self, *, client_factory: Callable[[], openai.AsyncOpenAI],
                 model: ImageModel | None = None, key_env: str = "OPENAI_API_KEY",
                 policy: RetryPolicy = DEFAULT_RETRY) -> None:
        self.clients: PerLoop[openai.AsyncOpenAI] = PerLoop(client_factory)
        self.model = model or image_model("openai")
        self.key_env = key_env
        self.policy = policy

    def __repr__(self) -> str:
        return f"OpenAIImageProvider({self.model.api_name})"

    async def generate(self, prompt: str, *, size: Size, dest: Path, seed: int = 0) -> Path:
        size = check_size(size)
        if not prompt.strip():
            raise ProviderError(f"{self.model.id} cannot take an empty prompt")

        async def attempt() -> str:
            try:
                result = await self.clients.get().images.generate(
                    model=self.model.api_name, prompt=prompt, n=1, size=api_size(size),
                    quality=QUALITY, output_format="png")
            except openai.OpenAIError as exc:
                raise error_from(exc, "images.generate", self.key_env, sent_once=True) from None
            data = result.data or []
            if not data or not data[0].b64_json:
                raise ProviderError(f"openai {self.model.id} answered without b64_json image")
            return data[0].b64_json

        encoded = await retrying(attempt, label="openai images.generate", policy=self.policy,
                                 idempotent=False)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ProviderError(f"openai {self.model.id} sent invalid base64") from None
        return await asyncio.to_thread(save_fitted, raw, size, Path(dest), "openai")

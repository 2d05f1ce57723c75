"""The ImageProvider seam: reference stills of characters for image-to-video.

Character consistency starts from one reference still per character, made with a text-to-image
model and then handed to image-to-video (a first frame, a Kling element, Sora's
`input_reference`). Every image provider writes a PNG of exactly the asked size, atomically,
and says what one image costs, so the approval gate can price stills with the clips.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from director.errors import ProviderError
from director.film import Character
from director.project import atomic_write_bytes

Size = tuple[int, int]


class ImageModel(BaseModel):
    """One text-to-image model as the gate prices it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Our id, e.g. "gpt-image-1"; what plans and ledgers record."""
    provider: str
    """Image adapter name: "card", "openai", "fal" or "replicate"."""
    label: str
    """Human name."""
    api_name: str
    """The model or endpoint the service takes, e.g. "fal-ai/flux/schnell"."""
    usd_per_image: float
    """Price of one image at the size we ask for, in US dollars."""
    verified: bool = True
    """False when the endpoint or price does not come from the project's provider reference
    (it comes from the service's own pricing page and may have changed)."""
    notes: str = ""
    """Caveats: sizes offered, what the price assumes, how to configure it."""


IMAGE_MODELS: tuple[ImageModel, ...] = (
    ImageModel(
        id="card", provider="card", label="Character card (local)", api_name="card",
        usd_per_image=0.0,
        notes="Drawn locally: figure, name, descriptor lines and palette swatch. Free.",
    ),
    ImageModel(
        id="gpt-image-1", provider="openai", label="OpenAI gpt-image-1", api_name="gpt-image-1",
        usd_per_image=0.063, verified=False,
        notes="images.generate, b64_json; 1024x1024, 1536x1024 or 1024x1536 at medium quality "
              "($0.042 square, $0.063 landscape/portrait per OpenAI's price page, not the "
              "reference). OPENAI_IMAGE_MODEL picks another gpt-image model.",
    ),
    ImageModel(
        id="flux-schnell-fal", provider="fal", label="FLUX.1 [schnell] on fal",
        api_name="fal-ai/flux/schnell", usd_per_image=0.003, verified=False,
        notes="fal queue; about $0.003 per megapixel (fal's price page). FAL_IMAGE_ENDPOINT "
              "picks another endpoint taking the same input (prompt, image_size, seed, "
              "num_images, output_format) and returning images[].url.",
    ),
    ImageModel(
        id="flux-schnell-replicate", provider="replicate", label="FLUX.1 [schnell] on Replicate",
        api_name="black-forest-labs/flux-schnell", usd_per_image=0.003, verified=False,
        notes="Official-model prediction; about $0.003 per image (Replicate's model page). "
              "REPLICATE_IMAGE_MODEL picks another official model taking prompt, aspect_ratio, "
              "seed, num_outputs and output_format.",
    ),
)
_BY_PROVIDER = {m.provider: m for m in IMAGE_MODELS}


def image_model(provider: str) -> ImageModel:
    """The image model an image provider uses by default."""
    try:
        return _BY_PROVIDER[provider]
    except KeyError:
        raise ProviderError(f"no image model for {provider!r} "
                            f"(known: {', '.join(sorted(_BY_PROVIDER))})") from None


@runtime_checkable
class ImageProvider(Protocol):
    """A text-to-image service (or the local card)."""

    name: str
    """Adapter name, e.g. "card", "openai"."""
    model: ImageModel
    """What it renders with, and what one image costs."""

    async def generate(self, prompt: str, *, size: Size, dest: Path, seed: int = 0) -> Path:
        """Render `prompt` as a PNG of exactly `size` (width, height) at `dest`, written
        atomically, and return `dest`. `seed` is sent where the service takes one."""
        ...


def still_prompt(character: Character, look: str = "") -> str:
    """The text-to-image prompt for a character's reference still: the canonical descriptor
    verbatim (the same words every clip prompt uses), a neutral full-body pose, a plain backdrop
    and even light, so the still shows the character and nothing that would fight a shot."""
    parts = [
        f"Reference still of {character.descriptor.rstrip('.')}.",
        "Full body, standing, facing camera, neutral expression, arms relaxed.",
        "Plain light-grey studio backdrop, soft even key light from camera-left at 45°, 5600K.",
    ]
    if look:
        parts.append(look.rstrip(".") + ".")
    return " ".join(parts)


def save_fitted(data: bytes, size: Size, dest: Path, provider: str) -> Path:
    """Decode image bytes, scale and centre-crop them to exactly `size`, and write a PNG at
    `dest` atomically; ProviderError when the bytes are not an image."""
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data)) as image:
            fitted = ImageOps.fit(image.convert("RGB"), size)
    except OSError as exc:
        raise ProviderError(f"{provider} returned something that is not an image ({exc})",
                            retryable=True) from None
    buffer = io.BytesIO()
    fitted.save(buffer, format="PNG")
    atomic_write_bytes(Path(dest), buffer.getvalue())
    return Path(dest)


def check_size(size: Size) -> Size:
    width, height = size
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise ProviderError(f"a reference still must be 16..4096 pixels a side, not "
                            f"{width}x{height}")
    return int(width), int(height)

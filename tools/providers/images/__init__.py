"""Reference stills for character consistency, built by name like the video providers.

The craft: "create a reference still of your character with a text-to-image model, then pass
it to image-to-video". Use it like this:

    provider = make_image_provider("card", project.stills_dir)      # or openai, fal, replicate
    prompt = still_prompt(character, bible.look)                     # descriptor verbatim
    path = await provider.generate(prompt, size=(1280, 720), dest=..., seed=plan_seed)
    cost = provider.model.usd_per_image                              # for the approval gate

One still per character, shown at the gate, then handed to image-to-video as the shot's first
frame (GenerationRequest.first_frame), a Kling 3.0 element (element_images) or Sora's
input_reference. `card` draws a character card locally for free (the default, like the
animatic); the others call a text-to-image model and bill per image. Keys are read here, when a
provider is built, from the same variables as the video adapters (OPENAI_API_KEY, FAL_KEY,
REPLICATE_API_TOKEN); a missing key is a one-line DirectorError naming it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from director.errors import DirectorError
from director.tools.providers.images.base import (
    IMAGE_MODELS,
    ImageModel,
    ImageProvider,
    image_model,
    still_prompt,
)

__all__ = ["IMAGE_MODELS", "ImageModel", "ImageProvider", "available_image_providers",
           "make_image_provider", "still_prompt"]


def _model(provider: str, env: str) -> ImageModel:
    """The default model of `provider`, or the one named in `env` (then marked unverified:
    its price is the default's, and may differ)."""
    default = image_model(provider)
    chosen = os.environ.get(env, "").strip()
    if not chosen or chosen == default.api_name:
        return default
    return default.model_copy(update={
        "id": chosen, "api_name": chosen, "label": chosen, "verified": False,
        "notes": f"Set by {env}; priced as {default.id} (its own price is not in the catalog)."})


def _card(work_dir: Path) -> ImageProvider:
    from director.tools.providers.images.card import CardImageProvider

    return CardImageProvider()


def _openai(work_dir: Path) -> ImageProvider:
    import openai

    from director.tools.providers.images.openai_images import OpenAIImageProvider
    from director.tools.providers.openai_video import API_BASE
    from director.tools.providers.remote import base_url, require_key

    key = require_key("OPENAI_API_KEY", "openai")
    base = base_url("OPENAI_BASE_URL", API_BASE)

    def client() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=key.reveal(), base_url=base, max_retries=0,
                                  timeout=120.0)

    return OpenAIImageProvider(client_factory=client, model=_model("openai", "OPENAI_IMAGE_MODEL"),
                               key_env=key.env)


def _fal(work_dir: Path) -> ImageProvider:
    from director.tools.providers.fal import QUEUE_BASE, FalQueue
    from director.tools.providers.http import LoopClient, make_client
    from director.tools.providers.images.fal_images import FalImageProvider
    from director.tools.providers.remote import base_url, require_key

    queue = FalQueue(require_key("FAL_KEY", "fal"), base_url("FAL_QUEUE_BASE", QUEUE_BASE),
                     LoopClient(make_client))
    return FalImageProvider(queue, model=_model("fal", "FAL_IMAGE_ENDPOINT"))


def _replicate(work_dir: Path) -> ImageProvider:
    from director.tools.providers.http import LoopClient, make_client
    from director.tools.providers.images.replicate_images import ReplicateImageProvider
    from director.tools.providers.remote import base_url, require_key
    from director.tools.providers.replicate import API_BASE, Predictions

    predictions = Predictions(require_key("REPLICATE_API_TOKEN", "replicate"),
                              base_url("REPLICATE_API_BASE", API_BASE), LoopClient(make_client))
    return ReplicateImageProvider(predictions, model=_model("replicate", "REPLICATE_IMAGE_MODEL"))


_FACTORIES: dict[str, Callable[[Path], ImageProvider]] = {
    "card": _card, "openai": _openai, "fal": _fal, "replicate": _replicate,
}


def available_image_providers() -> list[str]:
    return sorted(_FACTORIES)


def make_image_provider(name: str, work_dir: Path) -> ImageProvider:
    """Build the image adapter `name` ("card", "openai", "fal" or "replicate"); `work_dir` is
    the project's folder for provider files. Its `model.usd_per_image` is what one still costs.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DirectorError(f"image provider {name!r} is unknown "
                            f"(available: {', '.join(available_image_providers())})")
    return factory(Path(work_dir))

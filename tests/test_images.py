"""Reference stills: the offline character card and the OpenAI, fal and Replicate image adapters
against loopback fakes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import openai
import pytest
from fakes.fal_server import FalFake
from fakes.openai_server import OpenAIFake
from fakes.replicate_server import ReplicateFake
from PIL import Image

from director.errors import DirectorError, ProviderError
from director.film import Character, WardrobeItem
from director.tools.providers.fal import FalQueue
from director.tools.providers.http import LoopClient, RetryPolicy, make_client
from director.tools.providers.images import (
    ImageProvider,
    available_image_providers,
    make_image_provider,
    still_prompt,
)
from director.tools.providers.images.card import card_text, draw_card, named_colours
from director.tools.providers.images.fal_images import FalImageProvider
from director.tools.providers.images.openai_images import OpenAIImageProvider
from director.tools.providers.images.replicate_images import ReplicateImageProvider
from director.tools.providers.remote import Secret
from director.tools.providers.replicate import Predictions

FAST = RetryPolicy(attempts=3, initial_s=0.01, max_s=0.05, jitter_s=0.0)
ANA = Character(
    name="Ana", age="40s", hair="black hair in a tight bun",
    wardrobe=[WardrobeItem(garment="chef jacket", material="cotton", colour="white"),
              WardrobeItem(garment="apron", material="canvas", colour="forest green")],
    marks=["a small gold nose ring"],
)


def test_still_prompt_carries_the_descriptor_verbatim() -> None:
    prompt = still_prompt(ANA, "Kodak 250D look, fine grain")
    assert ANA.descriptor in prompt and "key light from camera-left" in prompt
    assert prompt.endswith("Kodak 250D look, fine grain.")
    assert card_text(prompt) == ("Ana", ANA.descriptor)


def test_named_colours_prefers_two_word_names() -> None:
    assert [n for n, _ in named_colours(ANA.descriptor)] == ["black", "white", "forest green",
                                                             "gold"]
    assert named_colours("a plain wooden table") == []


def test_card_is_exact_size_deterministic_and_dressed_as_described(tmp_path: Path) -> None:
    prompt = still_prompt(ANA)
    card = np.asarray(draw_card(prompt, (640, 360), seed=7))
    assert card.shape == (360, 640, 3)
    assert np.array_equal(card, np.asarray(draw_card(prompt, (640, 360), seed=7)))
    # The figure wears the first garment colour the descriptor names (white), and the swatch
    # row shows forest green.
    figure = card[:, : int(640 * 0.4)]
    assert (np.all(figure == 255, axis=-1)).sum() > 500
    assert (np.all(card == (34, 139, 34), axis=-1)).sum() > 200
    portrait = np.asarray(draw_card(prompt, (360, 640), seed=7))
    assert portrait.shape == (640, 360, 3)
    other = np.asarray(draw_card(still_prompt(ANA.model_copy(update={
        "name": "Bo", "descriptor": "Bo, a boy in a red raincoat"})), (640, 360), seed=7))
    assert not np.array_equal(card, other)


def test_card_provider_writes_png_atomically_for_free(tmp_path: Path) -> None:
    provider = make_image_provider("card", tmp_path)
    assert isinstance(provider, ImageProvider) and provider.model.usd_per_image == 0
    dest = asyncio.run(provider.generate(still_prompt(ANA), size=(320, 180),
                                         dest=tmp_path / "stills" / "ana.png", seed=1))
    assert Image.open(dest).size == (320, 180) and Image.open(dest).format == "PNG"
    assert [p.name for p in dest.parent.iterdir()] == ["ana.png"]
    with pytest.raises(ProviderError, match=r"16\.\.4096"):
        asyncio.run(provider.generate("x", size=(8, 8), dest=tmp_path / "tiny.png"))


def test_openai_images_sends_documented_fields(tmp_path: Path) -> None:
    with OpenAIFake("sk-img") as fake:
        def client() -> openai.AsyncOpenAI:
            return openai.AsyncOpenAI(api_key="sk-img", base_url=fake.api_base, max_retries=0)

        provider = OpenAIImageProvider(client_factory=client, policy=FAST)
        fake.fail("image", 429, {"error": {"message": "slow down", "type": "requests",
                                           "param": None, "code": "rate_limit_exceeded"}},
                  headers={"retry-after-ms": "1"})
        dest = asyncio.run(provider.generate(still_prompt(ANA), size=(1280, 720),
                                             dest=tmp_path / "ana.png", seed=3))
        calls = fake.routed("image")
    assert len(calls) == 2
    body = calls[-1].json()
    assert body == {"model": "gpt-image-1", "prompt": still_prompt(ANA), "n": 1,
                    "size": "1536x1024", "quality": "medium", "output_format": "png"}
    assert calls[-1].headers["authorization"] == "Bearer sk-img"
    assert Image.open(dest).size == (1280, 720)
    assert provider.model.usd_per_image > 0 and not provider.model.verified


def test_fal_images_queue_and_fetch(tmp_path: Path) -> None:
    with FalFake("fal-img") as fake:
        queue = FalQueue(Secret("fal-img", "FAL_KEY"), fake.base_url, LoopClient(make_client),
                         policy=FAST, poll_policy=FAST)
        provider = FalImageProvider(queue, poll_interval_s=0.01)
        dest = asyncio.run(provider.generate("Ana, reference still", size=(720, 1280),
                                             dest=tmp_path / "a.png", seed=9))
        (submit,) = fake.routed("submit")
        media = fake.routed("media")
    assert submit.path == "/fal-ai/flux/schnell"
    assert submit.json() == {"prompt": "Ana, reference still",
                             "image_size": {"width": 768, "height": 1360}, "seed": 9,
                             "num_images": 1, "output_format": "png"}
    assert len(media) == 1 and "authorization" not in media[0].headers
    assert Image.open(dest).size == (720, 1280)


def test_replicate_images_prediction_and_failure(tmp_path: Path) -> None:
    with ReplicateFake("r8_img") as fake:
        predictions = Predictions(Secret("r8_img", "REPLICATE_API_TOKEN"), fake.base_url,
                                  LoopClient(make_client), policy=FAST, poll_policy=FAST)
        provider = ReplicateImageProvider(predictions, poll_interval_s=0.01)
        dest = asyncio.run(provider.generate("Ana", size=(1280, 720), dest=tmp_path / "a.png",
                                             seed=4))
        fake.fail_next_task("NSFW content detected in the output")
        with pytest.raises(ProviderError) as flagged:
            asyncio.run(provider.generate("Ana", size=(1280, 720), dest=tmp_path / "b.png"))
        create = fake.routed("create")[0]
    assert create.path == "/v1/models/black-forest-labs/flux-schnell/predictions"
    assert create.json() == {"input": {"prompt": "Ana", "aspect_ratio": "16:9", "seed": 4,
                                       "num_outputs": 1, "output_format": "png"}}
    assert Image.open(dest).size == (1280, 720)
    assert flagged.value.policy and not (tmp_path / "b.png").exists()


def test_factory_keys_and_configured_models(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    assert available_image_providers() == ["card", "fal", "openai", "replicate"]
    for name, env in (("openai", "OPENAI_API_KEY"), ("fal", "FAL_KEY"),
                      ("replicate", "REPLICATE_API_TOKEN")):
        with pytest.raises(DirectorError, match=env):
            make_image_provider(name, tmp_path)
    with pytest.raises(DirectorError, match="unknown"):
        make_image_provider("midjourney", tmp_path)
    monkeypatch.setenv("FAL_KEY", "fal-secret-value")
    monkeypatch.setenv("FAL_IMAGE_ENDPOINT", "fal-ai/flux/dev")
    provider = make_image_provider("fal", tmp_path)
    assert provider.model.api_name == "fal-ai/flux/dev" and not provider.model.verified
    assert "fal-secret-value" not in repr(provider) + repr(vars(provider))

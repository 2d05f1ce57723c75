"""The Replicate adapter against a loopback Replicate API: inputs, statuses, failures, cancel."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.loopback import still
from fakes.replicate_server import ReplicateFake

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, ShotSegment
from director.tools import catalog
from director.tools.providers import make_provider
from director.tools.providers.http import RetryPolicy
from director.tools.providers.remote import Secret
from director.tools.providers.replicate import ReplicateProvider
from director.tools.qc.probe import probe

TOKEN = "r8_test_token_abcdef"
FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.0)


def request(model: str = "kling-v3-std", **update: object) -> GenerationRequest:
    spec = catalog.get(model)
    aspect = str(update.get("aspect_ratio", "16:9"))
    width, height = next(iter(spec.resolutions.values()))[aspect]
    fields: dict[str, object] = {
        "shot_index": 1, "model": spec.id, "provider": "replicate",
        "prompt": "A barista pours milk into a cup, slow dolly-in, 85mm lens, window light.",
        "duration_s": 4.0, "width": width, "height": height,
    }
    fields.update(update)
    return GenerationRequest.model_validate(fields)


@pytest.fixture
def rep():
    with ReplicateFake(TOKEN) as fake:
        yield fake


def adapter(fake: ReplicateFake, tmp_path: Path, token: str = TOKEN) -> ReplicateProvider:
    return ReplicateProvider(tmp_path / "tasks", token=Secret(token, "REPLICATE_API_TOKEN"),
                             base=fake.base_url, policy=FAST, poll_policy=FAST)


async def until_done(provider: ReplicateProvider, ref) -> list:
    seen = []
    for _ in range(20):
        seen.append(await provider.poll(ref))
        if seen[-1].state in ("succeeded", "failed"):
            return seen
    raise AssertionError(seen)


def test_silent_text_to_video_end_to_end(rep: ReplicateFake, tmp_path: Path) -> None:
    provider = adapter(rep, tmp_path)
    req = request(negative_prompt="blur")

    async def go():
        ref = await provider.submit(req, "proj-s01-a1")
        seen = await until_done(provider, ref)
        return ref, seen, await provider.download(ref, seen[-1], tmp_path / "take.mp4")

    ref, seen, dest = asyncio.run(go())
    (create,) = rep.routed("create")
    assert create.path == "/v1/models/kwaivgi/kling-v3-video/predictions"
    assert create.headers["authorization"] == f"Bearer {TOKEN}"
    assert create.json() == {"input": {
        "prompt": req.prompt, "duration": 4, "negative_prompt": "blur", "aspect_ratio": "16:9",
        "mode": "standard", "generate_audio": False,
    }}
    assert [s.state for s in seen] == ["queued", "running", "succeeded"]
    assert {r.path for r in rep.routed("poll")} == {f"/v1/predictions/{ref.task_id}"}
    assert ref.urls["cancel"].endswith(f"/v1/predictions/{ref.task_id}/cancel")
    assert ref.idempotency_key == "proj-s01-a1"
    report = probe(dest, req)
    assert report.passed, report.findings


def test_duration_is_an_integer_and_audio_follows_the_request(rep: ReplicateFake,
                                                              tmp_path: Path) -> None:
    provider = adapter(rep, tmp_path)
    frame = tmp_path / "first.jpg"
    frame.write_bytes(still(160, 90, "jpeg"))

    async def go():
        await provider.submit(request("kling-v2-6-pro", duration_s=10.0, audio=True), "a")
        await provider.submit(request("kling-v3-pro", first_frame=str(frame),
                                      last_frame=str(frame), duration_s=7.0), "b")
        await provider.submit(request("kling-v2-1-pro", first_frame=str(frame),
                                      duration_s=5.0), "c")

    asyncio.run(go())
    v26, v3, v21 = (r.json()["input"] for r in rep.routed("create"))
    assert v26["duration"] == 10 and v26["generate_audio"] is True and "mode" not in v26
    assert v3["duration"] == 7 and v3["mode"] == "pro" and "aspect_ratio" not in v3
    assert v3["start_image"].startswith("data:image/jpeg;base64,") and v3["end_image"]
    assert "generate_audio" not in v21 and v21["mode"] == "pro"
    assert [r.path.split("/")[4] for r in rep.routed("create")] == [
        "kling-v2.6", "kling-v3-video", "kling-v2.1"]


def test_unsupported_inputs_are_refused_before_a_request(rep: ReplicateFake,
                                                         tmp_path: Path) -> None:
    provider = adapter(rep, tmp_path)
    frame = tmp_path / "f.png"
    frame.write_bytes(still())
    with pytest.raises(ProviderError, match="kling-v2-6-pro cannot take last_frame"):
        asyncio.run(provider.submit(request("kling-v2-6-pro", duration_s=5.0,
                                            first_frame=str(frame), last_frame=str(frame)), "a"))
    with pytest.raises(ProviderError, match="multi_prompt"):
        asyncio.run(provider.submit(request(duration_s=5.0, prompt="", multi_prompt=[
            ShotSegment(prompt="a", duration_s=2), ShotSegment(prompt="b", duration_s=3)]), "b"))
    with pytest.raises(ProviderError, match="kling-v2-1-std"):
        asyncio.run(provider.submit(request("kling-v2-1-std", duration_s=5.0), "c"))  # no image
    assert rep.requests == []


def test_retries_rate_limits_and_server_errors(rep: ReplicateFake, tmp_path: Path) -> None:
    rep.fail("create", 429, {"title": "Too many requests", "status": 429, "detail": "slow down"},
             times=3, headers={"retry-after": "0"})
    rep.fail("poll", 502, {"detail": "bad gateway"})
    rep.drop("poll")
    provider = adapter(rep, tmp_path)

    async def go():
        return await until_done(provider, await provider.submit(request(), "k"))

    assert asyncio.run(go())[-1].state == "succeeded"
    assert len(rep.routed("create")) == 4


def test_persistent_rate_limit_is_a_retryable_error(rep: ReplicateFake, tmp_path: Path) -> None:
    rep.fail("create", 429, {"detail": "slow down"}, times=10, headers={"retry-after": "0"})
    with pytest.raises(ProviderError) as caught:
        asyncio.run(adapter(rep, tmp_path).submit(request(), "k"))
    assert caught.value.retryable and "HTTP 429" in str(caught.value)
    assert len(rep.routed("create")) == FAST.attempts


def test_failed_and_flagged_predictions(rep: ReplicateFake, tmp_path: Path) -> None:
    rep.fail_next_task("CUDA out of memory")
    rep.fail_next_task("The input or output was flagged as sensitive. Please try again (E005)")
    provider = adapter(rep, tmp_path)

    async def go():
        a = await until_done(provider, await provider.submit(request(), "a"))
        b = await until_done(provider, await provider.submit(request(), "b"))
        return a[-1], b[-1]

    crashed, flagged = asyncio.run(go())
    assert crashed.state == "failed" and "CUDA out of memory" in crashed.error
    assert flagged.state == "failed" and flagged.error.startswith("content policy:")
    assert flagged.policy and not crashed.policy


def test_bad_token_and_validation_errors(rep: ReplicateFake, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as denied:
        asyncio.run(adapter(rep, tmp_path, token="r8_wrong").submit(request(), "a"))
    message = str(denied.value)
    assert "$REPLICATE_API_TOKEN" in message and "r8_wrong" not in message
    assert not denied.value.retryable
    rep.fail("create", 422, {"title": "Input validation failed", "status": 422,
                             "detail": "input.duration: expected int"})
    with pytest.raises(ProviderError, match=r"input\.duration") as invalid:
        asyncio.run(adapter(rep, tmp_path).submit(request(), "b"))
    assert not invalid.value.retryable


def test_idempotency_and_cancel(rep: ReplicateFake, tmp_path: Path) -> None:
    provider = adapter(rep, tmp_path)

    async def go():
        ref = await provider.submit(request(), "same")
        again = await adapter(rep, tmp_path).submit(request(), "same")
        cancelled = await provider.cancel(ref)
        status = await provider.poll(ref)
        return ref, again, cancelled, status, await provider.cancel(ref)

    ref, again, cancelled, status, twice = asyncio.run(go())
    assert ref == again and len(rep.routed("create")) == 1
    assert cancelled and status.state == "failed" and "canceled" in status.error
    assert not twice and len(rep.routed("cancel")) == 1


def test_factory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(DirectorError, match="REPLICATE_API_TOKEN"):
        make_provider("replicate", tmp_path)
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    provider = make_provider("replicate", tmp_path)
    assert provider.name == "replicate" and TOKEN not in repr(provider)
    assert TOKEN not in repr(vars(provider)) and "api.replicate.com" in repr(provider)


def test_check_is_one_authenticated_call(rep: ReplicateFake, tmp_path: Path) -> None:
    assert "fake-user" in asyncio.run(adapter(rep, tmp_path).check())
    with pytest.raises(ProviderError, match=r"\$REPLICATE_API_TOKEN"):
        asyncio.run(adapter(rep, tmp_path, token="r8_bad").check())
    assert [r.path for r in rep.requests] == ["/v1/account"] * 2 and not rep.predictions


def test_create_answered_by_a_proxy_page_is_not_sent_again(rep: ReplicateFake,
                                                           tmp_path: Path) -> None:
    rep.page("create", 504, times=4)
    with pytest.raises(ProviderError, match="may have started") as caught:
        asyncio.run(adapter(rep, tmp_path).submit(request(), "k"))
    assert not caught.value.retryable and "<" not in str(caught.value)
    assert len(rep.routed("create")) == 1


def test_urls_on_the_upstream_host_are_followed_on_the_configured_one(rep: ReplicateFake,
                                                                       tmp_path: Path) -> None:
    rep.public_base = "https://api.replicate.com"
    provider = adapter(rep, tmp_path)

    async def go():
        ref = await provider.submit(request(), "k")
        return ref, await until_done(provider, ref)

    ref, seen = asyncio.run(go())
    assert seen[-1].state == "succeeded" and len(rep.routed("create")) == 1
    assert all(url.startswith(rep.base_url) for url in ref.urls.values())

"""The fal adapter against a loopback fal queue: the requests it sends, every status, failures."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path

import pytest
from fakes.fal_server import FalFake
from fakes.loopback import still

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, ShotSegment
from director.tools import catalog
from director.tools.providers import make_provider
from director.tools.providers.fal import FalProvider, make_fal
from director.tools.providers.http import RetryPolicy, make_client
from director.tools.providers.remote import Secret
from director.tools.qc.probe import probe

KEY = "fal-test-key-0123456789"
FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.0)


def request(model: str = "kling-v3-std", **update: object) -> GenerationRequest:
    spec = catalog.get(model)
    aspect = str(update.get("aspect_ratio", "16:9"))
    width, height = next(iter(spec.resolutions.values()))[aspect]
    fields: dict[str, object] = {
        "shot_index": 0, "model": spec.id, "provider": "fal",
        "prompt": "A barista pours milk into a cup, slow dolly-in, 85mm lens, window light.",
        "duration_s": 4.0, "width": width, "height": height,
    }
    fields.update(update)
    return GenerationRequest.model_validate(fields)


@pytest.fixture
def fal():
    with FalFake(KEY) as fake:
        yield fake


def adapter(fake: FalFake, tmp_path: Path, **kw: object) -> FalProvider:
    return FalProvider(tmp_path / "tasks", key=Secret(KEY, "FAL_KEY"), base=fake.base_url,
                       policy=FAST, poll_policy=FAST, **kw)


async def until_done(provider: FalProvider, ref) -> list:
    seen = []
    for _ in range(20):
        status = await provider.poll(ref)
        seen.append(status)
        if status.state in ("succeeded", "failed"):
            return seen
    raise AssertionError(f"never finished: {seen}")


def test_silent_text_to_video_end_to_end(fal: FalFake, tmp_path: Path) -> None:
    provider = adapter(fal, tmp_path)
    req = request(negative_prompt="text, watermark")

    async def go():
        ref = await provider.submit(req, "proj-s00-a1")
        seen = await until_done(provider, ref)
        dest = await provider.download(ref, seen[-1], tmp_path / "take.mp4")
        return ref, seen, dest

    ref, seen, dest = asyncio.run(go())
    (submit,) = fal.routed("submit")
    assert submit.method == "POST"
    assert submit.path == "/fal-ai/kling-video/v3/standard/text-to-video"
    assert submit.headers["authorization"] == f"Key {KEY}"
    assert submit.json() == {
        "prompt": req.prompt, "duration": "4", "aspect_ratio": "16:9",
        "generate_audio": False, "negative_prompt": "text, watermark",
    }
    # Status and result follow the URLs fal returned: {owner}/{app} only.
    assert [r.path for r in fal.routed("status")] == [f"/fal-ai/kling-video/requests/{ref.task_id}"
                                                      "/status"] * 3
    assert [s.state for s in seen] == ["queued", "running", "succeeded"]
    assert fal.routed("result")[0].path == f"/fal-ai/kling-video/requests/{ref.task_id}"
    assert ref.urls["cancel"].endswith(f"/requests/{ref.task_id}/cancel")
    assert ref.idempotency_key == "proj-s00-a1" and ref.provider == "fal"
    report = probe(dest, req)
    assert report.passed, report.findings
    assert not [p for p in dest.parent.iterdir() if p.name.startswith(".")]


def test_audio_image_to_video_and_multi_shot_bodies(fal: FalFake, tmp_path: Path) -> None:
    provider = adapter(fal, tmp_path)
    frame = tmp_path / "first.png"
    frame.write_bytes(still(320, 180))
    i2v = request("kling-v3-pro", audio=True, first_frame=str(frame), duration_s=5.0)
    multi = request("kling-v2-6-pro", duration_s=10.0, aspect_ratio="9:16")
    v3_multi = request("kling-v3-std", duration_s=5.0, prompt="",
                       multi_prompt=[ShotSegment(prompt="A boat", duration_s=2),
                                     ShotSegment(prompt="A gutter", duration_s=3)])

    async def go():
        await provider.submit(i2v, "k1")
        await provider.submit(multi, "k2")
        await provider.submit(v3_multi, "k3")

    asyncio.run(go())
    first, second, third = fal.routed("submit")
    assert first.path == "/fal-ai/kling-video/v3/pro/image-to-video"
    body = first.json()
    assert body["generate_audio"] is True and "aspect_ratio" not in body
    assert body["start_image_url"].startswith("data:image/png;base64,")
    assert base64.b64decode(body["start_image_url"].split(",", 1)[1]) == frame.read_bytes()
    assert second.path == "/fal-ai/kling-video/v2.6/pro/text-to-video"
    assert second.json()["duration"] == "10" and second.json()["aspect_ratio"] == "9:16"
    assert second.json()["generate_audio"] is False
    assert third.json()["multi_prompt"] == [{"prompt": "A boat", "duration": "2"},
                                            {"prompt": "A gutter", "duration": "3"}]
    assert third.json()["shot_type"] == "customize" and "prompt" not in third.json()


def test_same_idempotency_key_submits_once(fal: FalFake, tmp_path: Path) -> None:
    async def go():
        a = await adapter(fal, tmp_path).submit(request(), "proj-s01-a1")
        # A new adapter (a restarted process) still finds the recorded task.
        b = await adapter(fal, tmp_path).submit(request(), "proj-s01-a1")
        return a, b

    a, b = asyncio.run(go())
    assert a == b and len(fal.routed("submit")) == 1


def test_rate_limit_burst_and_server_errors_are_retried(fal: FalFake, tmp_path: Path) -> None:
    fal.fail("submit", 429, {"detail": "rate limited"}, times=2, headers={"retry-after": "0"})
    fal.fail("status", 503, {"detail": "busy"}, times=1)
    fal.drop("status")
    provider = adapter(fal, tmp_path)

    async def go():
        ref = await provider.submit(request(), "k")
        return await until_done(provider, ref)

    seen = asyncio.run(go())
    assert seen[-1].state == "succeeded"
    assert len(fal.routed("submit")) == 3


def test_a_dropped_submit_is_not_sent_twice(fal: FalFake, tmp_path: Path) -> None:
    fal.drop("submit")
    with pytest.raises(ProviderError):
        asyncio.run(adapter(fal, tmp_path).submit(request(), "k"))
    assert len(fal.routed("submit")) == 1  # it may have been received: never pay twice


def test_slow_status_times_out_then_recovers(fal: FalFake, tmp_path: Path) -> None:
    fal.slow("status", 2.0)  # far past the timeout, so a busy machine cannot blur the two
    provider = adapter(fal, tmp_path, client_factory=lambda: make_client(timeout=1.0))

    async def go():
        ref = await provider.submit(request(), "k")
        return await until_done(provider, ref)

    assert asyncio.run(go())[-1].state == "succeeded"
    assert len(fal.routed("status")) == 4  # the slow one, its retry, then two more steps


def test_failed_and_policy_tasks(fal: FalFake, tmp_path: Path) -> None:
    fal.fail_next_task("GPU worker lost", "internal_server_error")
    fal.fail_next_task("The prompt was flagged", "content_policy_violation")
    provider = adapter(fal, tmp_path)

    async def go():
        a = await until_done(provider, await provider.submit(request(), "a"))
        b = await until_done(provider, await provider.submit(request(), "b"))
        return a[-1], b[-1]

    crashed, refused = asyncio.run(go())
    assert crashed.state == "failed" and crashed.retryable and "GPU worker lost" in crashed.error
    assert refused.state == "failed" and not refused.retryable and refused.policy
    assert "content policy" in refused.error and not crashed.policy


def test_validation_and_auth_errors_are_final_and_keyless(fal: FalFake, tmp_path: Path) -> None:
    fal.fail("submit", 422, {"detail": [{"loc": ["body", "duration"], "msg": "bad duration",
                                         "type": "value_error"}]})
    with pytest.raises(ProviderError) as bad:
        asyncio.run(adapter(fal, tmp_path).submit(request(), "a"))
    assert not bad.value.retryable and "duration: bad duration" in str(bad.value)

    wrong = FalProvider(tmp_path, key=Secret("not-the-key", "FAL_KEY"), base=fal.base_url,
                        policy=FAST)
    with pytest.raises(ProviderError) as denied:
        asyncio.run(wrong.submit(request(), "b"))
    assert "$FAL_KEY" in str(denied.value) and "not-the-key" not in str(denied.value)
    assert not denied.value.retryable
    assert KEY not in repr(adapter(fal, tmp_path)) and "not-the-key" not in repr(wrong)


def test_guards_refuse_before_any_request(fal: FalFake, tmp_path: Path) -> None:
    provider = adapter(fal, tmp_path)
    frame = tmp_path / "f.png"
    frame.write_bytes(still())
    bad = request("kling-v2-6-pro", duration_s=5.0, audio=True, first_frame=str(frame),
                  last_frame=str(frame))
    with pytest.raises(ProviderError, match="kling-v2-6-pro cannot take last_frame"):
        asyncio.run(provider.submit(bad, "k"))
    with pytest.raises(ProviderError, match="element_images"):
        asyncio.run(provider.submit(request(first_frame=str(frame),
                                            element_images=[str(frame)]), "k2"))
    assert fal.requests == []


def test_truncated_download_is_retried_and_never_left_half(fal: FalFake, tmp_path: Path) -> None:
    provider = adapter(fal, tmp_path)
    req = request()

    async def go(dest: Path):
        ref = await provider.submit(req, str(dest))
        status = (await until_done(provider, ref))[-1]
        return await provider.download(ref, status, dest)

    fal.truncate("media")
    good = asyncio.run(go(tmp_path / "a.mp4"))
    assert probe(good, req).passed and len(fal.routed("media")) == 2

    fal.truncate("media", times=10)
    with pytest.raises(ProviderError):
        asyncio.run(go(tmp_path / "b.mp4"))
    assert not (tmp_path / "b.mp4").exists()


def test_cancel_uses_the_returned_url(fal: FalFake, tmp_path: Path) -> None:
    provider = adapter(fal, tmp_path)

    async def go():
        ref = await provider.submit(request(), "k")
        cancelled = await provider.cancel(ref)
        status = await provider.poll(ref)
        done = await provider.submit(request(), "k2")
        await until_done(provider, done)
        return cancelled, status, await provider.cancel(done)

    cancelled, status, late = asyncio.run(go())
    assert cancelled and status.state == "failed" and not late
    assert all(r.method == "PUT" for r in fal.routed("cancel"))


def test_factory_reads_key_and_base(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(DirectorError, match="FAL_KEY"):
        make_provider("fal", tmp_path)
    monkeypatch.setenv("FAL_KEY", KEY)
    monkeypatch.setenv("FAL_QUEUE_BASE", "http://queue.example.com")
    with pytest.raises(DirectorError, match="FAL_QUEUE_BASE"):
        make_fal(tmp_path)  # a key never travels over plain http to a remote host
    monkeypatch.setenv("FAL_QUEUE_BASE", "http://127.0.0.1:9/")
    provider = make_provider("fal", tmp_path)
    assert provider.name == "fal" and KEY not in repr(provider.__dict__)


def test_client_is_rebuilt_per_event_loop(fal: FalFake, tmp_path: Path) -> None:
    provider = adapter(fal, tmp_path)
    ref = asyncio.run(provider.submit(request(), "k"))
    # A second event loop (the CLI runs one per step) must not reuse the first loop's client.
    assert asyncio.run(provider.poll(ref)).state == "queued"
    assert asyncio.run(provider.poll(ref)).state == "running"


@pytest.mark.parametrize("status", [500, 502, 504])
def test_submit_answered_by_a_server_error_is_not_sent_again(fal: FalFake, tmp_path: Path,
                                                             status: int) -> None:
    fal.page("submit", status, times=4)
    with pytest.raises(ProviderError, match="may have started") as caught:
        asyncio.run(adapter(fal, tmp_path).submit(request(), "k"))
    assert not caught.value.retryable and "<" not in str(caught.value)
    assert len(fal.routed("submit")) == 1  # it may have been queued: never pay twice


def test_a_proxy_page_on_status_is_polled_again(fal: FalFake, tmp_path: Path) -> None:
    provider = adapter(fal, tmp_path)
    ref = asyncio.run(provider.submit(request(), "k"))
    fal.page("status", 502, times=FAST.attempts)
    with pytest.raises(ProviderError) as caught:
        asyncio.run(provider.poll(ref))
    assert caught.value.retryable and "502" in str(caught.value) and "<" not in str(caught.value)
    assert asyncio.run(provider.poll(ref)).state == "queued"


def test_urls_on_the_upstream_host_are_followed_on_the_configured_one(fal: FalFake,
                                                                       tmp_path: Path) -> None:
    """Behind a gateway (FAL_QUEUE_BASE) fal's answers name queue.fal.run: the paid request is
    kept and followed on the gateway, and the key never goes to the upstream host."""
    fal.public_base = "https://queue.fal.run"
    provider = adapter(fal, tmp_path)

    async def go():
        ref = await provider.submit(request(), "k")
        return ref, await until_done(provider, ref)

    ref, seen = asyncio.run(go())
    assert seen[-1].state == "succeeded" and len(fal.routed("submit")) == 1
    assert all(url.startswith(fal.base_url) for url in ref.urls.values())

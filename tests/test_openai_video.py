"""The Sora 2 adapter over the openai SDK against a loopback OpenAI API."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import openai
import pytest
from fakes.loopback import still
from fakes.openai_server import OpenAIFake
from PIL import Image

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest
from director.tools import catalog
from director.tools.providers import make_provider
from director.tools.providers.http import RetryPolicy
from director.tools.providers.openai_video import OpenAIVideoProvider
from director.tools.qc.probe import probe

KEY = "sk-test-0123456789abcdef"
FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.0)


def request(model: str = "sora-2", **update: object) -> GenerationRequest:
    spec = catalog.get(model)
    aspect = str(update.get("aspect_ratio", "16:9"))
    width, height = next(iter(spec.resolutions.values()))[aspect]
    fields: dict[str, object] = {
        "shot_index": 2, "model": spec.id, "provider": "openai",
        "prompt": "A barista pours milk into a cup, slow dolly-in, 85mm lens, window light.",
        "duration_s": 4.0, "width": width, "height": height,
    }
    fields.update(update)
    return GenerationRequest.model_validate(fields)


@pytest.fixture
def oai():
    with OpenAIFake(KEY) as fake:
        yield fake


def adapter(fake: OpenAIFake, tmp_path: Path, key: str = KEY, **kw) -> OpenAIVideoProvider:
    def client() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=key, base_url=fake.api_base, max_retries=0,
                                  timeout=kw.pop("timeout", 10.0))

    return OpenAIVideoProvider(tmp_path / "tasks", client_factory=client, policy=FAST,
                               poll_policy=FAST)


async def until_done(provider: OpenAIVideoProvider, ref) -> list:
    seen = []
    for _ in range(20):
        seen.append(await provider.poll(ref))
        if seen[-1].state in ("succeeded", "failed"):
            return seen
    raise AssertionError(seen)


def test_text_to_video_end_to_end(oai: OpenAIFake, tmp_path: Path) -> None:
    provider = adapter(oai, tmp_path)
    req = request()

    async def go():
        ref = await provider.submit(req, "proj-s02-a1")
        seen = await until_done(provider, ref)
        return ref, seen, await provider.download(ref, seen[-1], tmp_path / "take.mp4")

    ref, seen, dest = asyncio.run(go())
    (create,) = oai.routed("create")
    assert create.headers["authorization"] == f"Bearer {KEY}"
    assert create.headers["content-type"].startswith("multipart/form-data")
    assert create.form() == {"prompt": req.prompt, "model": "sora-2", "seconds": "4",
                             "size": "1280x720"}
    assert [s.state for s in seen] == ["queued", "running", "succeeded"]
    assert [r.path for r in oai.routed("retrieve")] == [f"/v1/videos/{ref.task_id}"] * 3
    (content,) = oai.routed("content")
    assert content.query == {"variant": "video"}
    assert ref.idempotency_key == "proj-s02-a1" and ref.task_id.startswith("video_")
    report = probe(dest, req)
    assert report.passed, report.findings


def test_pro_sizes_and_a_fitted_first_frame(oai: OpenAIFake, tmp_path: Path) -> None:
    provider = adapter(oai, tmp_path)
    frame = tmp_path / "ref.png"
    frame.write_bytes(still(400, 300))  # a different shape: sent fitted to the output size
    req = request("sora-2-pro", aspect_ratio="9:16", duration_s=12.0, first_frame=str(frame),
                  width=1024, height=1792)
    url_req = request("sora-2", duration_s=8.0, first_frame="https://cdn.example.com/ref.png")

    async def go():
        await provider.submit(req, "a")
        await provider.submit(url_req, "b")

    asyncio.run(go())
    pro, by_url = (r.form() for r in oai.routed("create"))
    assert pro["model"] == "sora-2-pro" and pro["seconds"] == "12" and pro["size"] == "1024x1792"
    _, data, mime = pro["input_reference"]
    assert mime == "image/png" and Image.open(io.BytesIO(data)).size == (1024, 1792)
    assert by_url["input_reference[image_url]"] == "https://cdn.example.com/ref.png"
    assert by_url["seconds"] == "8"


def test_guards_and_unsupported_fields_send_nothing(oai: OpenAIFake, tmp_path: Path) -> None:
    provider = adapter(oai, tmp_path)
    with pytest.raises(ProviderError, match="sora-2 cannot take duration_s"):
        asyncio.run(provider.submit(request(duration_s=5.0), "a"))
    with pytest.raises(ProviderError, match="sora-2 cannot take width/height"):
        asyncio.run(provider.submit(request(width=1792, height=1024), "b"))
    with pytest.raises(ProviderError, match="last_frame"):
        asyncio.run(provider.submit(request(last_frame=str(tmp_path / "x.png")), "c"))
    assert oai.requests == []


def test_rate_limits_retry_but_exhausted_quota_does_not(oai: OpenAIFake, tmp_path: Path) -> None:
    oai.fail("create", 429, {"error": {"message": "Rate limit reached", "type": "requests",
                                       "param": None, "code": "rate_limit_exceeded"}},
             times=2, headers={"retry-after-ms": "5"})
    oai.fail("retrieve", 500, {"error": {"message": "boom", "type": "server_error",
                                         "param": None, "code": None}})
    provider = adapter(oai, tmp_path)

    async def go():
        return await until_done(provider, await provider.submit(request(), "k"))

    assert asyncio.run(go())[-1].state == "succeeded"
    assert len(oai.routed("create")) == 3

    oai.fail("create", 429, {"error": {"message": "You exceeded your current quota",
                                       "type": "insufficient_quota", "param": None,
                                       "code": "insufficient_quota"}})
    with pytest.raises(ProviderError, match="insufficient_quota") as quota:
        asyncio.run(provider.submit(request(), "k2"))
    assert not quota.value.retryable and len(oai.routed("create")) == 4


def test_a_create_cut_off_after_sending_is_not_repeated(oai: OpenAIFake, tmp_path: Path) -> None:
    oai.drop("create")
    with pytest.raises(ProviderError, match="not sent again") as caught:
        asyncio.run(adapter(oai, tmp_path).submit(request(), "k"))
    assert not caught.value.retryable and len(oai.routed("create")) == 1


def test_moderation_and_failed_jobs(oai: OpenAIFake, tmp_path: Path) -> None:
    provider = adapter(oai, tmp_path)
    with pytest.raises(ProviderError) as blocked:
        asyncio.run(provider.submit(request(prompt="a moderation test prompt"), "a"))
    assert blocked.value.policy and not blocked.value.retryable

    oai.fail_next_task("moderation_blocked", "The output was blocked by moderation")
    oai.fail_next_task("internal_error", "Video generation failed")

    async def go():
        a = await until_done(provider, await provider.submit(request(), "b"))
        b = await until_done(provider, await provider.submit(request(), "c"))
        return a[-1], b[-1]

    refused, failed = asyncio.run(go())
    assert refused.state == "failed" and refused.error.startswith("content policy:")
    assert refused.policy and not failed.policy
    assert failed.state == "failed" and "internal_error" in failed.error


def test_bad_key_is_named_not_shown(oai: OpenAIFake, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as denied:
        asyncio.run(adapter(oai, tmp_path, key="sk-wrong-key").submit(request(), "a"))
    assert "$OPENAI_API_KEY" in str(denied.value) and "sk-wrong" not in str(denied.value)
    assert not denied.value.retryable


def test_truncated_download_retries_then_gives_up_cleanly(oai: OpenAIFake,
                                                          tmp_path: Path) -> None:
    provider = adapter(oai, tmp_path)
    req = request()

    async def go(dest: Path):
        ref = await provider.submit(req, dest.name)
        status = (await until_done(provider, ref))[-1]
        return await provider.download(ref, status, dest)

    oai.truncate("content")
    assert probe(asyncio.run(go(tmp_path / "a.mp4")), req).passed
    oai.truncate("content", times=10)
    with pytest.raises(ProviderError) as caught:
        asyncio.run(go(tmp_path / "b.mp4"))
    assert caught.value.retryable
    assert not (tmp_path / "b.mp4").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_remix_and_idempotency(oai: OpenAIFake, tmp_path: Path) -> None:
    provider = adapter(oai, tmp_path)

    async def go():
        ref = await provider.submit(request(), "k")
        again = await adapter(oai, tmp_path).submit(request(), "k")
        await until_done(provider, ref)
        remix = await provider.remix(ref, "Same shot, warmer 3200K key light.", "k-remix")
        return ref, again, remix, await until_done(provider, remix)

    ref, again, remix, seen = asyncio.run(go())
    assert ref == again and len(oai.routed("create")) == 1
    (call,) = oai.routed("remix")
    assert call.path == f"/v1/videos/{ref.task_id}/remix"
    assert call.json() == {"prompt": "Same shot, warmer 3200K key light."}
    assert remix.task_id != ref.task_id and seen[-1].state == "succeeded"
    assert oai.videos[remix.task_id].remixed_from == ref.task_id


def test_factory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(DirectorError, match="OPENAI_API_KEY"):
        make_provider("openai", tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://gateway.example.com/v1")
    with pytest.raises(DirectorError, match="OPENAI_BASE_URL"):
        make_provider("openai", tmp_path)
    monkeypatch.delenv("OPENAI_BASE_URL")
    provider = make_provider("openai", tmp_path)
    assert provider.name == "openai" and KEY not in repr(provider)
    assert KEY not in repr(vars(provider))


def test_check_lists_models_without_rendering(oai: OpenAIFake, tmp_path: Path) -> None:
    assert "sora-2, sora-2-pro" in asyncio.run(adapter(oai, tmp_path).check())
    assert [r.path for r in oai.requests] == ["/v1/models"] and not oai.videos


def test_a_create_answered_500_is_not_repeated_but_503_is(oai: OpenAIFake,
                                                          tmp_path: Path) -> None:
    oai.fail("create", 500, {"error": {"message": "The server had an error",
                                       "type": "server_error", "param": None, "code": None}})
    with pytest.raises(ProviderError, match="may have started") as caught:
        asyncio.run(adapter(oai, tmp_path).submit(request(), "a"))
    assert not caught.value.retryable and len(oai.routed("create")) == 1
    oai.page("create", 503)
    ref = asyncio.run(adapter(oai, tmp_path).submit(request(), "b"))
    assert ref.task_id in oai.videos and len(oai.routed("create")) == 3

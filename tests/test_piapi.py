"""The PiAPI adapter against a loopback PiAPI: documented body, statuses, errors, idempotency."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import av
import pytest
from fakes.piapi_server import PiAPIFake
from fakes.scripted import Fault

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, TaskRef, TaskStatus
from director.tools import catalog
from director.tools.providers import make_provider
from director.tools.providers.http import RetryPolicy
from director.tools.providers.piapi import PiAPIProvider, piapi_from_env

T = TypeVar("T")
FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.01)
KEY = "boat-s01-a2"


@pytest.fixture
def fake() -> Iterator[PiAPIFake]:
    server = PiAPIFake()
    server.start()
    yield server
    server.stop()


def provider(fake: PiAPIFake, work: Path, **kw: Any) -> PiAPIProvider:
    return PiAPIProvider(work, api_key=fake.api_key, base_url=fake.url, retry=FAST,
                         poll_retry=FAST, **kw)


def req(model: str = "kling-v2-6-std", **update: object) -> GenerationRequest:
    spec = catalog.get(model)
    width, height = next(iter(spec.resolutions.values()))["9:16"]
    fields: dict[str, object] = {
        "shot_index": 1, "attempt": 2, "model": spec.id, "provider": "piapi",
        "aspect_ratio": "9:16", "width": width, "height": height, "duration_s": 5.0,
        "prompt": "A runner crosses a wet street at night, slow pan left, 85mm, key light from "
                  "camera-right, 3200K sodium lamps.",
    }
    fields.update(update)
    return GenerationRequest.model_validate(fields)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def until_done(p: PiAPIProvider, ref: TaskRef) -> tuple[list[str], TaskStatus]:
    states = []
    for _ in range(20):
        status = await p.poll(ref)
        states.append(status.state)
        if status.state in ("succeeded", "failed"):
            return states, status
    raise AssertionError(states)


def test_end_to_end_with_the_documented_body(fake: PiAPIFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)

    async def go() -> tuple[list[str], Path]:
        ref = await p.submit(req(negative_prompt="text"), KEY)
        states, status = await until_done(p, ref)
        return states, await p.download(ref, status, tmp_path / "take.mp4")

    states, clip = run(go())
    assert states == ["queued", "running", "succeeded"]
    call = fake.calls("create")[0]
    assert call.headers["x-api-key"] == fake.api_key
    assert call.body == {"model": "kling", "task_type": "video_generation", "input": {
        "version": "2.6", "mode": "std", "duration": 5, "aspect_ratio": "9:16",
        "prompt": req().prompt, "negative_prompt": "text"}}
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (720, 1280)
        assert sum(1 for _ in container.decode(stream)) == 120


@pytest.mark.parametrize(
    ("model", "update", "field"),
    [
        ("kling-v3-std", {"duration_s": 5.0}, "provider"),
        ("kling-v2-6-pro", {"audio": True, "width": 1080, "height": 1920}, "audio"),
        ("kling-v2-1-std", {"first_frame": "https://x/f.png"}, "provider"),
    ],
)
def test_undocumented_features_are_refused_before_spending(
    fake: PiAPIFake, tmp_path: Path, model: str, update: dict, field: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        run(provider(fake, tmp_path).submit(req(model, **update), KEY))
    assert model in str(caught.value) and field in str(caught.value)
    assert not caught.value.retryable and fake.requests == []


def test_rate_limits_and_server_errors_are_retried(fake: PiAPIFake, tmp_path: Path) -> None:
    fake.inject("create", Fault.http(429, {"message": "slow down"}, **{"Retry-After": "0"}),
                Fault.http(503, {"message": "busy"}))
    fake.inject("get", Fault.http(500, {"message": "oops"}), Fault.drop())
    p = provider(fake, tmp_path)
    ref = run(p.submit(req(), KEY))
    assert run(p.poll(ref)).state == "queued"
    assert len(fake.calls("create")) == 3 and len(fake.tasks) == 1
    assert len(fake.calls("get")) == 3


def test_a_create_that_may_have_arrived_is_not_resent(fake: PiAPIFake, tmp_path: Path) -> None:
    fake.inject("create", Fault.drop())
    with pytest.raises(ProviderError) as caught:
        run(provider(fake, tmp_path).submit(req(), KEY))
    assert caught.value.retryable and len(fake.calls("create")) == 1


def test_same_key_is_answered_from_the_task_log(fake: PiAPIFake, tmp_path: Path) -> None:
    first = run(provider(fake, tmp_path).submit(req(), KEY))
    again = run(provider(fake, tmp_path).submit(req(), KEY))
    assert first.task_id == again.task_id and len(fake.calls("create")) == 1


def test_bad_key_is_final_and_not_leaked(fake: PiAPIFake, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = PiAPIProvider(tmp_path, api_key="pi-wrong-secret-key", base_url=fake.url, retry=FAST)
    with pytest.raises(ProviderError) as caught:
        run(p.submit(req(), KEY))
    assert "401" in str(caught.value) and "PIAPI_API_KEY" in str(caught.value)
    assert not caught.value.retryable
    for text in (str(caught.value), repr(p), caplog.text):
        assert "pi-wrong-secret-key" not in text


def test_bad_parameters_are_final(fake: PiAPIFake, tmp_path: Path) -> None:
    fake.inject("create", Fault.http(400, {"code": 400, "message": "prompt rejected"}))
    with pytest.raises(ProviderError, match="prompt rejected") as caught:
        run(provider(fake, tmp_path).submit(req(), KEY))
    assert not caught.value.retryable and len(fake.calls("create")) == 1


def test_failed_task_reports_the_reason(fake: PiAPIFake, tmp_path: Path) -> None:
    fake.fail_next_task("content moderation failed")
    p = provider(fake, tmp_path)

    async def go() -> TaskStatus:
        return (await until_done(p, await p.submit(req(), KEY)))[1]

    status = run(go())
    assert status.state == "failed" and "content moderation failed" in status.error
    assert status.policy  # the reviser changes the prompt rather than resubmitting it


def test_truncated_download_is_retried(fake: PiAPIFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)

    async def go() -> Path:
        ref = await p.submit(req(), KEY)
        _, status = await until_done(p, ref)
        fake.inject("file", Fault.truncate(), Fault.truncate())
        return await p.download(ref, status, tmp_path / "take.mp4")

    clip = run(go())
    assert len(fake.calls("file")) == 3
    assert clip.read_bytes() == fake.clip_for(next(iter(fake.tasks.values())))


def test_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DirectorError, match="PIAPI_API_KEY"):
        make_provider("piapi", tmp_path)
    monkeypatch.setenv("PIAPI_API_KEY", "pi-env-key")
    monkeypatch.setenv("PIAPI_API_BASE", "http://127.0.0.1:9")
    p = piapi_from_env(tmp_path)
    assert p.base_url == "http://127.0.0.1:9" and "pi-env-key" not in repr(p)
    assert make_provider("piapi", tmp_path).name == "piapi"
    monkeypatch.setenv("PIAPI_API_BASE", "http://piapi.example")
    with pytest.raises(DirectorError, match="https"):
        piapi_from_env(tmp_path)


def test_create_answered_by_a_gateway_error_is_not_resent(fake: PiAPIFake, tmp_path: Path) -> None:
    fake.inject("create", Fault.after(502, {"message": "bad gateway"}))
    with pytest.raises(ProviderError, match="may have started") as caught:
        run(provider(fake, tmp_path).submit(req(), KEY))
    assert not caught.value.retryable
    assert len(fake.calls("create")) == 1 and len(fake.tasks) == 1  # paid once, not twice


def test_an_envelope_error_under_http_200_is_reported(fake: PiAPIFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)
    ref = run(p.submit(req(), KEY))
    fake.inject("get", Fault.http(200, {"code": 10002, "data": None,
                                        "message": "task is archived"}))
    with pytest.raises(ProviderError, match="task is archived") as caught:
        run(p.poll(ref))
    assert not caught.value.retryable
    fake.inject("create", Fault.http(200, {"code": 10001, "data": None,
                                           "message": "insufficient credits"}))
    with pytest.raises(ProviderError, match="insufficient credits"):
        run(p.submit(req(), KEY + "b"))

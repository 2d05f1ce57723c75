"""The Kling adapter against a loopback Kling: the bodies it sends, auth, retries, idempotency,
error classes, and downloads of real clips."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import av
import jwt
import pytest
from fakes.kling_server import KlingFake
from fakes.scripted import Fault

from director.errors import DirectorError, ProviderError
from director.film import (
    CameraControl,
    GenerationRequest,
    ShotSegment,
    TaskRef,
    TaskStatus,
)
from director.tools import catalog
from director.tools.providers import make_provider
from director.tools.providers.http import RetryPolicy
from director.tools.providers.kling import KlingProvider, kling_from_env
from director.tools.providers.kling_auth import KlingToken

T = TypeVar("T")
FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.01)
KEY = "boat-s00-a1"


@pytest.fixture
def fake() -> Iterator[KlingFake]:
    server = KlingFake(polls_to_finish=3)
    server.start()
    yield server
    server.stop()


def provider(fake: KlingFake, work: Path, **kw: object) -> KlingProvider:
    return KlingProvider(work, access_key=fake.access_key, secret_key=fake.secret_key,
                         base_url=fake.url, retry=kw.pop("retry", FAST),
                         poll_retry=kw.pop("poll_retry", FAST), **kw)  # type: ignore[arg-type]


def req(model: str = "kling-v2-6-std", **update: object) -> GenerationRequest:
    spec = catalog.get(model)
    aspect = str(update.get("aspect_ratio", "16:9"))
    width, height = next(iter(spec.resolutions.values()))[aspect]
    fields: dict[str, object] = {
        "shot_index": 0, "model": spec.id, "provider": "kling", "width": width,
        "height": height, "duration_s": 5.0,
        "prompt": "A paper boat drifts on a puddle, slow dolly-in, 50mm, key light from "
                  "camera-left at 45 degrees, 5600K overcast daylight.",
    }
    fields.update(update)
    return GenerationRequest.model_validate(fields)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def until_done(p: KlingProvider, ref: TaskRef) -> tuple[list[str], TaskStatus]:
    states = []
    for _ in range(20):
        status = await p.poll(ref)
        states.append(status.state)
        if status.state in ("succeeded", "failed"):
            return states, status
    raise AssertionError(f"never finished: {states}")


def png(path: Path, width: int = 640, height: int = 360) -> Path:
    from PIL import Image

    Image.new("RGB", (width, height), (200, 120, 40)).save(path)
    return path


# --- the happy path and the documented body ------------------------------------------------


def test_text_to_video_end_to_end(fake: KlingFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)

    async def go() -> tuple[list[str], Path]:
        ref = await p.submit(req(negative_prompt="text, watermark"), KEY)
        states, status = await until_done(p, ref)
        return states, await p.download(ref, status, tmp_path / "take.mp4")

    states, clip = run(go())
    assert states == ["queued", "running", "succeeded"]
    body = fake.calls("create")[0].body
    assert fake.calls("create")[0].path == "/v1/videos/text2video"
    assert body["model_name"] == "kling-v2-6" and body["mode"] == "std"
    assert body["duration"] == "5" and isinstance(body["duration"], str)
    assert body["aspect_ratio"] == "16:9" and body["negative_prompt"] == "text, watermark"
    assert body["external_task_id"].startswith(KEY + "-")
    assert "sound" not in body and "image" not in body  # v2.6 std is silent
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.width, stream.height) == (1280, 720)
    assert frames == 120  # 5 s at 24 fps


def test_jwt_is_documented_and_cached(fake: KlingFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)
    ref = run(p.submit(req(), KEY))
    run(p.poll(ref))
    tokens = [r.headers["authorization"] for r in fake.requests]
    assert len(set(tokens)) == 1, "one token serves both calls"
    token = tokens[0].removeprefix("Bearer ")
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, fake.secret_key, algorithms=["HS256"])
    assert claims["iss"] == fake.access_key
    assert claims["exp"] - claims["nbf"] == 1805
    assert abs(claims["exp"] - (time.time() + 1800)) < 5


def test_token_refreshes_before_expiry() -> None:
    now = [1_000_000.0]
    token = KlingToken("ak", "sk" * 16, clock=lambda: now[0])
    first = token.header()
    now[0] += 1000
    assert token.header() == first  # still 800 s left
    now[0] += 600  # 200 s left: inside the refresh margin
    second = token.header()
    assert second != first
    claims = jwt.decode(second.split()[1], "sk" * 16, algorithms=["HS256"],
                        options={"verify_exp": False, "verify_nbf": False})
    assert claims["nbf"] == int(now[0]) - 5
    assert "sk" not in repr(token) and "ak" not in repr(token)


def test_image_to_video_sends_raw_base64_frames(fake: KlingFake, tmp_path: Path) -> None:
    first, last = png(tmp_path / "first.png"), png(tmp_path / "last.png")
    p = provider(fake, tmp_path)
    request = req("kling-v2-6-pro", width=1920, height=1080, first_frame=str(first),
                  last_frame=str(last))

    async def go() -> TaskStatus:
        ref = await p.submit(request, KEY)
        assert ref.urls["status"].startswith("/v1/videos/image2video/")
        return (await until_done(p, ref))[1]

    assert run(go()).state == "succeeded"
    call = fake.calls("create")[0]
    assert call.path == "/v1/videos/image2video"
    body = call.body
    assert base64.b64decode(body["image"]) == first.read_bytes()
    assert not body["image"].startswith("data:")
    assert base64.b64decode(body["image_tail"]) == last.read_bytes()
    assert "aspect_ratio" not in body and body["mode"] == "pro" and body["sound"] == "off"
    assert all(q.path.startswith("/v1/videos/image2video/") for q in fake.calls("query"))


def test_multi_shot_body(fake: KlingFake, tmp_path: Path) -> None:
    request = req("kling-v3-pro", width=1920, height=1080, duration_s=7.0, audio=True,
                  aspect_ratio="16:9", multi_prompt=[
                      ShotSegment(prompt="Two friends under a streetlight", duration_s=3),
                      ShotSegment(prompt="A runner in a forest, pan left", duration_s=4)])
    run(provider(fake, tmp_path).submit(request, KEY))
    body = fake.calls("create")[0].body
    assert body["multi_shot"] is True and body["shot_type"] == "customize"
    assert body["multi_prompt"] == [
        {"index": 1, "prompt": "Two friends under a streetlight", "duration": "3"},
        {"index": 2, "prompt": "A runner in a forest, pan left", "duration": "4"},
    ]
    assert body["duration"] == "7" and body["sound"] == "on" and "prompt" not in body


def test_camera_control_body(fake: KlingFake, tmp_path: Path) -> None:
    request = req("kling-v1-std", camera_control=CameraControl(type="simple", zoom=4))
    run(provider(fake, tmp_path).submit(request, KEY))
    control = fake.calls("create")[0].body["camera_control"]
    assert control == {"type": "simple", "config": {"horizontal": 0.0, "vertical": 0.0,
                                                    "pan": 0.0, "tilt": 0.0, "roll": 0.0,
                                                    "zoom": 4.0}}


def test_guard_refuses_before_any_request(fake: KlingFake, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        run(provider(fake, tmp_path).submit(req(last_frame="https://x/t.png"), KEY))
    assert "kling-v2-6-std" in str(caught.value) and "last_frame" in str(caught.value)
    assert fake.requests == []


# --- retries and error classes -------------------------------------------------------------


def _code(status: int, code: int, message: str = "x") -> Fault:
    return Fault.http(status, {"code": code, "message": message, "request_id": "r"})


def test_rate_limit_burst_is_retried_with_retry_after(fake: KlingFake, tmp_path: Path) -> None:
    fake.inject("create", _code(429, 1302), _code(429, 1303))
    fake.inject("create", Fault.http(429, {"code": 1302, "message": "x"}, **{"Retry-After": "0.3"}))
    started = time.monotonic()
    ref = run(provider(fake, tmp_path).submit(req(), KEY))
    assert time.monotonic() - started >= 0.3
    assert len(fake.calls("create")) == 4 and len(fake.tasks) == 1
    assert ref.task_id in fake.tasks


def test_server_errors_on_query_are_retried(fake: KlingFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)
    ref = run(p.submit(req(), KEY))
    fake.inject("query", _code(500, 5000), _code(503, 5001), Fault.drop())
    assert run(p.poll(ref)).state == "queued"
    assert len(fake.calls("query")) == 4


def test_concurrency_over_limit_stays_retryable(fake: KlingFake, tmp_path: Path) -> None:
    fake.inject("create", *[_code(429, 1303, "parallel task over resource pack limit")] * 4)
    with pytest.raises(ProviderError) as caught:
        run(provider(fake, tmp_path).submit(req(), KEY))
    assert caught.value.retryable and "1303" in str(caught.value)
    assert len(fake.calls("create")) == 4 and not fake.tasks


@pytest.mark.parametrize(("status", "code"), [(429, 1102), (403, 1103), (400, 1200)])
def test_final_codes_are_not_retried(fake: KlingFake, tmp_path: Path, status: int,
                                     code: int) -> None:
    fake.inject("create", _code(status, code, "resource pack exhausted"))
    with pytest.raises(ProviderError) as caught:
        run(provider(fake, tmp_path).submit(req(), KEY))
    assert not caught.value.retryable and not caught.value.policy
    assert str(code) in str(caught.value)
    assert len(fake.calls("create")) == 1


def test_content_policy_refusal_is_marked_for_the_reviser(fake: KlingFake, tmp_path: Path) -> None:
    fake.inject("create", _code(400, 1301, "content security policy"))
    with pytest.raises(ProviderError) as caught:
        run(provider(fake, tmp_path).submit(req(), KEY))
    assert caught.value.policy and not caught.value.retryable
    assert "content security policy" in str(caught.value)


def test_failed_task_reports_its_reason(fake: KlingFake, tmp_path: Path) -> None:
    fake.fail_next_task("content risk control")
    p = provider(fake, tmp_path)

    async def go() -> TaskStatus:
        return (await until_done(p, await p.submit(req(), KEY)))[1]

    status = run(go())
    assert status.state == "failed" and "content risk control" in status.error


def test_expired_token_is_re_signed_once(fake: KlingFake, tmp_path: Path) -> None:
    fake.expire_tokens = 1
    ref = run(provider(fake, tmp_path).submit(req(), KEY))
    assert ref.task_id in fake.tasks and len(fake.calls("create")) == 2


def test_bad_keys_fail_once_without_leaking(fake: KlingFake, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "wrong-secret-abcdefghijklmnopqrstuvwxyz"
    p = KlingProvider(tmp_path, access_key="ak-leak-check", secret_key=secret,
                      base_url=fake.url, retry=FAST)
    with pytest.raises(ProviderError) as caught:
        run(p.submit(req(), KEY))
    message = str(caught.value)
    assert "1002" in message and "KLING_SECRET_KEY" in message and not caught.value.retryable
    assert len(fake.calls("create")) == 2  # the first try and one re-signed try
    token = fake.calls("create")[0].headers["authorization"].split()[1]
    for text in (message, repr(p), caplog.text):
        assert secret not in text and "ak-leak-check" not in text and token not in text


# --- idempotency ---------------------------------------------------------------------------


def test_same_key_never_creates_twice(fake: KlingFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)
    first = run(p.submit(req(), KEY))
    again = run(provider(fake, tmp_path).submit(req(), KEY))  # a restarted process
    assert again.task_id == first.task_id and len(fake.calls("create")) == 1


def test_duplicate_external_id_is_answered_by_the_existing_task(fake: KlingFake,
                                                                  tmp_path: Path) -> None:
    first = run(provider(fake, tmp_path).submit(req(), KEY))
    for record in tmp_path.glob("kling-*.task.json"):
        record.unlink()  # killed after Kling answered, before the answer was written down
    again = run(provider(fake, tmp_path).submit(req(), KEY))
    assert again.task_id == first.task_id and len(fake.tasks) == 1
    assert len(fake.calls("create")) == 2 and len(fake.calls("query")) == 1


def test_slow_create_that_times_out_still_makes_one_task(fake: KlingFake, tmp_path: Path) -> None:
    fake.inject("create", Fault.slow(1.5))
    p = provider(fake, tmp_path, timeout=0.5)
    ref = run(p.submit(req(), KEY))
    fake.wait_answered()  # the slow request reaches Kling after its retry: a duplicate
    assert len(fake.tasks) == 1 and ref.task_id in fake.tasks
    assert len(fake.calls("create")) == 2


def test_projects_with_the_same_name_get_distinct_external_ids(fake: KlingFake,
                                                               tmp_path: Path) -> None:
    a = run(provider(fake, tmp_path / "a").submit(req(), KEY))
    b = run(provider(fake, tmp_path / "b").submit(req(), KEY))
    assert a.task_id != b.task_id and len(fake.tasks) == 2


# --- downloads -----------------------------------------------------------------------------


def _finished(fake: KlingFake, p: KlingProvider) -> tuple[TaskRef, TaskStatus]:
    async def go() -> tuple[TaskRef, TaskStatus]:
        ref = await p.submit(req(), KEY)
        return ref, (await until_done(p, ref))[1]

    return run(go())


def test_truncated_download_is_retried(fake: KlingFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)
    ref, status = _finished(fake, p)
    fake.inject("file", Fault.truncate())
    dest = run(p.download(ref, status, tmp_path / "take.mp4"))
    assert dest.stat().st_size == len(fake.clip_for(fake.tasks[ref.task_id]))
    assert len(fake.calls("file")) == 2


def test_download_that_stays_truncated_leaves_nothing(fake: KlingFake, tmp_path: Path) -> None:
    p = provider(fake, tmp_path)
    ref, status = _finished(fake, p)
    fake.inject("file", *[Fault.truncate()] * FAST.attempts)
    dest = tmp_path / "takes" / "take.mp4"
    with pytest.raises(ProviderError) as caught:
        run(p.download(ref, status, dest))
    assert caught.value.retryable
    assert not dest.exists() and not list(dest.parent.glob("*"))


# --- the factory ---------------------------------------------------------------------------


def test_factory_needs_both_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_ACCESS_KEY", "ak")
    with pytest.raises(DirectorError) as caught:
        make_provider("kling", tmp_path)
    assert "KLING_ACCESS_KEY" in str(caught.value) and "KLING_SECRET_KEY" in str(caught.value)


def test_factory_reads_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KLING_ACCESS_KEY", "ak-env")
    monkeypatch.setenv("KLING_SECRET_KEY", "sk-env-secret")
    monkeypatch.setenv("KLING_API_BASE", "http://127.0.0.1:9")
    monkeypatch.setenv("KLING_CONCURRENCY", "5")
    p = kling_from_env(tmp_path)
    assert p.base_url == "http://127.0.0.1:9" and p.max_concurrency == 5
    assert "sk-env-secret" not in repr(p) and "ak-env" not in repr(p)
    assert make_provider("kling", tmp_path).name == "kling"
    monkeypatch.setenv("KLING_API_BASE", "http://api.example.com")
    with pytest.raises(DirectorError, match="https"):
        kling_from_env(tmp_path)


# --- found in review -------------------------------------------------------------------------


def test_failed_task_for_risk_control_is_marked_policy(fake: KlingFake, tmp_path: Path) -> None:
    fake.fail_next_task("Failure to pass the risk control system")
    fake.fail_next_task("internal error, please retry")
    p = provider(fake, tmp_path)

    async def go() -> tuple[TaskStatus, TaskStatus]:
        refused = (await until_done(p, await p.submit(req(), KEY)))[1]
        crashed = (await until_done(p, await p.submit(req(), KEY + "b")))[1]
        return refused, crashed

    refused, crashed = run(go())
    assert refused.state == "failed" and refused.policy and "risk control" in refused.error
    assert crashed.state == "failed" and not crashed.policy


@pytest.mark.parametrize("fault", [
    _code(504, 5002, "timeout"),
    Fault.page(502),
])
def test_create_that_timed_out_behind_the_server_finds_its_task(fake: KlingFake, tmp_path: Path,
                                                                fault: Fault) -> None:
    """Kling made the task but the answer was a timeout (every retry answered the same): the
    adapter asks for the task by its external id instead of reporting a failure."""
    after = Fault.after(fault.status, fault.body, **fault.headers)
    fake.inject("create", after, *[fault] * (FAST.attempts - 1))
    ref = run(provider(fake, tmp_path).submit(req(), KEY))
    assert ref.task_id in fake.tasks and len(fake.tasks) == 1
    assert len(fake.calls("query")) == 1


def test_4k_mode_is_refused_before_any_request(fake: KlingFake, tmp_path: Path) -> None:
    spec = catalog.get("kling-v3-4k")
    width, height = spec.resolutions["2160p"]["16:9"]
    # The catalog does not route 4k to the official API; the guard names model and field.
    with pytest.raises(ProviderError, match=r"kling-v3-4k cannot take provider: 'kling'") as caught:
        run(provider(fake, tmp_path).submit(req("kling-v3-4k", width=width, height=height), KEY))
    assert not caught.value.retryable and fake.requests == []


def test_html_proxy_page_on_query_is_retryable_and_not_pasted(fake: KlingFake,
                                                             tmp_path: Path) -> None:
    p = provider(fake, tmp_path)
    ref = run(p.submit(req(), KEY))
    fake.inject("query", *[Fault.page(502)] * FAST.attempts)
    with pytest.raises(ProviderError) as caught:
        run(p.poll(ref))
    assert caught.value.retryable and "<" not in str(caught.value)
    assert "502" in str(caught.value)


def test_a_webp_data_url_is_refused_before_any_request(fake: KlingFake, tmp_path: Path) -> None:
    request = req("kling-v2-6-pro", width=1920, height=1080,
                  first_frame="data:image/webp;base64,UklGRg==")
    with pytest.raises(ProviderError, match="jpg or png"):
        run(provider(fake, tmp_path).submit(request, KEY))
    assert fake.requests == []

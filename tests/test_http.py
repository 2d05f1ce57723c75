"""The shared HTTP layer: retries with backoff and Retry-After, and all-or-nothing downloads."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from fakes.scripted import Fault, LoopbackService, Reply, Route, clip_bytes

from director.errors import ProviderError
from director.tools.providers.download import check_download_url, download_video, fetch_bytes
from director.tools.providers.http import (
    RetryPolicy,
    make_client,
    retry_after_s,
    send,
    unsure_create,
)

T = TypeVar("T")
FAST = RetryPolicy(attempts=4, initial_s=0.01, max_s=0.05, jitter_s=0.0)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


class Sleeps:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def mock(answers: list[httpx.Response | Exception]) -> tuple[httpx.AsyncClient, list]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = make_client(base_url="https://api.test", transport=httpx.MockTransport(handler))
    return client, seen


# --- send ----------------------------------------------------------------------------------


def test_retries_429_and_5xx_with_growing_backoff() -> None:
    client, seen = mock([httpx.Response(429), httpx.Response(502), httpx.Response(503),
                         httpx.Response(200, json={"ok": True})])
    sleeps = Sleeps()
    policy = RetryPolicy(attempts=5, initial_s=1.0, max_s=30.0, jitter_s=0.5)
    response = run(send(client, "GET", "/x", policy=policy, sleep=sleeps))
    assert response.json() == {"ok": True} and len(seen) == 4
    assert len(sleeps.waits) == 3
    for n, wait in enumerate(sleeps.waits):
        assert 2**n <= wait <= 2**n + 0.5  # exponential, plus jitter


def test_honours_retry_after_seconds_and_ms() -> None:
    client, _ = mock([httpx.Response(429, headers={"Retry-After": "7"}),
                      httpx.Response(503, headers={"retry-after-ms": "250"}),
                      httpx.Response(200)])
    sleeps = Sleeps()
    run(send(client, "GET", "/x", policy=RetryPolicy(jitter_s=0.0), sleep=sleeps))
    assert sleeps.waits == [7.0, 0.25]


def test_retry_after_is_capped() -> None:
    client, _ = mock([httpx.Response(429, headers={"Retry-After": "86400"}), httpx.Response(200)])
    sleeps = Sleeps()
    policy = RetryPolicy(jitter_s=0.0, max_retry_after_s=60)
    run(send(client, "GET", "/x", policy=policy, sleep=sleeps))
    assert sleeps.waits == [60.0]


def test_retry_after_http_date() -> None:
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert retry_after_s(response) == 0.0  # in the past: no wait
    assert retry_after_s(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after_s(httpx.Response(429)) is None


def test_gives_back_the_last_response_when_tries_run_out() -> None:
    client, seen = mock([httpx.Response(503, json={"n": i}) for i in range(4)])
    response = run(send(client, "GET", "/x", policy=FAST, sleep=Sleeps()))
    assert response.status_code == 503 and response.json() == {"n": 3} and len(seen) == 4


def test_does_not_retry_client_errors() -> None:
    client, seen = mock([httpx.Response(400), httpx.Response(200)])
    assert run(send(client, "POST", "/x", policy=FAST, sleep=Sleeps())).status_code == 400
    assert len(seen) == 1


def test_custom_classifier_decides() -> None:
    client, seen = mock([httpx.Response(429, json={"code": 1102}), httpx.Response(200)])
    response = run(send(client, "GET", "/x", policy=FAST, sleep=Sleeps(),
                        should_retry=lambda r: r.json().get("code") != 1102))
    assert response.status_code == 429 and len(seen) == 1


def test_connection_errors_retry_then_raise_retryable() -> None:
    fail = httpx.ConnectError("refused")
    client, seen = mock([fail, fail, httpx.Response(200)])
    assert run(send(client, "GET", "/x", policy=FAST, sleep=Sleeps())).status_code == 200
    client, seen = mock([fail] * 4)
    with pytest.raises(ProviderError) as caught:
        run(send(client, "GET", "/x", policy=FAST, sleep=Sleeps()))
    assert caught.value.retryable and "ConnectError" in str(caught.value) and len(seen) == 4


def test_non_idempotent_calls_are_not_resent_after_reaching_the_server() -> None:
    client, seen = mock([httpx.ReadTimeout("slow"), httpx.Response(200)])
    with pytest.raises(ProviderError):
        run(send(client, "POST", "/x", policy=FAST, idempotent=False, sleep=Sleeps()))
    assert len(seen) == 1
    client, seen = mock([httpx.ConnectError("refused"), httpx.Response(200)])
    response = run(send(client, "POST", "/x", policy=FAST, idempotent=False, sleep=Sleeps()))
    assert response.status_code == 200 and len(seen) == 2


def test_messages_carry_no_query_string() -> None:
    client, _ = mock([httpx.ConnectError("x")] * 4)
    with pytest.raises(ProviderError) as caught:
        run(send(client, "GET", "/x?token=s3cret", policy=FAST, sleep=Sleeps()))
    assert "s3cret" not in str(caught.value)


# --- download ------------------------------------------------------------------------------


class Files(LoopbackService):
    """Serves a real clip, a non-video body, an oversized body and redirects."""

    def __init__(self) -> None:
        super().__init__()
        self.clip = clip_bytes(1.0, 64, 36, "static locked-off camera")

    def route(self, method: str, path: str) -> tuple[str, Route] | None:
        replies: dict[str, Route] = {
            "/clip.mp4": lambda r: Reply(200, self.clip),
            "/junk.mp4": lambda r: Reply(200, b"<html>not a video</html>" * 20),
            "/to-clip": lambda r: Reply(302, {}, {"Location": "/clip.mp4"}),
            "/to-remote": lambda r: Reply(302, {}, {"Location": "http://example.com/c.mp4"}),
            "/loop": lambda r: Reply(302, {}, {"Location": "/loop"}),
            "/gone.mp4": lambda r: Reply(404, {"error": "expired"}),
        }
        found = replies.get(path)
        return (path.strip("/"), found) if found else None


@pytest.fixture
def files() -> Iterator[Files]:
    server = Files()
    server.start()
    yield server
    server.stop()


def fetch(files: Files, path: str, dest: Path, **kw: object) -> Path:
    kw.setdefault("allow_loopback_http", True)
    return run(download_video(None, files.url + path, dest, policy=FAST, **kw))  # type: ignore[arg-type]


def nothing_left(dest: Path) -> bool:
    return not dest.exists() and not [p for p in dest.parent.iterdir() if p.name != "keep"]


def test_downloads_a_real_clip_whole(files: Files, tmp_path: Path) -> None:
    dest = fetch(files, "/clip.mp4", tmp_path / "out" / "take.mp4")
    assert dest.read_bytes() == files.clip
    assert list(dest.parent.iterdir()) == [dest]


def test_follows_a_bounded_number_of_redirects(files: Files, tmp_path: Path) -> None:
    assert fetch(files, "/to-clip", tmp_path / "a.mp4").read_bytes() == files.clip
    with pytest.raises(ProviderError, match="redirected more than 3"):
        fetch(files, "/loop", tmp_path / "b.mp4", max_redirects=3)
    assert len(files.calls("loop")) == 4


def test_refuses_plain_http_off_loopback(files: Files, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="https only") as caught:
        fetch(files, "/to-remote", tmp_path / "c.mp4")
    assert not caught.value.retryable
    with pytest.raises(ProviderError, match="https only"):
        fetch(files, "/clip.mp4", tmp_path / "d.mp4", allow_loopback_http=False)
    with pytest.raises(ProviderError):
        check_download_url("http://10.0.0.1/x.mp4", allow_loopback_http=True)
    with pytest.raises(ProviderError):
        check_download_url("file:///etc/passwd", allow_loopback_http=True)
    assert check_download_url("https://cdn.example/x.mp4").host == "cdn.example"
    assert nothing_left(tmp_path / "c.mp4")


def test_truncated_body_retries_then_fails_retryable(files: Files, tmp_path: Path) -> None:
    files.inject("clip.mp4", Fault.truncate())
    assert fetch(files, "/clip.mp4", tmp_path / "ok.mp4").read_bytes() == files.clip
    files.inject("clip.mp4", *[Fault.truncate()] * FAST.attempts)
    dest = tmp_path / "sub" / "take.mp4"
    dest.parent.mkdir()
    with pytest.raises(ProviderError) as caught:
        fetch(files, "/clip.mp4", dest)
    assert caught.value.retryable and nothing_left(dest)


def test_non_video_body_is_refused_and_removed(files: Files, tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "take.mp4"
    dest.parent.mkdir()
    with pytest.raises(ProviderError, match="not a readable video") as caught:
        fetch(files, "/junk.mp4", dest)
    assert caught.value.retryable and nothing_left(dest)
    assert len(files.calls("junk.mp4")) == FAST.attempts


def test_cut_short_video_with_honest_length_is_refused(files: Files, tmp_path: Path) -> None:
    files.clip = files.clip[: int(len(files.clip) * 0.6)]  # served whole, but the file is cut
    dest = tmp_path / "sub" / "take.mp4"
    dest.parent.mkdir()
    with pytest.raises(ProviderError) as caught:
        fetch(files, "/clip.mp4", dest)
    assert caught.value.retryable and nothing_left(dest)


def test_size_cap_is_final(files: Files, tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "take.mp4"
    dest.parent.mkdir()
    with pytest.raises(ProviderError, match="cap") as caught:
        fetch(files, "/clip.mp4", dest, max_bytes=1000)
    assert not caught.value.retryable and nothing_left(dest)
    assert len(files.calls("clip.mp4")) == 1


def test_expired_url_is_final(files: Files, tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="404") as caught:
        fetch(files, "/gone.mp4", tmp_path / "g.mp4")
    assert not caught.value.retryable


def test_credentials_stay_with_their_origin(tmp_path: Path, files: Files) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.test":
            return httpx.Response(302, headers={"Location": "https://cdn.test/c.mp4"})
        return httpx.Response(200, content=files.clip)

    client = make_client(base_url="https://api.test", headers={"Authorization": "Bearer s3"},
                         transport=httpx.MockTransport(handler))
    run(download_video(client, "https://api.test/content", tmp_path / "c.mp4", policy=FAST))
    assert seen[0].headers.get("authorization") == "Bearer s3"
    assert "authorization" not in seen[1].headers


# --- creates, decoding, and what a download refuses -------------------------------------------


def test_a_create_is_resent_only_after_answers_that_say_nothing_ran() -> None:
    for status in (500, 502, 504):
        client, seen = mock([httpx.Response(status), httpx.Response(200)])
        response = run(send(client, "POST", "/x", policy=FAST, idempotent=False, sleep=Sleeps()))
        assert response.status_code == status and len(seen) == 1, status
        error = unsure_create(ProviderError("create: HTTP 502", retryable=True), status)
        assert not error.retryable and "may have started" in str(error)
    for status in (408, 429, 503):
        client, seen = mock([httpx.Response(status), httpx.Response(200)])
        response = run(send(client, "POST", "/x", policy=FAST, idempotent=False, sleep=Sleeps()))
        assert response.status_code == 200 and len(seen) == 2, status
    assert unsure_create(ProviderError("x", retryable=True), 429).retryable


def test_a_body_that_fails_to_decode_is_a_provider_error() -> None:
    client, _ = mock([httpx.Response(200, headers={"Content-Encoding": "gzip"},
                                     stream=httpx.ByteStream(b"not gzip")) for _ in range(4)])
    with pytest.raises(ProviderError) as caught:
        run(send(client, "GET", "/x", policy=FAST, sleep=Sleeps()))
    assert caught.value.retryable and "DecodingError" in str(caught.value)


def endless(chunks: list[int], size: int = 64 * 1024) -> httpx.AsyncByteStream:
    """A body with no Content-Length that never ends; `chunks` counts what was pulled."""

    class Stream(httpx.AsyncByteStream):
        async def __aiter__(self):  # type: ignore[override]
            while True:
                chunks.append(1)
                yield b"\0" * size

    return Stream()


def test_size_cap_stops_an_endless_body_while_streaming(tmp_path: Path) -> None:
    pulled: list[int] = []
    transport = httpx.MockTransport(lambda r: httpx.Response(200, stream=endless(pulled)))
    client = make_client(transport=transport)
    dest = tmp_path / "sub" / "take.mp4"
    with pytest.raises(ProviderError, match="cap") as caught:
        run(download_video(client, "https://cdn.test/c.mp4", dest, max_bytes=256 * 1024,
                           policy=FAST))
    assert not caught.value.retryable and len(pulled) <= 5 and nothing_left(dest)
    pulled.clear()
    with pytest.raises(ProviderError, match="cap"):
        run(fetch_bytes(client, "https://cdn.test/i.png", max_bytes=256 * 1024, policy=FAST,
                        what="still"))
    assert len(pulled) <= 5  # an image fetch stops at the cap too, not after reading it all


def test_gzip_encoded_clip_is_measured_on_the_wire(tmp_path: Path, files: Files) -> None:
    packed = gzip.compress(files.clip)
    transport = httpx.MockTransport(lambda r: httpx.Response(
        200, headers={"Content-Encoding": "gzip", "Content-Length": str(len(packed))},
        stream=httpx.ByteStream(packed)))
    dest = run(download_video(make_client(transport=transport), "https://cdn.test/c.mp4",
                              tmp_path / "c.mp4", policy=FAST))
    assert dest.read_bytes() == files.clip


@pytest.mark.parametrize(("body", "headers", "match", "retryable", "tries"), [
    (b"<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"},
     "text/html page instead of a video", False, 1),
    (b"", {"Content-Type": "video/mp4"}, "empty", True, FAST.attempts),
])
def test_a_page_or_an_empty_body_is_not_a_video(tmp_path: Path, body: bytes,
                                                headers: dict[str, str], match: str,
                                                retryable: bool, tries: int) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, headers=headers, content=body)

    dest = tmp_path / "sub" / "take.mp4"
    dest.parent.mkdir()
    with pytest.raises(ProviderError, match=match) as caught:
        run(download_video(make_client(transport=httpx.MockTransport(handler)),
                           "https://cdn.test/c.mp4", dest, policy=FAST, sleep=Sleeps()))
    assert caught.value.retryable is retryable and len(seen) == tries and nothing_left(dest)


def test_image_fetch_follows_a_redirect_without_credentials(files: Files) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.test":
            return httpx.Response(307, headers={"Location": "https://cdn.test/i.png"})
        if request.url.host == "cdn.test":
            return httpx.Response(302, headers={"Location": "http://cdn.test/i.png"})
        return httpx.Response(200, content=b"png")

    client = make_client(base_url="https://api.test", headers={"Authorization": "Bearer s3"},
                         transport=httpx.MockTransport(handler))
    with pytest.raises(ProviderError, match="https only"):
        run(fetch_bytes(client, "https://api.test/i", max_bytes=10, policy=FAST, what="still"))
    assert "authorization" not in seen[1].headers and len(seen) == 2

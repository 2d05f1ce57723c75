"""What a result download refuses: too many or unsafe redirects, oversize bodies (declared or
streamed), pages and stills instead of clips, cut-off files, and servers that never finish.

Everything is faked at the transport; each case also checks that nothing is left at `dest`.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from fakes.loopback import still
from fakes.recording import Server
from fakes.scripted import clip_bytes

from director.errors import ProviderError
from director.tools.providers.download import (
    MAX_REDIRECTS,
    check_download_url,
    check_video,
    download_video,
)
from director.tools.providers.http import RetryPolicy, make_client

FAST = RetryPolicy(attempts=3, initial_s=0.0, max_s=0.0, jitter_s=0.0)
URL = "https://api.test/result"


@pytest.fixture(scope="module")
def clip() -> bytes:
    return clip_bytes(1.0, 64, 36, "static locked-off camera")


def download(server: Server, dest: Path, **kw: object) -> Path:
    client = make_client(transport=httpx.MockTransport(server))
    return asyncio.run(download_video(client, URL, dest, policy=FAST, **kw))  # type: ignore[arg-type]


def nothing_left(dest: Path) -> bool:
    """No file at `dest` and no temp file beside it."""
    return not dest.exists() and not any(dest.parent.iterdir())


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    (tmp_path / "takes").mkdir()
    return tmp_path / "takes" / "shot00_take1.mp4"


# --- redirects -------------------------------------------------------------------------------


def chain(hops: int, clip: bytes) -> Server:
    """`hops` redirects (/r0 -> /r1 -> ...) ending at the clip."""

    def answer(request: httpx.Request) -> httpx.Response:
        step = len(server.seen) - 1
        if step < hops:
            return httpx.Response(302, headers={"Location": f"https://cdn{step}.test/r{step}"})
        return httpx.Response(200, content=clip)

    server = Server(answer)
    return server


def test_the_default_redirect_limit_allows_five_hops_and_no_more(clip: bytes, dest: Path) -> None:
    assert download(chain(MAX_REDIRECTS, clip), dest).read_bytes() == clip
    dest.unlink()
    server = chain(MAX_REDIRECTS + 1, clip)
    with pytest.raises(ProviderError, match=f"redirected more than {MAX_REDIRECTS} times") as e:
        download(server, dest)
    assert not e.value.retryable
    assert len(server.seen) == MAX_REDIRECTS + 1  # the sixth hop is never requested
    assert nothing_left(dest)


@pytest.mark.parametrize(("location", "loopback_http"), [
    ("http://cdn.test/c.mp4", False),  # https -> http downgrade
    ("http://127.0.0.1:8080/c.mp4", False),  # loopback http only when tests allow it
    ("http://10.0.0.7/c.mp4", True),  # plain http to a private address, even in tests
    ("http://169.254.169.254/latest/meta-data/", True),  # cloud metadata service
    ("file:///etc/passwd", True),
    ("ftp://cdn.test/c.mp4", True),
    ("data:video/mp4;base64,AAAAIGZ0eXA=", True),
    ("http://[::1", True),  # malformed: a clear refusal, not an httpx.InvalidURL traceback
    ("https://", True),  # no host: httpx reads it as this same URL, so it loops, boundedly
])
def test_every_redirect_hop_is_checked_before_it_is_requested(
    location: str, loopback_http: bool, clip: bytes, dest: Path
) -> None:
    server = Server(lambda r: httpx.Response(302, headers={"Location": location})
                    if r.url.host == "api.test" else httpx.Response(200, content=clip))
    with pytest.raises(ProviderError, match=r"refusing to download|redirected more") as caught:
        download(server, dest, allow_loopback_http=loopback_http)
    assert not caught.value.retryable
    assert {r.url.host for r in server.seen} == {"api.test"}  # never the refused hop
    assert nothing_left(dest)


def test_a_malformed_result_url_is_a_provider_error() -> None:
    for url in ("http://[::1", "https://a.test:99999999/c.mp4", "c.mp4", "", "//cdn.test/c"):
        with pytest.raises(ProviderError, match="refusing to download"):
            check_download_url(url, allow_loopback_http=True)


# --- size ------------------------------------------------------------------------------------


class Counted(httpx.AsyncByteStream):
    """A body of `chunks` 64 KiB chunks that counts how many were pulled."""

    def __init__(self, chunks: int | None) -> None:
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.chunks is None or self.pulled < self.chunks:
            self.pulled += 1
            yield b"\0" * 65536


def test_a_declared_oversize_body_is_refused_before_any_of_it_is_read(dest: Path) -> None:
    body = Counted(chunks=None)
    server = Server(lambda r: httpx.Response(
        200, headers={"Content-Length": str(50 << 30), "Content-Type": "video/mp4"}, stream=body))
    with pytest.raises(ProviderError, match=r"53687091200 bytes, over the 1048576 cap") as caught:
        download(server, dest, max_bytes=1 << 20)
    assert not caught.value.retryable and len(server.seen) == 1
    assert body.pulled == 0
    assert nothing_left(dest)


def test_an_undeclared_body_is_cut_off_at_the_cap_while_streaming(dest: Path) -> None:
    body = Counted(chunks=10_000)  # 625 MiB if read to the end
    server = Server(lambda r: httpx.Response(200, headers={"Content-Type": "video/mp4"},
                                             stream=body))
    with pytest.raises(ProviderError, match="passed the 1048576 byte cap") as caught:
        download(server, dest, max_bytes=1 << 20)
    assert not caught.value.retryable and len(server.seen) == 1
    assert body.pulled == 17  # 16 chunks fill the cap exactly; the 17th passes it
    assert nothing_left(dest)


# --- content ---------------------------------------------------------------------------------


HTML = b"<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>" * 8
JSON = b'{"error": {"code": "expired", "message": "link expired"}}'


@pytest.mark.parametrize(("content_type", "body", "match", "retryable"), [
    ("text/html; charset=utf-8", HTML, "text/html page instead of a video", False),
    ("application/json", JSON, "application/json page instead of a video", False),
    ("video/mp4", HTML, "not a readable video", True),  # a page that lies about its type
    ("application/octet-stream", JSON, "not a readable video", True),
])
def test_an_error_page_answered_with_200_is_never_kept(
    content_type: str, body: bytes, match: str, retryable: bool, dest: Path
) -> None:
    server = Server(lambda r: httpx.Response(200, headers={"Content-Type": content_type},
                                             content=body))
    with pytest.raises(ProviderError, match=match) as caught:
        download(server, dest)
    assert caught.value.retryable is retryable
    assert len(server.seen) == (FAST.attempts if retryable else 1)
    assert nothing_left(dest)


def one_frame_mp4() -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.full((36, 64, 3), 120, np.uint8), format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return buffer.getvalue()


def animated_gif() -> bytes:
    from PIL import Image

    frames = [Image.new("RGB", (64, 36), (c, 40, 90)) for c in (10, 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=40)
    return buffer.getvalue()


@pytest.mark.parametrize(("make", "match"), [
    (lambda: still(64, 36, "png"), "not a video clip"),
    (lambda: still(64, 36, "jpeg"), "not a video clip"),
    (animated_gif, "gif file, not a video clip"),
    (one_frame_mp4, "single frame"),
])
def test_a_still_image_is_not_taken_for_a_clip(make: Callable[[], bytes], match: str,
                                               dest: Path) -> None:
    body = make()
    server = Server(lambda r: httpx.Response(200, headers={"Content-Type": "video/mp4"},
                                             content=body))
    with pytest.raises(ProviderError, match=match) as caught:
        download(server, dest)
    assert not caught.value.retryable and len(server.seen) == 1
    assert nothing_left(dest)


def test_a_real_clip_passes_the_content_check(clip: bytes, tmp_path: Path) -> None:
    path = tmp_path / "c.mp4"
    path.write_bytes(clip)
    check_video(path)  # the positive control for the refusals above


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_a_truncated_clip_never_replaces_what_was_there(keep: float, clip: bytes,
                                                        dest: Path) -> None:
    dest.write_bytes(b"an earlier take")
    cut = clip[: int(len(clip) * keep)]

    async def chunks() -> AsyncIterator[bytes]:
        yield cut  # no Content-Length: only decoding can tell the file is cut

    server = Server(lambda r: httpx.Response(200, headers={"Content-Type": "video/mp4"},
                                             content=chunks()))
    with pytest.raises(ProviderError) as caught:
        download(server, dest)
    assert caught.value.retryable and len(server.seen) == FAST.attempts
    assert dest.read_bytes() == b"an earlier take"
    assert [p.name for p in dest.parent.iterdir()] == [dest.name]


def test_a_server_that_drips_bytes_hits_the_deadline(dest: Path) -> None:
    class Drip(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            while True:
                await asyncio.sleep(0.02)  # always inside the per-chunk timeout
                yield b"\0"

    server = Server(lambda r: httpx.Response(200, headers={"Content-Type": "video/mp4"},
                                             stream=Drip()))
    with pytest.raises(ProviderError, match=r"took longer than 0\.3 s") as caught:
        download(server, dest, max_seconds=0.3)
    assert caught.value.retryable
    assert nothing_left(dest)

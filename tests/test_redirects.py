"""Redirect faults both fetchers share: a reference image URL a person typed and a provider's
result URL. A malformed hop is a clear refusal in each fetcher's own error type, never a raw
httpx.InvalidURL; a dropped connection stays a retryable network fault.

No network: answers come from httpx.MockTransport and names from a fake resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fakes.loopback import still
from fakes.recording import Server
from PIL import Image

from director.errors import BriefError, ProviderError
from director.tools.fetch import fetch_image_url
from director.tools.providers.download import (
    download_video,
    fetch_bytes,
    join_location,
    malformed_redirect,
    read_capped,
)
from director.tools.providers.http import RetryPolicy, make_client

PUBLIC = "93.184.216.34"
FAST = RetryPolicy(attempts=3, initial_s=0.0, max_s=0.0, jitter_s=0.0)
# What httpx raises for a URL it cannot build; the text names no Location header.
INVALID = "Invalid non-printable ASCII character in URL, '\\x01' at position 20."


def fault_on_second_hop(fault: Exception, body: bytes = b"") -> Server:
    """A 302 to a same-host path, then `fault` when the redirect is followed."""

    def answer(request: httpx.Request) -> httpx.Response:
        if len(server.seen) == 1:
            return httpx.Response(302, headers={"Location": "/next"})
        raise fault

    server = Server(answer)
    return server


async def _resolve(host: str, port: int) -> list[str]:
    return [PUBLIC]


def fetch_image(server: Server) -> Image.Image:
    return asyncio.run(fetch_image_url("https://img.example/a.png", resolver=_resolve,
                                       transport=httpx.MockTransport(server)))


def download(server: Server, dest: Path) -> Path:
    client = make_client(transport=httpx.MockTransport(server))
    return asyncio.run(download_video(client, "https://api.test/result", dest, policy=FAST))


# --- the reference image fetcher -------------------------------------------------------------


def test_an_invalid_url_on_a_redirect_hop_is_a_brief_error_naming_the_image() -> None:
    server = fault_on_second_hop(httpx.InvalidURL(INVALID))
    with pytest.raises(BriefError, match=r"reference image img\.example/next redirected to a "
                                         r"malformed URL") as caught:
        fetch_image(server)
    assert not isinstance(caught.value, httpx.InvalidURL)
    assert len(server.seen) == 2


def test_a_dropped_connection_on_a_redirect_hop_stays_a_retryable_fault() -> None:
    server = fault_on_second_hop(httpx.RemoteProtocolError("Server disconnected"))
    with pytest.raises(ProviderError, match=r"could not fetch reference image img\.example/next: "
                                            r"RemoteProtocolError") as caught:
        fetch_image(server)
    assert caught.value.retryable is True


def test_a_location_httpx_cannot_parse_is_a_brief_error() -> None:
    # httpx itself turns an unparsable Location into a RemoteProtocolError naming the header.
    server = Server(lambda r: httpx.Response(302, headers={"Location": "https://[::1"}))
    with pytest.raises(BriefError, match=r"img\.example/a\.png redirected to a malformed URL"):
        fetch_image(server)
    assert len(server.seen) == 1


def test_a_redirect_to_an_image_is_still_followed() -> None:
    png = still(32, 32, "png")
    server = Server(lambda r: httpx.Response(302, headers={"Location": "/b.png"})
                    if r.url.path == "/a.png" else httpx.Response(200, content=png))
    assert fetch_image(server).size == (32, 32)


# --- the result downloader -------------------------------------------------------------------


def test_an_invalid_url_on_a_result_redirect_is_a_provider_refusal(tmp_path: Path) -> None:
    dest = tmp_path / "take.mp4"
    server = fault_on_second_hop(httpx.InvalidURL(INVALID))
    with pytest.raises(ProviderError, match=r"refusing to download: api\.test/next redirected "
                                            r"to a malformed URL") as caught:
        download(server, dest)
    assert caught.value.retryable is False
    assert len(server.seen) == 2  # a refusal is not retried
    assert not any(tmp_path.iterdir())


def test_a_dropped_connection_on_a_result_redirect_is_retried(tmp_path: Path) -> None:
    dest = tmp_path / "take.mp4"
    hops: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hops.append(request.url.path)
        if request.url.path == "/result":
            return httpx.Response(302, headers={"Location": "/next"})
        raise httpx.RemoteProtocolError("Server disconnected")

    with pytest.raises(ProviderError, match="failed after 3 tries: RemoteProtocolError") as e:
        download(Server(answer), dest)
    assert e.value.retryable is True
    assert hops == ["/result", "/next"] * 3
    assert not any(tmp_path.iterdir())


def test_an_invalid_url_on_a_small_result_fetch_is_a_provider_refusal() -> None:
    async def run() -> bytes:
        client = make_client(transport=httpx.MockTransport(
            fault_on_second_hop(httpx.InvalidURL(INVALID))))
        async with client:
            return await fetch_bytes(client, "https://api.test/still.png", max_bytes=1 << 20,
                                     policy=FAST, what="still")

    with pytest.raises(ProviderError, match="redirected to a malformed URL") as caught:
        asyncio.run(run())
    assert caught.value.retryable is False


# --- the shared pieces -----------------------------------------------------------------------


@pytest.mark.parametrize(("exc", "malformed"), [
    (httpx.InvalidURL(INVALID), True),
    (httpx.InvalidURL("Invalid URL in location header: bad port."), True),
    (httpx.RemoteProtocolError("Invalid URL in location header: Invalid IPv6 address."), True),
    (httpx.RemoteProtocolError("Server disconnected without sending a response."), False),
])
def test_which_send_failures_are_malformed_redirects(exc: Exception, malformed: bool) -> None:
    assert malformed_redirect(exc) is malformed


def test_join_location_passes_a_malformed_location_on_as_text() -> None:
    base = httpx.URL("https://cdn.test/a/b.mp4")
    assert join_location(base, "c.mp4") == httpx.URL("https://cdn.test/a/c.mp4")
    assert join_location(base, "http://[::1") == "http://[::1"


class TooBig(Exception):
    """What the test's `too_big` raises: the size and whether it was counted streaming."""


def too_big(size: int, streaming: bool) -> Exception:
    return TooBig(size, streaming)


async def _body(data: bytes, chunk: int = 4) -> AsyncIterator[bytes]:
    for start in range(0, len(data), chunk):
        yield data[start:start + chunk]


def capped(content: bytes | AsyncIterator[bytes], max_bytes: int, **headers: str) -> bytes:
    response = httpx.Response(200, headers=headers, content=content)
    return asyncio.run(read_capped(response, max_bytes, too_big))


def test_read_capped_returns_a_body_within_the_cap() -> None:
    assert capped(b"x" * 10, 10) == b"x" * 10
    assert capped(_body(b"y" * 10), 10) == b"y" * 10


def test_read_capped_refuses_a_declared_oversize_body_unread() -> None:
    with pytest.raises(TooBig) as caught:
        capped(b"x" * 5, 10, **{"Content-Length": "11"})
    assert caught.value.args == (11, False)


def test_read_capped_cuts_off_an_undeclared_body_while_streaming() -> None:
    with pytest.raises(TooBig) as caught:
        capped(_body(b"x" * 40), 10)  # no Content-Length: chunked
    assert caught.value.args == (12, True)  # stopped at the third 4-byte chunk

"""Fetching results: a clip to disk, all or nothing, or a small file (an image) into memory.

- https only; plain http only to a loopback address, for tests.
- A bounded number of redirects, each hop checked; credential headers go only to the client's
  own origin, never to the CDN a service redirects to.
- A size cap enforced while the body streams, not after.
- A clip streams to a temp file beside `dest`, must decode as video with PyAV (every frame, so a
  cut-off file is caught) from a video container (a still image also "decodes"), and only then
  is renamed onto `dest`.
- A whole download has a deadline, so a server dripping bytes cannot hold a shot forever.

Messages carry host and path only: signed URLs keep their query strings out of errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import av
import httpx

from director.errors import ProviderError
from director.tools.providers.http import is_loopback, make_client
from director.tools.providers.retry import (
    DEFAULT_RETRY,
    RETRY_STATUSES,
    RetryPolicy,
    Sleep,
    retrying,
    where,
)

DOWNLOAD_TIMEOUT = httpx.Timeout(120.0, connect=15.0)
"""Per-chunk limits for result downloads (a CDN may pause between chunks)."""
DEFAULT_MAX_BYTES = 1 << 30
"""1 GiB: far above a 15 s 4K clip, low enough to stop a runaway response."""
MAX_REDIRECTS = 5
"""Redirect hops a download may follow (CDNs usually need one or two)."""
DOWNLOAD_DEADLINE_S = 30 * 60.0
"""Wall time one `download_video` call may take, retries included (a 1 GiB clip at 1 MB/s fits);
the per-chunk timeout alone lets a server sending a byte a minute hold a shot for days."""
VIDEO_CONTAINERS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm"})
"""PyAV demuxer names a clip may come in (MP4/MOV and WebM/MKV); PNG, JPEG, GIF, WebP and
other single images open as one-frame "videos" and are refused."""
_CREDENTIAL_HEADERS = ("authorization", "x-api-key", "api-key", "cookie", "proxy-authorization")


def check_download_url(url: str | httpx.URL, *, allow_loopback_http: bool = False) -> httpx.URL:
    """The parsed URL if it may be fetched: https anywhere, http only to a loopback address and
    only when `allow_loopback_http`. Raises ProviderError(retryable=False) otherwise."""
    try:
        parsed = httpx.URL(str(url))
    except httpx.InvalidURL:
        raise ProviderError("refusing to download from a malformed URL") from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise ProviderError(f"refusing to download from {where(parsed)}: port {parsed.port}")
    if parsed.scheme == "https" and parsed.host:
        return parsed
    if parsed.scheme == "http" and allow_loopback_http and is_loopback(parsed.host):
        return parsed
    raise ProviderError(
        f"refusing to download from {parsed.scheme or 'a schemeless'} URL {where(parsed)}: "
        "results are fetched over https only"
    )


TooBig = Callable[[int, bool], Exception]
"""Builds the error for a body over its cap from its size in bytes and whether that size was
counted while streaming (a lower bound: reading stopped there) rather than declared in
Content-Length. Each caller keeps its own error type and wording."""


def join_location(base: httpx.URL, location: str) -> httpx.URL | str:
    """Where a redirect points; a malformed Location is passed on as text so the caller's own
    URL check refuses it with a clear error (httpx would raise InvalidURL)."""
    try:
        return base.join(location)
    except httpx.InvalidURL:
        return location


def malformed_redirect(exc: httpx.InvalidURL | httpx.RemoteProtocolError) -> bool:
    """Whether a failure of `client.send` is a refusable malformed redirect rather than a
    network fault. httpx builds a redirect's next request even when not following it, and
    fails there: with InvalidURL (not an httpx.HTTPError, so no network handler would catch it)
    or with a RemoteProtocolError naming the Location header. Any other RemoteProtocolError is
    a real fault on the wire, which callers retry."""
    return isinstance(exc, httpx.InvalidURL) or "location" in str(exc).lower()


def check_declared(response: httpx.Response, max_bytes: int, too_big: TooBig) -> None:
    """Raise `too_big(size, False)` when Content-Length already says the body is over the cap,
    so not a byte of it is read."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big(int(declared), False)


async def capped_chunks(
    response: httpx.Response, max_bytes: int, too_big: TooBig
) -> AsyncIterator[bytes]:
    """The body's chunks, raising `too_big(size, True)` the moment they pass `max_bytes`:
    Content-Length may be absent or lie, so the cap holds while streaming, not after."""
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise too_big(size, True)
        yield chunk


async def read_capped(response: httpx.Response, max_bytes: int, too_big: TooBig) -> bytes:
    """A small body in memory, refused unread when declared over `max_bytes` and cut off the
    moment it streams past it."""
    check_declared(response, max_bytes, too_big)
    return b"".join([chunk async for chunk in capped_chunks(response, max_bytes, too_big)])


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    return (a.scheme, a.host, a.port) == (b.scheme, b.host, b.port)


def check_video(path: Path) -> None:
    """Raise ProviderError(retryable=True) unless `path` holds a video stream whose every frame
    decodes and whose frame count matches what its container declares (a cut-off download of a
    faststart MP4 still opens, but ends early)."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ProviderError("the download holds no video stream", retryable=True)
            kinds = set(container.format.name.split(","))
            if not kinds & VIDEO_CONTAINERS:
                raise ProviderError(
                    f"the download is a {container.format.name} file, not a video clip"
                )
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            declared = stream.frames
            decoded = sum(1 for _ in container.decode(stream))
    except ProviderError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ProviderError(
            f"the download is not a readable video: {reason}", retryable=True
        ) from None
    if decoded == 0:
        raise ProviderError("the download holds no decodable frames", retryable=True)
    if decoded == 1:
        raise ProviderError("the download holds a single frame, not a video clip")
    if declared and decoded < declared:
        raise ProviderError(
            f"the download is cut short: {decoded} of {declared} frames decode", retryable=True
        )


@contextlib.asynccontextmanager
async def open_result(
    client: httpx.AsyncClient,
    url: str | httpx.URL,
    *,
    allow_loopback_http: bool = False,
    max_redirects: int = MAX_REDIRECTS,
) -> AsyncIterator[tuple[httpx.Response, httpx.URL]]:
    """The streamed 200 response for a result URL and where it finally came from, after at
    most `max_redirects` hops, each checked with `check_download_url`. Credential headers go
    only to the client's own origin. A non-200 answer raises ProviderError (retryable for
    429/5xx)."""
    target = check_download_url(url, allow_loopback_http=allow_loopback_http)
    for _hop in range(max_redirects + 1):
        request = client.build_request("GET", target)
        if not (client.base_url.host and _same_origin(target, client.base_url)):
            for name in _CREDENTIAL_HEADERS:
                request.headers.pop(name, None)
        try:
            response = await client.send(request, stream=True)
        except (httpx.InvalidURL, httpx.RemoteProtocolError) as exc:
            if not malformed_redirect(exc):
                raise  # a network fault: an httpx.HTTPError that download_video retries
            raise ProviderError(
                f"refusing to download: {where(target)} redirected to a malformed URL"
            ) from None
        try:
            if response.is_redirect:
                target = check_download_url(
                    join_location(target, response.headers.get("location", "")),
                    allow_loopback_http=allow_loopback_http,
                )
                continue
            _check_status(response, target)
            yield response, target
            return
        finally:
            await response.aclose()
    raise ProviderError(f"download from {where(url)} redirected more than {max_redirects} times")


async def download_video(
    client: httpx.AsyncClient | None,
    url: str,
    dest: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_loopback_http: bool = False,
    max_redirects: int = MAX_REDIRECTS,
    max_seconds: float = DOWNLOAD_DEADLINE_S,
    policy: RetryPolicy = DEFAULT_RETRY,
    sleep: Sleep = asyncio.sleep,
) -> Path:
    """Fetch the video at `url` into `dest` and return `dest`; all or nothing.

    `client` may be an adapter's client (its transport and timeouts are used; credential
    headers are sent only to the client's own origin) or None for a fresh one. Every hop must
    pass `check_download_url`. The body streams into a temp file beside `dest` (stopping the
    moment it passes `max_bytes`), is checked with `check_video`, and is renamed onto `dest`
    only when whole. Transient failures (connection, 429/5xx, a cut-off, empty or undecodable
    body) are retried under `policy`, then raise ProviderError(retryable=True); a refused URL,
    a 4xx, a text page or a still image instead of a video or a body over `max_bytes` raise
    ProviderError(retryable=False). Past `max_seconds` (retries included) it gives up with
    ProviderError(retryable=True). On any failure nothing is left at `dest` by this call.
    """
    dest = Path(dest)
    check_download_url(url, allow_loopback_http=allow_loopback_http)
    own = client is None
    active = client or make_client(timeout=DOWNLOAD_TIMEOUT)
    try:

        async def attempt() -> Path:
            async with open_result(
                active, url, allow_loopback_http=allow_loopback_http, max_redirects=max_redirects
            ) as (response, target):
                await _stream_to(response, dest, max_bytes, target)
            return dest

        async with asyncio.timeout(max_seconds):
            return await retrying(
                attempt, label=f"download {where(url)}", policy=policy, idempotent=True,
                sleep=sleep,
            )
    except TimeoutError:
        raise ProviderError(
            f"download from {where(url)} took longer than {max_seconds:g} s", retryable=True
        ) from None
    except httpx.HTTPError as exc:  # connection failures, and bodies that fail to decode
        raise ProviderError(
            f"download from {where(url)} failed after {policy.attempts} tries: "
            f"{type(exc).__name__}",
            retryable=True,
        ) from None
    finally:
        if own:
            await active.aclose()


async def fetch_bytes(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    allow_loopback_http: bool = False,
    policy: RetryPolicy = DEFAULT_RETRY,
    what: str,
) -> bytes:
    """A small result file (an image) in memory, fetched like `download_video` fetches a clip:
    https only, bounded redirects, no credentials off the client's origin, transient failures
    retried, and reading stops the moment the body passes `max_bytes`."""
    check_download_url(url, allow_loopback_http=allow_loopback_http)

    async def attempt() -> bytes:
        async with open_result(client, url, allow_loopback_http=allow_loopback_http) as (
            response,
            target,
        ):
            return await read_capped(response, max_bytes, _over_cap(target, max_bytes, f"{what}:"))

    try:
        return await retrying(attempt, label=f"{what} fetch {where(url)}", policy=policy)
    except httpx.HTTPError as exc:
        raise ProviderError(
            f"{what}: fetching {where(url)} failed: {type(exc).__name__}", retryable=True
        ) from None


def _check_status(response: httpx.Response, target: httpx.URL) -> None:
    if response.status_code == 200:
        return
    message = f"download from {where(target)} answered HTTP {response.status_code}"
    raise ProviderError(message, retryable=response.status_code in RETRY_STATUSES)


def _over_cap(target: httpx.URL, max_bytes: int, prefix: str = "download from") -> TooBig:
    """The ProviderError for a body over `max_bytes`, declared or met while streaming
    (`prefix` opens the streaming one)."""

    def too_big(size: int, streaming: bool) -> ProviderError:
        if streaming:
            return ProviderError(f"{prefix} {where(target)} passed the {max_bytes} byte cap")
        return ProviderError(
            f"download from {where(target)} is {size} bytes, over the {max_bytes} cap"
        )

    return too_big


_TEXT_TYPES = ("text/", "application/json", "application/problem+json", "application/xml")
"""Content types of error pages, never of a clip: a proxy's HTML 502 served with status 200."""


async def _stream_to(
    response: httpx.Response, dest: Path, max_bytes: int, target: httpx.URL
) -> None:
    too_big = _over_cap(target, max_bytes)
    # The declared size comes first: an oversize answer is refused before anything is read.
    check_declared(response, max_bytes, too_big)
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind.startswith(_TEXT_TYPES):
        raise ProviderError(
            f"download from {where(target)} answered a {kind} page instead of a video"
        )
    declared = response.headers.get("content-length", "")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.stem}.", suffix=".part.mp4")
    tmp = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as fh:
            # aclosing: a failed write must not leave the generator suspended mid-body.
            async with contextlib.aclosing(capped_chunks(response, max_bytes, too_big)) as body:
                async for chunk in body:
                    size += len(chunk)
                    fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        # Content-Length counts the bytes on the wire (compressed, under a Content-Encoding);
        # a body already in memory (a test transport) was never counted on the wire.
        received = response.num_bytes_downloaded or size
        if declared.isdigit() and received != int(declared):
            raise ProviderError(
                f"download from {where(target)} ended after {received} of {declared} bytes",
                retryable=True,
            )
        if size == 0:
            raise ProviderError(f"download from {where(target)} was empty", retryable=True)
        await asyncio.to_thread(check_video, tmp)
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise

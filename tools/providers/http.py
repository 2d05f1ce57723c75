"""What every HTTP adapter shares: a client factory, per-loop clients, and retries with backoff.

- `make_client` builds an httpx.AsyncClient with explicit timeouts and no automatic redirects.
- `LoopClient` keeps one client per event loop (a CLI may call asyncio.run once per step, and an
  httpx client must not outlive the loop it was first used on).
- `send` retries 429, 5xx and connection failures with exponential backoff and jitter, honouring
  Retry-After; it returns the last response so the adapter maps the service's own error body
  (it lives in retry.py and is re-exported here with the rest of the retry vocabulary).
- `check_base_url` accepts a service base URL only when keys may travel to it.

Downloads of results live in download.py. Nothing here logs or raises with headers or query
strings: signed URLs and keys stay out of messages.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Callable
from typing import Generic, TypeVar

import httpx

from director.errors import DirectorError
from director.tools.providers.retry import (
    DEFAULT_RETRY,
    NOT_ACTED_STATUSES,
    POLL_RETRY,
    RETRY_STATUSES,
    RetryPolicy,
    Sleep,
    default_should_retry,
    may_have_run,
    retry_after_s,
    retrying,
    send,
    unsure_create,
    where,
)

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "NOT_ACTED_STATUSES",
    "POLL_RETRY",
    "RETRY_STATUSES",
    "LoopClient",
    "PerLoop",
    "RetryPolicy",
    "Sleep",
    "check_base_url",
    "default_should_retry",
    "is_loopback",
    "make_client",
    "may_have_run",
    "retry_after_s",
    "retrying",
    "send",
    "unsure_create",
    "where",
]

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
"""30 s to read or write, 10 s to connect: API calls answer fast; renders are polled."""


def make_client(
    *,
    base_url: str = "",
    headers: dict[str, str] | None = None,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient with explicit timeouts that never follows redirects on its own.

    Put credentials in per-request headers rather than `headers` when the same client also
    downloads from other hosts; `download_video` drops credential headers across origins anyway.
    `transport` is for tests (httpx.MockTransport).
    """
    return httpx.AsyncClient(
        base_url=base_url,
        headers=headers,
        timeout=timeout,
        transport=transport,
        follow_redirects=False,
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10),
    )


T = TypeVar("T")


class PerLoop(Generic[T]):
    """One lazily built client per running event loop, from `factory`.

    Adapters are cached for a whole run, but the CLI may run several event loops one after
    another; a client bound to a closed loop would fail on its next request.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: T | None = None

    def _usable(self, client: T) -> bool:
        return True

    def get(self) -> T:
        """The client for the running loop (built on first use in that loop)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or not self._usable(self._client):
            self._client, self._loop = self._factory(), loop
        return self._client


class LoopClient(PerLoop[httpx.AsyncClient]):
    """PerLoop for httpx clients, which also replaces a client closed by its owner."""

    def _usable(self, client: httpx.AsyncClient) -> bool:
        return not client.is_closed

    async def aclose(self) -> None:
        """Close the current client, if it belongs to the running loop."""
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._loop = None


def check_base_url(url: str, what: str) -> str:
    """`url` without a trailing slash if keys may travel to it: https, or plain http only to a
    loopback address (tests, local gateways); DirectorError naming `what` otherwise."""
    try:
        parsed = httpx.URL(url.strip())
    except httpx.InvalidURL:
        raise DirectorError(f"{what}={url!r} is not a URL") from None
    if (parsed.scheme == "https" and parsed.host) or (
        parsed.scheme == "http" and is_loopback(parsed.host)
    ):
        return url.strip().rstrip("/")
    raise DirectorError(f"{what}={url!r} must be an https URL (http only for a loopback address)")


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False

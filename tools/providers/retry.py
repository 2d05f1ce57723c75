"""Retries for HTTP calls: exponential backoff with jitter, Retry-After honoured, via tenacity.

`send` retries 429, 5xx and connection failures and returns the last response, so each adapter
maps the service's own error body; `retrying` runs any call under the same policy. Messages and
logs carry host and path only, never headers or query strings.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from director.errors import ProviderError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses worth the same request again later."""
NOT_ACTED_STATUSES = frozenset({408, 429, 503})
"""Answers saying the request was not acted on (timed out unread, rate limited, unavailable):
the only ones a call that creates a paid task may be sent again after. A 500, 502 or 504 may
come after the service started the task, so a create answered with one is never re-sent."""
# Failures where the request never reached the server: safe to retry even a non-idempotent POST.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Failures after the request may have been received: retried only for idempotent calls.
_MAYBE_SENT = (
    httpx.ReadError,
    httpx.ReadTimeout,
    httpx.WriteError,
    httpx.WriteTimeout,
    httpx.RemoteProtocolError,
)

Sleep = Callable[[float], Awaitable[None]]
"""How a retry waits (asyncio.sleep; tests pass a recorder)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a call is retried."""

    attempts: int = 5
    """Total tries, the first included."""
    initial_s: float = 1.0
    """First backoff; it doubles each retry (the services ask for 1 s or more)."""
    max_s: float = 30.0
    """Longest single backoff."""
    jitter_s: float = 1.0
    """Up to this much random extra wait, so parallel shots do not retry in lockstep."""
    max_retry_after_s: float = 120.0
    """Cap on a server's Retry-After; a longer ask is treated as this long."""


DEFAULT_RETRY = RetryPolicy()
POLL_RETRY = RetryPolicy(attempts=2, initial_s=0.5, max_s=2.0, jitter_s=0.5)
"""A poll is repeated by the caller anyway: retry it little before reporting."""


def may_have_run(status: int) -> bool:
    """Whether a server-error answer leaves open that the service acted on the request."""
    return status >= 500 and status not in NOT_ACTED_STATUSES


def unsure_create(error: ProviderError, status: int) -> ProviderError:
    """`error` for a create answered with `status`; when the service may have started the task
    anyway (500, 502, 504), a final error that says so, so nothing sends it again blindly."""
    if not may_have_run(status):
        return error
    return ProviderError(f"{error}; the service may have started the task, so it is not sent "
                         "again (check the service's dashboard)", policy=error.policy)


def where(url: str | httpx.URL) -> str:
    """Host and path of `url`, without query or credentials: safe to put in a message."""
    parsed = httpx.URL(str(url))
    return f"{parsed.host}{parsed.path}" if parsed.host else parsed.path


def retry_after_s(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait (retry-after-ms, or Retry-After as seconds or an
    HTTP date), or None when it did not say."""
    raw_ms = response.headers.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _RetryableResponse(Exception):
    """Carries a response that asked to be retried through tenacity."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def default_should_retry(response: httpx.Response) -> bool:
    """Retry 408, 429 and 5xx gateway/server statuses."""
    return response.status_code in RETRY_STATUSES


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        multiplier=policy.initial_s, max=policy.max_s, jitter=policy.jitter_s
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse):
            asked = retry_after_s(exc.response)
            if asked is not None:
                return min(asked, policy.max_retry_after_s) + random.uniform(0, policy.jitter_s)
        return backoff(state)

    return wait


def _retryable_exception(idempotent: bool) -> Callable[[BaseException], bool]:
    kinds = _NOT_SENT + _MAYBE_SENT if idempotent else _NOT_SENT

    def check(exc: BaseException) -> bool:
        if isinstance(exc, ProviderError):
            return exc.retryable
        return isinstance(exc, (_RetryableResponse, *kinds))

    return check


def _log_retry(label: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info("%s: %s; retry %d in %.1f s", label, _describe(exc), state.attempt_number, wait)

    return before_sleep


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no error"
    if isinstance(exc, ProviderError | _RetryableResponse):
        return str(exc)
    return type(exc).__name__


async def retrying(
    call: Callable[[], Awaitable[Any]],
    *,
    label: str,
    policy: RetryPolicy = DEFAULT_RETRY,
    idempotent: bool = True,
    sleep: Sleep = asyncio.sleep,
) -> Any:
    """Run `call` under `policy`, retrying connection failures (all failures after the request
    may have been sent only when `idempotent`) and retryable ProviderErrors."""
    retryer = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts),
        wait=_wait(policy),
        retry=retry_if_exception(_retryable_exception(idempotent)),
        before_sleep=_log_retry(label),
        sleep=sleep,
        reraise=True,
    )
    return await retryer(call)


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    policy: RetryPolicy = DEFAULT_RETRY,
    should_retry: Callable[[httpx.Response], bool] = default_should_retry,
    idempotent: bool = True,
    sleep: Sleep = asyncio.sleep,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request with retries and return the final response, whatever its status.

    Responses for which `should_retry` is true (default: 408, 429, 5xx) are retried with
    exponential backoff plus jitter, or after the server's Retry-After when it gives one; when
    the tries run out the last such response is returned for the adapter to map. Connection
    failures that persist raise ProviderError(retryable=True). Set `idempotent=False` for a call
    that must not reach the server twice: then only failures before sending, and answers in
    NOT_ACTED_STATUSES, are retried.
    `kwargs` go to `client.request` (json=, headers=, params=, ...).
    """

    async def attempt() -> httpx.Response:
        response = await client.request(method, url, **kwargs)
        # A call that must not run twice is sent again only after an answer saying it did not
        # run at all; a 500/502/504 goes back to the adapter to report.
        again = idempotent or response.status_code in NOT_ACTED_STATUSES
        if again and should_retry(response):
            raise _RetryableResponse(response)
        return response

    label = f"{method} {where(client.base_url.join(url))}"
    try:
        return await retrying(
            attempt, label=label, policy=policy, idempotent=idempotent, sleep=sleep
        )
    except _RetryableResponse as exc:
        return exc.response
    except httpx.HTTPError as exc:  # connection failures, and bodies that fail to decode
        # A call that must not run twice and failed after it may have been sent may have
        # made a paid task: say so, so its cost is counted.
        sent = not isinstance(exc, _NOT_SENT)
        raise ProviderError(
            f"{label} failed after {policy.attempts} tries: {type(exc).__name__}",
            retryable=True, maybe_created=sent and not idempotent,
        ) from None

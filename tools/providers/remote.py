"""What the fal, Replicate and OpenAI adapters share besides HTTP (that is http.py): keys from
the environment, base URLs, reference images as request fields, error wording, and one client
per event loop (for clients other than httpx's, which http.LoopClient covers).

Keys live in `Secret`, whose repr and str never show the value, so a key cannot reach a log,
an error, a checkpoint or a repr by accident; `redact` scrubs it from any text a service
echoes back.
"""

from __future__ import annotations

import asyncio
import base64
import io
import ipaddress
import mimetypes
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

import httpx

from director.errors import DirectorError, ProviderError
from director.tools.providers.http import (
    RETRY_STATUSES,
    RetryPolicy,
    check_download_url,
    send,
    where,
)

T = TypeVar("T")

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest reference image sent inline (Kling's documented image limit is 10 MB)."""
POLICY_WORDS = ("content policy", "content_policy", "moderation", "safety", "sensitive", "nsfw")
"""Words services use when they refuse content; such failures are marked as policy refusals."""


class Secret:
    """A credential that never prints: `reveal()` is the one way to read it."""

    __slots__ = ("_env", "_value")

    def __init__(self, value: str, env: str) -> None:
        self._value = value
        self._env = env

    def reveal(self) -> str:
        return self._value

    @property
    def env(self) -> str:
        """The environment variable it came from (safe to name in messages)."""
        return self._env

    def __repr__(self) -> str:
        return f"Secret(from ${self._env})"

    __str__ = __repr__


def require_key(env: str, provider: str) -> Secret:
    """The key in `env`, or a one-line DirectorError naming the variable."""
    value = os.environ.get(env, "").strip()
    if not value:
        raise DirectorError(f"the {provider} provider needs {env}: set it to your {provider} key")
    return Secret(value, env)


def is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(env: str, default: str) -> str:
    """A service base URL from `env` (else `default`), without a trailing slash. Keys travel to
    it, so it must be https; plain http is accepted only for a loopback address (tests, local
    gateways)."""
    raw = os.environ.get(env, "").strip() or default
    parts = urlsplit(raw)
    if parts.scheme == "https" and parts.hostname:
        return raw.rstrip("/")
    if parts.scheme == "http" and is_loopback_url(raw):
        return raw.rstrip("/")
    raise DirectorError(f"{env}={raw!r} must be an https URL (http only for a loopback address)")


def same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def redact(text: str, *secrets: Secret) -> str:
    """`text` with every secret's value replaced, squeezed to one line."""
    for secret in secrets:
        value = secret.reveal()
        if value:
            text = text.replace(value, f"${secret.env}")
    return " ".join(text.split())


def is_policy(text: str) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in POLICY_WORDS)


def clip_text(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- reference images ------------------------------------------------------------------------


def _is_url(value: str) -> bool:
    return bool(re.match(r"^(https?|data):", value, re.IGNORECASE))


def read_image(value: str, field: str, provider: str) -> tuple[bytes, str]:
    """The bytes and MIME type of a local reference image (or a base64 data URL), or
    ProviderError naming `field`."""
    if value.startswith("data:"):
        return _data_url(value, field, provider)
    path = Path(value).expanduser()
    if not path.is_file():
        raise ProviderError(f"{provider}: {field} {value!r} is not a file or an https URL")
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ProviderError(f"{provider}: {field} {path.name} is {size} bytes, over 10 MB")
    mime = mimetypes.guess_type(path.name)[0] or ""
    if mime not in ("image/png", "image/jpeg", "image/webp"):
        raise ProviderError(f"{provider}: {field} {path.name} must be a png, jpeg or webp image")
    return path.read_bytes(), mime


def _data_url(value: str, field: str, provider: str) -> tuple[bytes, str]:
    head, _, payload = value.partition(",")
    mime = head[5:].split(";")[0]
    if not head.endswith(";base64") or mime not in ("image/png", "image/jpeg", "image/webp"):
        raise ProviderError(f"{provider}: {field} must be a base64 png, jpeg or webp data URL")
    try:
        data = base64.b64decode(payload, validate=True)
    except ValueError:
        raise ProviderError(f"{provider}: {field} holds invalid base64") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise ProviderError(f"{provider}: {field} is {len(data)} bytes, over 10 MB")
    return data, mime


def image_reference(value: str, field: str, provider: str) -> str:
    """What a JSON API takes for an image input: an https (or data:) URL as given, a local file
    as a base64 data URI (fal and Replicate accept data URIs for file inputs)."""
    if _is_url(value):
        if value.lower().startswith("http:") and not is_loopback_url(value):
            raise ProviderError(f"{provider}: {field} must be an https URL, not plain http")
        return value
    data, mime = read_image(value, field, provider)
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def fitted_png(value: str, size: tuple[int, int], field: str, provider: str) -> bytes:
    """A local image scaled and centre-cropped to exactly `size`, as PNG (Sora wants the
    reference to match the output size)."""
    from PIL import Image, ImageOps

    data, _ = read_image(value, field, provider)
    try:
        with Image.open(io.BytesIO(data)) as image:
            fitted = ImageOps.fit(image.convert("RGB"), size)
    except OSError as exc:
        raise ProviderError(f"{provider}: {field} is not a readable image ({exc})") from None
    buffer = io.BytesIO()
    fitted.save(buffer, format="PNG")
    return buffer.getvalue()


# --- clients ---------------------------------------------------------------------------------


class PerLoop(Generic[T]):
    """One lazily built client per running event loop (a client bound to a finished loop fails
    on its next request, and the CLI may run several loops one after another)."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: T | None = None

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = self._factory(), loop
        return self._client


async def fetch_bytes(client: httpx.AsyncClient, url: str, *, max_bytes: int,
                      allow_loopback_http: bool, policy: RetryPolicy, what: str) -> bytes:
    """GET a small result file (an image) into memory: https only (http to loopback when
    allowed), no credentials (the caller passes none), transient failures retried; a body over
    `max_bytes` (declared or received) is refused."""
    target = check_download_url(url, allow_loopback_http=allow_loopback_http)
    response = await send(client, "GET", str(target), policy=policy)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ProviderError(f"{what}: {where(target)} is over the {max_bytes} byte cap")
    if response.status_code != 200:
        raise ProviderError(f"{what}: fetching {where(target)} answered HTTP "
                            f"{response.status_code}",
                            retryable=response.status_code in RETRY_STATUSES)
    if len(response.content) > max_bytes:
        raise ProviderError(f"{what}: {where(target)} is over the {max_bytes} byte cap")
    return response.content

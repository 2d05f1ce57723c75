"""What the remote adapters share besides HTTP (that is http.py): keys and settings from the
environment, the submit-once task record, JSON bodies, reference images as request fields and
error wording.

Keys live in `Secret`, whose repr and str never show the value, so a key cannot reach a log,
an error, a checkpoint or a repr by accident; `redact` scrubs it from any text a service
echoes back.
"""

from __future__ import annotations

import base64
import io
import mimetypes
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from director.config import env_int
from director.errors import DirectorError, ProviderError
from director.film import TaskRef
from director.tools.providers.http import check_base_url, is_loopback
from director.tools.providers.tasklog import TaskLog

MAX_IMAGE_BYTES = 10 * 1024 * 1024
"""Largest reference image sent inline (Kling's documented image limit is 10 MB)."""
POLICY_WORDS = ("content policy", "content_policy", "moderation", "safety", "sensitive", "nsfw",
                "risk control", "prohibited", "violates")
"""Words services use when they refuse content (Kling's failures speak of "risk control");
such failures are marked as policy refusals."""


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
    """Whether `url` points at this machine (results may then come over plain http)."""
    return is_loopback(urlsplit(url).hostname or "")


def base_url(env: str, default: str) -> str:
    """A service base URL from `env` (else `default`), without a trailing slash. Keys travel to
    it, so it must be https; plain http is accepted only for a loopback address (tests, local
    gateways)."""
    return check_base_url(os.environ.get(env, "").strip() or default, env)


def concurrency(env: str, default: int) -> int:
    """Tasks at once for one account, from `env` (1-64), else `default`."""
    return env_int(env, default, 1, 64)


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object, or {} (an HTML error page, a list, nothing)."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


async def submit_once(log: TaskLog, key: str, model: str,
                      create: Callable[[], Awaitable[TaskRef]]) -> TaskRef:
    """The task already made under `key` for `model`, else `create()`'s, recorded in `log`
    the moment the service answers (before anything polls it), so no take is paid twice."""
    recorded = log.get(key)
    if recorded is not None and recorded.model == model:
        return recorded
    ref = await create()
    log.put(key, ref)
    return ref


def same_origin(url: str, base: str) -> bool:
    """Whether `url` is on the host a key is meant for (it is sent nowhere else)."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def on_base(url: str, base: str) -> str:
    """A URL the service returned, made safe to send the key to: as given when it is on `base`,
    else the same path on `base`. A gateway configured by env answers with the upstream host's
    URLs; refusing them would strand a task already paid for, following them would send the
    key to a host nobody configured."""
    if not url or same_origin(url, base):
        return url
    parts = urlsplit(url)
    return base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")


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
    """`text` on one line, at most `limit` characters; a proxy's HTML error page is named, not
    pasted."""
    text = " ".join(str(text).split())
    if text.startswith("<") and "html" in text[:200].lower():
        return "(an HTML error page)"
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

"""OpenAI Sora 2 through the openai SDK's `client.videos` (providers.md section 2).

create (multipart: prompt, model, seconds "4"/"8"/"12", size, optional `input_reference` image)
-> poll with retrieve (queued -> in_progress -> completed | failed) -> download_content, plus
remix. OpenAI announced the shutdown of this endpoint for 2026-09-24 (the SDK marks every
`videos` method deprecated); the adapter stays for OpenAI-compatible gateways that keep serving
it: point OPENAI_BASE_URL at one.

The SDK's own retries are off (max_retries=0): retries go through http.retrying so a create
that may have reached the service is never sent twice. The service has no idempotency field:
the take's key is kept in the TaskRef and the adapter's task log.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import openai

from director.errors import ProviderError
from director.film import GenerationRequest, TaskRef, TaskStatus
from director.tools.catalog import ModelSpec
from director.tools.providers import guards
from director.tools.providers.download import DEFAULT_MAX_BYTES, check_video
from director.tools.providers.http import (
    DEFAULT_RETRY,
    NOT_ACTED_STATUSES,
    POLL_RETRY,
    PerLoop,
    RetryPolicy,
    may_have_run,
    retrying,
)
from director.tools.providers.remote import (
    base_url,
    clip_text,
    fitted_png,
    is_policy,
    require_key,
    submit_once,
)
from director.tools.providers.tasklog import TaskLog

T = TypeVar("T")
API_BASE = "https://api.openai.com/v1"
"""OpenAI's API; OPENAI_BASE_URL points the adapter at a compatible gateway instead."""
_SHUTDOWN_NOTICE = "The Sora API is scheduled to permanently shut down"
_STATES = {"queued": "queued", "in_progress": "running", "completed": "succeeded",
           "failed": "failed"}
# Transport failures that happen before a request is sent: safe to retry even a create.
_NOT_SENT = ("ConnectError", "ConnectTimeout", "PoolTimeout")


def sora_params(spec: ModelSpec, request: GenerationRequest) -> dict[str, Any]:
    """The keyword arguments of `client.videos.create` for `request`."""
    m = spec.id
    for field, value in (("element_ids", request.element_ids),
                         ("element_images", request.element_images),
                         ("last_frame", request.last_frame)):
        if value:
            raise ProviderError(f"{m} cannot take {field}: Sora 2 has no such input")
    params: dict[str, Any] = {
        "prompt": request.prompt,
        "model": spec.api_name,
        "seconds": str(round(request.duration_s)),  # a string: "8", never 8
        "size": f"{request.width}x{request.height}",
    }
    reference = request.first_frame
    if reference.startswith("https://"):
        # The SDK types allow {"image_url": ...} but its multipart encoder accepts only files
        # there, so the reference object goes as the form field input_reference[image_url].
        params["extra_body"] = {"input_reference": {"image_url": reference}}
    elif reference:
        # The reference should match the output size: send it fitted to it.
        png = fitted_png(reference, (request.width, request.height), "first_frame", "openai")
        params["input_reference"] = ("first_frame.png", png, "image/png")
    return params


def error_from(exc: Exception, what: str, key_env: str, *, sent_once: bool = False
               ) -> ProviderError:
    """ProviderError for an SDK exception. 408, 429 (except exhausted quota), 5xx and
    connection failures are retryable; with `sent_once` (a create), a failure after the request
    may have arrived (a cut connection, a 500, 502 or 504) is final, so a paid job is never
    started twice."""
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = clip_text(str(body.get("message") or exc.message))
        code = str(exc.code or "")
        if status == 401:
            return ProviderError(f"openai refused the key in ${key_env} (HTTP 401) on {what}")
        policy = "moderation" in code or is_policy(detail)
        suffix = f" [{code}]" if code else ""
        message = f"openai {what}: HTTP {status}{suffix} {detail}"
        if sent_once and may_have_run(status):
            return ProviderError(f"{message}; the job may have started, so it is not sent again",
                                 policy=policy)
        retryable = (status in NOT_ACTED_STATUSES and code != "insufficient_quota") or (
            status >= 500)
        return ProviderError(message, retryable=retryable and not policy, policy=policy)
    if isinstance(exc, openai.APIConnectionError):
        cause = type(exc.__cause__).__name__ if exc.__cause__ else ""
        if sent_once and cause not in _NOT_SENT:
            return ProviderError(f"openai {what}: the connection failed after sending "
                                 f"({cause or 'timeout'}); the job may have started, so it is "
                                 "not sent again")
        return ProviderError(f"openai {what}: connection failed ({cause or 'timeout'})",
                             retryable=True)
    return ProviderError(f"openai {what}: {type(exc).__name__}: {clip_text(str(exc))}")


def failure_text(video: Any) -> str:
    error = getattr(video, "error", None)
    code = str(getattr(error, "code", "") or "")
    message = clip_text(str(getattr(error, "message", "") or "the video failed"))
    text = f"{message} [{code}]" if code else message
    return f"content policy: {text}" if is_policy(text) or "moderation" in code else text


class OpenAIVideoProvider:
    """Sora 2 and Sora 2 Pro over the openai SDK (a VideoProvider)."""

    name = "openai"
    max_concurrency = 2
    poll_interval_s = 10.0

    def __init__(self, work_dir: Path, *, client_factory: Callable[[], openai.AsyncOpenAI],
                 key_env: str = "OPENAI_API_KEY", policy: RetryPolicy = DEFAULT_RETRY,
                 poll_policy: RetryPolicy = POLL_RETRY, max_bytes: int = DEFAULT_MAX_BYTES
                 ) -> None:
        self.clients: PerLoop[openai.AsyncOpenAI] = PerLoop(client_factory)
        self.key_env = key_env
        self.tasks = TaskLog(work_dir, self.name)
        self.policy, self.poll_policy = policy, poll_policy
        self.max_bytes = max_bytes
        # The shutdown is known and documented (README); the SDK warns on every call.
        warnings.filterwarnings("ignore", message=_SHUTDOWN_NOTICE, category=DeprecationWarning)

    def __repr__(self) -> str:
        return "OpenAIVideoProvider()"

    async def _call(self, what: str, call: Callable[[openai.AsyncOpenAI], Awaitable[T]], *,
                    policy: RetryPolicy, sent_once: bool = False) -> T:
        async def attempt() -> T:
            try:
                return await call(self.clients.get())
            except openai.OpenAIError as exc:
                raise error_from(exc, what, self.key_env, sent_once=sent_once) from None

        return await retrying(attempt, label=f"openai {what}", policy=policy,
                              idempotent=not sent_once)

    async def _start(self, what: str, model: str, key: str,
                     call: Callable[[openai.AsyncOpenAI], Awaitable[Any]]) -> TaskRef:
        async def create() -> TaskRef:
            video = await self._call(what, call, policy=self.policy, sent_once=True)
            return TaskRef(provider=self.name, task_id=str(video.id), model=model,
                           submitted_at=time.time(), idempotency_key=key)

        return await submit_once(self.tasks, key, model, create)

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        spec = guards.check_request(request)
        params = sora_params(spec, request)
        return await self._start("create", request.model, idempotency_key,
                                 lambda c: c.videos.create(**params))

    async def remix(self, ref: TaskRef, prompt: str, idempotency_key: str) -> TaskRef:
        """Start a remix of a completed video with a changed prompt (same model and length)."""
        if not prompt.strip():
            raise ProviderError(f"{ref.model} cannot take an empty remix prompt")
        return await self._start("remix", ref.model, idempotency_key,
                                 lambda c: c.videos.remix(ref.task_id, prompt=prompt))

    async def check(self) -> str:
        """One cheap authenticated call (`GET /models`); nothing is rendered or billed."""
        page = await self._call("models.list", lambda c: c.models.list(),
                                policy=self.poll_policy)
        ids = {m.id for m in page.data}
        sora = sorted(i for i in ids if i.startswith("sora"))
        return f"key accepted; Sora models listed: {', '.join(sora) or 'none'}"

    async def poll(self, ref: TaskRef) -> TaskStatus:
        video = await self._call("retrieve", lambda c: c.videos.retrieve(ref.task_id),
                                 policy=self.poll_policy)
        state = _STATES.get(str(video.status))
        if state is None:
            raise ProviderError(f"openai answered an unknown status {video.status!r}",
                                retryable=True)
        if state == "failed":
            error = failure_text(video)
            return TaskStatus(state="failed", error=error, policy=is_policy(error))
        progress = float(getattr(video, "progress", 0) or 0) / 100
        return TaskStatus(state=state, progress=1.0 if state == "succeeded" else progress)  # type: ignore[arg-type]

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        dest = Path(dest)

        async def attempt() -> Path:
            return await self._download_once(ref.task_id, dest)

        return await retrying(attempt, label="openai download", policy=self.policy)

    async def _download_once(self, video_id: str, dest: Path) -> Path:
        import httpx2  # the SDK's transport; its errors surface while streaming a body

        client = self.clients.get()
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.stem}.", suffix=".part.mp4")
        tmp = Path(name)
        try:
            stream = client.videos.with_streaming_response.download_content(
                video_id, variant="video")
            size = 0
            with os.fdopen(fd, "wb") as fh:
                async with stream as response:
                    async for chunk in response.iter_bytes():
                        size += len(chunk)
                        if size > self.max_bytes:
                            raise ProviderError(f"openai download passed the {self.max_bytes} "
                                                "byte cap")
                        fh.write(chunk)
                fh.flush()
                os.fsync(fh.fileno())
            await asyncio.to_thread(check_video, tmp)
            os.replace(tmp, dest)
            return dest
        except openai.OpenAIError as exc:
            raise error_from(exc, "download", self.key_env) from None
        except httpx2.HTTPError as exc:
            raise ProviderError(f"openai download broke off ({type(exc).__name__})",
                                retryable=True) from None
        finally:
            tmp.unlink(missing_ok=True)


def make_openai(work_dir: Path) -> OpenAIVideoProvider:
    """The Sora adapter from OPENAI_API_KEY and OPENAI_BASE_URL (default api.openai.com/v1)."""
    key = require_key("OPENAI_API_KEY", "openai")
    base = base_url("OPENAI_BASE_URL", API_BASE)

    def client() -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(api_key=key.reveal(), base_url=base, max_retries=0,
                                  timeout=60.0)

    return OpenAIVideoProvider(work_dir, client_factory=client, key_env=key.env)

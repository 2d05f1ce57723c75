"""PiAPI's Kling task API (providers.md §5): one create endpoint, one query endpoint, an API key.

Create: POST {base}/api/v1/task with `X-API-Key` and
{"model": "kling", "task_type": "video_generation", "input": {"version", "mode", "duration"
(an integer), "aspect_ratio", "prompt"}}. Query: GET {base}/api/v1/task/{task_id}; `data.status`
goes pending -> processing -> completed | failed, the clip at `data.output.video_url`.

Only what the reference documents is sent (plus `negative_prompt`, Kling's own field name).
Image frames, sound, camera control and multi-shot have no documented field here, and Kling 3.0
lives on a separate PiAPI endpoint, so such requests are refused before any money is spent.
PiAPI documents no idempotency key: a create is never re-sent once it may have reached the
server, and the local task log answers a resumed submit with the task already made. Answers
come in the envelope {"code", "data", "message"}; a non-200 `code` is an error even under
HTTP 200.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, TaskRef, TaskStatus
from director.tools.catalog import ModelSpec
from director.tools.providers import guards
from director.tools.providers.download import download_video
from director.tools.providers.http import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    POLL_RETRY,
    RETRY_STATUSES,
    LoopClient,
    RetryPolicy,
    check_base_url,
    make_client,
    send,
    unsure_create,
    where,
)
from director.tools.providers.remote import (
    Secret,
    clip_text,
    concurrency,
    is_policy,
    json_object,
    redact,
    require_key,
    submit_once,
)
from director.tools.providers.tasklog import TaskLog

DEFAULT_BASE = "https://api.piapi.ai"
"""PiAPI's API host."""
DEFAULT_CONCURRENCY = 2
"""PiAPI publishes no per-account figure; override with PIAPI_CONCURRENCY."""
VERSIONS = {"kling-v2-6": "2.6", "kling-v2-1": "2.1", "kling-v2-5-turbo": "2.5",
            "kling-v1-6": "1.6", "kling-v1-5": "1.5", "kling-v1": "1.0"}
"""Kling api name -> PiAPI `input.version` for models served by the task API."""
_STATES = {"pending": "queued", "staged": "queued", "processing": "running",
           "completed": "succeeded", "failed": "failed"}
_OK_CODES = (0, 200)
"""Envelope `code`s of a successful answer."""


def _unsupported(spec: ModelSpec, request: GenerationRequest) -> str:
    """The first asked-for feature PiAPI's documented task input cannot carry, or ""."""
    if spec.api_name not in VERSIONS:
        return "model (Kling 3.0 and master models use separate PiAPI endpoints)"
    asked = [
        ("first_frame", bool(request.first_frame)),
        ("last_frame", bool(request.last_frame)),
        ("audio", request.audio),
        ("camera_control", request.camera_control is not None),
        ("multi_prompt", bool(request.multi_prompt)),
        ("element_images", bool(request.element_images or request.element_ids)),
    ]
    return next((name for name, wanted in asked if wanted), "")


def build_input(request: GenerationRequest, spec: ModelSpec) -> dict[str, Any]:
    """The `input` object of a PiAPI Kling video_generation task."""
    body: dict[str, Any] = {
        "version": VERSIONS[spec.api_name],
        "mode": spec.mode or "std",
        "duration": round(request.duration_s),
        "aspect_ratio": request.aspect_ratio,
        "prompt": request.prompt,
    }
    if request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt
    return body


def envelope(response: httpx.Response) -> tuple[int | None, str, dict[str, Any]]:
    """(code, message, task) of an answer: the envelope's code and message (None and "" when
    there is no envelope) and the task object, whether or not it comes wrapped in one."""
    payload = json_object(response)
    code = payload.get("code")
    inner = payload.get("data")
    task = inner if isinstance(inner, dict) else ({} if "data" in payload else payload)
    return (code if isinstance(code, int) else None), str(payload.get("message") or ""), task


def _reason(task: dict[str, Any]) -> str:
    error = task.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(error or "")


def error_from(response: httpx.Response, action: str, key: Secret) -> ProviderError:
    """The ProviderError for a failed PiAPI answer: 401/403 name the key's variable, 408, 429
    and 5xx (or the same envelope codes) are retryable, content refusals are marked policy."""
    status = response.status_code
    code, message, task = envelope(response)
    detail = clip_text(_reason(task) or message or response.reason_phrase)
    if status in (401, 403) or code in (401, 403):
        return ProviderError(f"piapi refused the key in ${key.env} (HTTP {status}) on {action}")
    shown = f"HTTP {status}" + (f" code {code}" if code not in (None, status) else "")
    policy = is_policy(detail)
    retryable = not policy and (status in RETRY_STATUSES or code in RETRY_STATUSES)
    return ProviderError(redact(f"piapi {action}: {shown}: {detail}", key),
                         retryable=retryable, policy=policy)


class PiAPIProvider:
    """The VideoProvider for PiAPI's Kling task API."""

    name = "piapi"
    poll_interval_s = 10.0

    def __init__(
        self,
        work_dir: Path,
        *,
        api_key: str | Secret,
        base_url: str = DEFAULT_BASE,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy = DEFAULT_RETRY,
        poll_retry: RetryPolicy = POLL_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.base_url = check_base_url(base_url, "piapi base URL")
        # Plain-http results only when the API itself is on this machine (loopback tests).
        self._loopback = self.base_url.startswith("http:")
        self.max_concurrency = max_concurrency
        self._key = api_key if isinstance(api_key, Secret) else Secret(api_key, "PIAPI_API_KEY")
        self._retry, self._poll_retry = retry, poll_retry
        self._log = TaskLog(self.work_dir, self.name)
        self._clients = LoopClient(
            lambda: make_client(base_url=self.base_url, transport=transport, timeout=timeout)
        )

    def __repr__(self) -> str:
        return f"PiAPIProvider(base_url={self.base_url!r})"

    async def _send(self, method: str, path: str, *, idempotent: bool,
                    policy: RetryPolicy | None = None, **kwargs: Any) -> httpx.Response:
        return await send(
            self._clients.get(), method, path, policy=policy or self._retry,
            idempotent=idempotent,
            headers={"X-API-Key": self._key.reveal(), "Content-Type": "application/json"},
            **kwargs,
        )

    async def check(self) -> str:
        """One cheap authenticated call: ask for a task id that cannot exist. PiAPI answers
        401/403 for a bad key and "not found" for a good one; nothing is created or billed."""
        response = await self._send("GET", "/api/v1/task/director-key-check", idempotent=True)
        if response.status_code in (401, 403) or response.status_code >= 500:
            raise error_from(response, "check key", self._key)
        return f"key accepted by {where(self.base_url)}"

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        spec = guards.check_request(request)
        missing = _unsupported(spec, request)
        if missing:
            raise ProviderError(
                f"{spec.id} cannot take {missing} through PiAPI's documented Kling task input"
            )
        body = {"model": "kling", "task_type": "video_generation",
                "input": build_input(request, spec)}

        async def create() -> TaskRef:
            # No idempotency key exists: never re-send a create that may have reached PiAPI.
            response = await self._send("POST", "/api/v1/task", idempotent=False, json=body)
            code, _, task = envelope(response)
            if response.status_code != 200 or code not in (None, *_OK_CODES) or not task.get(
                    "task_id"):
                raise unsure_create(error_from(response, "create task", self._key),
                                    response.status_code)
            task_id = str(task["task_id"])
            return TaskRef(provider=self.name, task_id=task_id, model=request.model,
                           submitted_at=time.time(), idempotency_key=idempotency_key,
                           urls={"status": f"/api/v1/task/{task_id}"})

        return await submit_once(self._log, idempotency_key, request.model, create)

    async def poll(self, ref: TaskRef) -> TaskStatus:
        path = ref.urls.get("status") or f"/api/v1/task/{ref.task_id}"
        # A poll is repeated by the caller anyway: a failing one is reported soon.
        response = await self._send("GET", path, idempotent=True, policy=self._poll_retry)
        code, _, task = envelope(response)
        if response.status_code != 200 or code not in (None, *_OK_CODES) or not task:
            raise error_from(response, f"get task {ref.task_id}", self._key)
        raw = str(task.get("status", "")).lower()
        state = _STATES.get(raw)
        if state is None:
            raise ProviderError(f"piapi task {ref.task_id}: unknown status {raw!r}",
                                retryable=True)
        if state == "failed":
            reason = clip_text(_reason(task) or "no reason given")
            return TaskStatus(state="failed", error=f"piapi task {ref.task_id} failed: {reason}",
                              policy=is_policy(reason))
        if state != "succeeded":
            return TaskStatus(state=state)  # type: ignore[arg-type]
        output = task.get("output")
        url = str(output.get("video_url") or "") if isinstance(output, dict) else ""
        if not url:
            return TaskStatus(state="failed", retryable=True,
                              error=f"piapi task {ref.task_id} completed without a video_url")
        return TaskStatus(state="succeeded", progress=1.0, video_url=url)

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        if not status.video_url:
            raise ProviderError(f"piapi task {ref.task_id} has no video url to download")
        return await download_video(None, status.video_url, Path(dest),
                                    allow_loopback_http=self._loopback, policy=self._retry)


def piapi_from_env(work_dir: Path) -> PiAPIProvider:
    """The adapter configured from PIAPI_API_KEY, PIAPI_API_BASE and PIAPI_CONCURRENCY."""
    if not os.environ.get("PIAPI_API_KEY", "").strip():
        raise DirectorError("the piapi provider needs PIAPI_API_KEY set in the environment")
    base = os.environ.get("PIAPI_API_BASE", "").strip() or DEFAULT_BASE
    return PiAPIProvider(
        work_dir,
        api_key=require_key("PIAPI_API_KEY", "piapi"),
        base_url=check_base_url(base, "PIAPI_API_BASE"),
        max_concurrency=concurrency("PIAPI_CONCURRENCY", DEFAULT_CONCURRENCY),
    )

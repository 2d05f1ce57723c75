"""PiAPI's Kling task API (providers.md §5): one create endpoint, one query endpoint, an API key.

Create: POST {base}/api/v1/task with `X-API-Key` and
{"model": "kling", "task_type": "video_generation", "input": {"version", "mode", "duration"
(an integer), "aspect_ratio", "prompt"}}. Query: GET {base}/api/v1/task/{task_id}; `data.status`
goes pending -> processing -> completed | failed, the clip at `data.output.video_url`.

Only what the reference documents is sent (plus `negative_prompt`, Kling's own field name).
Image frames, sound, camera control and multi-shot have no documented field here, and Kling 3.0
lives on a separate PiAPI endpoint, so such requests are refused before any money is spent.
PiAPI documents no idempotency key: a create is never re-sent once it may have reached the
server, and the local task log answers a resumed submit with the task already made.
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
from director.tools.providers.http import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    LoopClient,
    RetryPolicy,
    download_video,
    is_loopback,
    make_client,
    send,
    where,
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


def _data(response: httpx.Response) -> dict[str, Any]:
    """The task object, whether or not it comes wrapped in {"code", "data", "message"}."""
    try:
        payload = response.json()
    except ValueError:
        return {}
    if not isinstance(payload, dict):
        return {}
    inner = payload.get("data")
    return inner if isinstance(inner, dict) else payload


def _error(response: httpx.Response, action: str) -> ProviderError:
    status = response.status_code
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    detail = ""
    if isinstance(payload, dict):
        error = (payload.get("data") or {}).get("error") if isinstance(
            payload.get("data"), dict) else payload.get("error")
        detail = str((error or {}).get("message") if isinstance(error, dict) else error or "")
        detail = detail or str(payload.get("message") or "")
    what = f"piapi {action}: HTTP {status}" + (f": {detail}" if detail else "")
    if status in (401, 403):
        return ProviderError(f"{what}; check PIAPI_API_KEY")
    return ProviderError(what, retryable=status >= 500 or status in (408, 429))


class PiAPIProvider:
    """The VideoProvider for PiAPI's Kling task API."""

    name = "piapi"
    poll_interval_s = 10.0

    def __init__(
        self,
        work_dir: Path,
        *,
        api_key: str,
        base_url: str = DEFAULT_BASE,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.base_url = base_url.rstrip("/")
        try:
            base = httpx.URL(self.base_url)
        except httpx.InvalidURL:
            raise DirectorError(f"piapi base URL {self.base_url!r} is not a URL") from None
        if base.scheme != "https" and not (base.scheme == "http" and is_loopback(base.host)):
            raise DirectorError(
                f"piapi base URL {self.base_url!r} must be https (plain http only on loopback)"
            )
        self._loopback = base.scheme == "http"
        self.max_concurrency = max_concurrency
        self._key = api_key
        self._retry = retry
        self._log = TaskLog(self.work_dir, self.name)
        self._clients = LoopClient(
            lambda: make_client(base_url=self.base_url, transport=transport, timeout=timeout)
        )

    def __repr__(self) -> str:
        return f"PiAPIProvider(base_url={self.base_url!r})"

    async def _send(self, method: str, path: str, *, idempotent: bool,
                    **kwargs: Any) -> httpx.Response:
        return await send(
            self._clients.get(), method, path, policy=self._retry, idempotent=idempotent,
            headers={"X-API-Key": self._key, "Content-Type": "application/json"}, **kwargs,
        )

    async def check(self) -> str:
        """One cheap authenticated call: ask for a task id that cannot exist. PiAPI answers
        401/403 for a bad key and "not found" for a good one; nothing is created or billed."""
        response = await self._send("GET", "/api/v1/task/director-key-check", idempotent=True)
        if response.status_code in (401, 403):
            raise ProviderError(
                f"piapi refused the key (HTTP {response.status_code})", retryable=False
            )
        if response.status_code >= 500:
            raise _error(response, "check key")
        return f"key accepted by {where(self.base_url)}"

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        spec = guards.check_request(request)
        missing = _unsupported(spec, request)
        if missing:
            raise ProviderError(
                f"{spec.id} cannot take {missing} through PiAPI's documented Kling task input"
            )
        recorded = self._log.get(idempotency_key)
        if recorded is not None:
            return recorded
        body = {"model": "kling", "task_type": "video_generation",
                "input": build_input(request, spec)}
        # No idempotency key exists: never re-send a create that may have reached the server.
        response = await self._send("POST", "/api/v1/task", idempotent=False, json=body)
        data = _data(response)
        if response.status_code != 200 or not data.get("task_id"):
            raise _error(response, "create task")
        task_id = str(data["task_id"])
        ref = TaskRef(provider=self.name, task_id=task_id, model=request.model,
                      submitted_at=time.time(), urls={"status": f"/api/v1/task/{task_id}"})
        self._log.put(idempotency_key, ref)
        return ref

    async def poll(self, ref: TaskRef) -> TaskStatus:
        path = ref.urls.get("status") or f"/api/v1/task/{ref.task_id}"
        response = await self._send("GET", path, idempotent=True)
        data = _data(response)
        if response.status_code != 200 or not data:
            raise _error(response, f"get task {ref.task_id}")
        raw = str(data.get("status", "")).lower()
        state = _STATES.get(raw)
        if state is None:
            raise ProviderError(f"piapi task {ref.task_id}: unknown status {raw!r}",
                                retryable=True)
        if state == "failed":
            error = data.get("error") or {}
            reason = (error.get("message") if isinstance(error, dict) else str(error)) or (
                "no reason given")
            return TaskStatus(state="failed", error=f"piapi task {ref.task_id} failed: {reason}")
        if state != "succeeded":
            return TaskStatus(state=state)  # type: ignore[arg-type]
        url = str((data.get("output") or {}).get("video_url") or "")
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
    key = os.environ.get("PIAPI_API_KEY", "").strip()
    if not key:
        raise DirectorError("the piapi provider needs PIAPI_API_KEY set in the environment")
    raw = os.environ.get("PIAPI_CONCURRENCY", "").strip()
    if raw and not (raw.isdigit() and 1 <= int(raw) <= 64):
        raise DirectorError(f"PIAPI_CONCURRENCY={raw!r} must be a whole number from 1 to 64")
    return PiAPIProvider(
        work_dir,
        api_key=key,
        base_url=os.environ.get("PIAPI_API_BASE", "").strip() or DEFAULT_BASE,
        max_concurrency=int(raw) if raw else DEFAULT_CONCURRENCY,
    )

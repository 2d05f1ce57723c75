"""fal.ai: Kling 2.6 and 3.0 through fal's queue (providers.md section 3).

Protocol: `Authorization: Key $FAL_KEY`; POST the JSON input to `{FAL_QUEUE_BASE}/{endpoint}`;
the answer carries `request_id` and the status, result and cancel URLs, which are used as given
(fal builds them from `{owner}/{app}` only and asks clients not to build them). Status answers
202 while queued or running and 200 when COMPLETED; the result then holds `video.url`.

fal's Kling endpoints default `generate_audio` to true, so it is always sent, false for a
silent take. fal has no idempotency field: the take's key is kept in the TaskRef and in the
adapter's task log (tasklog.py) so a replayed submit reuses the paid request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from director.errors import ProviderError
from director.film import GenerationRequest, TaskRef, TaskStatus
from director.tools.catalog import ModelSpec
from director.tools.providers import guards
from director.tools.providers.download import DEFAULT_MAX_BYTES, download_video
from director.tools.providers.http import (
    DEFAULT_RETRY,
    POLL_RETRY,
    RETRY_STATUSES,
    LoopClient,
    RetryPolicy,
    make_client,
    send,
    unsure_create,
)
from director.tools.providers.remote import (
    Secret,
    base_url,
    clip_text,
    image_reference,
    is_loopback_url,
    is_policy,
    json_object,
    on_base,
    redact,
    require_key,
    submit_once,
)
from director.tools.providers.tasklog import TaskLog

QUEUE_BASE = "https://queue.fal.run"
"""fal's queue host; FAL_QUEUE_BASE overrides it (a gateway, or a loopback fake in tests)."""
KLING_APPS: dict[str, str] = {
    "kling-v2-6-pro": "fal-ai/kling-video/v2.6/pro",
    "kling-v3-std": "fal-ai/kling-video/v3/standard",
    "kling-v3-pro": "fal-ai/kling-video/v3/pro",
    "kling-v3-4k": "fal-ai/kling-video/v3/4k",
}
"""Catalog id -> fal endpoint prefix; `/text-to-video` or `/image-to-video` is appended."""
RETRYABLE_ERROR_TYPES = frozenset({
    "internal_server_error", "generation_timeout", "downstream_service_error",
    "downstream_service_unavailable", "request_timeout", "startup_timeout",
})
"""fal `error_type`s where the same input may succeed later (fal's error documentation; any
`runner_*` type is treated the same). Unknown types count as final."""
POLICY_ERROR_TYPES = frozenset({"content_policy_violation"})


def endpoint_for(spec: ModelSpec, request: GenerationRequest) -> str:
    """The fal endpoint that renders `request` on `spec`."""
    app = KLING_APPS.get(spec.id)
    if app is None:
        raise ProviderError(f"fal has no endpoint for {spec.id} in this adapter "
                            f"(it serves {', '.join(KLING_APPS)})")
    return f"{app}/{'image-to-video' if request.first_frame else 'text-to-video'}"


def fal_input(spec: ModelSpec, request: GenerationRequest) -> dict[str, Any]:
    """The JSON input of the Kling endpoint, field by field as fal documents it."""
    m = spec.id
    if request.element_ids:
        raise ProviderError(f"{m} cannot take element_ids on fal: registered Kling elements "
                            "exist only on Kling's own API")
    if request.element_images:
        raise ProviderError(f"{m} cannot take element_images on fal: this adapter does not "
                            "know fal's element format; use the kling provider")
    if request.last_frame and not request.first_frame:
        raise ProviderError(f"{m} cannot take last_frame alone on fal: its image-to-video "
                            "needs start_image_url (give first_frame)")
    body: dict[str, Any] = {}
    if request.multi_prompt:
        body["multi_prompt"] = [
            {"prompt": s.prompt, "duration": str(round(s.duration_s))}
            for s in request.multi_prompt
        ]
        body["shot_type"] = "customize"  # fal spells Kling's values customize / intelligent
    else:
        body["prompt"] = request.prompt
    body["duration"] = str(round(request.duration_s))  # a string on fal, "5" not 5
    if request.first_frame:
        body["start_image_url"] = image_reference(request.first_frame, "first_frame", "fal")
        if request.last_frame:
            body["end_image_url"] = image_reference(request.last_frame, "last_frame", "fal")
    else:
        body["aspect_ratio"] = request.aspect_ratio  # image-to-video follows the image
    body["generate_audio"] = request.audio  # fal defaults it to true: always say
    if request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt
    return body


def error_from(response: httpx.Response, what: str, key: Secret) -> ProviderError:
    """The ProviderError for a non-success answer: 401/403 name the key's variable, 422 lists
    the fields fal rejected, content-policy refusals are marked, 429/5xx are retryable."""
    status = response.status_code
    body = json_object(response)
    error_type = response.headers.get("x-fal-error-type") or str(body.get("error_type", ""))
    detail = _detail(body.get("detail", body.get("error", ""))) or response.reason_phrase
    if status in (401, 403):
        return ProviderError(f"fal refused the key in ${key.env} (HTTP {status}) on {what}")
    policy = error_type in POLICY_ERROR_TYPES or is_policy(detail)
    retryable = not policy and (status in RETRY_STATUSES or _retryable_type(error_type))
    kind = f" [{error_type}]" if error_type else ""
    message = f"fal {what}: HTTP {status}{kind} {clip_text(detail)}"
    return ProviderError(redact(message, key), retryable=retryable, policy=policy)


def _retryable_type(error_type: str) -> bool:
    return error_type in RETRYABLE_ERROR_TYPES or error_type.startswith("runner_")


def _detail(detail: Any) -> str:
    if isinstance(detail, list):  # 422: [{"loc": [...], "msg": ..., "type": ...}]
        parts = []
        for item in detail:
            if isinstance(item, dict):
                loc = ".".join(str(p) for p in item.get("loc", []) if p != "body")
                parts.append(f"{loc}: {item.get('msg', '')}" if loc else str(item.get("msg", "")))
        return "; ".join(parts)
    return str(detail or "")


@dataclass(frozen=True)
class QueueUrls:
    """The URLs fal returned for one request."""

    status_url: str
    response_url: str
    cancel_url: str


class FalQueue:
    """fal's queue protocol, shared by the video and image adapters."""

    def __init__(self, key: Secret, base: str, clients: LoopClient, *,
                 policy: RetryPolicy = DEFAULT_RETRY, poll_policy: RetryPolicy = POLL_RETRY
                 ) -> None:
        self.key, self.base, self.clients = key, base, clients
        self.policy, self.poll_policy = policy, poll_policy

    def __repr__(self) -> str:
        return f"FalQueue({self.base})"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Key {self.key.reveal()}"}

    async def submit(self, endpoint: str, body: dict[str, Any]) -> tuple[str, QueueUrls]:
        """Queue `body` on `endpoint`; the request id and the URLs to follow it with."""
        # Not idempotent: a POST that may have reached fal is not sent again.
        response = await send(self.clients.get(), "POST", f"{self.base}/{endpoint}",
                              json=body, headers=self._auth(), policy=self.policy,
                              idempotent=False)
        if response.status_code not in (200, 201, 202):
            raise unsure_create(error_from(response, f"submit to {endpoint}", self.key),
                                response.status_code)
        data = json_object(response)
        request_id = str(data.get("request_id", ""))
        # The key goes to these URLs: only ever to the configured queue host.
        urls = {name: on_base(str(data.get(name, "")), self.base)
                for name in ("status_url", "response_url", "cancel_url")}
        if not request_id or not all(urls.values()):
            raise ProviderError(f"fal answered the submit to {endpoint} without a request id "
                                "and its URLs; it may have started, so it is not sent again")
        return request_id, QueueUrls(**urls)

    async def status(self, urls: QueueUrls) -> tuple[int, dict[str, Any]]:
        response = await send(self.clients.get(), "GET", urls.status_url, headers=self._auth(),
                              policy=self.poll_policy)
        if response.status_code not in (200, 202):
            raise error_from(response, "status", self.key)
        return response.status_code, json_object(response)

    async def result(self, urls: QueueUrls) -> httpx.Response:
        return await send(self.clients.get(), "GET", urls.response_url, headers=self._auth(),
                          policy=self.poll_policy)

    async def cancel(self, urls: QueueUrls) -> bool:
        """Ask fal to cancel; False when the request had already completed."""
        response = await send(self.clients.get(), "PUT", urls.cancel_url, headers=self._auth(),
                              policy=self.policy)
        if response.status_code in (200, 202):
            return True
        done = json_object(response).get("status") == "ALREADY_COMPLETED"
        if response.status_code == 400 and done:
            return False
        raise error_from(response, "cancel", self.key)

    async def outcome(self, urls: QueueUrls) -> tuple[str, dict[str, Any], str, bool]:
        """(state, result body, error, retryable) for one look at a request."""
        code, body = await self.status(urls)
        state = str(body.get("status", ""))
        if code == 202 or state in ("IN_QUEUE", "IN_PROGRESS"):
            return ("queued" if state == "IN_QUEUE" else "running"), {}, "", False
        if state != "COMPLETED":
            raise ProviderError(f"fal status answered an unknown state {state!r}", retryable=True)
        if body.get("error"):
            error_type = str(body.get("error_type", ""))
            return "failed", {}, _failure(str(body["error"]), error_type), _retryable_type(
                error_type)
        response = await self.result(urls)
        if response.status_code == 200:
            return "succeeded", json_object(response), "", False
        error = error_from(response, "result", self.key)
        has_type = bool(response.headers.get("x-fal-error-type")
                        or json_object(response).get("error_type"))
        if error.retryable and not has_type:
            raise error  # the queue itself is struggling; the task may be fine: poll again
        return "failed", {}, _failure(str(error), "content_policy_violation" if error.policy
                                      else ""), error.retryable

    async def wait(self, urls: QueueUrls, *, interval_s: float, timeout_s: float
                   ) -> dict[str, Any]:
        """Poll until the request ends; its result body, or ProviderError."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                state, body, error, retryable = await self.outcome(urls)
            except ProviderError as exc:
                if not exc.retryable:
                    raise
                state, body, error, retryable = "running", {}, "", False
            if state == "succeeded":
                return body
            if state == "failed":
                raise ProviderError(error, retryable=retryable, policy=is_policy(error))
            await asyncio.sleep(interval_s)
        raise ProviderError(f"fal request still running after {timeout_s:g} s", retryable=True)


def _failure(message: str, error_type: str) -> str:
    text = clip_text(message)
    if error_type in POLICY_ERROR_TYPES and not is_policy(text):
        return f"content policy: {text}"
    return f"{text} [{error_type}]" if error_type else text


class FalProvider:
    """Kling on fal's queue (a VideoProvider)."""

    name = "fal"
    max_concurrency = 4
    poll_interval_s = 3.0

    def __init__(self, work_dir: Path, *, key: Secret, base: str = QUEUE_BASE,
                 client_factory: Callable[[], httpx.AsyncClient] | None = None,
                 policy: RetryPolicy = DEFAULT_RETRY, poll_policy: RetryPolicy = POLL_RETRY,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.base = base
        self.clients = LoopClient(client_factory or make_client)
        self.queue = FalQueue(key, base, self.clients, policy=policy, poll_policy=poll_policy)
        self.tasks = TaskLog(work_dir, self.name)
        self.policy = policy
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"FalProvider({self.base})"

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        spec = guards.check_request(request)
        endpoint = endpoint_for(spec, request)
        body = fal_input(spec, request)

        async def create() -> TaskRef:
            request_id, urls = await self.queue.submit(endpoint, body)
            return TaskRef(provider=self.name, task_id=request_id, model=request.model,
                           submitted_at=time.time(), idempotency_key=idempotency_key,
                           urls={"status": urls.status_url, "result": urls.response_url,
                                 "cancel": urls.cancel_url})

        return await submit_once(self.tasks, idempotency_key, request.model, create)

    @staticmethod
    def _urls(ref: TaskRef) -> QueueUrls:
        try:
            return QueueUrls(ref.urls["status"], ref.urls["result"], ref.urls["cancel"])
        except KeyError:
            raise ProviderError(f"fal task {ref.task_id} has no queue URLs recorded") from None

    async def poll(self, ref: TaskRef) -> TaskStatus:
        state, body, error, retryable = await self.queue.outcome(self._urls(ref))
        if state == "succeeded":
            url = str((body.get("video") or {}).get("url", ""))
            if not url:
                return TaskStatus(state="failed", error="fal finished without a video URL")
            return TaskStatus(state="succeeded", progress=1.0, video_url=url)
        if state == "failed":
            return TaskStatus(state="failed", error=error, retryable=retryable,
                              policy=is_policy(error))
        return TaskStatus(state=state)  # type: ignore[arg-type]  # fal reports no progress

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        url = status.video_url or (await self.poll(ref)).video_url
        if not url:
            raise ProviderError(f"fal task {ref.task_id} has no finished clip to download")
        return await download_video(self.clients.get(), url, Path(dest),
                                    max_bytes=self.max_bytes,
                                    allow_loopback_http=is_loopback_url(self.base),
                                    policy=self.policy)

    async def cancel(self, ref: TaskRef) -> bool:
        """Cancel a queued or running task; False when it had already finished."""
        return await self.queue.cancel(self._urls(ref))


def make_fal(work_dir: Path) -> FalProvider:
    """The fal adapter from FAL_KEY and FAL_QUEUE_BASE (default https://queue.fal.run)."""
    key = require_key("FAL_KEY", "fal")
    return FalProvider(work_dir, key=key, base=base_url("FAL_QUEUE_BASE", QUEUE_BASE))

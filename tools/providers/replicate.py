"""Replicate: Kling models as official-model predictions (providers.md section 4).

Protocol: `Authorization: Bearer $REPLICATE_API_TOKEN`; create with
`POST {REPLICATE_API_BASE}/v1/models/{owner}/{name}/predictions` and body `{"input": {...}}`;
follow the prediction through the `urls.get` and `urls.cancel` it returns; statuses go
starting -> processing -> succeeded | failed | canceled; on success `output` is the video URI.
Errors are RFC 7807 `{"type", "title", "status", "detail"}`.

Replicate's Kling inputs differ from Kling's own API: `duration` is an integer (5, not "5"),
images are `start_image` / `end_image`, and `generate_audio` defaults to on, so it is always
sent. Replicate documents no idempotency field: the take's key is kept in the TaskRef and the
adapter's task log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
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

API_BASE = "https://api.replicate.com"
"""Replicate's API host; REPLICATE_API_BASE overrides it."""
KLING_MODELS: dict[str, tuple[str, str]] = {
    "kling-v2-6-pro": ("kwaivgi/kling-v2.6", ""),
    "kling-v3-std": ("kwaivgi/kling-v3-video", "standard"),
    "kling-v3-pro": ("kwaivgi/kling-v3-video", "pro"),
    "kling-v3-4k": ("kwaivgi/kling-v3-video", "4k"),
    "kling-v2-1-std": ("kwaivgi/kling-v2.1", "standard"),
    "kling-v2-1-pro": ("kwaivgi/kling-v2.1", "pro"),
}
"""Catalog id -> (Replicate model, `mode` input or "" when the model takes none)."""
_SILENT_MODELS = frozenset({"kwaivgi/kling-v2.1"})
"""Models with no `generate_audio` input."""
_NO_END_IMAGE = frozenset({"kwaivgi/kling-v2.6"})
"""Models whose `end_image` input is unconfirmed [U]: refused rather than guessed."""
_STATES = {"starting": "queued", "processing": "running", "succeeded": "succeeded",
           "failed": "failed", "canceled": "failed"}


def model_for(spec: ModelSpec) -> tuple[str, str]:
    found = KLING_MODELS.get(spec.id)
    if found is None:
        raise ProviderError(f"replicate has no model for {spec.id} in this adapter "
                            f"(it serves {', '.join(KLING_MODELS)})")
    return found


def replicate_input(spec: ModelSpec, request: GenerationRequest) -> dict[str, Any]:
    """The prediction `input` for `request`, field by field as the model page lists it."""
    model, mode = model_for(spec)
    m = spec.id
    for field, values in (("element_ids", request.element_ids),
                          ("element_images", request.element_images)):
        if values:
            raise ProviderError(f"{m} cannot take {field} on replicate: {model} lists no "
                                "element input; use the kling provider")
    if request.multi_prompt:
        raise ProviderError(f"{m} cannot take multi_prompt on replicate: the input's format "
                            "is not documented; use the kling or fal provider")
    if request.last_frame and model in _NO_END_IMAGE:
        raise ProviderError(f"{m} cannot take last_frame on replicate: {model} has no "
                            "confirmed end_image input")
    body: dict[str, Any] = {"prompt": request.prompt, "duration": round(request.duration_s)}
    if request.negative_prompt:
        body["negative_prompt"] = request.negative_prompt
    if request.first_frame:
        body["start_image"] = image_reference(request.first_frame, "first_frame", "replicate")
    else:
        body["aspect_ratio"] = request.aspect_ratio  # ignored when an image is given
    if request.last_frame:
        body["end_image"] = image_reference(request.last_frame, "last_frame", "replicate")
    if mode:
        body["mode"] = mode
    if model not in _SILENT_MODELS:
        body["generate_audio"] = request.audio  # on by default: always say
    return body


def error_from(response: httpx.Response, what: str, token: Secret) -> ProviderError:
    """ProviderError for an RFC 7807 answer: 401 names the token's variable, 429/5xx are
    retryable, the rest final; content refusals are marked as policy."""
    status = response.status_code
    data = json_object(response)
    detail = str(data.get("detail") or data.get("title") or response.reason_phrase)
    if status == 401:
        return ProviderError(f"replicate refused the token in ${token.env} (HTTP 401) on {what}")
    policy = is_policy(detail)
    message = redact(f"replicate {what}: HTTP {status} {clip_text(detail)}", token)
    return ProviderError(message, retryable=status in RETRY_STATUSES and not policy,
                         policy=policy)


def output_uri(output: Any) -> str:
    """The video URI of a finished prediction: a string, or the first of a list."""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and output and isinstance(output[0], str):
        return output[0]
    return ""


class Predictions:
    """Replicate's prediction protocol, shared by the video and image adapters."""

    def __init__(self, token: Secret, base: str, clients: LoopClient, *,
                 policy: RetryPolicy = DEFAULT_RETRY, poll_policy: RetryPolicy = POLL_RETRY
                 ) -> None:
        self.token, self.base, self.clients = token, base, clients
        self.policy, self.poll_policy = policy, poll_policy

    def __repr__(self) -> str:
        return f"Predictions({self.base})"

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token.reveal()}"}

    def _checked(self, data: dict[str, Any]) -> dict[str, Any]:
        urls = data.get("urls")
        if isinstance(urls, dict):
            # The token goes to these URLs: only ever to the configured API host.
            data["urls"] = {k: on_base(str(v), self.base) for k, v in urls.items()
                            if k in ("get", "cancel") and v}
        return data

    async def create(self, model: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Start a prediction of `model` (an official model, `owner/name`)."""
        # Not idempotent: a POST that may have reached Replicate is not sent again.
        response = await send(self.clients.get(), "POST",
                              f"{self.base}/v1/models/{model}/predictions",
                              json={"input": payload}, headers=self._auth(),
                              policy=self.policy, idempotent=False)
        if response.status_code not in (200, 201, 202):
            raise unsure_create(error_from(response, f"create on {model}", self.token),
                                response.status_code)
        data = json_object(response)
        if not data.get("id"):
            raise ProviderError(f"replicate answered the create on {model} without an id")
        return self._checked(data)

    def get_url(self, prediction_id: str, urls: dict[str, str]) -> str:
        return urls.get("get") or f"{self.base}/v1/predictions/{prediction_id}"

    async def get(self, prediction_id: str, urls: dict[str, str]) -> dict[str, Any]:
        response = await send(self.clients.get(), "GET", self.get_url(prediction_id, urls),
                              headers=self._auth(), policy=self.poll_policy)
        if response.status_code != 200:
            raise error_from(response, "poll", self.token)
        return self._checked(json_object(response))

    async def cancel(self, prediction_id: str, urls: dict[str, str]) -> dict[str, Any]:
        url = urls.get("cancel") or f"{self.base}/v1/predictions/{prediction_id}/cancel"
        response = await send(self.clients.get(), "POST", url, headers=self._auth(),
                              policy=self.policy)
        if response.status_code != 200:
            raise error_from(response, "cancel", self.token)
        return json_object(response)

    async def wait(self, prediction: dict[str, Any], *, interval_s: float, timeout_s: float
                   ) -> dict[str, Any]:
        """Poll until `prediction` ends; the succeeded prediction, or ProviderError."""
        deadline = time.monotonic() + timeout_s
        pid, urls = str(prediction["id"]), dict(prediction.get("urls") or {})
        while prediction.get("status") not in ("succeeded", "failed", "canceled"):
            if time.monotonic() > deadline:
                raise ProviderError(f"replicate prediction still running after {timeout_s:g} s",
                                    retryable=True)
            await asyncio.sleep(interval_s)
            try:
                prediction = await self.get(pid, urls)
            except ProviderError as exc:
                if not exc.retryable:
                    raise
        if prediction["status"] != "succeeded":
            error = failure_text(prediction)
            raise ProviderError(error, policy=is_policy(error))
        return prediction


def failure_text(prediction: dict[str, Any]) -> str:
    if prediction.get("status") == "canceled":
        return "the prediction was canceled"
    error = clip_text(str(prediction.get("error") or "the prediction failed"))
    return f"content policy: {error}" if is_policy(error) else error


class ReplicateProvider:
    """Kling on Replicate (a VideoProvider)."""

    name = "replicate"
    max_concurrency = 4
    poll_interval_s = 3.0

    def __init__(self, work_dir: Path, *, token: Secret, base: str = API_BASE,
                 client_factory: Callable[[], httpx.AsyncClient] | None = None,
                 policy: RetryPolicy = DEFAULT_RETRY, poll_policy: RetryPolicy = POLL_RETRY,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.base = base
        self.clients = LoopClient(client_factory or make_client)
        self.predictions = Predictions(token, base, self.clients, policy=policy,
                                       poll_policy=poll_policy)
        self.tasks = TaskLog(work_dir, self.name)
        self.policy = policy
        self.max_bytes = max_bytes

    def __repr__(self) -> str:
        return f"ReplicateProvider({self.base})"

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        spec = guards.check_request(request)
        model, _ = model_for(spec)
        payload = replicate_input(spec, request)

        async def create() -> TaskRef:
            prediction = await self.predictions.create(model, payload)
            urls = {k: str(v) for k, v in (prediction.get("urls") or {}).items()
                    if k in ("get", "cancel") and v}
            return TaskRef(provider=self.name, task_id=str(prediction["id"]),
                           model=request.model, submitted_at=time.time(), urls=urls,
                           idempotency_key=idempotency_key)

        return await submit_once(self.tasks, idempotency_key, request.model, create)

    async def poll(self, ref: TaskRef) -> TaskStatus:
        prediction = await self.predictions.get(ref.task_id, ref.urls)
        state = _STATES.get(str(prediction.get("status")))
        if state is None:
            raise ProviderError(f"replicate answered an unknown status "
                                f"{prediction.get('status')!r}", retryable=True)
        if state == "failed":
            error = failure_text(prediction)
            return TaskStatus(state="failed", error=error, policy=is_policy(error))
        if state == "succeeded":
            uri = output_uri(prediction.get("output"))
            if not uri:
                return TaskStatus(state="failed", error="replicate finished without an output URI")
            return TaskStatus(state="succeeded", progress=1.0, video_url=uri)
        return TaskStatus(state=state)  # type: ignore[arg-type]  # no progress reported

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        url = status.video_url or (await self.poll(ref)).video_url
        if not url:
            raise ProviderError(f"replicate prediction {ref.task_id} has no output to download")
        return await download_video(self.clients.get(), url, Path(dest),
                                    max_bytes=self.max_bytes,
                                    allow_loopback_http=is_loopback_url(self.base),
                                    policy=self.policy)

    async def check(self) -> str:
        """One cheap authenticated call (`GET /v1/account`); nothing is rendered or billed."""
        predictions = self.predictions
        response = await send(self.clients.get(), "GET", f"{self.base}/v1/account",
                              headers=predictions._auth(), policy=predictions.poll_policy)
        if response.status_code != 200:
            raise error_from(response, "account check", predictions.token)
        return f"token accepted for account {json_object(response).get('username', '?')!r}"

    async def cancel(self, ref: TaskRef) -> bool:
        """Cancel the prediction; False when it had already ended."""
        before = await self.predictions.get(ref.task_id, ref.urls)
        if before.get("status") in ("succeeded", "failed", "canceled"):
            return False
        await self.predictions.cancel(ref.task_id, ref.urls)
        return True


def make_replicate(work_dir: Path) -> ReplicateProvider:
    """The Replicate adapter from REPLICATE_API_TOKEN and REPLICATE_API_BASE."""
    token = require_key("REPLICATE_API_TOKEN", "replicate")
    return ReplicateProvider(work_dir, token=token,
                             base=base_url("REPLICATE_API_BASE", API_BASE))

"""Kling's official API (providers.md §1): text2video / image2video tasks, polled by task id.

- Auth: a cached HS256 JWT (kling_auth.py); a 1000-1004 answer signs a new token and tries once
  more, then fails for good.
- Idempotency: `external_task_id` is the take's idempotency key plus a per-project tag (Kling
  wants it unique per account, and project names repeat). A create that ends without a task
  (a duplicate id, a lost answer, retries run out) is followed by a look-up under that id, so
  a task an earlier try made is found, never made again; a local task log means a resumed run
  does not even ask twice.
- Errors: 1302/1303/5000-5002 are retried with backoff and jitter; 1300/1301 are content-policy
  refusals (ProviderError policy=True); everything else is final.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, TaskRef, TaskStatus
from director.tools.providers import guards
from director.tools.providers import kling_body as kb
from director.tools.providers.download import download_video
from director.tools.providers.http import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    POLL_RETRY,
    LoopClient,
    RetryPolicy,
    check_base_url,
    make_client,
    send,
    where,
)
from director.tools.providers.kling_auth import KlingToken
from director.tools.providers.remote import concurrency, is_policy, submit_once
from director.tools.providers.tasklog import TaskLog

DEFAULT_BASE = "https://api-singapore.klingai.com"
"""The global host used by the official English examples."""
DEFAULT_CONCURRENCY = 3
"""Kling caps running tasks per account and resource pack without publishing one number; 1303
answers mean over it. Override with KLING_CONCURRENCY to match the account's pack."""
_STATES = {
    "submitted": "queued", "processing": "running", "succeed": "succeeded", "failed": "failed"
}


class KlingProvider:
    """The VideoProvider for api.klingai.com (and any server speaking the same protocol)."""

    name = "kling"
    poll_interval_s = 10.0

    def __init__(
        self,
        work_dir: Path,
        *,
        access_key: str,
        secret_key: str,
        base_url: str = DEFAULT_BASE,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        retry: RetryPolicy = DEFAULT_RETRY,
        poll_retry: RetryPolicy = POLL_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    ) -> None:
        self.work_dir = Path(work_dir)
        self.base_url = check_base_url(base_url, "kling base URL")
        self.max_concurrency = max_concurrency
        self._token = KlingToken(access_key, secret_key)
        self._retry, self._poll_retry = retry, poll_retry
        self._log = TaskLog(self.work_dir, self.name)
        self._clients = LoopClient(
            lambda: make_client(base_url=self.base_url, transport=transport, timeout=timeout)
        )
        # Plain-http results only when the API itself is on this machine (loopback tests).
        self._loopback = self.base_url.startswith("http:")

    def __repr__(self) -> str:
        return f"KlingProvider(base_url={self.base_url!r})"

    # --- calls -----------------------------------------------------------------------------

    async def _call(self, method: str, path: str, *, policy: RetryPolicy | None = None,
                    **kwargs: Any) -> httpx.Response:
        """Send with retries; on an auth code sign a fresh token and try exactly once more."""
        response = await self._send(method, path, policy or self._retry, **kwargs)
        code, _, _ = kb.envelope(response)
        if code in kb.AUTH_CODES:
            self._token.invalidate()
            response = await self._send(method, path, policy or self._retry, **kwargs)
        return response

    async def _send(self, method: str, path: str, policy: RetryPolicy,
                    **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": self._token.header(), "Content-Type": "application/json"}
        return await send(self._clients.get(), method, path, policy=policy,
                          should_retry=kb.should_retry, headers=headers, **kwargs)

    async def check(self) -> str:
        """One cheap authenticated call (list the newest task; nothing is rendered or billed)."""
        response = await self._call(
            "GET", "/v1/videos/text2video", params={"pageNum": 1, "pageSize": 1}
        )
        code, _, _ = kb.envelope(response)
        if response.status_code != 200 or code != 0:
            raise kb.error_for(response, "list tasks")
        return f"key accepted by {where(self.base_url)}"

    # --- VideoProvider ---------------------------------------------------------------------

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        """Create the task (or find the one already created under this key)."""
        spec = guards.check_request(request)
        if request.element_images:
            raise ProviderError(
                f"{spec.id} cannot take element_images on Kling's API: it takes element_ids "
                "of subjects registered with the account"
            )
        if spec.mode not in kb.MODES:
            raise ProviderError(
                f"{spec.id} cannot take mode {spec.mode!r} on Kling's API: it documents "
                f"{' and '.join(kb.MODES)} only (use the fal or replicate provider)"
            )
        kind = kb.endpoint(request)
        external = f"{idempotency_key}-{self._log.salt()}"
        body = kb.build_body(request, spec, external)

        async def create() -> TaskRef:
            try:
                response = await self._call("POST", f"/v1/videos/{kind}", json=body)
            except ProviderError as exc:
                # Every try failed in transit, but an earlier one may have made the task.
                data = await self._existing(kind, external, exc)
            else:
                code, _, data = kb.envelope(response)
                if not (response.status_code == 200 and code == 0 and data.get("task_id")):
                    data = await self._existing(kind, external, kb.error_for(response, "submit"))
            return TaskRef(
                provider=self.name,
                task_id=str(data["task_id"]),
                model=request.model,
                submitted_at=_seconds(data.get("created_at")) or time.time(),
                urls={"status": f"/v1/videos/{kind}/{data['task_id']}"},
                idempotency_key=idempotency_key,
            )

        return await submit_once(self._log, idempotency_key, request.model, create)

    async def _existing(self, kind: str, external: str, error: ProviderError) -> dict:
        """After a create that did not answer with a task: the task already made under
        `external`, if there is one, else `error`. The create was retried, and the answer in
        hand is only the last try's: an earlier try may have made the task (its answer lost
        on the way), so Kling is asked whatever the last answer said."""
        try:
            response = await self._call("GET", f"/v1/videos/{kind}/{external}")
        except ProviderError as exc:
            raise _unsure(external, error, exc) from None
        found, _, data = kb.envelope(response)
        if response.status_code == 200 and found == 0 and data.get("task_id"):
            return data
        lookup = kb.error_for(response, f"query {external}")
        if not lookup.retryable:
            raise error  # Kling answered: no task under this id (404 code 1203)
        raise _unsure(external, error, lookup)

    async def poll(self, ref: TaskRef) -> TaskStatus:
        path = ref.urls.get("status") or f"/v1/videos/text2video/{ref.task_id}"
        # A poll is repeated by the caller anyway: a failing one is reported soon.
        response = await self._call("GET", path, policy=self._poll_retry)
        code, _, data = kb.envelope(response)
        if response.status_code != 200 or code != 0:
            raise kb.error_for(response, f"query {ref.task_id}")
        state = _STATES.get(str(data.get("task_status", "")))
        if state is None:
            raise ProviderError(
                f"kling query {ref.task_id}: unknown task_status {data.get('task_status')!r}",
                retryable=True,
            )
        if state == "failed":
            reason = " ".join(str(data.get("task_status_msg") or "no reason given").split())
            return TaskStatus(state="failed", error=f"kling task {ref.task_id} failed: {reason}",
                              policy=is_policy(reason))
        if state != "succeeded":
            return TaskStatus(state=state)  # type: ignore[arg-type]
        videos = (data.get("task_result") or {}).get("videos") or []
        url = next((v.get("url") for v in videos if isinstance(v, dict) and v.get("url")), "")
        if not url:
            return TaskStatus(
                state="failed",
                error=f"kling task {ref.task_id} succeeded without a video url",
                retryable=True,
            )
        return TaskStatus(state="succeeded", progress=1.0, video_url=str(url))

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        if not status.video_url:
            raise ProviderError(f"kling task {ref.task_id} has no video url to download")
        return await download_video(
            None, status.video_url, Path(dest),
            allow_loopback_http=self._loopback, policy=self._retry,
        )


def _unsure(external: str, error: ProviderError, lookup: ProviderError) -> ProviderError:
    """Neither the create nor the look-up answered: the task may exist. Retryable, since the
    same idempotency key finds it (or makes it) next time without paying twice."""
    return ProviderError(f"{error}; whether Kling made task {external} is unknown (looking it "
                         f"up failed: {lookup})", retryable=True, policy=error.policy,
                         maybe_created=True)


def _seconds(value: object) -> float:
    """Kling timestamps are milliseconds."""
    return float(value) / 1000 if isinstance(value, int | float) and value > 0 else 0.0


def kling_from_env(work_dir: Path) -> KlingProvider:
    """The adapter configured from KLING_ACCESS_KEY, KLING_SECRET_KEY, KLING_API_BASE and
    KLING_CONCURRENCY; a missing key is a one-line DirectorError naming the variables."""
    access = os.environ.get("KLING_ACCESS_KEY", "").strip()
    secret = os.environ.get("KLING_SECRET_KEY", "").strip()
    if not access or not secret:
        raise DirectorError(
            "the kling provider needs KLING_ACCESS_KEY and KLING_SECRET_KEY set in the environment"
        )
    base = os.environ.get("KLING_API_BASE", "").strip() or DEFAULT_BASE
    return KlingProvider(
        work_dir,
        access_key=access,
        secret_key=secret,
        base_url=check_base_url(base, "KLING_API_BASE"),
        max_concurrency=concurrency("KLING_CONCURRENCY", DEFAULT_CONCURRENCY),
    )

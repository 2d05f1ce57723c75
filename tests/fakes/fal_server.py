"""A loopback fal.ai queue: submit, status (202 while waiting, 200 when done), result, cancel,
and the media host that serves the finished clip.

Speaks the protocol of the reference (providers.md section 3): `Authorization: Key <key>`,
submit to `{base}/{endpoint}`, and status/result/cancel URLs built from `{owner}/{app}` only,
which the fake returns on submit so the adapter never has to build them. Bodies are checked
field by field against the documented inputs of each Kling endpoint; a wrong type or an unknown
field gets fal's 422 `{"detail": [{"loc", "msg", "type"}]}`.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from fakes.loopback import (
    SIZES,
    LoopbackService,
    Reply,
    Request,
    Rule,
    check_fields,
    clip,
    image_aspect,
    still,
)

_ASPECTS = ("16:9", "9:16", "1:1")
_V3_DURATIONS = tuple(str(s) for s in range(3, 16))
_COMMON = {
    "prompt": Rule("str"),
    "negative_prompt": Rule("str"),
    "cfg_scale": Rule("number"),
    "generate_audio": Rule("bool"),
}
_V26_T2V = {
    **_COMMON,
    "prompt": Rule("str", required=True),
    "duration": Rule("str", ("5", "10")),
    "aspect_ratio": Rule("str", _ASPECTS),
}
_V26_I2V = {
    **_COMMON,
    "prompt": Rule("str", required=True),
    "duration": Rule("str", ("5", "10")),
    "start_image_url": Rule("str", required=True),
    "end_image_url": Rule("str"),
    "voice_ids": Rule("list"),
}
_V3_T2V = {
    **_COMMON,
    "multi_prompt": Rule("list"),
    "duration": Rule("str", _V3_DURATIONS),
    "aspect_ratio": Rule("str", _ASPECTS),
    "shot_type": Rule("str", ("customize", "intelligent")),
}
_V3_I2V = {
    **_COMMON,
    "multi_prompt": Rule("list"),
    "duration": Rule("str", _V3_DURATIONS),
    "start_image_url": Rule("str", required=True),
    "end_image_url": Rule("str"),
    "elements": Rule("list"),
    "shot_type": Rule("str", ("customize", "intelligent")),
}
_FLUX = {
    "prompt": Rule("str", required=True),
    "image_size": Rule("str|object"),
    "seed": Rule("int"),
    "num_images": Rule("int"),
    "output_format": Rule("str", ("jpeg", "png")),
    "enable_safety_checker": Rule("bool"),
    "num_inference_steps": Rule("int"),
}

ENDPOINTS: dict[str, tuple[str, dict[str, Rule]]] = {
    "fal-ai/kling-video/v2.6/pro/text-to-video": ("1080p", _V26_T2V),
    "fal-ai/kling-video/v2.6/pro/image-to-video": ("1080p", _V26_I2V),
    "fal-ai/kling-video/v3/standard/text-to-video": ("720p", _V3_T2V),
    "fal-ai/kling-video/v3/standard/image-to-video": ("720p", _V3_I2V),
    "fal-ai/kling-video/v3/pro/text-to-video": ("1080p", _V3_T2V),
    "fal-ai/kling-video/v3/pro/image-to-video": ("1080p", _V3_I2V),
    "fal-ai/flux/schnell": ("image", _FLUX),
}
"""Endpoint -> (delivered resolution, or "image"; documented input fields)."""

@dataclass
class Job:
    """One queued request."""

    id: str
    endpoint: str
    app: str
    """`{owner}/{app}`: the only part of the endpoint the request URLs use."""
    body: dict[str, Any]
    polls: int = 0
    cancelled: bool = False
    error: tuple[str, str] | None = None
    """(message, error_type) when scripted to fail."""
    logs: list[dict[str, Any]] = field(default_factory=list)


class FalFake(LoopbackService):
    """fal's queue on 127.0.0.1. `steps` status polls walk IN_QUEUE -> IN_PROGRESS -> COMPLETED
    (one step per poll); `fail_next_task` makes the next submitted request end in an error."""

    def __init__(self, key: str = "fal-test-key", *, steps: int = 3) -> None:
        super().__init__()
        self.key = key
        self.steps = steps
        self.public_base = ""
        """Host the returned URLs name, when the fake stands behind a gateway."""
        self.jobs: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._task_failures: list[tuple[str, str]] = []
        self._jobs_lock = threading.Lock()

    def fail_next_task(self, message: str, error_type: str = "internal_server_error") -> None:
        self._task_failures.append((message, error_type))

    # --- routing -----------------------------------------------------------------------------

    def route_of(self, request: Request) -> str:
        path = request.path
        if path.startswith("/files/"):
            return "media"
        if "/requests/" in path:
            if path.endswith("/status"):
                return "status"
            if path.endswith("/cancel"):
                return "cancel"
            return "result"
        return "submit"

    def handle(self, request: Request) -> Reply:
        if request.route == "media":
            return self._media(request)
        if request.headers.get("authorization") != f"Key {self.key}":
            return Reply.json(401, {"detail": "Invalid authorization header, expected Key <key>"})
        if request.route == "submit":
            return self._submit(request)
        job = self._job_of(request)
        if job is None:
            return Reply.json(404, {"detail": "Request not found"})
        if request.route == "status":
            return self._status(request, job)
        if request.route == "cancel":
            return self._cancel(request, job)
        return self._result(request, job)

    def _job_of(self, request: Request) -> Job | None:
        parts = request.path.strip("/").split("/")
        at = parts.index("requests")
        app = "/".join(parts[:at])
        job = self.jobs.get(parts[at + 1]) if len(parts) > at + 1 else None
        return job if job is not None and job.app == app else None

    # --- queue -------------------------------------------------------------------------------

    def _submit(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply.json(405, {"detail": "Method not allowed"})
        endpoint = request.path.strip("/")
        if endpoint not in ENDPOINTS:
            return Reply.json(404, {"detail": f"Application {endpoint!r} not found"})
        try:
            body = request.json()
        except ValueError:
            return Reply.json(422, {"detail": [{"loc": ["body"], "msg": "invalid JSON",
                                                "type": "value_error.jsondecode"}]})
        problems = check_fields(body, ENDPOINTS[endpoint][1])
        if isinstance(body, dict) and "prompt" in body and "multi_prompt" in body:
            problems.append(("multi_prompt", "give prompt or multi_prompt, not both"))
        if problems:
            detail = [{"loc": ["body", f], "msg": m, "type": "value_error"} for f, m in problems]
            return Reply.json(422, {"detail": detail})
        owner, app = endpoint.split("/")[:2]
        job = Job(id=f"req-{next(self._ids):04d}", endpoint=endpoint, app=f"{owner}/{app}",
                  body=body)
        if self._task_failures:
            job.error = self._task_failures.pop(0)
        with self._jobs_lock:
            self.jobs[job.id] = job
        urls = self._urls(job)
        return Reply.json(200, {"request_id": job.id, **urls, "status": "IN_QUEUE",
                                "queue_position": 0}, **{"x-fal-request-id": job.id})

    def _urls(self, job: Job) -> dict[str, str]:
        root = f"{self.public_base or self.base_url}/{job.app}/requests/{job.id}"
        return {"response_url": root, "status_url": f"{root}/status",
                "cancel_url": f"{root}/cancel"}

    def _state(self, job: Job) -> str:
        if job.cancelled or job.polls >= self.steps:
            return "COMPLETED"
        return "IN_QUEUE" if job.polls <= 1 else "IN_PROGRESS"

    def _status(self, request: Request, job: Job) -> Reply:
        job.polls += 1
        state = self._state(job)
        if state != "COMPLETED":
            body: dict[str, Any] = {"status": state, "request_id": job.id, **self._urls(job)}
            if state == "IN_QUEUE":
                body["queue_position"] = 0
            else:
                body["logs"] = [{"message": "generating", "level": "INFO"}]
            return Reply.json(202, body)
        done: dict[str, Any] = {"status": "COMPLETED", "request_id": job.id, **self._urls(job),
                                "logs": [], "metrics": {"inference_time": 1.5}}
        if job.error is not None:
            done["error"], done["error_type"] = job.error
        return Reply.json(200, done)

    def _cancel(self, request: Request, job: Job) -> Reply:
        if request.method != "PUT":
            return Reply.json(405, {"detail": "Method not allowed"})
        if self._state(job) == "COMPLETED":
            return Reply.json(400, {"status": "ALREADY_COMPLETED"})
        job.cancelled = True
        job.error = ("Request was cancelled", "request_cancelled")
        return Reply.json(202, {"status": "CANCELLATION_REQUESTED"})

    def _result(self, request: Request, job: Job) -> Reply:
        if self._state(job) != "COMPLETED":
            return Reply.json(400, {"detail": "Request is still in progress"})
        if job.error is not None:
            message, error_type = job.error
            status = 422 if error_type == "content_policy_violation" else 500
            return Reply.json(status, {"detail": message, "error_type": error_type},
                              **{"x-fal-error-type": error_type})
        media = f"{self.base_url}/files/{job.id}/"
        if ENDPOINTS[job.endpoint][0] == "image":
            width, height = _image_size(job.body.get("image_size"))
            fmt = job.body.get("output_format", "jpeg")
            return Reply.json(200, {"images": [{"url": media + f"image.{fmt}", "width": width,
                                                "height": height,
                                                "content_type": f"image/{fmt}"}],
                                    "seed": job.body.get("seed", 42),
                                    "has_nsfw_concepts": [False],
                                    "prompt": job.body["prompt"]})
        data = self._clip_for(job)
        return Reply.json(200, {"video": {"url": media + "output.mp4", "content_type": "video/mp4",
                                          "file_name": "output.mp4", "file_size": len(data)}})

    # --- media -------------------------------------------------------------------------------

    def _clip_for(self, job: Job) -> bytes:
        resolution = ENDPOINTS[job.endpoint][0]
        start = job.body.get("start_image_url", "")
        aspect = job.body.get("aspect_ratio", "16:9")
        if start.startswith("data:"):
            aspect = image_aspect(base64.b64decode(start.split(",", 1)[1]))
        width, height = SIZES[resolution][aspect]
        return clip(width, height, float(job.body.get("duration", "5")), job.body.get("prompt", ""))

    def _media(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        job = self.jobs.get(parts[1]) if len(parts) == 3 else None
        if job is None:
            return Reply(404, b"not found")
        if ENDPOINTS[job.endpoint][0] == "image":
            width, height = _image_size(job.body.get("image_size"))
            fmt = job.body.get("output_format", "jpeg")
            return Reply(200, still(width, height, fmt), {"content-type": f"image/{fmt}"})
        return Reply(200, self._clip_for(job), {"content-type": "video/mp4"})


def _image_size(value: Any) -> tuple[int, int]:
    if isinstance(value, dict):
        return int(value.get("width", 512)), int(value.get("height", 512))
    return 512, 512

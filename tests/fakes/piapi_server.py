"""A loopback PiAPI Kling task API (providers.md §5): `X-API-Key`, create and get task, statuses
pending -> processing -> completed | failed, the clip at `data.output.video_url`.

The body is checked against the documented shape: model "kling", task_type "video_generation",
input {version, mode, duration as an integer, aspect_ratio, prompt} (negative_prompt allowed).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from director.tools import catalog
from fakes.scripted import LoopbackService, Recorded, Reply, Route, clip_bytes

VERSIONS = ("1.0", "1.5", "1.6", "2.0", "2.1", "2.5", "2.6")
_INPUT = {"version", "mode", "duration", "aspect_ratio", "prompt", "negative_prompt"}


@dataclass
class PiTask:
    task_id: str
    body: dict[str, Any]
    queries: int = 0
    failure: str = ""


class PiAPIFake(LoopbackService):
    """PiAPI on 127.0.0.1; a task is pending on its first get, processing until `polls_to_finish`
    gets, then completed (or failed when `fail_next_task` scripted it)."""

    def __init__(self, api_key: str = "pi-test-key-0123", *, polls_to_finish: int = 3,
                 min_seconds: float = 0.0) -> None:
        super().__init__()
        self.api_key = api_key
        self.polls_to_finish = polls_to_finish
        self.min_seconds = min_seconds
        self.tasks: dict[str, PiTask] = {}
        self.created_at: dict[str, float] = {}
        self._failures: list[str] = []
        self._ids = itertools.count(1)

    def fail_next_task(self, message: str = "content moderation failed") -> None:
        with self.lock:
            self._failures.append(message)

    def route(self, method: str, path: str) -> tuple[str, Route] | None:
        if path.startswith("/files/") and method == "GET":
            return "file", self._file
        if path == "/api/v1/task" and method == "POST":
            return "create", self._authed(self._create)
        if path.startswith("/api/v1/task/") and method == "GET":
            return "get", self._authed(self._get)
        return None

    def _authed(self, inner: Route) -> Route:
        def check(req: Recorded) -> Reply:
            if req.headers.get("x-api-key") != self.api_key:
                return Reply(401, {"code": 401, "data": None, "message": "Invalid API key"})
            return inner(req)

        return check

    def _create(self, req: Recorded) -> Reply:
        problem = _problem(req.body)
        if problem:
            return Reply(400, {"code": 400, "data": None, "message": problem})
        with self.lock:
            task = PiTask(f"pi-{next(self._ids):06d}", req.body)
            if self._failures:
                task.failure = self._failures.pop(0)
            self.tasks[task.task_id] = task
            self.created_at[task.task_id] = time.time()
        return Reply(200, _envelope(self._view(task, "pending")))

    def _get(self, req: Recorded) -> Reply:
        task = self.tasks.get(req.path.rsplit("/", 1)[-1])
        if task is None:
            return Reply(404, {"code": 404, "data": None, "message": "task not found"})
        with self.lock:
            task.queries += 1
            n = task.queries
        age = time.time() - self.created_at[task.task_id]
        if n <= 1 and self.polls_to_finish > 1:
            status = "pending"
        elif n < self.polls_to_finish or age < self.min_seconds:
            status = "processing"
        else:
            status = "failed" if task.failure else "completed"
        return Reply(200, _envelope(self._view(task, status)))

    def _view(self, task: PiTask, status: str) -> dict[str, Any]:
        output: dict[str, Any] = {}
        error = {"code": 0, "message": ""}
        if status == "completed":
            output = {"video_url": f"{self.url}/files/{task.task_id}.mp4"}
        if status == "failed":
            error = {"code": 10000, "message": task.failure}
        return {"task_id": task.task_id, "model": "kling", "task_type": "video_generation",
                "status": status, "input": task.body["input"], "output": output,
                "meta": {}, "error": error}

    def _file(self, req: Recorded) -> Reply:
        task = self.tasks.get(req.path.rsplit("/", 1)[-1].removesuffix(".mp4"))
        if task is None or task.failure:
            return Reply(404, {"message": "not found"})
        return Reply(200, self.clip_for(task))

    def clip_for(self, task: PiTask) -> bytes:
        data = task.body["input"]
        api = "kling-v" + data["version"].replace(".", "-").removesuffix("-0")
        spec = next(m for m in catalog.models() if m.api_name == api and m.mode == data["mode"])
        width, height = next(iter(spec.resolutions.values()))[data["aspect_ratio"]]
        return clip_bytes(float(data["duration"]), width, height, data["prompt"])


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 200, "data": data, "message": "success"}


def _problem(body: Any) -> str:
    """The first thing PiAPI would refuse in a create body, or ""."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    if body.get("model") != "kling" or body.get("task_type") != "video_generation":
        return "model must be kling and task_type video_generation"
    data = body.get("input")
    if not isinstance(data, dict):
        return "input must be an object"
    unknown = sorted(set(data) - _INPUT)
    if unknown:
        return f"unknown input field {', '.join(unknown)}"
    checks = [
        (data.get("version") in VERSIONS, "input.version is not a Kling version"),
        (data.get("mode") in ("std", "pro"), "input.mode must be std or pro"),
        (type(data.get("duration")) is int and data["duration"] in (5, 10),
         "input.duration must be the integer 5 or 10"),
        (data.get("aspect_ratio") in ("16:9", "9:16", "1:1"), "input.aspect_ratio is invalid"),
        (isinstance(data.get("prompt"), str) and 0 < len(data["prompt"]) <= 2500,
         "input.prompt must be 1-2500 characters"),
        (isinstance(data.get("negative_prompt", ""), str),
         "input.negative_prompt must be a string"),
    ]
    return next((message for ok, message in checks if not ok), "")

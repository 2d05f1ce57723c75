"""A loopback Kling API (providers.md §1): JWT auth, text2video / image2video create and query,
documented envelopes and codes, and a media host serving real MP4s.

Every body is checked field by field against the reference: `duration` must be a string the
model accepts, `model_name`, `mode`, `aspect_ratio` and `sound` must be documented values,
images must be URLs or raw base64 without a `data:` prefix, multi-shot segments must sum to the
duration. A wrong field gets HTTP 400 code 1201 with the field named, as Kling does.
"""

from __future__ import annotations

import base64
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import jwt

from director.tools import catalog
from fakes.scripted import LoopbackService, Recorded, Reply, Route, clip_bytes

T2V_MODELS = ("kling-v1", "kling-v1-6", "kling-v2-master", "kling-v2-1-master",
              "kling-v2-5-turbo", "kling-v2-6", "kling-v3")
I2V_MODELS = (*T2V_MODELS, "kling-v1-5", "kling-v2-1")
_FIELDS = {
    "model_name", "model", "prompt", "negative_prompt", "cfg_scale", "mode", "aspect_ratio",
    "duration", "sound", "camera_control", "image", "image_tail", "static_mask",
    "dynamic_masks", "multi_shot", "shot_type", "multi_prompt", "element_list", "voice_list",
    "watermark_info", "callback_url", "external_task_id",
}
_CAMERA_TYPES = ("simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward")
_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


class BadParam(Exception):
    """A body field Kling would refuse."""


@dataclass
class KlingTask:
    """One task on the fake account."""

    task_id: str
    kind: str
    body: dict[str, Any]
    created_ms: int
    queries: int = 0
    failure: str = ""

    @property
    def external_id(self) -> str:
        return str(self.body.get("external_task_id", ""))


@dataclass
class KlingFake(LoopbackService):
    """Kling on 127.0.0.1. A task answers `submitted` on its first query, `processing` until it
    has been queried `polls_to_finish` times and is `min_seconds` old, then `succeed` (or
    `failed`, when `fail_next_task` scripted it)."""

    access_key: str = "ak-test-access"
    secret_key: str = "sk-test-secret-0123456789abcdef0123"
    polls_to_finish: int = 3
    min_seconds: float = 0.0
    tasks: dict[str, KlingTask] = field(default_factory=dict)
    expire_tokens: int = 0
    """Answer this many upcoming authenticated requests with 401 code 1004 (token expired)."""
    _failures: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(867283741759111200))

    def __post_init__(self) -> None:
        super().__init__()

    # --- scripting -------------------------------------------------------------------------

    def fail_next_task(self, message: str = "content risk control") -> None:
        """The next created task ends `failed` with this task_status_msg."""
        with self.lock:
            self._failures.append(message)

    def creates(self) -> list[Recorded]:
        """Create requests that the fake accepted (a task exists for each)."""
        return [r for r in self.calls("create") if isinstance(r.body, dict)
                and any(t.body is r.body for t in self.tasks.values())]

    # --- routing ---------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[str, Route] | None:
        parts = path.strip("/").split("/")
        if parts[:1] == ["files"] and method == "GET":
            return "file", self._file
        if parts[:2] != ["v1", "videos"] or len(parts) < 3:
            return None
        if parts[2] not in ("text2video", "image2video"):
            return None
        if len(parts) == 3 and method == "POST":
            return "create", self._authed(self._create)
        if len(parts) == 3 and method == "GET":
            return "list", self._authed(self._list)
        if len(parts) == 4 and method == "GET":
            return "query", self._authed(self._query)
        return None

    def _authed(self, inner: Route) -> Route:
        def check(req: Recorded) -> Reply:
            problem = self._auth_problem(req.headers.get("authorization", ""))
            if problem is not None:
                return _error(401, *problem)
            return inner(req)

        return check

    def _auth_problem(self, header: str) -> tuple[int, str] | None:
        if not header:
            return 1001, "Authorization is empty"
        if not header.startswith("Bearer "):
            return 1002, "Authorization is invalid"
        token = header[len("Bearer "):]
        try:
            head = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token, self.secret_key, algorithms=["HS256"],
                options={"require": ["iss", "exp", "nbf"]},
            )
        except jwt.ExpiredSignatureError:
            return 1004, "Authorization is expired"
        except jwt.ImmatureSignatureError:
            return 1003, "Authorization is not yet valid"
        except jwt.PyJWTError:
            return 1002, "Authorization is invalid"
        now = time.time()
        if head.get("typ") != "JWT" or claims["iss"] != self.access_key:
            return 1002, "Authorization is invalid"
        if claims["exp"] > now + 1800 + 5 or claims["nbf"] > now:
            return 1002, "Authorization is invalid"
        with self.lock:
            if self.expire_tokens > 0:
                self.expire_tokens -= 1
                return 1004, "Authorization is expired"
        return None

    def _list(self, req: Recorded) -> Reply:
        with self.lock:
            tasks = list(self.tasks.values())
        return Reply(200, _ok([{"task_id": t.task_id} for t in tasks[-1:]]))

    # --- create ----------------------------------------------------------------------------

    def _create(self, req: Recorded) -> Reply:
        kind = req.path.strip("/").split("/")[2]
        if "application/json" not in req.headers.get("content-type", ""):
            return _error(400, 1200, "Content-Type must be application/json")
        body = req.body
        try:
            validate(kind, body)
        except BadParam as exc:
            return _error(400, 1201, str(exc))
        with self.lock:
            external = body.get("external_task_id")
            if external and any(t.external_id == external for t in self.tasks.values()):
                return _error(400, 1201, "external_task_id already exists")
            task = KlingTask(str(next(self._ids)), kind, body, int(time.time() * 1000))
            if self._failures:
                task.failure = self._failures.pop(0)
            self.tasks[task.task_id] = task
        return Reply(200, _ok({
            "task_id": task.task_id, "task_status": "submitted",
            "task_info": {"external_task_id": task.external_id},
            "created_at": task.created_ms, "updated_at": task.created_ms,
        }))

    # --- query -----------------------------------------------------------------------------

    def _find(self, kind: str, key: str) -> KlingTask | None:
        with self.lock:
            task = self.tasks.get(key) or next(
                (t for t in self.tasks.values() if key and t.external_id == key), None
            )
        return task if task is not None and task.kind == kind else None

    def _query(self, req: Recorded) -> Reply:
        _, _, kind, key = req.path.split("?", 1)[0].strip("/").split("/")
        task = self._find(kind, key)
        if task is None:
            return _error(404, 1203, "task not found")
        with self.lock:
            task.queries += 1
            queries = task.queries
        age = time.time() - task.created_ms / 1000
        data: dict[str, Any] = {
            "task_id": task.task_id, "task_status_msg": "",
            "task_info": {"external_task_id": task.external_id},
            "created_at": task.created_ms, "updated_at": int(time.time() * 1000),
        }
        if queries <= 1 and self.polls_to_finish > 1:
            data["task_status"] = "submitted"
        elif queries < self.polls_to_finish or age < self.min_seconds:
            data["task_status"] = "processing"
        elif task.failure:
            data["task_status"], data["task_status_msg"] = "failed", task.failure
        else:
            data["task_status"] = "succeed"
            data["watermark_info"] = {"enabled": False}
            data["final_unit_deduction"] = "1"
            data["task_result"] = {"videos": [{
                "id": f"v-{task.task_id}", "url": f"{self.url}/files/{task.task_id}.mp4",
                "watermark_url": "", "duration": f"{float(task.body['duration']):.3f}",
            }]}
        return Reply(200, _ok(data))

    # --- media -----------------------------------------------------------------------------

    def _file(self, req: Recorded) -> Reply:
        name = req.path.split("?", 1)[0].rsplit("/", 1)[-1]
        task = self.tasks.get(name.removesuffix(".mp4"))
        if task is None:
            return Reply(404, {"error": "not found"})
        return Reply(200, self.clip_for(task))

    def clip_for(self, task: KlingTask) -> bytes:
        """The clip the model delivers: catalog size for (model, mode), the body's length."""
        body = task.body
        name = body.get("model_name") or body.get("model")
        spec = next(m for m in catalog.models()
                    if m.family == "kling" and m.api_name == name
                    and m.mode == body.get("mode", "std"))
        aspect = body.get("aspect_ratio", "16:9")
        width, height = next(iter(spec.resolutions.values()))[aspect]
        prompt = body.get("prompt") or " ".join(s["prompt"] for s in body["multi_prompt"])
        return clip_bytes(float(body["duration"]), width, height, prompt)


def _ok(data: dict[str, Any]) -> dict[str, Any]:
    return {"code": 0, "message": "SUCCEED", "request_id": f"req-{time.time_ns()}",
            "data": data}


def _error(status: int, code: int, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message, "request_id": f"req-{time.time_ns()}"})


# --- validation (providers.md §1 request body table) -----------------------------------------


def _need(cond: bool, message: str) -> None:
    if not cond:
        raise BadParam(message)


def _durations(model: str) -> tuple[str, ...]:
    return tuple(str(s) for s in range(3, 16)) if model == "kling-v3" else ("5", "10")


def _image(value: Any, field_name: str) -> None:
    _need(isinstance(value, str) and value != "", f"{field_name} must be a non-empty string")
    if value.startswith(("http://", "https://")):
        return
    _need(not value.startswith("data:"), f"{field_name}: base64 must not carry a data: prefix")
    try:
        base64.b64decode(value, validate=True)
    except ValueError:
        raise BadParam(f"{field_name} is neither a URL nor base64") from None


def validate(kind: str, body: Any) -> None:
    """Raise BadParam naming the first field Kling would refuse."""
    _need(isinstance(body, dict), "body must be a JSON object")
    unknown = sorted(set(body) - _FIELDS)
    _need(not unknown, f"unknown field {', '.join(unknown)}")
    model = body.get("model_name", body.get("model", "kling-v1"))
    allowed = T2V_MODELS if kind == "text2video" else I2V_MODELS
    _need(model in allowed, f"model_name {model!r} is not valid for {kind}")
    for name in ("prompt", "negative_prompt", "external_task_id", "callback_url"):
        if name in body:
            _need(isinstance(body[name], str), f"{name} must be a string")
    _need(len(body.get("prompt", "")) <= 2500, "prompt is over 2500 characters")
    _need(len(body.get("negative_prompt", "")) <= 2500, "negative_prompt is over 2500 characters")
    _need(body.get("mode", "std") in ("std", "pro"), "mode must be std or pro")
    duration = body.get("duration", "5")
    _need(isinstance(duration, str), "duration must be a string")
    _need(duration in _durations(model), f"duration {duration!r} is not valid for {model}")
    if "sound" in body:
        _need(body["sound"] in ("on", "off"), "sound must be on or off")
        _need(model in ("kling-v2-6", "kling-v3"), f"sound is not supported by {model}")
    if kind == "text2video":
        _need(body.get("aspect_ratio", "16:9") in ("16:9", "9:16", "1:1"),
              "aspect_ratio must be 16:9, 9:16 or 1:1")
        _need("image" not in body and "image_tail" not in body,
              "image fields belong to image2video")
    else:
        _need("aspect_ratio" not in body, "aspect_ratio is not a parameter of image2video")
        _need("image" in body or "image_tail" in body, "image or image_tail is required")
        for name in ("image", "image_tail"):
            if name in body:
                _image(body[name], name)
    if "camera_control" in body:
        _camera(body)
    if body.get("multi_shot"):
        _multi_shot(body, model)
    else:
        _need("multi_prompt" not in body, "multi_prompt needs multi_shot true")
        _need(bool(body.get("prompt")), "prompt is required")
    if "element_list" in body:
        elements = body["element_list"]
        _need(model == "kling-v3" and kind == "image2video", "element_list needs kling-v3 I2V")
        _need(isinstance(elements, list) and 1 <= len(elements) <= 3
              and all(isinstance(e, dict) and isinstance(e.get("element_id"), str)
                      for e in elements), "element_list must be 1-3 {element_id}")


def _camera(body: dict[str, Any]) -> None:
    control = body["camera_control"]
    _need(isinstance(control, dict), "camera_control must be an object")
    _need(control.get("type") in _CAMERA_TYPES, "camera_control.type is not valid")
    _need("image_tail" not in body, "image_tail and camera_control are mutually exclusive")
    config = control.get("config")
    if control["type"] != "simple":
        _need(config is None, "camera_control.config only goes with type simple")
        return
    _need(isinstance(config, dict) and set(config) <= set(_AXES), "camera_control.config invalid")
    values = [config.get(a, 0) for a in _AXES]
    _need(all(isinstance(v, int | float) and -10 <= v <= 10 for v in values),
          "camera_control.config values must be numbers in [-10, 10]")
    _need(sum(1 for v in values if v) == 1, "camera_control simple moves exactly one axis")


def _multi_shot(body: dict[str, Any], model: str) -> None:
    _need(model == "kling-v3", f"multi_shot is not supported by {model}")
    _need(body.get("multi_shot") is True, "multi_shot must be a boolean")
    _need(body.get("shot_type") in ("customize", "intelligence"),
          "shot_type must be customize or intelligence")
    shots = body.get("multi_prompt")
    _need(isinstance(shots, list) and 1 <= len(shots) <= 6, "multi_prompt must hold 1-6 shots")
    total = 0
    for number, shot in enumerate(shots, 1):
        _need(isinstance(shot, dict) and shot.get("index") == number
              and isinstance(shot.get("prompt"), str) and isinstance(shot.get("duration"), str),
              f"multi_prompt[{number}] must be {{index:{number}, prompt:str, duration:str}}")
        _need(len(shot["prompt"]) <= 512, f"multi_prompt[{number}].prompt is over 512 characters")
        _need(shot["duration"].isdigit() and int(shot["duration"]) >= 1,
              f"multi_prompt[{number}].duration must be a whole number >= 1")
        total += int(shot["duration"])
    _need(str(total) == body["duration"], "multi_prompt durations must sum to duration")

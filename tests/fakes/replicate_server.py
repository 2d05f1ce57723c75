"""A loopback Replicate API: official-model predictions, polling, cancel, and the file host.

Speaks the protocol of the reference (providers.md section 4): `Authorization: Bearer <token>`,
`POST /v1/models/{owner}/{name}/predictions` with `{"input": {...}}`, a prediction object with
`urls.get` / `urls.cancel`, statuses starting -> processing -> succeeded | failed | canceled,
`output` a URI string, RFC 7807 errors. Inputs are checked field by field against the model's
documented inputs: Replicate's Kling `duration` is an integer, so the string "5" is a 422.
"""

from __future__ import annotations

import base64
import itertools
import threading
from dataclasses import dataclass
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
MODELS: dict[str, dict[str, Rule]] = {
    "kwaivgi/kling-v2.6": {
        "prompt": Rule("str", required=True), "negative_prompt": Rule("str"),
        "start_image": Rule("str"), "aspect_ratio": Rule("str", _ASPECTS),
        "duration": Rule("int", (5, 10)), "generate_audio": Rule("bool"),
    },
    "kwaivgi/kling-v3-video": {
        "prompt": Rule("str"), "duration": Rule("int", tuple(range(3, 16))),
        "aspect_ratio": Rule("str", _ASPECTS), "mode": Rule("str", ("standard", "pro", "4k")),
        "generate_audio": Rule("bool"), "start_image": Rule("str"), "end_image": Rule("str"),
        "multi_prompt": Rule("str|object"), "negative_prompt": Rule("str"),
    },
    "kwaivgi/kling-v2.1": {
        "prompt": Rule("str", required=True), "negative_prompt": Rule("str"),
        "start_image": Rule("str", required=True), "end_image": Rule("str"),
        "mode": Rule("str", ("standard", "pro")), "duration": Rule("int", (5, 10)),
        "cfg_scale": Rule("number"),
    },
    "black-forest-labs/flux-schnell": {
        "prompt": Rule("str", required=True),
        "aspect_ratio": Rule("str", ("1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4",
                                     "4:3", "9:16", "9:21")),
        "seed": Rule("int"), "num_outputs": Rule("int"),
        "output_format": Rule("str", ("webp", "jpg", "png")),
        "output_quality": Rule("int"), "go_fast": Rule("bool"),
        "megapixels": Rule("str"), "disable_safety_checker": Rule("bool"),
    },
}


@dataclass
class Prediction:
    id: str
    model: str
    input: dict[str, Any]
    polls: int = 0
    canceled: bool = False
    error: str = ""


class ReplicateFake(LoopbackService):
    """Replicate on 127.0.0.1. `steps` polls walk starting -> processing -> succeeded;
    `fail_next_task` makes the next prediction end failed with that error."""

    def __init__(self, token: str = "r8_test_token", *, steps: int = 3) -> None:
        super().__init__()
        self.token = token
        self.steps = steps
        self.public_base = ""
        """Host the returned URLs name, when the fake stands behind a gateway."""
        self.predictions: dict[str, Prediction] = {}
        self._ids = itertools.count(1)
        self._failures: list[str] = []
        self._plock = threading.Lock()

    def fail_next_task(self, error: str) -> None:
        self._failures.append(error)

    def route_of(self, request: Request) -> str:
        path = request.path
        if path.startswith("/files/"):
            return "media"
        if path.startswith("/v1/models/"):
            return "create"
        if path.endswith("/cancel"):
            return "cancel"
        return "poll"

    def handle(self, request: Request) -> Reply:
        if request.route == "media":
            return self._media(request)
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return _problem(401, "Unauthenticated", "You did not pass a valid authentication token")
        if request.route == "create":
            return self._create(request)
        if request.path == "/v1/account":
            return Reply.json(200, {"type": "user", "username": "fake-user", "name": "Fake"})
        parts = request.path.strip("/").split("/")
        prediction = self.predictions.get(parts[2]) if len(parts) >= 3 else None
        if prediction is None:
            return _problem(404, "Not found", "The requested resource could not be found")
        if request.route == "cancel":
            if request.method != "POST":
                return _problem(405, "Method not allowed", "use POST")
            if self._status(prediction) in ("starting", "processing"):
                prediction.canceled = True
            return Reply.json(200, self._object(prediction))
        if request.method != "GET":
            return _problem(405, "Method not allowed", "use GET")
        prediction.polls += 1
        return Reply.json(200, self._object(prediction))

    def _create(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or len(parts) != 5 or parts[4] != "predictions":
            return _problem(404, "Not found", "unknown route")
        model = f"{parts[2]}/{parts[3]}"
        if model not in MODELS:
            return _problem(404, "Model not found", f"{model} does not exist")
        try:
            body = request.json()
        except ValueError:
            return _problem(400, "Bad request", "the body is not JSON")
        if not isinstance(body, dict) or set(body) - {"input", "webhook",
                                                      "webhook_events_filter"}:
            return _problem(422, "Input validation failed", "body takes input and webhook only")
        problems = check_fields(body.get("input"), MODELS[model])
        if problems:
            detail = "; ".join(f"input.{f}: {m}" for f, m in problems)
            return _problem(422, "Input validation failed", detail)
        prediction = Prediction(id=f"pred{next(self._ids):04d}", model=model,
                                input=body["input"])
        if self._failures:
            prediction.error = self._failures.pop(0)
        with self._plock:
            self.predictions[prediction.id] = prediction
        return Reply.json(201, self._object(prediction))

    def _status(self, p: Prediction) -> str:
        if p.canceled:
            return "canceled"
        if p.polls >= self.steps:
            return "failed" if p.error else "succeeded"
        return "starting" if p.polls <= 1 else "processing"

    def _object(self, p: Prediction) -> dict[str, Any]:
        status = self._status(p)
        root = f"{self.public_base or self.base_url}/v1/predictions/{p.id}"
        ext = "mp4" if p.model.startswith("kwaivgi/") else p.input.get("output_format", "webp")
        output: Any = None
        if status == "succeeded":
            output = f"{self.base_url}/files/{p.id}/output.{ext}"
            if not p.model.startswith("kwaivgi/"):
                output = [output] * int(p.input.get("num_outputs", 1))
        return {
            "id": p.id, "model": p.model, "version": "fake-version", "status": status,
            "input": p.input, "output": output, "error": p.error if status == "failed" else None,
            "logs": "", "metrics": {"predict_time": 1.2} if status == "succeeded" else {},
            "created_at": "2026-01-01T00:00:00.000Z", "started_at": None, "completed_at": None,
            "urls": {"get": root, "cancel": f"{root}/cancel", "stream": f"{root}/stream"},
        }

    def _media(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        p = self.predictions.get(parts[1]) if len(parts) == 3 else None
        if p is None:
            return Reply(404, b"not found")
        if not p.model.startswith("kwaivgi/"):
            fmt = p.input.get("output_format", "webp")
            return Reply(200, still(1024, 1024, fmt), {"content-type": f"image/{fmt}"})
        return Reply(200, self.clip_for(p), {"content-type": "video/mp4"})

    def clip_for(self, p: Prediction) -> bytes:
        mode = p.input.get("mode", "pro")
        resolution = "720p" if mode == "standard" else "1080p"
        aspect = p.input.get("aspect_ratio", "16:9")
        start = p.input.get("start_image", "")
        if start.startswith("data:"):
            aspect = image_aspect(base64.b64decode(start.split(",", 1)[1]))
        width, height = SIZES[resolution][aspect]
        return clip(width, height, float(p.input["duration"]), p.input.get("prompt", ""))


def _problem(status: int, title: str, detail: str) -> Reply:
    return Reply.json(status, {"type": f"https://replicate.com/docs/errors#{status}",
                               "title": title, "status": status, "detail": detail},
                      **{"content-type": "application/problem+json"})

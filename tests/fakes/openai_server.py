"""A loopback OpenAI API for Sora 2 videos and image generation.

Speaks what the openai SDK sends (providers.md section 2): `Authorization: Bearer <key>`,
`POST /v1/videos` as multipart/form-data (prompt, model, seconds as the string "4"/"8"/"12",
size, an optional `input_reference` file part or `input_reference[image_url]` field),
`GET /v1/videos/{id}` walking queued -> in_progress -> completed | failed,
`GET /v1/videos/{id}/content` with the MP4, `POST /v1/videos/{id}/remix` (JSON), and
`POST /v1/images/generations` returning b64_json. Errors use OpenAI's envelope
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import base64
import io
import itertools
import threading
from dataclasses import dataclass
from typing import Any

from PIL import Image

from fakes.loopback import LoopbackService, Reply, Request, clip, still

SIZES = {"sora-2": ("720x1280", "1280x720"),
         "sora-2-pro": ("720x1280", "1280x720", "1024x1792", "1792x1024")}
IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
_VIDEO_FIELDS = {"prompt", "model", "seconds", "size", "input_reference",
                 "input_reference[image_url]", "input_reference[file_id]"}


@dataclass
class Video:
    id: str
    model: str
    prompt: str
    seconds: str
    size: str
    reference: tuple[str, bytes, str] | str | None = None
    remixed_from: str | None = None
    polls: int = 0
    error: tuple[str, str] | None = None


class OpenAIFake(LoopbackService):
    """OpenAI on 127.0.0.1/v1. `steps` retrieves walk queued -> in_progress -> completed;
    `fail_next_task(code, message)` makes the next video end failed."""

    def __init__(self, key: str = "sk-test-key", *, steps: int = 3) -> None:
        super().__init__()
        self.key = key
        self.steps = steps
        self.videos: dict[str, Video] = {}
        self._ids = itertools.count(1)
        self._failures: list[tuple[str, str]] = []
        self._vlock = threading.Lock()

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/v1"

    def fail_next_task(self, code: str, message: str) -> None:
        self._failures.append((code, message))

    def route_of(self, request: Request) -> str:
        path = request.path
        if path == "/v1/videos":
            return "create"
        if path == "/v1/images/generations":
            return "image"
        if path.endswith("/content"):
            return "content"
        if path.endswith("/remix"):
            return "remix"
        return "retrieve"

    def handle(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _error(401, "Incorrect API key provided.", "invalid_request_error",
                          "invalid_api_key")
        if request.route == "create":
            return self._create(request)
        if request.route == "image":
            return self._image(request)
        if request.path == "/v1/models":
            return Reply.json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 1, "owned_by": "system"}
                for m in ("gpt-image-1", "sora-2", "sora-2-pro")]})
        parts = request.path.strip("/").split("/")
        video = self.videos.get(parts[2]) if len(parts) >= 3 else None
        if video is None:
            return _error(404, "Video not found", "invalid_request_error", None)
        if request.route == "remix":
            return self._remix(request, video)
        if request.route == "content":
            if self._status(video) != "completed":
                return _error(409, "Video is not ready", "invalid_request_error", None)
            if request.query.get("variant", "video") != "video":
                return Reply(200, still(), {"content-type": "image/png"})
            width, height = (int(v) for v in video.size.split("x"))
            return Reply(200, clip(width, height, float(video.seconds), video.prompt),
                         {"content-type": "video/mp4"})
        video.polls += 1
        return Reply.json(200, self._object(video))

    # --- videos ------------------------------------------------------------------------------

    def _create(self, request: Request) -> Reply:
        if request.method != "POST":
            return _error(405, "Method not allowed", "invalid_request_error", None)
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error(400, "POST /v1/videos takes multipart/form-data",
                          "invalid_request_error", None)
        form = request.form()
        unknown = sorted(set(form) - _VIDEO_FIELDS)
        if unknown:
            return _error(400, f"Unknown parameter: '{unknown[0]}'.", "invalid_request_error",
                          "unknown_parameter", unknown[0])
        prompt, model = form.get("prompt"), form.get("model", "sora-2")
        seconds, size = form.get("seconds", "4"), form.get("size", "720x1280")
        if not isinstance(prompt, str) or not prompt.strip():
            return _error(400, "Missing required parameter: 'prompt'.", "invalid_request_error",
                          "missing_required_parameter", "prompt")
        if model not in SIZES:
            return _error(400, f"Invalid model {model!r}", "invalid_request_error",
                          "invalid_value", "model")
        if seconds not in ("4", "8", "12"):
            return _error(400, f"Invalid value: '{seconds}'. Supported values are: '4', '8', "
                          "and '12'.", "invalid_request_error", "invalid_value", "seconds")
        if size not in SIZES[model]:
            return _error(400, f"Invalid size {size!r} for {model}", "invalid_request_error",
                          "invalid_value", "size")
        reference = form.get("input_reference") or form.get("input_reference[image_url]")
        if isinstance(reference, tuple):
            with Image.open(io.BytesIO(reference[1])) as image:
                if f"{image.width}x{image.height}" != size:
                    return _error(400, "Inpaint image must match the requested width and "
                                  "height", "invalid_request_error", "invalid_value",
                                  "input_reference")
        if "moderation test" in prompt:
            return _error(400, "Your request was blocked by our moderation system.",
                          "invalid_request_error", "moderation_blocked")
        video = Video(id=f"video_{next(self._ids):04d}", model=model, prompt=prompt,
                      seconds=seconds, size=size, reference=reference)
        return Reply.json(200, self._store(video))

    def _remix(self, request: Request, source: Video) -> Reply:
        body = request.json()
        if not isinstance(body, dict) or set(body) != {"prompt"} or not isinstance(
                body["prompt"], str):
            return _error(400, "remix takes a JSON body with prompt only",
                          "invalid_request_error", None)
        if self._status(source) != "completed":
            return _error(400, "Only completed videos can be remixed", "invalid_request_error",
                          None)
        video = Video(id=f"video_{next(self._ids):04d}", model=source.model,
                      prompt=body["prompt"], seconds=source.seconds, size=source.size,
                      remixed_from=source.id)
        return Reply.json(200, self._store(video))

    def _store(self, video: Video) -> dict[str, Any]:
        if self._failures:
            video.error = self._failures.pop(0)
        with self._vlock:
            self.videos[video.id] = video
        return self._object(video)

    def _status(self, video: Video) -> str:
        if video.polls >= self.steps:
            return "failed" if video.error else "completed"
        return "queued" if video.polls <= 1 else "in_progress"

    def _object(self, video: Video) -> dict[str, Any]:
        status = self._status(video)
        done = status in ("completed", "failed")
        error = {"code": video.error[0], "message": video.error[1]} if status == "failed" and \
            video.error else None
        return {
            "id": video.id, "object": "video", "model": video.model, "status": status,
            "progress": 100 if done else (0 if status == "queued" else 37),
            "created_at": 1773220330, "completed_at": 1773220400 if done else None,
            "expires_at": 1773224000 if status == "completed" else None,
            "prompt": video.prompt, "remixed_from_video_id": video.remixed_from,
            "seconds": video.seconds, "size": video.size, "error": error,
        }

    # --- images ------------------------------------------------------------------------------

    def _image(self, request: Request) -> Reply:
        body = request.json()
        allowed = {"prompt", "model", "n", "size", "quality", "output_format", "background",
                   "moderation", "user"}
        if not isinstance(body, dict) or set(body) - allowed:
            extra = sorted(set(body) - allowed) if isinstance(body, dict) else ["body"]
            return _error(400, f"Unknown parameter: '{extra[0]}'.", "invalid_request_error",
                          "unknown_parameter", extra[0])
        if not isinstance(body.get("prompt"), str) or body.get("size", "auto") not in IMAGE_SIZES:
            return _error(400, "Invalid prompt or size", "invalid_request_error", "invalid_value")
        width, height = (1024, 1024) if body.get("size", "auto") == "auto" else (
            int(v) for v in body["size"].split("x"))
        fmt = body.get("output_format", "png")
        data = base64.b64encode(still(width, height, fmt)).decode("ascii")
        return Reply.json(200, {"created": 1773220330, "data": [{"b64_json": data}] *
                                int(body.get("n", 1)), "output_format": fmt,
                                "size": f"{width}x{height}"})


def _error(status: int, message: str, kind: str, code: str | None,
           param: str | None = None) -> Reply:
    return Reply.json(status, {"error": {"message": message, "type": kind, "param": param,
                                         "code": code}})

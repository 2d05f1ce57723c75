"""Shared machinery of the loopback video-service fakes: a threaded HTTP server on 127.0.0.1,
scripted faults, a record of every request, and real MP4 clips to serve.

Each fake (fal_server, replicate_server, openai_server) subclasses `LoopbackService` and answers
`handle(request)`; faults scripted with `fail`, `drop`, `slow` and `truncate` are applied
before the service answers, in the order they were queued, per route name.
"""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from fractions import Fraction
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import av
import numpy as np
from PIL import Image

from director.film import CameraMove, GenerationRequest, ShotHints
from director.prompts.vocabulary import MOVE_PHRASES
from director.tools.edit import H264_OPTIONS
from director.tools.providers.animatic import render_animatic
from director.tools.providers.camera import Planes, build_rig


@dataclass
class Request:
    """One request a fake received."""

    method: str
    path: str
    """URL path without the query."""
    query: dict[str, str]
    headers: dict[str, str]
    """Header names lower-cased."""
    body: bytes
    route: str = ""
    """The route name the fake gave it (e.g. "submit", "status")."""

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, Any]:
        """multipart/form-data fields: text parts as str, file parts as (filename, bytes, type)."""
        head = f"Content-Type: {self.headers.get('content-type', '')}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                fields[name] = (filename, payload, part.get_content_type())
            else:
                fields[name] = payload.decode("utf-8")
        return fields


@dataclass
class Reply:
    """What a fake answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, data: Any, **headers: str) -> Reply:
        return cls(status, json.dumps(data).encode(), {"content-type": "application/json",
                                                       **headers})


@dataclass
class Fault:
    """A scripted misbehaviour for one request."""

    kind: str
    """"reply" (answer `reply` instead of the service), "drop" (close the socket unanswered),
    "slow" (sleep `delay_s`, then answer normally) or "truncate" (send half the body)."""
    reply: Reply | None = None
    delay_s: float = 0.0


class LoopbackService(ABC):
    """A fake service on 127.0.0.1:<free port>, served from a daemon thread; use it as a
    context manager. Subclasses name routes (`route_of`) and answer them (`handle`)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def _any(self) -> None:
                service._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = _any

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting ---------------------------------------------------------------------------

    def fail(self, route: str, status: int, body: Any = None, *, times: int = 1,
             headers: dict[str, str] | None = None) -> None:
        """Answer the next `times` requests of `route` with `status` and a JSON `body`."""
        reply = Reply.json(status, body if body is not None else {}, **(headers or {}))
        self._queue(route, Fault("reply", reply), times)

    def page(self, route: str, status: int, *, times: int = 1,
             html: str = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
             ) -> None:
        """Answer the next `times` requests of `route` with an HTML error page, as a proxy in
        front of the service does."""
        reply = Reply(status, html.encode(), {"content-type": "text/html"})
        self._queue(route, Fault("reply", reply), times)

    def drop(self, route: str, *, times: int = 1) -> None:
        """Close the connection on the next `times` requests of `route` without answering."""
        self._queue(route, Fault("drop"), times)

    def slow(self, route: str, delay_s: float, *, times: int = 1) -> None:
        """Answer the next `times` requests of `route` only after `delay_s` seconds."""
        self._queue(route, Fault("slow", delay_s=delay_s), times)

    def truncate(self, route: str, *, times: int = 1) -> None:
        """Send only half the body (with the full Content-Length) on `route`, then hang up."""
        self._queue(route, Fault("truncate"), times)

    def _queue(self, route: str, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults.setdefault(route, deque()).extend([fault] * times)

    def _next_fault(self, route: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(route)
            return queue.popleft() if queue else None

    def routed(self, route: str) -> list[Request]:
        """Requests the fake gave the route name `route`, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.route == route]

    # --- to implement ------------------------------------------------------------------------

    @abstractmethod
    def route_of(self, request: Request) -> str:
        """Name the route of `request` (faults are scripted per route name)."""

    @abstractmethod
    def handle(self, request: Request) -> Reply:
        """Answer `request` as the service would."""

    # --- serving -----------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Request(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query)),
            headers={k.lower(): v for k, v in handler.headers.items()},
            body=body,
        )
        request.route = self.route_of(request)
        with self._lock:
            self.requests.append(request)
        fault = self._next_fault(request.route)
        if fault is not None and fault.kind == "drop":
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)
        if fault is not None and fault.kind == "reply" and fault.reply is not None:
            reply = fault.reply
        else:
            try:
                reply = self.handle(request)
            except Exception as exc:  # a fake bug shows up as a 500 with the reason
                reply = Reply.json(500, {"fake_error": f"{type(exc).__name__}: {exc}"})
        truncate = fault is not None and fault.kind == "truncate"
        try:
            self._send(handler, reply, truncate=truncate)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            handler.close_connection = True

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply, *, truncate: bool) -> None:
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("content-length", str(len(reply.body)))
        if truncate:
            handler.send_header("connection", "close")
        handler.end_headers()
        body = reply.body[: len(reply.body) // 2] if truncate else reply.body
        handler.wfile.write(body)
        handler.wfile.flush()
        if truncate:
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)


# --- media -----------------------------------------------------------------------------------

SIZES = {
    "720p": {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (720, 720)},
    "1080p": {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)},
}
_clip_lock = threading.Lock()


def camera_move_in(prompt: str) -> CameraMove:
    """The camera move a prompt names (the phrases models honour), so the clip performs it."""
    lowered = prompt.lower()
    for move, phrase in MOVE_PHRASES.items():
        if phrase in lowered:
            return move
    return "static"


@lru_cache(maxsize=16)
def _render(width: int, height: int, duration_s: float, fps: int, move: CameraMove) -> bytes:
    request = GenerationRequest(
        shot_index=0, model="animatic", provider="animatic", prompt="fake service clip",
        duration_s=duration_s, width=width, height=height, fps=fps,
        hints=ShotHints(subject="fake service clip", camera_move=move),
    )
    with TemporaryDirectory(prefix="fake-clip-") as tmp:
        path = Path(tmp) / "clip.mp4"
        if move == "static":
            _render_locked_off(request, path)
        else:
            render_animatic(request, path)
        return path.read_bytes()


def _render_locked_off(request: GenerationRequest, path: Path) -> None:
    """A locked-off storyboard with something crossing the frame: a real model animates the
    shot's action even when the camera holds still, and QC expects to see that motion."""
    frames = round(request.duration_s * request.fps)
    rig = build_rig(request, frames)
    planes = Planes(request.width, request.height)
    side = max(16, round(request.height * 0.12)) // 8 * 8
    cell = side // 8
    checker = np.kron(np.indices((8, 8)).sum(axis=0) % 2 * 200 + 30, np.ones((cell, cell)))
    checker = checker.astype(np.uint8)
    rows = [round(request.height * f) for f in (0.12, 0.42, 0.72)]
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=request.fps)
        stream.width, stream.height, stream.pix_fmt = request.width, request.height, "yuv420p"
        stream.options = dict(H264_OPTIONS)
        for i in range(frames):
            rig.render(i, planes)
            for k, top in enumerate(rows):  # one mover in each band the tracker samples
                left = round(request.width * (0.1 + 0.2 * k + 0.3 * i / max(1, frames - 1)))
                rows_in = min(side, request.height - top)  # a tiny test frame clips it
                cols_in = min(side, request.width - left)
                planes.y[top : top + rows_in, left : left + cols_in] = checker[:rows_in, :cols_in]
            frame = av.VideoFrame.from_ndarray(planes.array, format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, request.fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def clip(width: int, height: int, duration_s: float, prompt: str = "", fps: int = 24) -> bytes:
    """A real H.264 MP4 of exactly `duration_s` at `width`x`height` performing the prompt's
    camera move, cached per shape and move."""
    with _clip_lock:  # one render at a time: the machine has two cores
        return _render(width, height, float(duration_s), fps, camera_move_in(prompt))


def still(width: int = 64, height: int = 64, fmt: str = "png") -> bytes:
    """A real image file ("png", "jpeg" or "webp") with a gradient, so it is not one colour."""
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, 0)
    pixels = np.stack([x, x[:, ::-1], np.full_like(x, 90)], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG" if fmt in ("jpg", "jpeg") else fmt.upper())
    return buffer.getvalue()


def image_aspect(data: bytes) -> str:
    """The nearest of 16:9, 9:16 and 1:1 to an image's shape (image-to-video follows the image)."""
    with Image.open(io.BytesIO(data)) as image:
        ratio = image.width / image.height
    shapes = (("16:9", 16 / 9), ("9:16", 9 / 16), ("1:1", 1.0))
    return min(shapes, key=lambda r: abs(r[1] - ratio))[0]


# --- body rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What one documented input field accepts."""

    kind: str
    """"str", "int", "number", "bool", "list", "object" or "str|object"."""
    choices: tuple[Any, ...] = ()
    required: bool = False


def _is(kind: str, value: Any) -> bool:
    if kind == "str|object":
        return isinstance(value, str | dict)
    checks = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "list": lambda v: isinstance(v, list),
        "object": lambda v: isinstance(v, dict),
    }
    return checks[kind](value)


def check_fields(body: Any, rules: dict[str, Rule]) -> list[tuple[str, str]]:
    """(field, problem) for every way `body` breaks `rules`: unknown fields, missing required
    ones, wrong JSON types (the string "5" is not the integer 5) and values outside the
    choices."""
    if not isinstance(body, dict):
        return [("body", "must be a JSON object")]
    problems = [(name, "extra field not permitted") for name in body if name not in rules]
    for name, rule in rules.items():
        if name not in body:
            if rule.required:
                problems.append((name, "field required"))
            continue
        value = body[name]
        if not _is(rule.kind, value):
            problems.append((name, f"expected {rule.kind}, got {type(value).__name__}"))
        elif rule.choices and value not in rule.choices:
            problems.append((name, f"{value!r} is not one of {list(rule.choices)}"))
    return problems

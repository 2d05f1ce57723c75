"""A scriptable HTTP service on 127.0.0.1 in a background thread, for the Kling and PiAPI fakes.

Subclasses route requests; tests inject faults per route (an HTTP status with a body, a slow
answer, a dropped connection, a truncated body) and read back every request that arrived.
Clips are real MP4s (fakes.loopback.clip) at the size the model would deliver, cached per
process, so the director's QC accepts them.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from fakes.loopback import clip


@dataclass
class Fault:
    """One scripted misbehaviour, used once by the next matching request."""

    kind: Literal["status", "after", "slow", "drop", "truncate"]
    """"status" answers instead of the service; "after" lets the service act (a task is made),
    then answers `status` and `body` in its place, as a proxy timing out behind it would."""
    status: int = 500
    body: dict[str, Any] | bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0

    @classmethod
    def http(cls, status: int, body: dict[str, Any] | None = None, **headers: str) -> Fault:
        return cls("status", status=status, body=body, headers=headers)

    @classmethod
    def page(cls, status: int, html: str = "<html><body><h1>502 Bad Gateway</h1></body></html>"
             ) -> Fault:
        """An HTML error page, as a proxy in front of the service sends."""
        return cls("status", status=status, body=html.encode(),
                   headers={"Content-Type": "text/html"})

    @classmethod
    def after(cls, status: int, body: dict[str, Any] | bytes | None = None,
              **headers: str) -> Fault:
        return cls("after", status=status, body=body, headers=headers)

    @classmethod
    def slow(cls, delay_s: float) -> Fault:
        return cls("slow", delay_s=delay_s)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")

    @classmethod
    def truncate(cls) -> Fault:
        return cls("truncate")


@dataclass
class Recorded:
    """A request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    route: str


@dataclass
class Reply:
    """What a route answers."""

    status: int
    body: dict[str, Any] | bytes
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[["Recorded"], Reply]


class LoopbackService(ABC):
    """Base of the fakes: start(), url, inject(route, *faults), requests, stop()."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.answered = 0
        """Requests fully handled (answered, dropped or cut off), slow ones included."""
        self._faults: dict[str, deque[Fault]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- to override -----------------------------------------------------------------------

    @abstractmethod
    def route(self, method: str, path: str) -> tuple[str, Route] | None:
        """(route name, handler) for a request, or None for 404."""

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackService:
        server = _QuietServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LoopbackService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting -------------------------------------------------------------------------

    def inject(self, route: str, *faults: Fault) -> None:
        """Queue faults for the next requests to `route`, in order."""
        with self.lock:
            self._faults.setdefault(route, deque()).extend(faults)

    def pending_faults(self, route: str) -> int:
        with self.lock:
            return len(self._faults.get(route, ()))

    def calls(self, route: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.route == route]

    def _next_fault(self, route: str) -> Fault | None:
        with self.lock:
            queue = self._faults.get(route)
            return queue.popleft() if queue else None

    # --- serving ---------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        try:
            self._answer(handler, method)
        finally:
            with self.lock:
                self.answered += 1

    def wait_answered(self, timeout_s: float = 10.0) -> None:
        """Block until every request received so far has been handled (a slow one too)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                if self.answered >= len(self.requests):
                    return
            time.sleep(0.01)
        raise AssertionError("the fake is still handling a request")

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        path = handler.path
        found = self.route(method, path.split("?", 1)[0])
        name = found[0] if found else "unknown"
        record = Recorded(method, path, {k.lower(): v for k, v in handler.headers.items()},
                          body, name)
        with self.lock:
            self.requests.append(record)
        fault = self._next_fault(name)
        if fault is not None and fault.kind == "drop":
            handler.close_connection = True
            return
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.delay_s)
        if fault is not None and fault.kind == "status":
            _write(handler, Reply(fault.status, fault.body or {}, fault.headers))
            return
        reply = found[1](record) if found else Reply(404, {"error": "no such route"})
        if fault is not None and fault.kind == "after":
            _write(handler, Reply(fault.status, fault.body or {}, fault.headers))
            return
        if fault is not None and fault.kind == "truncate" and isinstance(reply.body, bytes):
            _write(handler, reply, cut_at=len(reply.body) // 2)
            return
        _write(handler, reply)


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up mid-answer (timeouts, truncation tests) are expected here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _write(handler: BaseHTTPRequestHandler, reply: Reply, cut_at: int | None = None) -> None:
    data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
    ctype = "video/mp4" if isinstance(reply.body, bytes) else "application/json"
    handler.send_response(reply.status)
    handler.send_header("Content-Type", reply.headers.get("Content-Type", ctype))
    handler.send_header("Content-Length", str(len(data)))
    for key, value in reply.headers.items():
        if key != "Content-Type":
            handler.send_header(key, value)
    if cut_at is not None:
        handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(data if cut_at is None else data[:cut_at])
    handler.wfile.flush()
    if cut_at is not None:
        handler.close_connection = True


def _handler_for(service: LoopbackService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            service._serve(self, "GET")

        def do_POST(self) -> None:
            service._serve(self, "POST")

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


# --- clips ---------------------------------------------------------------------------------


def clip_bytes(duration_s: float, width: int, height: int, prompt: str, fps: int = 24) -> bytes:
    """A real H.264 MP4 of the given length and size performing the prompt's camera move (the
    same cached renderer the other fakes use)."""
    return clip(width, height, duration_s, prompt, fps)

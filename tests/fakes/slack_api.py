"""A loopback stand-in for the Slack Web API, response_url hooks and file-upload URLs.

Every request is recorded (method name, form or JSON fields, raw bytes) so tests assert on the
calls the app really made. Nothing here touches the network beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Call:
    """One request the mock received."""

    path: str
    """URL path, e.g. /api/chat.postMessage or /upload/F1."""
    fields: dict[str, Any]
    """Form or JSON fields (empty for raw uploads)."""
    body: bytes
    """The raw request body."""
    headers: dict[str, str] = field(default_factory=dict)
    """Request headers, lower-cased names."""

    @property
    def method(self) -> str:
        """The Web API method name (chat.postMessage) or the raw path for other URLs."""
        return self.path.removeprefix("/api/") if self.path.startswith("/api/") else self.path


class MockSlack:
    """A threaded HTTP server on 127.0.0.1 that answers like Slack's Web API."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.uploads: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self._ts = 1_700_000_000.0
        self._files = 0
        mock = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                status, payload = mock._answer(self.path, raw, dict(self.headers.items()))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The base_url for slack_sdk.WebClient (it must end with a slash)."""
        return f"{self.url}/api/"

    def start(self) -> MockSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> MockSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- recording ---------------------------------------------------------------------------

    def named(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def texts(self) -> list[str]:
        """Every text the app posted, updated or sent to a response_url, in order."""
        with self._lock:
            calls = list(self.calls)
        out = []
        for c in calls:
            if c.method in ("chat.postMessage", "chat.update", "chat.postEphemeral") or (
                c.path.startswith("/hook")
            ):
                out.append(str(c.fields.get("text", "")))
        return out

    def wait_for(self, predicate: Any, timeout: float = 30.0) -> None:
        """Poll until predicate(self) is true; fail with the calls seen so far."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self):
                return
            time.sleep(0.05)
        seen = [f"{c.method}: {str(c.fields.get('text', ''))[:80]}" for c in self.calls]
        raise AssertionError(f"timed out waiting; calls so far: {seen}")

    # -- answering ---------------------------------------------------------------------------

    def _answer(self, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict]:
        headers = {k.lower(): v for k, v in headers.items()}
        path = path.split("?", 1)[0]
        fields: dict[str, Any] = {}
        kind = headers.get("content-type", "")
        if not path.startswith("/upload/"):
            if "json" in kind:
                fields = json.loads(raw or b"{}")
            else:
                fields = dict(parse_qsl(raw.decode("utf-8", "replace")))
        with self._lock:
            self.calls.append(Call(path, fields, raw, headers))
            return self._reply(path, fields, raw)

    def _next_ts(self) -> str:
        self._ts += 1
        return f"{self._ts:.6f}"

    def _reply(self, path: str, fields: dict[str, Any], raw: bytes) -> tuple[int, dict]:
        if path.startswith("/hook"):
            return 200, {"ok": True}
        if path.startswith("/upload/"):
            self.uploads[path.removeprefix("/upload/")] = raw
            return 200, {"ok": True}
        method = path.removeprefix("/api/")
        if method == "auth.test":
            return 200, {"ok": True, "user_id": "UBOT", "bot_id": "B1", "team_id": "T1"}
        if method in ("chat.postMessage", "chat.update"):
            ts = fields.get("ts") or self._next_ts()
            return 200, {"ok": True, "channel": fields.get("channel"), "ts": ts}
        if method == "chat.postEphemeral":
            return 200, {"ok": True, "message_ts": self._next_ts()}
        if method == "files.getUploadURLExternal":
            self._files += 1
            file_id = f"F{self._files}"
            upload_url = f"{self.url}/upload/{file_id}"
            return 200, {"ok": True, "file_id": file_id, "upload_url": upload_url}
        if method == "files.completeUploadExternal":
            files = json.loads(fields.get("files", "[]"))
            done = [{"id": f["id"], "title": f.get("title")} for f in files]
            return 200, {"ok": True, "files": done}
        return 200, {"ok": True}

"""A fake OpenAI-compatible chat endpoint: scripted replies, and checks on every request.

Use it in-process through `FakeChat.http_client()` (an httpx.MockTransport), or for subprocess
runs through `FakeChat.serve()` (a loopback HTTP server). Each request is checked: the path, the
bearer key, the model, a strict json_schema (or JSON mode) response format, no key anywhere in
the messages, and the brief's words only inside its <brief>…</brief> block. Violations are
collected in `violations` for the test to assert empty.

Replies come from per-call queues (`script`) and, when a queue is empty, from `auto`: a function
of the call kind and the request body. `weak_reply` is a ready `auto` that returns schema-valid
but thin content (one-word parts, odd durations, unknown names).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from director.film import Lighting, Shot, WardrobeItem

DATA_BLOCK = re.compile(r"<(brief|shot|bible|take|state|message)>.*?</\1>", re.S)
"""The delimited blocks untrusted text (the brief and what was derived from it) may sit in."""
SCHEMA_NAMES = {"PlanDraft": "plan", "PromptSpec": "write", "RevisionDraft": "revise"}


@dataclass
class Reply:
    """One scripted answer: JSON content, raw text, an HTTP error or a refusal."""

    content: Any = None
    """A dict/list (sent as JSON text) or a raw string."""
    status: int = 200
    """HTTP status; anything but 200 sends an OpenAI-shaped error body."""
    error: str = "server error"
    """The error message for non-200 replies."""
    refusal: str = ""
    """A refusal message instead of content."""
    finish_reason: str = "stop"
    """e.g. "length" for a reply cut off at the token limit."""
    tool_calls: list[tuple[str, Any]] = field(default_factory=list)
    """(function name, arguments) pairs; arguments may be a dict or raw text."""


@dataclass
class FakeChat:
    key: str = "sk-fake-0123456789abcdef"
    model: str = "fake-director-1"
    brief_markers: list[str] = field(default_factory=list)
    """Phrases of the brief that may appear only inside a data block (<brief>…</brief>, or
    <shot>, <bible>, <take> for text derived from it)."""
    script: dict[str, list[Reply | dict[str, Any]]] = field(default_factory=dict)
    auto: Callable[[str, dict[str, Any]], Reply | dict[str, Any]] | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- entry points ------------------------------------------------------------------------

    def http_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self._handle))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        status, body = self.respond(request.url.path, request.headers.get("authorization", ""),
                                    request.content)
        return httpx.Response(status, json=body)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """A loopback server for subprocess runs; yields its base URL (…/v1)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                status, body = fake.respond(self.path, self.headers.get("authorization", ""), raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v1"
        finally:
            server.shutdown()
            server.server_close()

    # --- one request -------------------------------------------------------------------------

    def respond(self, path: str, auth: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        body = json.loads(raw or b"{}")
        with self._lock:
            self.requests.append(body)
            kind = self._kind(body)
            self.kinds.append(kind)
            self._check(path, auth, raw, body)
            queue = self.script.get(kind) or []
            reply = queue.pop(0) if queue else (self.auto(kind, body) if self.auto else None)
        if reply is None:
            return 500, {"error": {"message": f"no scripted reply for {kind}"}}
        if isinstance(reply, dict):
            reply = Reply(content=reply)
        if reply.status != 200:
            return reply.status, {"error": {"message": reply.error, "type": "fake"}}
        content = reply.content if isinstance(reply.content, str) else (
            "" if reply.content is None else json.dumps(reply.content))
        message: dict[str, Any] = {"role": "assistant", "content": None if reply.refusal
                                   else content, "refusal": reply.refusal or None}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": f"call_{i}", "type": "function",
                 "function": {"name": name, "arguments": args if isinstance(args, str)
                              else json.dumps(args)}}
                for i, (name, args) in enumerate(reply.tool_calls)
            ]
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 0,
            "model": body.get("model", ""),
            "choices": [{"index": 0, "finish_reason": reply.finish_reason, "message": message}],
            "usage": {"prompt_tokens": len(raw) // 4, "completion_tokens": len(content) // 4,
                      "total_tokens": len(raw) // 4 + len(content) // 4},
        }

    def _kind(self, body: dict[str, Any]) -> str:
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            return SCHEMA_NAMES.get(fmt["json_schema"].get("name", ""), "unknown")
        if body.get("tools"):
            return "converse"
        text = json.dumps(body.get("messages", []))
        for name, kind in SCHEMA_NAMES.items():
            if f'\\"title\\": \\"{name}\\"' in text:
                return kind
        return "unknown"

    def _check(self, path: str, auth: str, raw: bytes, body: dict[str, Any]) -> None:
        def bad(message: str) -> None:
            self.violations.append(f"request {len(self.requests)}: {message}")

        if not path.endswith("/chat/completions"):
            bad(f"path {path}")
        if auth != f"Bearer {self.key}":
            bad("wrong or missing bearer key")
        if body.get("model") != self.model:
            bad(f"model {body.get('model')!r}")
        if self.key in raw.decode("utf-8", "replace").replace(f"Bearer {self.key}", ""):
            bad("the key appears in the request body")
        fmt = body.get("response_format")
        if fmt and fmt.get("type") == "json_schema":
            spec = fmt["json_schema"]
            if spec.get("strict") is not True:
                bad("json_schema without strict")
            bad_nodes = strict_problems(spec.get("schema", {}))
            if bad_nodes:
                bad(f"schema not strict-compatible at {bad_nodes[:3]}")
        elif fmt and fmt.get("type") != "json_object":
            bad(f"response_format {fmt.get('type')}")
        for tool in body.get("tools") or []:
            function = tool.get("function", {})
            if function.get("strict") is not True:
                bad(f"tool {function.get('name')} without strict")
            if problems := strict_problems(function.get("parameters", {})):
                bad(f"tool {function.get('name')} not strict-compatible at {problems[:3]}")
        for m in body.get("messages", []):
            text = m.get("content") or ""
            if not isinstance(text, str):
                continue
            outside = DATA_BLOCK.sub("", text)
            if text.count("<brief>") > 1 or text.count("</brief>") > 1:
                bad("more than one brief block in a message")
            for marker in self.brief_markers:
                if marker.lower() in outside.lower():
                    bad(f"brief text {marker!r} outside <brief> in a {m.get('role')} message")


STRICT_UNSUPPORTED = frozenset({
    "oneOf", "discriminator", "default", "format", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems",
    "maxItems", "uniqueItems", "patternProperties", "propertyNames", "minProperties",
    "maxProperties", "title", "examples",
})
"""Keywords the strictest OpenAI-compatible endpoints reject in a strict schema."""


def strict_problems(node: Any, path: str = "#") -> list[str]:
    """Where a schema breaks OpenAI's strict rules (open objects, optional properties, $ref
    beside other keys, unsupported keywords, a root that is not an object); empty when it is
    strict-compatible."""
    found: list[str] = []
    if path == "#" and (not isinstance(node, dict) or node.get("type") != "object"):
        found.append("#: the root is not an object")
    if isinstance(node, dict):
        if "$ref" in node and len(node) > 1:
            found.append(f"{path}: $ref with siblings")
        if node.get("type") == "object" or "properties" in node:
            if node.get("additionalProperties") is not False:
                found.append(f"{path}: additionalProperties")
            if list(node.get("required", [])) != list(node.get("properties", {})):
                found.append(f"{path}: not every property required")
        found += [f"{path}: {key}" for key in sorted(STRICT_UNSUPPORTED & set(node))]
        for key, value in node.items():
            if key in ("properties", "$defs"):
                # Children here are named schemas: their names are not keywords.
                for name, sub in value.items():
                    found += strict_problems(sub, f"{path}/{key}/{name}")
            else:
                found += strict_problems(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += strict_problems(value, f"{path}/{i}")
    return found


# --- canned content -----------------------------------------------------------------------------


def weak_plan(shots: int = 3, durations: tuple[float, ...] = (3.3, 7.7, 0.9)) -> dict[str, Any]:
    """A schema-valid plan with almost nothing in it: one-word fields, odd clip lengths, a
    character the shots name wrongly, a location nobody defined, two chained actions."""
    items = [
        Shot(index=i * 7, beat="x", duration_s=durations[i % len(durations)], subject="it",
             characters=["Nobody", "Ana"], action="turns then runs and jumps", location="nowhere",
             lighting=Lighting(source="", direction="", quality=""), atmosphere="epic",
             negative_prompt="it").model_dump()
        for i in range(shots)
    ]
    return {
        "beats": ["x"],
        "bible": {"characters": [{"name": "Ana", "age": "", "hair": "", "eyes": "", "build": "",
                                  "wardrobe": [WardrobeItem(garment="coat").model_dump()],
                                  "marks": [], "reference_images": [], "descriptor": ""}],
                  "locations": [], "look": ""},
        "shots": items,
        "continuity": [],
        "question": "",
    }


def weak_spec() -> dict[str, Any]:
    return {"shot_index": 99, "subject": "x", "camera": "y", "environment": "z",
            "atmosphere": "stunning", "negative_prompt": "", "audio": ""}


def weak_reply(kind: str, body: dict[str, Any]) -> Reply | dict[str, Any]:
    if kind == "plan":
        return weak_plan()
    if kind == "write":
        return weak_spec()
    if kind == "revise":
        return {"variable": "model", "after": "the-most-expensive-model", "rationale": "x"}
    return Reply(status=400, error=f"the fake has no reply for {kind}")

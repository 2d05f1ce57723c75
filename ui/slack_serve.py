"""Running the Slack door: the background job loop, the HTTP server and Socket Mode."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Coroutine
from typing import Any

from slack_bolt import App

EVENTS_PATH = "/slack/events"


class Background:
    """One event loop on a daemon thread that runs every job; sessions live on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True,
                                        name="director-slack")
        self._thread.start()
        self._futures: set[concurrent.futures.Future] = set()
        self._lock = threading.Lock()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future:
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: concurrent.futures.Future) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Block until no job is running (tests; a graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = list(self._futures)
            if not pending:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(pending)} Slack job(s) still running")
            concurrent.futures.wait(pending, timeout=left)


def http_server(app: App, *, host: str = "127.0.0.1", port: int = 3000,
                path: str = EVENTS_PATH) -> Any:
    """A uvicorn server for Slack's requests on http://host:port/path (put it behind a TLS
    reverse proxy or tunnel). Dispatch runs in a worker thread so one slow ack never blocks
    other requests."""
    import uvicorn
    from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.routing import Route

    async def events(request: Request) -> Any:
        body = await request.body()
        response = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)

    web = Starlette(routes=[Route(path, events, methods=["POST"])])
    config = uvicorn.Config(web, host=host, port=port, log_level="warning", access_log=False)
    return uvicorn.Server(config)


def serve_socket_mode(app: App, app_token: str) -> None:
    """Socket Mode: no public URL; the xapp- token authenticates the socket."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()

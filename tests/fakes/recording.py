"""An httpx.MockTransport handler that records every request it answers."""

from __future__ import annotations

from collections.abc import Callable

import httpx


class Server:
    """Answers with `answer` and keeps each request in `seen`, in order."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answer = answer
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return self.answer(request)

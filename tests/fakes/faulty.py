"""A Kling fake that misbehaves at random, at set rates, from a seed, and counts what it did.

Every request to the API or the media host may draw one fault of a kind that fits its route:

    create  429 (Retry-After), 5xx, slow (answered after the client's timeout, the task made
            late), lost (the task is made, then the answer is lost: a gateway 504/502 page or a
            hang-up)
    query   429, 5xx, slow, drop (the connection closes mid-poll, unanswered)
    file    5xx, drop, truncate (half the clip, then a hang-up), corrupt (bytes that are no video)
    task    failed (the task ends `failed`, as a content or capacity failure does)

Server-side it counts every create per external_task_id and every task made per idempotency
key (the external id without the project's salt), so a take paid twice shows up, and it records
the tasks whose `succeed` answer (a paid clip) reached the client.
"""

from __future__ import annotations

import random
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from director.idempotency import parse_take_key
from fakes.kling_server import KlingFake, KlingTask
from fakes.scripted import Fault, Recorded, Reply, Route

ROUTE_KINDS: dict[str, tuple[str, ...]] = {
    "create": ("429", "5xx", "slow", "lost"),
    "query": ("429", "5xx", "slow", "drop"),
    "file": ("5xx", "drop", "truncate", "corrupt"),
    "task": ("failed",),
}
"""Which fault kinds each route can draw ("task" is drawn once per task made)."""
KINDS = tuple(dict.fromkeys(k for kinds in ROUTE_KINDS.values() for k in kinds))


def uniform_rates(total: float) -> dict[str, float]:
    """Per-kind rates under which every request meets a fault with probability `total` (each
    route has four kinds, equally likely) and a task ends failed with probability total / 4."""
    return {kind: total / 4 for kind in KINDS}


def take_key(external_id: str) -> str:
    """The idempotency key inside an external_task_id (the project's salt stripped)."""
    parts = parse_take_key(external_id)
    return parts.unsalted if parts else external_id


@dataclass
class FaultyKling(KlingFake):
    """KlingFake with random faults. `rates` maps a kind (KINDS) to the chance that a request
    on a route where it applies meets it; `slow_s` must exceed the client's read timeout."""

    rates: dict[str, float] = field(default_factory=lambda: uniform_rates(0.2))
    seed: int = 0
    slow_s: float = 2.5
    injected: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(route, kind) -> faults served."""
    tasks_by_key: Counter[str] = field(default_factory=Counter)
    """Tasks made per idempotency key: above 1 is a take paid twice."""
    delivered: dict[str, str] = field(default_factory=dict)
    """task_id -> external_task_id of tasks whose `succeed` answer (with its clip URL) was
    sent: the paid clips the service returned."""
    late_tasks: set[str] = field(default_factory=set)
    """Tasks made by a create whose answer never reached the client (lost or slow)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = set(self.rates) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self._rng = random.Random(self.seed)
        self._local = threading.local()
        self._forced: dict[str, deque[str]] = {}

    def force(self, route: str, *kinds: str) -> None:
        """Serve these kinds to the next requests on `route` (or tasks, for "task") before any
        random draw; a forced "lost" is always the hang-up after the task is made."""
        with self.lock:
            self._forced.setdefault(route, deque()).extend(kinds)

    # --- drawing ---------------------------------------------------------------------------

    def _draw(self, route: str) -> str:
        """A fault kind for one request on `route`, or "" (under the lock: one seeded stream)."""
        with self.lock:
            forced = self._forced.get(route)
            self._local.forced = bool(forced)
            if forced:
                kind = forced.popleft()
                self.injected[(route, kind)] += 1
                return kind
            roll = self._rng.random()
            for kind in ROUTE_KINDS.get(route, ()):
                roll -= self.rates.get(kind, 0.0)
                if roll < 0:
                    self.injected[(route, kind)] += 1
                    return kind
        return ""

    def _pick(self, *options: Any) -> Any:
        with self.lock:
            return self._rng.choice(options)

    def _next_fault(self, route: str) -> Fault | None:
        self._local.fault, self._local.forced = "", False
        scripted = super()._next_fault(route)
        if scripted is not None:
            return scripted  # faults a test queued by hand go first
        kind = self._draw(route)
        self._local.fault = kind
        if kind == "429":
            code = self._pick(1302, 1303)
            return Fault.http(429, {"code": code, "message": "rate limit exceeded"},
                              **{"Retry-After": self._pick("0", "1")})
        if kind == "5xx":
            status, code = self._pick((500, 5000), (503, 5001), (504, 5002))
            if route == "file" or self._pick(True, False):
                return Fault.page(self._pick(502, 503))
            return Fault.http(status, {"code": code, "message": "server error"})
        if kind == "slow":
            return Fault.slow(self.slow_s)
        if kind == "drop":
            return Fault.drop()
        if kind == "truncate":
            return Fault.truncate()
        if kind == "gateway" or (kind == "lost" and not self._local.forced
                                 and self._pick("gateway", "hangup") == "gateway"):
            self._local.fault = "lost-gateway"
            return Fault.after(self._pick(502, 504), b"<html><body>Gateway Timeout</body></html>",
                               **{"Content-Type": "text/html"})
        return None  # "lost" (hang-up) and "corrupt" act inside the route handlers

    # --- routing ---------------------------------------------------------------------------

    def route(self, method: str, path: str) -> tuple[str, Route] | None:
        found = super().route(method, path)
        if found is None:
            return None
        name, inner = found
        wrappers = {"create": self._counted_create, "query": self._watched_query,
                    "file": self._maybe_corrupt}
        wrap = wrappers.get(name)
        return (name, wrap(inner)) if wrap else found

    def _counted_create(self, inner: Route) -> Route:
        def create(req: Recorded) -> Reply:
            fault = self._local.fault
            reply = inner(req)
            data = reply.body.get("data") if isinstance(reply.body, dict) else None
            if reply.status == 200 and isinstance(data, dict):
                with self.lock:
                    task = self.tasks[str(data["task_id"])]
                    self.tasks_by_key[take_key(task.external_id)] += 1
                    if fault in ("slow", "lost", "lost-gateway"):
                        self.late_tasks.add(task.task_id)
                if self._draw("task") == "failed" and not task.failure:
                    task.failure = "task failed: internal capacity error, please retry"
            if fault == "lost":
                # The service acted; the answer dies with the connection (a ConnectionError is
                # what the quiet server expects from a hung-up client, so nothing is logged).
                raise ConnectionAbortedError("answer lost after the task was made")
            return reply

        return create

    def _watched_query(self, inner: Route) -> Route:
        def query(req: Recorded) -> Reply:
            reply = inner(req)
            data = reply.body.get("data") if isinstance(reply.body, dict) else None
            if isinstance(data, dict) and data.get("task_status") == "succeed":
                with self.lock:
                    task_id = str(data["task_id"])
                    self.delivered[task_id] = self.tasks[task_id].external_id
            return reply

        return query

    def _maybe_corrupt(self, inner: Route) -> Route:
        def media(req: Recorded) -> Reply:
            reply = inner(req)
            if self._local.fault == "corrupt" and isinstance(reply.body, bytes):
                with self.lock:
                    noise = self._rng.randbytes(len(reply.body))
                # Served as a video, with an MP4 signature: only decoding can tell.
                return Reply(200, b"\x00\x00\x00\x18ftypisom" + noise[12:], reply.headers)
            return reply

        return media

    # --- figures ---------------------------------------------------------------------------

    def creates_received(self) -> Counter[str]:
        """Every create request that arrived, faulted or not, per external_task_id."""
        return Counter(str(r.body.get("external_task_id", "")) if isinstance(r.body, dict)
                       else "" for r in self.calls("create"))

    def duplicates(self) -> dict[str, int]:
        """Idempotency keys with more than one task made."""
        with self.lock:
            return {k: n for k, n in self.tasks_by_key.items() if n > 1}

    def tasks_of(self, project_id: str) -> list[KlingTask]:
        """Tasks made for one project (its keys start with the project id)."""
        with self.lock:
            return [t for t in self.tasks.values()
                    if take_key(t.external_id).startswith(f"{project_id}-s")]

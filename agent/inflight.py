"""Tasks in flight per provider: no account runs more tasks at once than its concurrency allows.

A slot is taken before a paid submission and given back when the task has ended (clip on disk
or failure). Kling answers 1303 when an account is over its limit; waiting for a slot here
keeps us from paying the backoff for a refusal we could have predicted.

An account's limit holds across every run in the process (many projects on one chat page or
LangGraph Server worker share the keys, so they share the slots): run contexts use
SharedInFlight, whose slots belong to the event loop rather than to one run. Keys name a take of
a project, so runs never mistake each other's slots.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import defaultdict


class _Slots:
    """One condition and the per-provider sets of task keys it guards."""

    def __init__(self) -> None:
        self.cond = asyncio.Condition()
        self.tasks: dict[str, set[str]] = defaultdict(set)


class InFlight:
    """Per-provider sets of task keys (one per take), guarded by one condition."""

    def __init__(self) -> None:
        self._own = _Slots()

    def _slots(self) -> _Slots:
        return self._own

    async def acquire(self, provider: str, key: str, limit: int) -> None:
        """Wait for a free slot for `key`; a key that already holds one passes at once."""
        limit = max(1, limit)
        slots = self._slots()
        async with slots.cond:
            held = slots.tasks[provider]
            await slots.cond.wait_for(lambda: key in held or len(held) < limit)
            held.add(key)

    async def hold(self, provider: str, key: str) -> None:
        """Count a task that is already running (a resumed poll) without waiting."""
        slots = self._slots()
        async with slots.cond:
            slots.tasks[provider].add(key)

    async def release(self, provider: str, key: str) -> None:
        slots = self._slots()
        async with slots.cond:
            slots.tasks[provider].discard(key)
            slots.cond.notify_all()

    def running(self, provider: str) -> int:
        return len(self._slots().tasks[provider])


_BY_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Slots] = (
    weakref.WeakKeyDictionary()
)


class SharedInFlight(InFlight):
    """The slots of the running event loop, shared by every run context in it. Looked up at
    use, since a context may be built before the loop that runs it exists."""

    def _slots(self) -> _Slots:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return _Slots()  # no loop, nothing in flight (a count read after the run)
        slots = _BY_LOOP.get(loop)
        if slots is None:
            slots = _BY_LOOP[loop] = _Slots()
        return slots

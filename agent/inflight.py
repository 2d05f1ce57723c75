"""Tasks in flight per provider: no account runs more tasks at once than its concurrency allows.

A slot is taken before a paid submission and given back when the task has ended (clip on disk
or failure). Kling answers 1303 when an account is over its limit; waiting for a slot here
keeps us from paying the backoff for a refusal we could have predicted.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class InFlight:
    """Per-provider sets of task keys (one per take), guarded by one condition."""

    def __init__(self) -> None:
        self._cond = asyncio.Condition()
        self._tasks: dict[str, set[str]] = defaultdict(set)

    async def acquire(self, provider: str, key: str, limit: int) -> None:
        """Wait for a free slot for `key`; a key that already holds one passes at once."""
        limit = max(1, limit)
        async with self._cond:
            held = self._tasks[provider]
            await self._cond.wait_for(lambda: key in held or len(held) < limit)
            held.add(key)

    async def hold(self, provider: str, key: str) -> None:
        """Count a task that is already running (a resumed poll) without waiting."""
        async with self._cond:
            self._tasks[provider].add(key)

    async def release(self, provider: str, key: str) -> None:
        async with self._cond:
            self._tasks[provider].discard(key)
            self._cond.notify_all()

    def running(self, provider: str) -> int:
        return len(self._tasks[provider])

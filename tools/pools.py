"""Process-wide thread pools, one per kind of heavy work, each made on first use.

Many runs share one process (the chat page, Slack, LangGraph Server, the scale bench). Work that
holds decoded frames (inspection, the simulator's drawing, the end of a run) gets a small pool
of its own shared by every run, so ten projects finishing together queue for two workers
instead of each holding its frames at once; quick file work keeps the loop's default executor.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

T = TypeVar("T")

_POOLS: dict[str, ThreadPoolExecutor] = {}
_LOCK = threading.Lock()

FINISH_WORKERS = 2
"""Continuity notes, cuts and reports at once in the whole process (one per core here)."""


def shared_pool(name: str, workers: int) -> ThreadPoolExecutor:
    """The process's pool called `name`, made with `workers` threads the first time."""
    with _LOCK:
        pool = _POOLS.get(name)
        if pool is None:
            pool = _POOLS[name] = ThreadPoolExecutor(workers, name)
        return pool


def finishing_pool() -> ThreadPoolExecutor:
    """Where a run's last, frame-heavy steps go: continuity notes, the cut and the report."""
    return shared_pool("finish", FINISH_WORKERS)


async def run_in(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on `pool`, awaited from the event loop."""
    return await asyncio.get_running_loop().run_in_executor(pool, partial(fn, *args, **kwargs))

"""The VideoProvider seam: submit, poll, download. Every generation service implements it.

Task references are persisted by the caller between submit and poll, so a restarted run polls
the same paid task instead of paying again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from director.film import GenerationRequest, TaskRef, TaskStatus


@runtime_checkable
class VideoProvider(Protocol):
    """A text/image-to-video service."""

    name: str
    """Adapter name used in plans and ledgers."""
    max_concurrency: int
    """Tasks this service runs at once for one account."""
    poll_interval_s: float
    """Seconds between polls."""

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        """Start a task. `idempotency_key` is unique per take; services that support it
        (e.g. Kling external_task_id) must not bill twice for the same key."""
        ...

    async def poll(self, ref: TaskRef) -> TaskStatus:
        """Report the task's state once, without waiting."""
        ...

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        """Write the finished clip to `dest` (atomically) and return it."""
        ...

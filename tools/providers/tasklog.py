"""A per-project record of submitted tasks by idempotency key, kept beside the project's tasks.

The graph records a TaskRef in the ledger and checkpoint after `submit` returns; a process killed
between the service's answer and that record would submit again on resume. Adapters write the
reference here the moment the service answers and look here first, so a resumed submit returns
the task already paid for without another call.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

from director.film import TaskRef
from director.project import atomic_write_text

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


class TaskLog:
    """TaskRefs of one adapter in `folder`, one small JSON file per idempotency key."""

    def __init__(self, folder: Path, provider: str) -> None:
        self.folder = Path(folder)
        self.provider = provider

    def _path(self, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
        stem = _SAFE.sub("_", key)[:60]
        return self.folder / f"{self.provider}-{stem}-{digest}.task.json"

    def get(self, key: str) -> TaskRef | None:
        """The task submitted under `key`, or None (also when the record is damaged)."""
        try:
            return TaskRef.model_validate_json(self._path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, ref: TaskRef) -> None:
        """Record the task submitted under `key` (atomically)."""
        atomic_write_text(self._path(key), ref.model_dump_json(indent=2))

    def salt(self) -> str:
        """A random tag made once per project folder and kept: makes ids derived from project
        names unique per account (two projects both called "boat" must not share tasks)."""
        path = self.folder / f"{self.provider}-salt.txt"
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError:
            value = ""
        if not re.fullmatch(r"[0-9a-f]{8}", value):
            value = secrets.token_hex(4)
            atomic_write_text(path, value)
        return value

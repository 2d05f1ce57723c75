"""The ledger: an append-only record of every paid call, take and experiment (ledger.jsonl).

A resumed run may replay a node, so entries carry a key and readers keep the last entry per key:
replaying never double-counts spend.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from director.film import Revision

EntryKind = Literal["submit", "take", "revision", "failed", "cut", "llm", "still", "keyframe"]
PAID_KINDS = ("submit", "still", "keyframe")
"""Entries whose cost counts against the run's cap: clips, reference stills and keyframes."""


class LedgerEntry(BaseModel):
    """One line of ledger.jsonl."""

    model_config = ConfigDict(extra="forbid")

    kind: EntryKind
    """submit (a paid task started), take (a clip inspected), revision, failed, cut, llm (one
    LLM brain call: tokens and cost in data; `attempt` numbers the calls), still (a character's
    reference still; `shot` numbers the characters), keyframe (a shot's first-frame image)."""
    shot: int = -1
    """Shot index, or -1 for project-level entries."""
    attempt: int = 0
    """Attempt number within the shot."""
    time: float = Field(default_factory=time.time)
    """Unix time written."""
    cost_usd: float = 0.0
    """Money this entry committed (submit entries only, so totals never double-count)."""
    data: dict[str, Any] = Field(default_factory=dict)
    """Details: model, task id, QC summary, revision variable and values, verdict."""

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.kind, self.shot, self.attempt)


def _drop_torn_tail(fd: int) -> int:
    """Cut an unterminated last line (an append killed part-way) and return the file's size:
    appending after it would glue the next entry onto the fragment and lose both."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return size
    end = size
    while end > 0:
        start = max(0, end - 65536)
        chunk = os.pread(fd, end - start, start)
        cut = chunk.rfind(b"\n")
        if cut >= 0:
            keep = start + cut + 1
            break
        end = start
    else:
        keep = 0
    os.ftruncate(fd, keep)
    return keep


def spent_of(entries: list[LedgerEntry]) -> float:
    """What these entries paid (submissions, stills, LLM calls)."""
    return round(sum(e.cost_usd for e in entries if e.kind in PAID_KINDS), 4)


class Ledger:
    """Reads and appends ledger.jsonl in a project folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entry: LedgerEntry) -> None:
        """Add one line, durably. A line that cannot be written whole (disk full) is taken
        back before the error is raised, so the file keeps only whole entries."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (entry.model_dump_json() + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            start = _drop_torn_tail(fd)
            try:
                # One write per line plus fsync: a kill leaves at most one torn last line,
                # which entries() skips and the next append removes.
                written = 0
                while written < len(line):
                    written += os.write(fd, line[written:])
                os.fsync(fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, start)
                raise
        finally:
            os.close(fd)

    def entries(self) -> list[LedgerEntry]:
        if not self.path.exists():
            return []
        latest: dict[tuple[str, int, int], LedgerEntry] = {}
        for raw in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = LedgerEntry.model_validate(json.loads(raw))
            except (ValueError, TypeError):
                continue
            latest.pop(entry.key, None)
            latest[entry.key] = entry
        return list(latest.values())

    def spent_usd(self) -> float:
        return spent_of(self.entries())

    def find(self, kind: EntryKind, shot: int, attempt: int) -> LedgerEntry | None:
        """The latest entry for this key, e.g. the paid submission of a take."""
        return next((e for e in self.entries() if e.key == (kind, shot, attempt)), None)

    def experiments(self, shot: int | None = None) -> list[Revision]:
        """Every one-variable experiment (the latest, scored version of each), in shot and
        attempt order: variable, before -> after, the finding, QC before and after, verdict
        and the retake's cost."""
        found: list[Revision] = []
        for entry in self.entries():
            if entry.kind != "revision" or (shot is not None and entry.shot != shot):
                continue
            try:
                found.append(Revision.model_validate(entry.data))
            except ValidationError:
                continue  # an entry written by an older version of the product
        return sorted(found, key=lambda r: (r.shot_index, r.attempt))

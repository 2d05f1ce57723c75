"""The ledger: an append-only record of every paid call, take and experiment (ledger.jsonl).

A resumed run may replay a node, so entries carry a key and readers keep the last entry per key:
replaying never double-counts spend.
"""

from __future__ import annotations

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


class Ledger:
    """Reads and appends ledger.jsonl in a project folder."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entry: LedgerEntry) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = entry.model_dump_json() + "\n"
        # One write call per line plus fsync: a crash leaves at most one torn last line,
        # which entries() skips.
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

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
        return round(sum(e.cost_usd for e in self.entries() if e.kind in PAID_KINDS), 4)

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

"""Who may spend in Slack, each channel's cap, and which thread holds which project.

DIRECTOR_SLACK_ALLOWED   comma-separated workspace (T…), channel (C…/G…) or user (U…/W…) ids;
                         a request may spend money when any of its three ids is listed. Unset or
                         empty: nobody may start paid renders from Slack (planning stays open).
DIRECTOR_SLACK_BUDGETS   comma-separated CHANNEL=USD caps, e.g. "C456=20,C789=5.5": the most
                         all projects started in that channel may spend together.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from director.errors import DirectorError
from director.ledger import Ledger
from director.project import LEDGER, atomic_write_text

THREADS_FILE = ".slack-threads.json"
_ID = re.compile(r"^[A-Z][A-Z0-9]{1,30}$")


def _ids(raw: str, name: str) -> frozenset[str]:
    ids = [p.strip() for p in raw.split(",") if p.strip()]
    for i in ids:
        if not _ID.match(i):
            raise DirectorError(f"{name}: {i[:40]!r} is not a Slack id (like T123, C456 or U789)")
    return frozenset(ids)


def _budgets(raw: str, name: str) -> dict[str, float]:
    caps: dict[str, float] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        channel, eq, amount = part.partition("=")
        channel = channel.strip()
        if not eq or not _ID.match(channel):
            raise DirectorError(f"{name}: {part[:40]!r} should look like C456=20")
        try:
            usd = float(amount.strip().lstrip("$"))
        except ValueError:
            raise DirectorError(f"{name}: {amount.strip()[:20]!r} is not an amount") from None
        if usd < 0:
            raise DirectorError(f"{name}: the cap for {channel} must not be negative")
        caps[channel] = usd
    return caps


@dataclass(frozen=True)
class SlackPolicy:
    """The money rules of the Slack door."""

    allowed: frozenset[str] = frozenset()
    """Workspace, channel and user ids that may start paid renders."""
    budgets: Mapping[str, float] = field(default_factory=dict)
    """Spend cap in USD per channel id, across every project started there."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackPolicy:
        env = os.environ if env is None else env
        return cls(
            allowed=_ids(env.get("DIRECTOR_SLACK_ALLOWED", ""), "DIRECTOR_SLACK_ALLOWED"),
            budgets=_budgets(env.get("DIRECTOR_SLACK_BUDGETS", ""), "DIRECTOR_SLACK_BUDGETS"),
        )

    def may_spend(self, team: str, channel: str, user: str) -> bool:
        return any(i and i in self.allowed for i in (team, channel, user))

    def cap(self, channel: str) -> float | None:
        return self.budgets.get(channel)


class ThreadMap:
    """`.slack-threads.json` in the projects folder: one project per Slack thread.

    Projects are stored by folder name, so the projects folder can move. The channel's latest
    thread answers slash commands typed outside a thread.
    """

    def __init__(self, projects_dir: Path) -> None:
        self.projects_dir = projects_dir
        self.path = projects_dir / THREADS_FILE
        self._lock = threading.Lock()

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"threads": {}, "latest": {}}
        if not isinstance(data, dict):
            return {"threads": {}, "latest": {}}
        data.setdefault("threads", {})
        data.setdefault("latest", {})
        return data

    def bind(self, channel: str, thread_ts: str, project_root: Path) -> None:
        with self._lock:
            data = self._read()
            data["threads"][f"{channel}:{thread_ts}"] = project_root.name
            data["latest"][channel] = thread_ts
            self.projects_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(data, indent=2, sort_keys=True))

    def project(self, channel: str, thread_ts: str) -> Path | None:
        with self._lock:
            name = self._read()["threads"].get(f"{channel}:{thread_ts}")
        return self._existing(name)

    def latest(self, channel: str) -> tuple[str, Path] | None:
        with self._lock:
            data = self._read()
        ts = data["latest"].get(channel)
        root = self._existing(data["threads"].get(f"{channel}:{ts}")) if ts else None
        return (ts, root) if root is not None else None

    def channel_projects(self, channel: str) -> list[Path]:
        with self._lock:
            threads = self._read()["threads"]
        roots = (self._existing(n) for k, n in threads.items() if k.split(":", 1)[0] == channel)
        return sorted({r for r in roots if r is not None})

    def channel_spent(self, channel: str) -> float:
        return round(sum(Ledger(r / LEDGER).spent_usd() for r in self.channel_projects(channel)), 4)

    def _existing(self, name: object) -> Path | None:
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            return None
        root = self.projects_dir / name
        return root if root.is_dir() else None

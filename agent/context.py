"""The typed run context: what every node may use but nothing checkpoints.

Clients, locks and callbacks live here rather than in graph state, so checkpoints hold only
plain facts (never a key, a socket or a lock).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from director.agent.brains.base import Brain
from director.agent.inflight import InFlight, SharedInFlight
from director.config import Settings
from director.ledger import Ledger
from director.project import Project
from director.tools.providers.base import VideoProvider

if TYPE_CHECKING:
    from director.tools.qc.judge import Judge


@dataclass(kw_only=True)
class RunContext:
    """Injected into the graph with `context=`; read by nodes as `runtime.context`."""

    project: Project = field(metadata={"description": "The project folder of this run."})
    brain: Brain = field(metadata={"description": "Plans, writes and revises."})
    providers: Callable[[str], VideoProvider] = field(
        metadata={"description": "Returns the adapter for a provider name (cached)."}
    )
    settings: Settings = field(default_factory=Settings)
    auto_approve: bool = field(
        default=False, metadata={"description": "Skip the approval interrupt (--yes)."}
    )
    provider_override: str = field(
        default="", metadata={"description": "Render every shot on this provider."}
    )
    tier_override: str = field(default="", metadata={"description": "draft or final."})
    spend_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held while checking the budget and recording a submission, so parallel shots can't
    both pass the cap."""
    reserved_usd: dict[str, float] = field(default_factory=dict)
    """Cost of submissions in progress (keyed by take), counted against the cap until the
    ledger records them."""
    judge: Judge | None = None
    """Optional vision judge, built once per run; None when no vision model is configured."""
    inflight: InFlight = field(default_factory=SharedInFlight)
    """Tasks running per provider, capped at each adapter's max_concurrency across every run
    in the process (the account's limit is the account's, whichever project submits)."""
    on_event: Callable[[dict[str, Any]], None] | None = None
    """Optional progress sink besides the stream writer (tests, chat)."""
    reference_dir: Path | None = None
    """Set by the command line, whose briefs may name the user's own image files (made
    absolute when the brief is loaded); None refuses local paths, so chat and Slack cannot
    read server files."""

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.project.ledger_path)


def provider_cache(factory: Callable[[str], VideoProvider]) -> Callable[[str], VideoProvider]:
    """Memoise adapters per name so every shot shares one client (and its connection pool)."""
    cache: dict[str, VideoProvider] = {}

    def get(name: str) -> VideoProvider:
        if name not in cache:
            cache[name] = factory(name)
        return cache[name]

    return get

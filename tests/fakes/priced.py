"""A priced route rendered locally: the router picks paid catalog models (so estimates, money
questions and the ledger are real) while every clip is drawn by the local animatic adapter."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from director.tools.providers import make_provider
from director.tools.providers.base import VideoProvider


def priced_animatic(work_dir: Path) -> Callable[[str], VideoProvider]:
    """Adapters by provider name; each answers under the name it was asked for, as a real
    adapter does, so task references and in-flight slots match the route."""
    cache: dict[str, VideoProvider] = {}

    def get(name: str) -> VideoProvider:
        if name not in cache:
            adapter = make_provider("animatic", work_dir)
            adapter.name = name  # type: ignore[misc]
            cache[name] = adapter
        return cache[name]

    return get

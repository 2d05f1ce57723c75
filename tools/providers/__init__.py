"""Provider adapters, built by name in one factory so nodes never construct clients themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from director.errors import DirectorError
from director.tools.providers.base import VideoProvider


def _animatic(work_dir: Path) -> VideoProvider:
    from director.tools.providers.animatic import AnimaticProvider

    return AnimaticProvider(work_dir)


_FACTORIES: dict[str, Callable[[Path], VideoProvider]] = {"animatic": _animatic}


def available() -> list[str]:
    return sorted(_FACTORIES)


def make_provider(name: str, work_dir: Path) -> VideoProvider:
    """Build the adapter `name`; `work_dir` is where it may keep task files for this project."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise DirectorError(
            f"provider {name!r} cannot render in this build (available: {', '.join(available())})"
        )
    return factory(work_dir)

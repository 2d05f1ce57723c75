"""Provider adapters, built by name in one factory so nodes never construct clients themselves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from director.errors import DirectorError
from director.tools.providers.base import VideoProvider


def _animatic(work_dir: Path) -> VideoProvider:
    from director.tools.providers.animatic import AnimaticProvider

    return AnimaticProvider(work_dir)


def _fal(work_dir: Path) -> VideoProvider:
    from director.tools.providers.fal import make_fal

    return make_fal(work_dir)


def _replicate(work_dir: Path) -> VideoProvider:
    from director.tools.providers.replicate import make_replicate

    return make_replicate(work_dir)


def _openai(work_dir: Path) -> VideoProvider:
    from director.tools.providers.openai_video import make_openai

    return make_openai(work_dir)


def _sim(work_dir: Path) -> VideoProvider:
    from director.tools.providers.sim import SimProvider

    return SimProvider(work_dir)


def _kling(work_dir: Path) -> VideoProvider:
    from director.tools.providers.kling import kling_from_env

    return kling_from_env(work_dir)


def _piapi(work_dir: Path) -> VideoProvider:
    from director.tools.providers.piapi import piapi_from_env

    return piapi_from_env(work_dir)


_FACTORIES: dict[str, Callable[[Path], VideoProvider]] = {
    "animatic": _animatic,
    "sim": _sim,
    "kling": _kling,
    "piapi": _piapi,
    "fal": _fal,
    "replicate": _replicate,
    "openai": _openai,
}


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

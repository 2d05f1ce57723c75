"""`director providers`: which generation backends this build has, and which have keys set.

Key values are never printed: only whether each variable is set. `check NAME` builds the adapter
from the environment and makes one cheap authenticated call (no clip is rendered or billed).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from director.errors import DirectorError
from director.tools import catalog
from director.tools.providers import available, make_provider


@dataclass(frozen=True)
class Backend:
    """What a person must set to use one backend."""

    keys: tuple[str, ...]
    """Environment variables that must all be set (empty for local backends)."""
    base_env: str
    """Environment variable that points the adapter at another host (a gateway, a fake)."""
    note: str
    """One line on what it is."""


BACKENDS: dict[str, Backend] = {
    "animatic": Backend((), "", "local storyboard renderer; free, offline"),
    "sim": Backend((), "", "animatic with simulated service latency and failures"),
    "kling": Backend(
        ("KLING_ACCESS_KEY", "KLING_SECRET_KEY"), "KLING_API_BASE", "Kling official API"
    ),
    "fal": Backend(("FAL_KEY",), "FAL_QUEUE_BASE", "fal.ai queue (Kling)"),
    "replicate": Backend(("REPLICATE_API_TOKEN",), "REPLICATE_API_BASE", "Replicate (Kling)"),
    "piapi": Backend(("PIAPI_API_KEY",), "PIAPI_API_BASE", "PiAPI Kling task API"),
    "openai": Backend(
        ("OPENAI_API_KEY",), "OPENAI_BASE_URL", "Sora 2 via OpenAI or a compatible gateway"
    ),
}


def _key_state(backend: Backend) -> str:
    if not backend.keys:
        return "not needed"
    missing = [k for k in backend.keys if not os.environ.get(k, "").strip()]
    return "set" if not missing else f"missing {', '.join(missing)}"


def list_backends(out: Console) -> None:
    """Print one row per backend: whether it renders here, its key state, host and models."""
    table = Table(title="Generation backends")
    for col in ("backend", "renders here", "keys", "host", "models"):
        table.add_column(col, overflow="fold")
    built = set(available())
    for name, backend in BACKENDS.items():
        models = [m.id for m in catalog.models() if name in m.providers]
        host = os.environ.get(backend.base_env, "").strip() if backend.base_env else ""
        table.add_row(
            name,
            "yes" if name in built else "no",
            _key_state(backend),
            host or ("local" if not backend.keys else "default"),
            _models_cell(models),
        )
    out.print(table)


def _models_cell(ids: list[str]) -> str:
    # The table stays readable at 80 columns: the count and the newest few models.
    if len(ids) <= 3:
        return ", ".join(ids) or "-"
    return f"{len(ids)}: ..., {', '.join(ids[-2:])}"


def check_backend(name: str, out: Console) -> None:
    """One cheap authenticated call to `name`; raises DirectorError when it fails."""
    backend = BACKENDS.get(name)
    if backend is None:
        raise DirectorError(f"unknown backend {name!r} (known: {', '.join(BACKENDS)})")
    state = _key_state(backend)
    if state.startswith("missing"):
        raise DirectorError(f"{name}: {state}")
    with tempfile.TemporaryDirectory(prefix="director-check-") as tmp:
        provider = make_provider(name, Path(tmp))
        check = getattr(provider, "check", None)
        if check is None:
            if backend.keys:
                out.print(
                    f"{name}: key is set; the service documents no call that checks a key "
                    "without rendering, so the first render verifies it"
                )
            else:
                out.print(f"{name}: nothing to check (no account needed)")
            return
        message = asyncio.run(check())
    out.print(f"[green]{name}: ok[/] {message}")

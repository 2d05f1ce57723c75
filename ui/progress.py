"""Terminal progress for a run: one line per shot, driven by the graph's events."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

_LABELS = {
    "submitted": "take {attempt} submitted",
    "rendered": "take {attempt} rendered",
    "inspected": "take {attempt} inspected",
    "revised": "retake: {variable} {before} → {after}",
    "accepted": "accepted take {attempt}",
    "failed": "failed: {reason}",
}


class ShotProgress:
    """Consumes graph events (see agent/nodes/*: emit) and draws rich progress bars."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=20),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.tasks: dict[int, Any] = {}

    def __enter__(self) -> ShotProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("event", "")
        if kind == "planned":
            self.console.print(f"[bold]Planned[/] {event['shots']} shots")
        elif kind == "routed":
            self.console.print(f"[bold]Estimate[/] ${event['estimate_usd']:.2f}")
        elif kind == "cut":
            missing = event.get("missing") or []
            note = f", missing shots {', '.join(str(i + 1) for i in missing)}" if missing else ""
            self.console.print(f"[bold]Cut[/] {event['shots']} shots{note}")
        elif kind in _LABELS and "shot" in event:
            self._update(event, kind)

    def _update(self, event: dict[str, Any], kind: str) -> None:
        shot = int(event["shot"])
        if shot not in self.tasks:
            self.tasks[shot] = self.progress.add_task(f"shot {shot + 1}", total=1)
        text = _LABELS[kind].format(
            **{k: event.get(k, "") for k in ("attempt", "variable", "before", "after", "reason")}
        )
        done = 1 if kind in ("accepted", "failed") else 0
        self.progress.update(
            self.tasks[shot], description=f"shot {shot + 1}: {text}", completed=done
        )

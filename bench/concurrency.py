"""Parallel rendering: 12 shots on the `sim` provider with service latency scaled to seconds.

Run: .venv/bin/python bench/concurrency.py [--scale 0.1] [--concurrency 12] [--shots 12]

Prints wall time from the first submission to the last shot's end, the critical path (the
slowest single render, submit to ready, as the simulated service times it) and their ratio.
Target: ratio <= 1.15 at concurrency 12, i.e. twelve shots take barely longer than the slowest
one. The simulator's injected faults are off, so retakes (listed when they happen) come only
from QC itself: this measures scheduling, not the retake loop (bench/retakes.py does).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from workload import lighthouse_brief

from director.config import Settings
from director.project import Project
from director.tools.providers.sim import FAULTS, sim_tasks
from director.ui.runner import make_context, run_project


async def _run(root: Path, shots: int, concurrency: int) -> dict[str, float]:
    times: dict[tuple[str, int], float] = {}

    def on_event(event: dict) -> None:
        kind = event.get("event")
        if kind in ("submitted", "accepted", "failed") and "shot" in event:
            # A shot ends when it is accepted or given up; either closes its path.
            kind = "ended" if kind != "submitted" else kind
            times.setdefault((kind, event["shot"]), time.monotonic())

    project = Project(root / "lighthouse")
    ctx = make_context(
        project,
        Settings(concurrency=concurrency, provider="sim"),
        auto_approve=True,
        provider="sim",
        on_event=on_event,
    )
    outcome = await run_project(project, ctx, brief=lighthouse_brief("Lighthouse", shots))
    state = outcome.state
    accepted = [i for i, r in state.results.items() if r.status == "accepted"]
    starts = [t for (kind, _), t in times.items() if kind == "submitted"]
    ends = [t for (kind, _), t in times.items() if kind == "ended"]
    wall = max(ends) - min(starts)
    # The critical path is the slowest single render as the service reports it (submit to
    # ready, from the simulator's task files), not a shot's time measured under this run's
    # load: everything the run adds on top (drawing, inspection, waiting) counts against it.
    tasks = [task for _, task in sim_tasks(project.takes_dir / ".tasks")]
    latencies = [t["ready_at"] - t["submitted_at"] for t in tasks if "ready_at" in t]
    critical = max(latencies)
    for r in sorted(state.results.values(), key=lambda r: r.index):
        if len(r.takes) > 1 or r.status != "accepted":
            print(f"  shot {r.index + 1}: {r.status} after {len(r.takes)} take(s) {r.reason}")
    return {
        "shots": len(state.plan.shots),
        "accepted": len(accepted),
        "takes": sum(len(r.takes) for r in state.results.values()),
        "wall_s": wall,
        "critical_s": critical,
        "ratio": wall / critical,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1, help="sim latency scale")
    parser.add_argument("--concurrency", type=int, default=12)
    parser.add_argument("--shots", type=int, default=12)
    args = parser.parse_args()
    os.environ["DIRECTOR_SIM_LATENCY_SCALE"] = str(args.scale)
    os.environ["DIRECTOR_SIM_FAULTS"] = ",".join(f"{f}=0" for f in FAULTS)
    os.environ.setdefault("DIRECTOR_SIM_CONCURRENCY", str(args.concurrency))
    with tempfile.TemporaryDirectory(prefix="director-bench-") as tmp:
        figures = asyncio.run(_run(Path(tmp), args.shots, args.concurrency))
    print(
        f"{figures['accepted']}/{figures['shots']} shots accepted at concurrency "
        f"{args.concurrency}, latency scale {args.scale}, {figures['takes']} takes"
    )
    print(f"wall (first submit -> last shot end): {figures['wall_s']:.2f} s")
    print(f"critical path (slowest render):     {figures['critical_s']:.2f} s")
    verdict = "PASS" if figures["ratio"] <= 1.15 else "MISS"
    print(f"wall / critical path: {figures['ratio']:.3f}  (target <= 1.15: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Foundation figures: planning time for a 12-shot brief, then the media figures.

Run: .venv/bin/python bench/foundation.py   (or `make bench`)

Targets: planning under 1 s; animatic render at least 2x real time at 1280x720/24 fps;
assembly at least 50x real time.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import media

from director.agent.brains.rules import RulesBrain
from director.config import Settings
from director.film import Brief
from director.project import Project
from director.tools import catalog
from director.ui.runner import make_context, run_project

BEATS = [
    "Mara, a courier in her late 20s with a cropped silver bob, grey eyes, a yellow nylon "
    "rain shell and a scar across her left eyebrow, locks her bike outside a night market",
    "Mara weaves between food stalls as steam rises from the woks",
    "A vendor hands Mara a sealed brown envelope",
    "Close on the envelope's red wax seal under a hanging bulb",
    "Mara tucks the envelope inside her rain shell",
    "A man in a black wool overcoat watches from behind a noodle stall",
    "Mara notices him in the reflection of a shop window",
    "She slips into a narrow alley lined with neon signs",
    "The man follows, his shoes splashing through a puddle",
    "Mara climbs a fire escape to a rooftop",
    "On the rooftop she looks down at the street",
    "Dawn breaks over the city as Mara rides away",
]


def brief() -> Brief:
    return Brief(
        title="Night courier",
        text=". ".join(BEATS) + ".",
        target_duration_s=60,
        aspect_ratio="16:9",
        beats=BEATS,
    )


def plan_times(runs: int = 5) -> tuple[float, float]:
    """(brain plan + write for 12 shots, whole graph up to the approval gate), medians."""
    the_brief = brief()
    durations = catalog.default_model("draft", "animatic").durations
    brain = RulesBrain()
    brain_times, graph_times = [], []
    for _ in range(runs):
        start = time.perf_counter()
        shotlist = brain.plan(the_brief, durations)
        for shot in shotlist.shots:
            brain.write(shot, shotlist.bible)
        brain_times.append(time.perf_counter() - start)
        assert len(shotlist.shots) == 12, len(shotlist.shots)
        with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
            project = Project(Path(tmp))
            ctx = make_context(project, Settings(), auto_approve=False)
            start = time.perf_counter()
            outcome = asyncio.run(run_project(project, ctx, brief=the_brief))
            graph_times.append(time.perf_counter() - start)
            assert outcome.status == "awaiting_approval"
    return statistics.median(brain_times), statistics.median(graph_times)


def main() -> None:
    brain_s, graph_s = plan_times()
    print("planning_shots: 12")
    print(f"planning_brain_s: {brain_s:.3f}")
    print(f"planning_to_gate_s: {graph_s:.3f}")
    sys.argv = sys.argv[:1]
    media.main()


if __name__ == "__main__":
    main()

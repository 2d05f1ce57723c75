"""Retake-loop benchmark: the one-variable loop against a naive seed re-roll, on the simulator.

Each brief is planned and routed as Kling (its models, prices and escalation ladder) and every
take is rendered by the simulator with its default fault rates (or DIRECTOR_SIM_FAULTS). Both
arms plan identically, use the same project name (so the simulator draws the same first takes)
and the same attempt cap; they differ only in how a failed take is revised:

- ours: the failure taxonomy (one variable: params, a prompt part, seed, then the model);
- naive: the same prompt re-rolled with a new seed every time.

Printed per arm: first-pass acceptance, mean takes per accepted shot, dollars per accepted
second, shots failed, and how many injected faults inspection detected (the simulator's fault
log against each take's failing QC checks).

    .venv/bin/python bench/retakes.py [--briefs a.md b.yaml] [--attempts 4] [--shots 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path

from director.agent.brains.rules import RulesBrain
from director.briefs import load_brief
from director.config import Settings
from director.film import GenerationRequest, PromptSpec, QCReport, Revision, Shot
from director.ledger import Ledger
from director.project import Project
from director.tools.providers.sim import SimProvider, fault_log
from director.ui.runner import make_context, run_project

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BRIEFS = ("bakery-dawn.yaml", "night-shift-diner.md", "skate-park-tiktok.yml")
EXPECTED_CHECK = {"wrong_direction": {"camera"}, "no_motion": {"camera", "static"},
                  "frozen": {"frozen"}, "black": {"black"}, "cut": {"cut"},
                  "duration": {"duration"}}
"""The failing QC check(s) that detect each simulated fault."""


class SeedOnlyBrain(RulesBrain):
    """The naive baseline: whatever failed, render the same prompt again with a new seed."""

    name = "seed-only"

    def revise(self, shot: Shot, spec: PromptSpec, request: GenerationRequest, qc: QCReport,
               history: list[Revision]) -> Revision | None:
        fails = [f for f in qc.findings if f.severity == "fail"]
        used = {request.seed} | {int(r.after) for r in history} | {int(r.before) for r in history}
        n = len(history) + 1
        seed = zlib.crc32(f"{request.seed}|{n}".encode()) % 2_147_483_647
        while seed in used:
            n += 1
            seed = zlib.crc32(f"{request.seed}|{n}".encode()) % 2_147_483_647
        reason = f"{fails[0].check}: {fails[0].message}" if fails else "decodable: no clip"
        return Revision(shot_index=shot.index, attempt=len(history) + 2, variable="seed",
                        before=str(request.seed), after=str(seed), reason=reason)


async def run_arm(brief_path: Path, arm: str, root: Path, attempts: int, shots: int) -> dict:
    brief = load_brief(brief_path)
    target = min(brief.target_duration_s, 5.0 * shots)
    brief = brief.model_copy(update={"target_duration_s": target, "budget_usd": None})
    project = Project(root / arm / brief_path.stem)
    ctx = make_context(project, Settings(max_attempts=attempts), auto_approve=True,
                       provider="kling", tier="draft")
    if arm == "naive":
        ctx.brain = SeedOnlyBrain()
    sim = SimProvider(project.takes_dir / ".tasks")
    ctx.providers = lambda name: sim
    started = time.perf_counter()
    outcome = await run_project(project, ctx, brief=brief)
    state = outcome.state
    takes = {(t.shot_index, t.attempt): t for r in state.results.values() for t in r.takes}
    injected = detected = 0
    missed: Counter[str] = Counter()
    for entry in fault_log(project.takes_dir / ".tasks"):
        take = takes.get((entry["shot"], entry["attempt"]))
        if take is None or take.qc is None:
            continue
        failing = {f.check for f in take.qc.findings if f.severity == "fail"}
        for fault in entry["faults"]:
            injected += 1
            if failing & EXPECTED_CHECK[fault]:
                detected += 1
            else:
                missed[fault] += 1
    results = list(state.results.values())
    accepted = [r for r in results if r.status == "accepted"]
    return {
        "shots": len(results),
        "accepted": len(accepted),
        "first_pass": sum(1 for r in accepted if len(r.takes) == 1),
        "takes_accepted": sum(len(r.takes) for r in accepted),
        "takes": sum(len(r.takes) for r in results),
        "accepted_s": sum(t.request.duration_s for r in accepted for t in r.takes if t.accepted),
        "spent": Ledger(project.ledger_path).spent_usd(),
        "injected": injected,
        "detected": detected,
        "missed": missed,
        "fixes": Counter((rev.reason.split(":", 1)[0], rev.variable) for r in results
                         for rev in r.revisions if rev.outcome == "fixed"),
        "wall_s": time.perf_counter() - started,
    }


def _total(rows: list[dict]) -> dict:
    out: dict = {}
    for row in rows:
        for key, value in row.items():
            out[key] = out.get(key, Counter() if isinstance(value, Counter) else 0) + value
    return out


def _print(arm: str, t: dict) -> None:
    per_take = t["takes_accepted"] / t["accepted"] if t["accepted"] else float("nan")
    per_s = t["spent"] / t["accepted_s"] if t["accepted_s"] else float("nan")
    print(f"{arm:>6}: shots {t['shots']}, accepted {t['accepted']}, failed "
          f"{t['shots'] - t['accepted']}, first-pass {t['first_pass']}/{t['shots']} "
          f"({t['first_pass'] / t['shots']:.0%}), takes per accepted shot {per_take:.2f}, "
          f"takes {t['takes']}, spent ${t['spent']:.2f}, ${per_s:.3f} per accepted second, "
          f"faults detected {t['detected']}/{t['injected']}"
          + (f" (missed {dict(t['missed'])})" if t["missed"] else "")
          + f", wall {t['wall_s']:.0f}s")
    if t["fixes"]:
        fixes = ", ".join(f"{check}<-{var} x{n}" for (check, var), n in t["fixes"].most_common())
        print(f"        fixed (failure<-variable): {fixes}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--briefs", nargs="*", type=Path,
                        default=[REPO / "examples" / "briefs" / b for b in DEFAULT_BRIEFS])
    parser.add_argument("--attempts", type=int, default=4, help="takes allowed per shot")
    parser.add_argument("--shots", type=int, default=4, help="cap a brief at about this many "
                        "5 s shots, to keep the run short")
    args = parser.parse_args()
    os.environ.setdefault("DIRECTOR_SIM_LATENCY_SCALE", "0")
    print(f"sim faults: {os.environ.get('DIRECTOR_SIM_FAULTS') or 'default per-model rates'}; "
          f"attempt cap {args.attempts}")
    with tempfile.TemporaryDirectory() as tmp:
        totals = {}
        for arm in ("ours", "naive"):
            rows = []
            for path in args.briefs:
                row = asyncio.run(run_arm(path, arm, Path(tmp), args.attempts, args.shots))
                rows.append(row)
                print(f"  {arm} {path.name}: accepted {row['accepted']}/{row['shots']}, takes "
                      f"{row['takes']}, faults detected {row['detected']}/{row['injected']}",
                      flush=True)
            totals[arm] = _total(rows)
        for arm, t in totals.items():
            _print(arm, t)


if __name__ == "__main__":
    main()

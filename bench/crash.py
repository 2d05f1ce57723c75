"""Crash safety: SIGKILL `director run` at random moments, `director resume`, compare.

Run: .venv/bin/python bench/crash.py [--trials 20] [--provider sim|kling] [--seed 7]
                                     [--scale 0.01] [--keep DIR]

First an uninterrupted reference run records when each file and ledger entry appeared. Each
trial then starts the same brief in a folder of the same name, kills the process with SIGKILL at
a random moment inside one phase of that timeline (start, plan, render, qc, assembly, report,
taken in turn so every phase is hit; the moment is measured from the event that opens the phase,
so a machine slower than during the reference still kills in phase), resumes it with
`director resume --yes` (or, when resume says the run stopped before it had a plan, runs the
brief again as the message says) and checks:

- the same shots are in the cut and the same takes were accepted as in the reference;
- no (shot, attempt) was submitted to the service twice (sim: the service's task files;
  kling: the creates the loopback service accepted), and the ledger names one task per take;
- the same paid tasks and the same spend as the reference;
- plan.json, every ledger line (bar one torn final line), every take and task clip, final.mp4,
  the stills, report.html and the SQLite checkpoint parse or decode.

Prints one line per trial (kill time, aimed phase, what was on disk, duplicates, shots done)
and a summary; exits 1 when any invariant failed.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from crash_trials import (
    BRIEF,
    PHASES,
    PROJECT_NAME,
    Trial,
    kill_points,
    make_service,
    reference_run,
    run_trial,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--provider", choices=("sim", "kling"), default="sim")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=0.01,
                        help="DIRECTOR_SIM_LATENCY_SCALE (sim) / render seconds per 150 (kling)")
    parser.add_argument("--brief", type=Path, default=BRIEF)
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"Comma-separated phases to aim at (default: {','.join(PHASES)}).")
    parser.add_argument("--keep", type=Path, default=None, help="Keep trial folders here.")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="director-crash-"))
    work.mkdir(parents=True, exist_ok=True)
    service = make_service(args.provider, args.scale)
    service.start()
    try:
        began = time.monotonic()
        reference, timeline, _ = reference_run(work / "reference" / PROJECT_NAME, service,
                                               args.brief)
        print(f"reference: {timeline.end_s:.1f} s, cut shots {reference.cut_shots}, accepted "
              f"takes {reference.accepted}, paid tasks {sum(reference.paid.values())}, "
              f"spent ${reference.spent_usd:.2f}")
        for phase, spans in timeline.spans().items():
            shown = ", ".join(f"{a:.2f}-{b:.2f}" for _, a, b in spans)
            print(f"  {phase:<8} {shown or '(none)'}")
        rng = random.Random(args.seed)
        trials: list[Trial] = []
        points = kill_points(timeline, args.trials, rng, tuple(args.phases.split(",")))
        for n, point in enumerate(points, 1):
            root = work / f"trial{n:02d}" / PROJECT_NAME
            trial = run_trial(n, root, service, point, reference, args.brief)
            trials.append(trial)
            got = trial.result
            assert got is not None
            dups = len(got.duplicates)
            aim = f"{point.trigger or 'start'}+{point.delay_s:.2f}s"
            print(f"trial {n:2d} kill {trial.kill_s:6.2f}s aimed {point.phase:<8} ({aim:<18}) "
                  f"{'killed' if trial.killed else 'ENDED-FIRST'} | on disk: {trial.on_disk} | "
                  f"{'run again' if trial.ran_again else 'resume'} rc {trial.resume_rc} | "
                  f"duplicates {dups} | shots done {got.cut_shots} | "
                  f"{'OK' if not trial.failures else 'FAIL'} ({trial.seconds:.1f} s)", flush=True)
            for failure in trial.failures:
                print(f"    ! {failure}", flush=True)
            if not trial.failures and not args.keep:
                shutil.rmtree(root.parent, ignore_errors=True)
    finally:
        service.stop()
    failed = [t for t in trials if t.failures]
    killed = sum(t.killed for t in trials)
    by_phase = {p: sum(1 for t in trials if t.point.phase == p) for p in PHASES}
    print()
    print(f"summary: {len(trials)} trials ({killed} killed mid-run, "
          f"{len(trials) - killed} ended before the kill), provider {args.provider}")
    print("  aimed at: " + ", ".join(f"{p} {n}" for p, n in by_phase.items()))
    print(f"  same shots done as reference: {sum(1 for t in trials if t.result and t.result.cut_shots == reference.cut_shots)}/{len(trials)}")  # noqa: E501
    print(f"  same takes accepted:          {sum(1 for t in trials if t.result and t.result.accepted == reference.accepted)}/{len(trials)}")  # noqa: E501
    print(f"  duplicate submissions:        {sum(len(t.result.duplicates) for t in trials if t.result)}")  # noqa: E501
    print(f"  corrupt files:                {sum(len(t.corrupt) for t in trials)}")
    print(f"  resume failures:              {sum(1 for t in trials if t.resume_rc != 0)}")
    print(f"  killed before a plan existed, run again as resume told: "
          f"{sum(t.ran_again for t in trials)}")
    print(f"  trials failing an invariant:  {len(failed)}"
          + (f" ({', '.join(str(t.number) for t in failed)})" if failed else ""))
    print(f"  wall time: {time.monotonic() - began:.0f} s; folders in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

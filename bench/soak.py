"""Soak under injected faults: several projects rendered on a loopback Kling that misbehaves.

Run: .venv/bin/python bench/soak.py [--shots 30] [--projects 3] [--rate 0.2] [--seed 7]

The projects run at the same time in one event loop, each with its own folder, ledger,
checkpoint and budget cap, against one fake Kling account (tests/fakes/faulty.py) where every
API and media request meets a fault with probability `--rate` (429 with Retry-After, 5xx,
an answer slower than the client's timeout, a connection dropped mid-poll, a create whose answer
is lost after the task was made, a truncated or corrupt download) and a task ends `failed` with
probability rate / 4. The client's read timeout is shortened to `--timeout` seconds so a slow
answer costs seconds, not the 30 s of the shipped default; retries keep their shipped policy.

Printed: shots accepted and failed (with each reason), creates received against distinct tasks
and duplicates per take, spend against each cap (ledger and service side), paid clips the
service returned against clips on disk and ledger entries, wall time. Exits 1 when any of these
fails: every shot ends accepted or failed with a reason; no take has two tasks; no project's
spend passes its cap; every paid clip returned is on disk (a decodable video) and in the ledger;
every task made is in its project's ledger.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from workload import lighthouse_brief

from director.agent.context import provider_cache
from director.config import Settings
from director.errors import DirectorError
from director.film import Brief
from director.ledger import Ledger, LedgerEntry
from director.project import Project
from director.tools import catalog
from director.tools.providers.download import check_video
from director.tools.providers.http import RetryPolicy
from director.tools.providers.kling import KlingProvider
from director.ui.runner import make_context, run_project

if TYPE_CHECKING:
    from fakes.faulty import FaultyKling
    from fakes.kling_server import KlingTask

REPO = Path(__file__).resolve().parents[1]
TITLES = ("Harbour", "Orchard", "Foundry", "Glacier", "Market", "Observatory")


@dataclass
class ProjectFigures:
    """One project's outcome."""

    name: str
    shots: int
    cap_usd: float
    accepted: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    """Shot index -> the reason it was reported failed."""
    unfinished: list[int] = field(default_factory=list)
    """Shots with neither outcome (must stay empty)."""
    ledger_usd: float = 0.0
    """Spend the ledger committed (every submission)."""
    tasks_usd: float = 0.0
    """Price of every task the service made for the project (failed ones included)."""
    billed_usd: float = 0.0
    """Price of the tasks that succeeded (what Kling deducts)."""
    error: str = ""
    """An exception the run ended with (must stay empty)."""


@dataclass
class SoakFigures:
    """Everything the soak measured."""

    projects: list[ProjectFigures]
    creates_received: int
    tasks_made: int
    duplicates: dict[str, int]
    late_tasks: int
    """Tasks made by a create whose answer was lost or came after the client's timeout."""
    paid_returned: int
    clips_on_disk: int
    ledger_clips: int
    lost_clips: list[str]
    """Paid clips returned by the service but missing from disk or the ledger."""
    orphans: list[str]
    """Tasks the service made that no project's ledger records."""
    faults: Counter[tuple[str, str]]
    requests: int
    wall_s: float


def make_fake(rate: float, seed: int, slow_s: float) -> FaultyKling:
    """The fault-injecting fake (it lives with the tests; found the way the tests find it)."""
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.insert(0, tests)
    from fakes.faulty import FaultyKling, uniform_rates

    return FaultyKling(polls_to_finish=3, rates=uniform_rates(rate), seed=seed, slow_s=slow_s)


def shot_price() -> float:
    """One 5 s draft take as the router prices it on Kling."""
    spec = catalog.choose("draft", "kling", aspect_ratio="16:9", audio=False, duration_s=5.0)
    return catalog.price(spec, 5.0, False)


def task_price(task: KlingTask) -> float:
    body = task.body
    spec = next(m for m in catalog.models() if m.family == "kling"
                and m.api_name == body.get("model_name") and m.mode == body.get("mode", "std"))
    resolution = next(iter(spec.resolutions))
    return catalog.price(spec, float(body["duration"]), body.get("sound") == "on", resolution)


def split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


async def _run_one(fake: FaultyKling, project: Project, b: Brief, concurrency: int,
                   timeout_s: float, retry: RetryPolicy | None,
                   figures: ProjectFigures) -> None:
    ctx = make_context(project, Settings(concurrency=concurrency, provider="kling",
                                         poll_interval_s=0.05),
                       auto_approve=True, provider="kling")
    tasks_dir = project.takes_dir / ".tasks"
    # The shipped adapter with a short read timeout, so a slow answer costs seconds.
    policies = {"retry": retry, "poll_retry": retry} if retry else {}
    ctx.providers = provider_cache(lambda _name: KlingProvider(
        tasks_dir, access_key=fake.access_key, secret_key=fake.secret_key, base_url=fake.url,
        timeout=httpx.Timeout(timeout_s), **policies))
    try:
        outcome = await run_project(project, ctx, brief=b)
    except DirectorError as exc:
        figures.error = f"{type(exc).__name__}: {exc}"
        return
    except Exception as exc:  # a traceback is a finding, reported with its type
        figures.error = f"unexpected {type(exc).__name__}: {exc}"
        return
    state = outcome.state
    for shot in state.plan.shots if state.plan else []:
        result = state.results.get(shot.index)
        if result is not None and result.status == "accepted":
            figures.accepted.append(shot.index)
        elif result is not None and result.reason.strip():
            figures.failed[shot.index] = result.reason
        else:
            figures.unfinished.append(shot.index)


def _check_clips(fake: FaultyKling, projects: dict[str, Project]
                 ) -> tuple[list[str], list[str], int, int]:
    """(lost paid clips, orphan tasks, clips on disk, ledger take entries with a clip)."""
    entries: dict[str, list[LedgerEntry]] = {
        pid: Ledger(p.ledger_path).entries() for pid, p in projects.items()}
    submitted: dict[str, tuple[str, int, int]] = {}
    for pid, found in entries.items():
        for e in found:
            if e.kind == "submit" and "task" in e.data:
                submitted[str(e.data["task"]["task_id"])] = (pid, e.shot, e.attempt)
    lost: list[str] = []
    for task_id in sorted(fake.delivered):
        where = submitted.get(task_id)
        if where is None:
            lost.append(f"task {task_id}: returned as paid, but in no ledger")
            continue
        pid, shot, attempt = where
        take = next((e for e in entries[pid] if e.key == ("take", shot, attempt)), None)
        video = str(take.data.get("video") or "") if take else ""
        if not video:
            why = take.data.get("error") if take else "no take entry"
            lost.append(f"task {task_id} ({pid} shot {shot + 1} take {attempt}): {why}")
            continue
        try:
            check_video(projects[pid].root / video)
        except DirectorError as exc:
            lost.append(f"task {task_id}: {video} on disk is not the clip: {exc}")
    orphans = [f"task {t} ({t_ext})" for t, t_ext in
               sorted((t.task_id, t.external_id) for t in fake.tasks.values())
               if t not in submitted]
    on_disk = sum(len(list(p.takes_dir.glob("shot*_take*.mp4"))) for p in projects.values())
    ledger_clips = sum(1 for found in entries.values() for e in found
                       if e.kind == "take" and e.data.get("video"))
    return lost, orphans, on_disk, ledger_clips


async def soak(root: Path, *, shots: int = 30, projects: int = 3, rate: float = 0.2,
               seed: int = 7, cap_factor: float = 1.3, concurrency: int = 4,
               timeout_s: float = 2.0, fake: FaultyKling | None = None,
               retry: RetryPolicy | None = None) -> SoakFigures:
    """Render `shots` shots over `projects` concurrent projects against a FaultyKling whose
    requests meet a fault with probability `rate` (or against `fake`, not yet started, with
    faults of its own); each project's cap is `cap_factor` times one take of each of its
    shots. `retry` replaces the shipped retry policies (tests wait less; the tries are the
    same)."""
    fake = fake or make_fake(rate, seed, slow_s=timeout_s + 1.5)
    fake.start()
    try:
        started = time.monotonic()
        folders: dict[str, Project] = {}
        runs, figures = [], []
        offset = 0
        for i, count in enumerate(split(shots, projects)):
            project = Project(root / f"{TITLES[i % len(TITLES)].lower()}-{i}")
            cap = round(count * shot_price() * cap_factor, 2)
            figs = ProjectFigures(project.id, count, cap)
            folders[project.id] = project
            figures.append(figs)
            b = lighthouse_brief(TITLES[i % len(TITLES)], count, offset=offset, budget_usd=cap)
            runs.append(_run_one(fake, project, b, concurrency, timeout_s, retry, figs))
            offset += count
        await asyncio.gather(*runs)
        wall = time.monotonic() - started
        fake.wait_answered(timeout_s=30)  # slow answers still making their late tasks
        for figs in figures:
            made = fake.tasks_of(figs.name)
            figs.ledger_usd = Ledger(folders[figs.name].ledger_path).spent_usd()
            figs.tasks_usd = round(sum(task_price(t) for t in made), 4)
            figs.billed_usd = round(sum(task_price(t) for t in made
                                        if t.task_id in fake.delivered), 4)
        lost, orphans, on_disk, ledger_clips = _check_clips(fake, folders)
        return SoakFigures(
            projects=figures, creates_received=sum(fake.creates_received().values()),
            tasks_made=len(fake.tasks), duplicates=fake.duplicates(),
            late_tasks=len(fake.late_tasks),
            paid_returned=len(fake.delivered), clips_on_disk=on_disk, ledger_clips=ledger_clips,
            lost_clips=lost, orphans=orphans, faults=Counter(fake.injected),
            requests=len(fake.requests), wall_s=wall,
        )
    finally:
        fake.stop()


def violations(f: SoakFigures) -> list[str]:
    """Every broken invariant, one line each (empty when the soak passed)."""
    found = []
    for p in f.projects:
        if p.error:
            found.append(f"{p.name}: the run ended with {p.error}")
        if p.unfinished:
            found.append(f"{p.name}: shots {p.unfinished} neither accepted nor failed")
        if p.ledger_usd > p.cap_usd + 1e-9 or p.tasks_usd > p.cap_usd + 1e-9:
            found.append(f"{p.name}: spend ledger ${p.ledger_usd:.2f} / service "
                         f"${p.tasks_usd:.2f} passed the ${p.cap_usd:.2f} cap")
    found += [f"take {k} has {n} tasks" for k, n in sorted(f.duplicates.items())]
    found += [f"lost paid clip: {line}" for line in f.lost_clips]
    found += [f"task made but unrecorded: {line}" for line in f.orphans]
    return found


def report(f: SoakFigures, rate: float) -> str:
    shots = sum(p.shots for p in f.projects)
    accepted = sum(len(p.accepted) for p in f.projects)
    failed = [(p.name, i, r) for p in f.projects for i, r in sorted(p.failed.items())]
    kinds = Counter[str]()
    for (_, kind), n in f.faults.items():
        kinds[kind] += n
    lines = [
        f"{shots} shots in {len(f.projects)} concurrent projects, fault rate {rate:.0%}: "
        f"{sum(f.faults.values())} faults in {f.requests} requests "
        f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})",
        f"shots accepted: {accepted}/{shots}; failed with a reason: {len(failed)}; "
        f"unfinished: {sum(len(p.unfinished) for p in f.projects)}",
    ]
    lines += [f"  {name} shot {i + 1} failed: {' '.join(reason.split())[:200]}"
              for name, i, reason in failed]
    lines.append(f"creates received: {f.creates_received}; distinct tasks made: "
                 f"{f.tasks_made} ({f.late_tasks} by a create whose answer was lost or late); "
                 f"takes with more than one task: {len(f.duplicates)}")
    for p in f.projects:
        lines.append(f"  {p.name}: spend ledger ${p.ledger_usd:.2f}, tasks made "
                     f"${p.tasks_usd:.2f}, billed (succeeded) ${p.billed_usd:.2f} / cap "
                     f"${p.cap_usd:.2f}{'  ERROR ' + p.error if p.error else ''}")
    lines.append(f"paid clips returned by the service: {f.paid_returned}; take clips on disk: "
                 f"{f.clips_on_disk}; ledger take entries with a clip: {f.ledger_clips}; "
                 f"paid clips missing: {len(f.lost_clips)}; unrecorded tasks: {len(f.orphans)}")
    lines.append(f"wall time: {f.wall_s:.1f} s")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=30)
    parser.add_argument("--projects", type=int, default=3)
    parser.add_argument("--rate", type=float, default=0.2, help="fault rate per request")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cap-factor", type=float, default=1.3,
                        help="each project's cap as a multiple of one take per shot")
    parser.add_argument("--concurrency", type=int, default=4, help="shots at once per project")
    parser.add_argument("--timeout", type=float, default=2.0, help="client read timeout, s")
    args = parser.parse_args()
    if args.projects < 1 or args.shots < args.projects:
        parser.error("need at least one project and one shot per project")
    with tempfile.TemporaryDirectory(prefix="director-soak-") as tmp:
        figures = asyncio.run(soak(Path(tmp), shots=args.shots, projects=args.projects,
                                   rate=args.rate, seed=args.seed, cap_factor=args.cap_factor,
                                   concurrency=args.concurrency, timeout_s=args.timeout))
    print(report(figures, args.rate))
    broken = violations(figures)
    for line in broken:
        print(f"FAIL {line}")
    print("PASS: every invariant held" if not broken else f"{len(broken)} invariant(s) broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

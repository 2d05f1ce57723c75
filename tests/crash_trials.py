"""Crash trials: run `director run` in a process of its own, SIGKILL it at a chosen moment,
`director resume` it, and check the folder against an uninterrupted reference run.

Shared by tests/test_crash.py (a few kill points) and bench/crash.py (20 or more). A trial
fails when the resumed project differs from the reference in the shots done or the takes
accepted, when any (shot, attempt) was submitted to the service twice, or when any file a
person or a later run reads does not parse or decode.

Duplicates are counted where the money goes: for `sim`, one task file per paid task in
takes/.tasks (the service's own record); for `kling`, the creates the loopback service
accepted. The ledger's submit lines are checked as well (two task ids for one take).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import av
from PIL import Image

from director.idempotency import parse_take_key
from director.ledger import LedgerEntry
from director.plan import Plan
from director.tools.providers.sim import sim_tasks

REPO = Path(__file__).resolve().parents[1]
BRIEF = REPO / "examples" / "briefs" / "paper-boat.md"
PROJECT_NAME = "boat"
"""Every trial's folder has this name: the simulator draws its faults from the project id, so
the same name renders the same takes as the reference."""
PHASES = ("start", "setup", "plan", "render", "qc", "assembly", "report")
"""Where a kill can land: before the checkpoint exists, between it and plan.json, routing and
stills, a render, a take's QC, joining the cut, writing the report."""


def director_cmd() -> list[str]:
    return [str(Path(sys.executable).with_name("director"))]


# --- the service the runs render on -------------------------------------------------------


class Service:
    """How runs reach the renderer and how paid tasks are counted on its side."""

    name = "sim"

    def __init__(self, latency_scale: float = 0.01) -> None:
        self.latency_scale = latency_scale

    def env(self) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("DIRECTOR_", "KLING_"))}
        return {**clean, "DIRECTOR_SIM_LATENCY_SCALE": str(self.latency_scale),
                "DIRECTOR_PROVIDER": ""}

    def paid_tasks(self, root: Path) -> Counter[tuple[int, int]]:
        """Tasks the service made, per (shot, attempt): the simulator keeps one file each."""
        found: Counter[tuple[int, int]] = Counter()
        for _, task in sim_tasks(root / "takes" / ".tasks"):
            request = task["request"]
            found[(request["shot_index"], request["attempt"])] += 1
        return found

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class KlingService(Service):
    """The loopback Kling service in this process; it counts the creates it accepted."""

    name = "kling"

    def __init__(self, render_s: float = 1.5) -> None:
        super().__init__()
        sys.path.insert(0, str(REPO / "tests"))
        from fakes.kling_server import KlingFake

        self.fake = KlingFake(polls_to_finish=2, min_seconds=render_s)
        self._first: dict[str, int] = {}

    def env(self) -> dict[str, str]:
        return {**super().env(), "KLING_API_BASE": self.fake.url,
                "KLING_ACCESS_KEY": self.fake.access_key,
                "KLING_SECRET_KEY": self.fake.secret_key, "DIRECTOR_POLL_S": "0.1"}

    def paid_tasks(self, root: Path) -> Counter[tuple[int, int]]:
        # Every project's keys start with its id, and every trial's folder has the same
        # name: count the creates made since this project's first run (see `mark`).
        counts: Counter[tuple[int, int]] = Counter()
        for request in self.fake.creates()[self._first.get(str(root), 0):]:
            parts = parse_take_key(str(request.body.get("external_task_id", "")))
            if parts:
                counts[(parts.shot, parts.attempt)] += 1
        return counts

    def mark(self, root: Path) -> None:
        """Runs are sequential: creates from here on belong to the project at `root`."""
        self._first[str(root)] = len(self.fake.creates())

    def start(self) -> None:
        self.fake.start()

    def stop(self) -> None:
        self.fake.stop()


def make_service(name: str, latency_scale: float = 0.01) -> Service:
    if name == "kling":
        return KlingService(render_s=max(0.5, 150 * latency_scale))
    return Service(latency_scale)


# --- what is on disk ------------------------------------------------------------------------


def _ledger_lines(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Parsed lines, and problems: any unparsable line except one unterminated final line."""
    if not path.exists():
        return [], []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    parsed, problems = [], []
    for n, line in enumerate(lines, 1):
        try:
            parsed.append(LedgerEntry.model_validate_json(line).model_dump(mode="json"))
        except ValueError:
            problems.append(f"ledger line {n} does not parse: {line[:60]!r}")
    if tail:
        # One torn final line is what a kill mid-append may leave: not a problem.
        with contextlib.suppress(ValueError):
            parsed.append(LedgerEntry.model_validate_json(tail).model_dump(mode="json"))
    return parsed, problems


def disk_state(root: Path) -> str:
    """One line: what a killed run left behind."""
    if not root.exists():
        return "nothing"
    lines, _ = _ledger_lines(root / "ledger.jsonl")
    kinds = Counter(e["kind"] for e in lines)
    takes = sorted(p.name.removesuffix(".mp4").replace("shot", "s").replace("_take", "a")
                   for p in (root / "takes").glob("shot*.mp4"))
    torn = (root / "ledger.jsonl").exists() and not (root / "ledger.jsonl").read_bytes().endswith(
        b"\n") and (root / "ledger.jsonl").stat().st_size > 0
    temps = [p for p in root.rglob(".*") if p.is_file() and p.name != ".write-test"
             and (p.suffix in (".tmp", ".mp4", ".png"))]
    parts = [
        "plan" if (root / "plan.json").exists() else "no-plan",
        f"submit={kinds['submit']} take={kinds['take']} rev={kinds['revision']}",
        f"clips=[{','.join(takes)}]",
        "final" if (root / "final.mp4").exists() else "no-final",
        "report" if (root / "report.html").exists() else "no-report",
    ]
    if torn:
        parts.append("TORN-LEDGER-TAIL")
    if temps:
        parts.append(f"temp={len(temps)}")
    return " ".join(parts)


def _decodes(path: Path) -> str:
    """"" when every frame of the video decodes, else what went wrong."""
    try:
        with av.open(str(path)) as container:
            frames = sum(1 for _ in container.decode(video=0))
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        return f"{path.name} does not decode: {exc}"
    return "" if frames else f"{path.name} has no frames"


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.closed_html = False

    def handle_endtag(self, tag: str) -> None:
        self.closed_html |= tag == "html"


def corrupt_files(root: Path) -> list[str]:
    """Every product file that does not parse or decode (temp files of killed writers aside)."""
    problems: list[str] = []
    if (root / "plan.json").exists():
        try:
            Plan.model_validate_json((root / "plan.json").read_text(encoding="utf-8"))
        except ValueError as exc:
            problems.append(f"plan.json does not parse: {str(exc).splitlines()[0]}")
    problems += _ledger_lines(root / "ledger.jsonl")[1]
    for video in [*sorted((root / "takes").rglob("*.mp4")), root / "final.mp4"]:
        if video.exists() and not video.name.startswith("."):
            problems += [p for p in [_decodes(video)] if p]
    for image in sorted((root / "stills").glob("*.png")):
        if image.name.startswith("."):
            continue
        try:
            with Image.open(image) as img:
                img.load()
        except OSError as exc:
            problems.append(f"{image.name} does not open: {exc}")
    report = root / "report.html"
    if report.exists():
        parser = _Html()
        parser.feed(report.read_text(encoding="utf-8"))
        if not parser.closed_html:
            problems.append("report.html is cut short (no </html>)")
    for name in (".tasks",):
        for task in (root / "takes" / name).glob("*.json"):
            try:
                json.loads(task.read_text(encoding="utf-8"))
            except ValueError:
                problems.append(f"task file {task.name} does not parse")
    state = root / "state.sqlite"
    if state.exists():
        with sqlite3.connect(state) as conn:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            problems.append(f"state.sqlite integrity_check: {verdict}")
    return problems


@dataclass
class Outcome:
    """What a finished project holds, for comparison with the reference."""

    cut_shots: list[int]
    accepted: list[tuple[int, int]]
    """(shot, attempt) of every take that passed QC."""
    paid: Counter[tuple[int, int]]
    spent_usd: float
    ledger_task_ids: dict[tuple[int, int], set[str]] = field(default_factory=dict)

    @property
    def duplicates(self) -> list[str]:
        found = [f"shot {s} attempt {a}: {n} tasks" for (s, a), n in sorted(self.paid.items())
                 if n > 1]
        found += [f"shot {s} attempt {a}: ledger holds {len(ids)} task ids"
                  for (s, a), ids in sorted(self.ledger_task_ids.items()) if len(ids) > 1]
        return found


def outcome(root: Path, service: Service) -> Outcome:
    lines, _ = _ledger_lines(root / "ledger.jsonl")
    latest: dict[tuple[str, int, int], dict[str, Any]] = {}
    task_ids: dict[tuple[int, int], set[str]] = {}
    for e in lines:
        latest[(e["kind"], e["shot"], e["attempt"])] = e
        if e["kind"] == "submit":
            task_ids.setdefault((e["shot"], e["attempt"]), set()).add(e["data"]["task"]["task_id"])
    cut = latest.get(("cut", -1, 0))
    accepted = sorted((s, a) for (k, s, a), e in latest.items()
                      if k == "take" and e["data"].get("passed"))
    spent = round(sum(e["cost_usd"] for (k, _, _), e in latest.items()
                      if k in ("submit", "still", "keyframe")), 4)
    return Outcome(cut_shots=list(cut["data"]["shots"]) if cut else [], accepted=accepted,
                   paid=service.paid_tasks(root), spent_usd=spent, ledger_task_ids=task_ids)


# --- running --------------------------------------------------------------------------------


def start_run(root: Path, service: Service, brief: Path = BRIEF) -> subprocess.Popen[bytes]:
    if isinstance(service, KlingService):
        service.mark(root)
    provider = service.name
    return subprocess.Popen(
        [*director_cmd(), "run", str(brief), "--out", str(root), "--yes", "--provider", provider],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=service.env(),
    )


def resume(root: Path, service: Service, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*director_cmd(), "resume", str(root), "--yes"], capture_output=True,
                          text=True, env=service.env(), timeout=timeout)


@dataclass
class Timeline:
    """When things first appeared on disk during an uninterrupted run (seconds from start)."""

    events: dict[str, float] = field(default_factory=dict)
    end_s: float = 0.0

    def spans(self) -> dict[str, list[tuple[str, float, float]]]:
        """Per phase, (opening event, start, end) of each span the run spent in that phase."""
        ev = self.events
        submits = sorted(v for k, v in ev.items() if k.startswith("submit "))
        first_submit = submits[0] if submits else self.end_s
        spans: dict[str, list[tuple[str, float, float]]] = {p: [] for p in PHASES}
        spans["start"].append(("", 0.0, ev.get("state.sqlite", self.end_s)))
        if "state.sqlite" in ev:
            spans["setup"].append(("state.sqlite", ev["state.sqlite"],
                                   ev.get("plan.json", self.end_s)))
        if "plan.json" in ev:
            spans["plan"].append(("plan.json", ev["plan.json"], first_submit))
        for key, t in ev.items():
            if key.startswith("submit "):
                sa = key.split(" ", 1)[1]
                spans["render"].append((key, t, ev.get(f"clip {sa}", self.end_s)))
                if f"clip {sa}" in ev:
                    spans["qc"].append((f"clip {sa}", ev[f"clip {sa}"],
                                        ev.get(f"take {sa}", self.end_s)))
        takes = sorted((v, k) for k, v in ev.items() if k.startswith("take "))
        if takes and "final.mp4" in ev:
            spans["assembly"].append((takes[-1][1], takes[-1][0], ev["final.mp4"]))
        if "final.mp4" in ev:
            spans["report"].append(("final.mp4", ev["final.mp4"], self.end_s))
        return {k: [s for s in v if s[2] > s[1]] for k, v in spans.items()}


def _watch(root: Path, start: float, timeline: Timeline, stop: threading.Event) -> None:
    while not stop.is_set():
        now = time.monotonic() - start
        seen = timeline.events
        for name in ("state.sqlite", "plan.json", "final.mp4", "report.html"):
            if name not in seen and (root / name).exists():
                seen[name] = now
        for clip in (root / "takes").glob("shot*.mp4") if (root / "takes").exists() else ():
            m = re.match(r"shot(\d+)_take(\d+)", clip.name)
            if m:
                seen.setdefault(f"clip {int(m[1])}/{int(m[2])}", now)
        for e in _ledger_lines(root / "ledger.jsonl")[0]:
            seen.setdefault(f"{e['kind']} {e['shot']}/{e['attempt']}", now)
        time.sleep(0.02)


def reference_run(root: Path, service: Service,
                  brief: Path = BRIEF) -> tuple[Outcome, Timeline, int]:
    """An uninterrupted run, with the moments each file and ledger entry appeared."""
    timeline = Timeline()
    stop = threading.Event()
    start = time.monotonic()
    proc = start_run(root, service, brief)
    watcher = threading.Thread(target=_watch, args=(root, start, timeline, stop), daemon=True)
    watcher.start()
    _, err = proc.communicate(timeout=600)
    timeline.end_s = time.monotonic() - start
    stop.set()
    watcher.join()
    if proc.returncode != 0:
        raise RuntimeError(f"reference run failed ({proc.returncode}): {err.decode()[-500:]}")
    return outcome(root, service), timeline, proc.returncode


@dataclass
class KillPoint:
    """Kill `delay_s` after `trigger` (a Timeline event, or "" for the process start)."""

    phase: str
    trigger: str
    delay_s: float


def kill_points(timeline: Timeline, count: int, rng: Any,
                phases: tuple[str, ...] = PHASES) -> list[KillPoint]:
    """Phases in turn; in each, a random span of the reference and a random moment inside it,
    measured from the event that opens the span (so a slower machine still kills in phase)."""
    spans = {k: v for k, v in timeline.spans().items() if v and k in phases}
    order = [p for p in phases if p in spans]
    points = []
    for n in range(count):
        phase = order[n % len(order)]
        trigger, start, end = rng.choice(spans[phase])
        points.append(KillPoint(phase, trigger, round(rng.uniform(0, end - start), 3)))
    return points


@dataclass
class Trial:
    """One kill and resume, and everything found afterwards."""

    number: int
    point: KillPoint
    kill_s: float = 0.0
    killed: bool = False
    on_disk: str = ""
    ran_again: bool = False
    """`resume` said the folder had no plan yet and to run the brief again, which was done."""
    resume_rc: int | None = None
    resume_error: str = ""
    result: Outcome | None = None
    corrupt: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_trial(number: int, root: Path, service: Service, point: KillPoint,
              reference: Outcome, brief: Path = BRIEF) -> Trial:
    """Start a run, SIGKILL it at `point`, resume it, and check the invariants."""
    began = time.monotonic()
    trial = Trial(number, point)
    timeline = Timeline()
    stop = threading.Event()
    proc = start_run(root, service, brief)
    watcher = threading.Thread(target=_watch, args=(root, began, timeline, stop), daemon=True)
    watcher.start()
    try:
        while proc.poll() is None:
            opened = 0.0 if not point.trigger else timeline.events.get(point.trigger)
            if opened is not None and time.monotonic() - began >= opened + point.delay_s:
                proc.send_signal(signal.SIGKILL)
                trial.killed = True
                break
            time.sleep(0.01)
        proc.wait()
        trial.kill_s = time.monotonic() - began
    finally:
        stop.set()
        watcher.join()
        if proc.stderr is not None:
            proc.stderr.close()
    trial.on_disk = disk_state(root)
    result = resume(root, service)
    if result.returncode == 2 and any(
        words in result.stderr for words in ("start it again with", "is not a project folder")
    ):
        # Killed before there was a plan: nothing to resume, and the message says what to do.
        trial.ran_again = True
        proc = start_run(root, service, brief)
        _, err = proc.communicate(timeout=600)
        result = subprocess.CompletedProcess(proc.args, proc.returncode, "", err.decode())
    trial.resume_rc = result.returncode
    lines = [x for x in result.stderr.strip().splitlines() if x.strip()]
    if result.returncode != 0:
        trial.resume_error = lines[-1] if lines else "(no message)"
    trial.corrupt = corrupt_files(root)
    trial.result = outcome(root, service)
    trial.failures = check(trial, reference, result.stderr)
    trial.seconds = time.monotonic() - began
    return trial


def check(trial: Trial, reference: Outcome, stderr: str = "") -> list[str]:
    """The invariants; each broken one is a line."""
    got = trial.result
    assert got is not None
    failures = []
    if trial.resume_rc != 0:
        failures.append(f"resume exited {trial.resume_rc}: {trial.resume_error}")
    if "Traceback" in stderr:
        failures.append("resume printed a traceback")
    if got.cut_shots != reference.cut_shots:
        failures.append(f"cut holds shots {got.cut_shots}, reference {reference.cut_shots}")
    if got.accepted != reference.accepted:
        failures.append(f"accepted takes {got.accepted}, reference {reference.accepted}")
    failures += [f"duplicate submission: {d}" for d in got.duplicates]
    if set(got.paid) != set(reference.paid):
        failures.append(f"paid tasks {sorted(got.paid)}, reference {sorted(reference.paid)}")
    if abs(got.spent_usd - reference.spent_usd) > 1e-6:
        failures.append(f"spent ${got.spent_usd:.2f}, reference ${reference.spent_usd:.2f}")
    failures += [f"corrupt: {c}" for c in trial.corrupt]
    return failures

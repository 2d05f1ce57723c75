"""The simulator: a stand-in for real video services, for demos and benchmarks of the retake loop.

It renders every catalog model locally with the animatic's set and camera (the subject's action
drawn as local motion), waits as long as the model would, and writes into the pixels the failure
modes the source material reports for generated video (shared/reference/qc.md: wrong or
missing camera move, black and frozen frames, unexpected cuts, duration drift). Submit, poll and
download go through task files in the project, so a restarted run polls the same task, like a
real service.

Assumptions (no source publishes per-model failure rates; these are stated, not measured):

- Rates. DEFAULT_RATES gives each fault's chance per take by model quality (catalog.quality,
  which orders the routing ladder): a stronger model fails less, roughly halving each step up.
  The camera direction is the most common failure, matching the craft's "lock the camera move
  first: if the motion is wrong, nothing else matters". DIRECTOR_SIM_FAULTS overrides them:
  "wrong_direction=0.3,frozen=0.1" for every model, "kling-v2-6-std:frozen=0.5" for one.
- Determinism. Every draw is a hash of (project, shot, prompt, seed, model) or of a subset, so
  the same experiment renders the same take.
- Which variable clears which fault, as the sources say real models behave:
  * frozen, black, cut and duration drift are drawn per take (seed and prompt in the hash): a
    seed re-roll clears them most of the time.
  * a wrong move direction and a clip with no motion are drawn per (project, shot, model): they
    persist across seeds and unrelated prompt edits. Stating the move with its screen effect
    ("slow pan left, scene sliding right") cuts the wrong-direction rate to
    UNAMBIGUOUS_FACTOR of itself; that wording, or an explicit action verb ("visibly"), cuts
    the no-motion rate to EXPLICIT_FACTOR. A different model draws afresh at its own rate.
  * unexpected cuts grow with clip length (per 5 s) and halve when the action is one
    explicit beat.
- Multi-shot: a request with segments (Kling 3.0 `multi_prompt`) is checked the way Kling
  checks it (a model that takes several shots, at most max_shots, each prompt within
  segment_chars, whole-second lengths adding up to the duration) and rendered as its segments
  in order, each drawn as the single shot it stands for with its own faults.
- Latency: the catalog's typical seconds per model (providers.md: Kling 135-319 s, Sora 45-180
  s), varied +-40 % per task and multiplied by DIRECTOR_SIM_LATENCY_SCALE (default 0.01, so a
  demo waits seconds; 0 in tests).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from director.config import env_int, env_number
from director.errors import STORAGE_ERRNOS, DirectorError, ProviderError
from director.film import GenerationRequest, TaskRef, TaskStatus
from director.idempotency import parse_take_key
from director.project import atomic_write_bytes
from director.tools import catalog
from director.tools.pools import shared_pool
from director.tools.providers.simrender import MIRROR, render_sim, segment_requests

FAULTS = ("wrong_direction", "no_motion", "frozen", "black", "cut", "duration")
"""Failure modes the simulator can inject."""
DEFAULT_RATES: dict[int, dict[str, float]] = {
    2: {"wrong_direction": 0.35, "no_motion": 0.12, "frozen": 0.10, "black": 0.05,
        "cut": 0.08, "duration": 0.05},
    3: {"wrong_direction": 0.25, "no_motion": 0.08, "frozen": 0.07, "black": 0.04,
        "cut": 0.06, "duration": 0.04},
    4: {"wrong_direction": 0.12, "no_motion": 0.04, "frozen": 0.04, "black": 0.02,
        "cut": 0.04, "duration": 0.02},
    5: {"wrong_direction": 0.06, "no_motion": 0.02, "frozen": 0.02, "black": 0.01,
        "cut": 0.02, "duration": 0.01},
}
"""Chance per take of each fault, by catalog quality (0-2 share the weakest row)."""
UNAMBIGUOUS_FACTOR = 0.15
EXPLICIT_FACTOR = 0.3
DEFAULT_LATENCY_SCALE = 0.01
_PERSISTENT = ("wrong_direction", "no_motion")
_SCREEN_EFFECT = re.compile(
    r"\b(?:scene|background|subject|frame|framing)\s+"
    r"(?:sliding|sinking|rising|growing|shrinking|fixed|drifting|slides|sinks|rises|grows)\b",
    re.IGNORECASE,
)
_EXPLICIT_ACTION = re.compile(r"\bvisibly\b", re.IGNORECASE)


def fault_rates(model: str, env: str | None = None) -> dict[str, float]:
    """Each fault's base chance per take on `model`: the default row for its quality, then the
    DIRECTOR_SIM_FAULTS overrides (global first, then the model's own)."""
    quality = catalog.get(model).quality
    rates = dict(DEFAULT_RATES[min(max(quality, 2), 5)])
    raw = os.environ.get("DIRECTOR_SIM_FAULTS", "") if env is None else env
    scoped: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in raw.split(","))):
        name, sep, value = item.partition("=")
        target, _, fault = name.strip().rpartition(":")
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not sep or fault not in FAULTS or not 0 <= rate <= 1:
            raise DirectorError(f"DIRECTOR_SIM_FAULTS item {item!r} must be fault=rate with a "
                                f"rate from 0 to 1, fault one of {', '.join(FAULTS)}")
        if not target:
            rates[fault] = rate
        elif catalog.get(target).id == catalog.get(model).id:
            scoped[fault] = rate
    return {**rates, **scoped}


def latency_scale() -> float:
    return env_number("DIRECTOR_SIM_LATENCY_SCALE", DEFAULT_LATENCY_SCALE)


def _draw(*parts: object) -> float:
    """A uniform number in [0, 1) fixed by `parts`."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def unambiguous_camera(prompt: str) -> bool:
    """The move is stated with what it does on screen ("scene sliding right")."""
    return bool(_SCREEN_EFFECT.search(prompt))


def explicit_action(prompt: str) -> bool:
    return bool(_EXPLICIT_ACTION.search(prompt))


def draw_faults(request: GenerationRequest, project: str,
                rates: dict[str, float] | None = None) -> dict[str, dict[str, Any]]:
    """The faults this take will show, with where they sit in the clip."""
    rates = fault_rates(request.model) if rates is None else rates
    move = request.hints.camera_move
    moves = move != "static" or bool(request.hints.action.strip())
    take = (project, request.shot_index, request.prompt, request.seed, request.model)
    shot = (project, request.shot_index, request.model)
    clear, explicit = unambiguous_camera(request.prompt), explicit_action(request.prompt)
    chance = {
        "wrong_direction": rates["wrong_direction"] * (UNAMBIGUOUS_FACTOR if clear else 1)
        if move in MIRROR else 0.0,
        "no_motion": rates["no_motion"] * (EXPLICIT_FACTOR if clear or explicit else 1)
        if moves else 0.0,
        "frozen": rates["frozen"],
        "black": rates["black"],
        "cut": min(1.0, rates["cut"] * request.duration_s / 5) * (0.5 if explicit else 1),
        "duration": rates["duration"],
    }
    found: dict[str, dict[str, Any]] = {}
    for fault in FAULTS:
        u = _draw(*(shot if fault in _PERSISTENT else take), fault)
        if u < chance[fault]:
            found[fault] = {}
    if "no_motion" in found:
        found.pop("wrong_direction", None)
    d = request.duration_s
    if "frozen" in found:
        stall = max(1.0, d / 5)
        found["frozen"] = {"start_s": round(0.2 * d, 3), "end_s": round(0.2 * d + stall, 3)}
    if "cut" in found:
        found["cut"] = {"at_s": round(0.55 * d, 3)}
    if "black" in found:
        found["black"] = {"start_s": round(0.75 * d, 3), "end_s": round(0.75 * d + 0.5, 3)}
    if "duration" in found:
        sign = -1 if _draw(*take, "drift") < 0.6 else 1
        found["duration"] = {"drift_s": sign * (1.0 if d >= 3 else 0.5)}
    return found


def task_faults(request: GenerationRequest, project: str) -> dict[str, Any]:
    """The faults of a task: a single clip's, or {"segments": [...]} with each segment's drawn
    as the single shot it stands for (so a shot retaken alone on the same model meets the same
    persistent faults)."""
    if not request.multi_prompt:
        return draw_faults(request, project)
    rates = fault_rates(request.model)
    return {"segments": [draw_faults(part, project, rates) for part in segment_requests(request)]}


def _check_segments(request: GenerationRequest, spec: catalog.ModelSpec) -> None:
    """Refuse a multi-shot request Kling would refuse (providers.md §1, multi_prompt)."""
    segments = request.multi_prompt
    problem = ""
    if not spec.multi_shot:
        problem = "it renders one shot per request"
    elif len(segments) > spec.max_shots:
        problem = f"{len(segments)} shots, over its {spec.max_shots}"
    elif any(len(s.prompt) > spec.segment_chars for s in segments):
        problem = f"a segment prompt is over {spec.segment_chars} characters"
    elif any(s.duration_s != round(s.duration_s) for s in segments):
        problem = "segment lengths must be whole seconds"
    elif sum(s.duration_s for s in segments) != request.duration_s:
        problem = "segment lengths must add up to the duration"
    if problem:
        raise ProviderError(f"{spec.id} cannot take this multi_prompt: {problem}")


def project_of(idempotency_key: str) -> str:
    parts = parse_take_key(idempotency_key)
    return parts.project if parts else idempotency_key


def sim_tasks(work_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every simulated task recorded in `work_dir` (a project's takes/.tasks) as (task id,
    record), in id order: the service's own account of what it was asked for and when."""
    found = []
    for path in sorted(Path(work_dir).glob("sim-*.json")):
        task = _load(path)
        if task is not None:
            found.append((path.stem, task))
    return found


def fault_log(work_dir: Path) -> list[dict[str, Any]]:
    """Every simulated task in `work_dir`: shot, attempt, model, seed and injected faults."""
    log = []
    for task_id, task in sim_tasks(work_dir):
        request = task.get("request", {})
        faults = task.get("faults", {})
        # A multi-shot task logs one line per segment, under the shot the segment stands for.
        parts = faults.get("segments") if request.get("multi_prompt") else [faults]
        for k, found in enumerate(parts or []):
            shot = request.get("shot_index")
            log.append({"task_id": task_id, "shot": shot + k if shot is not None else None,
                        "attempt": request.get("attempt"), "model": request.get("model"),
                        "seed": request.get("seed"), "faults": found,
                        **({"group": shot, "segment": k} if request.get("multi_prompt") else {})})
    return log


DEFAULT_CONCURRENCY = 10
"""Tasks the simulated account runs at once (DIRECTOR_SIM_CONCURRENCY overrides)."""
RENDER_WORKERS = 2
"""Clips drawn at once in the whole process: the simulator stands in for a service's GPUs, so
many projects (or runs) in one process share one pool instead of each bringing its own."""


def render_pool() -> ThreadPoolExecutor:
    """The process's drawing pool, made on first use (no work at import time)."""
    return shared_pool("sim", RENDER_WORKERS)


def sim_concurrency() -> int:
    """Tasks the simulated account runs at once (1-1000): shared by every project in the
    process, so a benchmark of many projects may need more than a real account's 64."""
    return env_int("DIRECTOR_SIM_CONCURRENCY", DEFAULT_CONCURRENCY, 1, 1000)


class SimProvider:
    """Draws each clip on a small thread pool while the simulated latency runs, and hands it
    over once that latency has passed, like a service that renders while you wait."""

    name = "sim"
    poll_interval_s = 0.05

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = Path(work_dir)
        self.max_concurrency = sim_concurrency()
        self._jobs: dict[str, Future[Path]] = {}
        self._tasks: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def _paths(self, task_id: str) -> tuple[Path, Path]:
        return self.work_dir / f"{task_id}.json", self.work_dir / f"{task_id}.mp4"

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        try:
            spec = catalog.get(request.model)
        except DirectorError as exc:
            raise ProviderError(f"sim cannot render {request.model!r}: {exc}") from None
        if not spec.accepts(request.duration_s):
            raise ProviderError(f"{spec.id} does not render {request.duration_s:g} s clips")
        if request.multi_prompt:
            _check_segments(request, spec)
        task_id = "sim-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]
        # File work off the event loop, which other projects' runs may share.
        task = await asyncio.to_thread(self._task, task_id, request, idempotency_key, spec)
        self._start(task_id, task)
        # Standing in for a service, the task is that service's: slots and polls follow it.
        return TaskRef(provider=request.provider, task_id=task_id, model=request.model,
                       submitted_at=float(task["submitted_at"]))

    def _task(
        self, task_id: str, request: GenerationRequest, key: str, spec: catalog.ModelSpec
    ) -> dict[str, Any]:
        """The task recorded under `task_id`, made and written first if there is none."""
        path, _ = self._paths(task_id)
        # Look-up and write under one lock, so two submissions of one key never both make it.
        with self._lock:
            task = self._recorded(task_id)
            if task is None:  # the same key again names the task already recorded
                now = time.time()
                wait = spec.latency_s * (0.6 + 0.8 * _draw(key, "latency"))
                task = {"request": request.model_dump(mode="json"), "submitted_at": now,
                        "ready_at": now + wait * latency_scale(),
                        "faults": task_faults(request, project_of(key))}
                atomic_write_bytes(path, json.dumps(task, indent=2).encode("utf-8"))
                self._tasks[task_id] = task
            return task

    def _recorded(self, task_id: str) -> dict[str, Any] | None:
        """The task as written, read from its file once (a task never changes); call with
        the lock held."""
        task = self._tasks.get(task_id)
        if task is None:
            task = _load(self._paths(task_id)[0])
            if task is not None:
                self._tasks[task_id] = task
        return task

    async def poll(self, ref: TaskRef) -> TaskStatus:
        # The hot path (every 50 ms per shot) stays on the loop while the simulated latency
        # runs: a known task needs no file until it is due.
        with self._lock:
            task = self._tasks.get(ref.task_id)
        if task is not None and (waiting := _still_rendering(task)) is not None:
            return waiting
        return await asyncio.to_thread(self._status, ref.task_id)

    def _status(self, task_id: str) -> TaskStatus:
        _, video = self._paths(task_id)
        with self._lock:
            task = self._recorded(task_id)
        if task is None:
            return TaskStatus(state="failed", error=f"unknown sim task {task_id}")
        if (waiting := _still_rendering(task)) is not None:
            return waiting
        if video.exists():
            return TaskStatus(state="succeeded", progress=1.0, video_url=video.resolve().as_uri())
        job = self._start(task_id, task)
        if not job.done():
            return TaskStatus(state="running", progress=0.99)
        exc = job.exception()
        if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
            # The clip could not be written into the project (disk full, read-only): the task
            # itself did not fail, so stop the run rather than let a retake pay again.
            raise exc
        if exc is not None:
            return TaskStatus(state="failed", error=f"sim render failed: {exc}",
                              retryable=not isinstance(exc, DirectorError))
        return TaskStatus(state="succeeded", progress=1.0, video_url=video.resolve().as_uri())

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        _, video = self._paths(ref.task_id)
        try:
            data = await asyncio.to_thread(video.read_bytes)
        except FileNotFoundError:
            raise ProviderError(
                f"sim task {ref.task_id} has no finished clip to download"
            ) from None
        await asyncio.to_thread(atomic_write_bytes, Path(dest), data)
        return Path(dest)

    def _start(self, task_id: str, task: dict[str, Any]) -> Future[Path]:
        _, video = self._paths(task_id)
        with self._lock:
            job = self._jobs.get(task_id)
            if job is not None and not (job.done() and job.exception() is not None):
                return job
            request = GenerationRequest.model_validate(task["request"])
            caption = catalog.get(request.model).family == "animatic"
            job = render_pool().submit(render_sim, request, task["faults"], video, caption=caption)
            self._jobs[task_id] = job
            return job


def _load(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _still_rendering(task: dict[str, Any]) -> TaskStatus | None:
    """A running status while the task's simulated latency lasts; None once it is due."""
    wait = task["ready_at"] - task["submitted_at"]
    left = task["ready_at"] - time.time()
    if left > 0:
        return TaskStatus(state="running", progress=round(1 - left / wait, 3) if wait else 0)
    return None

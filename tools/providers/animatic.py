"""The embedded default provider: renders a real H.264 animatic of a shot, locally and for free.

A storyboard frame is drawn once on a canvas larger than the picture (storyboard.py); the
camera move is then performed for real by moving a window over it (camera.py), straight into the
encoder's YUV planes, under a caption band fixed to the screen (caption.py). Camera verdicts in
QC come from pixels, so the move has to be in the pixels.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from fractions import Fraction
from pathlib import Path

import av

from director.errors import DirectorError, ProviderError
from director.film import GenerationRequest, TaskRef, TaskStatus
from director.project import atomic_write_bytes
from director.tools.edit import H264_OPTIONS, H264_THREADS, atomic_output
from director.tools.providers.camera import Planes, build_rig
from director.tools.providers.caption import draw_caption


def frame_count(request: GenerationRequest) -> int:
    """Frames the clip will hold: the requested duration at the requested rate."""
    return round(request.duration_s * request.fps)


def _validate(request: GenerationRequest) -> int:
    w, h, fps = request.width, request.height, request.fps
    if w < 16 or h < 16 or w > 7680 or h > 4320 or w % 2 or h % 2:
        raise ProviderError(
            f"animatic needs an even frame size from 16x16 to 7680x4320, not {w}x{h}"
        )
    if not 1 <= fps <= 120:
        raise ProviderError(f"animatic renders 1 to 120 fps, not {fps}")
    frames = frame_count(request)
    if frames < 1 or request.duration_s > 600:
        raise ProviderError(f"animatic cannot render a {request.duration_s:g}s clip at {fps} fps")
    return frames


def render_animatic(
    request: GenerationRequest,
    dest: Path,
    *,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Render the shot as an H.264 MP4 at `dest` (atomically) and return `dest`.

    Deterministic: the same request gives the same file, byte for byte, with the same PyAV and
    x264 build. `progress` is called with the fraction done, about once a second of footage.
    """
    frames = _validate(request)
    rig = build_rig(request, frames)
    caption = draw_caption(request)
    planes = Planes(request.width, request.height)
    time_base = Fraction(1, request.fps)
    with (
        atomic_output(Path(dest)) as tmp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        stream = _video_stream(out, request)
        for i in range(frames):
            rig.render(i, planes)
            caption.apply(planes.y, planes.u, planes.v)
            frame = av.VideoFrame.from_ndarray(planes.array, format="yuv420p")
            frame.pts, frame.time_base = i, time_base
            out.mux(stream.encode(frame))
            if progress is not None and (i % request.fps == 0 or i == frames - 1):
                progress((i + 1) / frames)
        out.mux(stream.encode(None))
    return Path(dest)


def render_frames(request: GenerationRequest, first: Path, last: Path) -> tuple[Path, Path]:
    """Write the clip's first and last frames as PNGs without encoding the clip.

    This is the free storyboard a person approves before any paid render: framing, the start
    and end of the move, and the light, exactly as the animatic would show them.
    """
    frames = _validate(request)
    rig = build_rig(request, frames)
    caption = draw_caption(request)
    planes = Planes(request.width, request.height)
    for index, dest in ((0, first), (frames - 1, last)):
        rig.render(index, planes)
        caption.apply(planes.y, planes.u, planes.v)
        image = av.VideoFrame.from_ndarray(planes.array, format="yuv420p").to_image()
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        atomic_write_bytes(Path(dest), buffer.getvalue())
    return Path(first), Path(last)


def _video_stream(out: av.container.OutputContainer, request: GenerationRequest) -> av.VideoStream:
    stream = out.add_stream("libx264", rate=request.fps)
    stream.width, stream.height, stream.pix_fmt = request.width, request.height, "yuv420p"
    ctx = stream.codec_context
    ctx.thread_count = H264_THREADS
    ctx.thread_type = "FRAME"
    ctx.gop_size = 2 * request.fps  # a keyframe every 2 s keeps stills and seeks cheap
    # Tag what the storyboard wrote (BT.709, limited range) so decoders convert it back right.
    ctx.colorspace = ctx.color_primaries = ctx.color_trc = 1
    ctx.color_range = 1
    stream.options = dict(H264_OPTIONS)
    return stream


# --- provider ------------------------------------------------------------------------------


def task_id_for(idempotency_key: str) -> str:
    """The task id for a take: the same key always names the same task."""
    return "anim-" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:16]


class AnimaticProvider:
    """Renders on a small thread pool of its own; the task files in `work_dir` outlive the
    process, so a restarted run re-renders a task it finds there instead of failing it.

    A pool (not asyncio tasks) holds the renders, so they survive across event loops: a CLI
    that calls asyncio.run once per step still sees its earlier submits."""

    name = "animatic"
    max_concurrency = 2
    poll_interval_s = 0.05

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = Path(work_dir)
        self._jobs: dict[str, Future[Path]] = {}
        self._progress: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def _paths(self, task_id: str) -> tuple[Path, Path]:
        return self.work_dir / f"{task_id}.json", self.work_dir / f"{task_id}.mp4"

    async def submit(self, request: GenerationRequest, idempotency_key: str) -> TaskRef:
        """Record the task and start rendering it. Bad parameters are refused here, the way a
        service refuses them at submission, not discovered later by polling."""
        _validate(request)
        task_id = task_id_for(idempotency_key)
        spec, video = self._paths(task_id)
        # The same key again names the task already recorded: keep its request, like a
        # service honouring an idempotency key, and never render a finished clip twice.
        stored = _load_request(spec)
        if stored is None:
            atomic_write_bytes(spec, request.model_dump_json(indent=2).encode("utf-8"))
        if not video.exists():
            self._start(task_id, stored or request)
        return TaskRef(
            provider=self.name,
            task_id=task_id,
            model=request.model,
            submitted_at=spec.stat().st_mtime,  # the task file's birth: stable across resubmits
            urls={"result": video.resolve().as_uri()},
        )

    async def poll(self, ref: TaskRef) -> TaskStatus:
        spec, video = self._paths(ref.task_id)
        with self._lock:
            job = self._jobs.get(ref.task_id)
        if job is not None and job.done():
            return self._finished(job, video)
        if job is not None:
            return TaskStatus(state="running", progress=self._progress.get(ref.task_id, 0.0))
        if video.exists():
            return self._succeeded(video)
        if not spec.exists():
            return TaskStatus(
                state="failed",
                error=f"unknown animatic task {ref.task_id}: no {spec.name} in {self.work_dir}",
            )
        # A restarted process: the task file outlived the render, so render it again.
        request = _load_request(spec)
        if request is None:
            return TaskStatus(state="failed", error=f"animatic task file {spec} is unreadable")
        self._start(ref.task_id, request)
        return TaskStatus(state="running", progress=0.0)

    async def download(self, ref: TaskRef, status: TaskStatus, dest: Path) -> Path:
        _, video = self._paths(ref.task_id)
        if not video.exists():
            raise ProviderError(f"animatic task {ref.task_id} has no finished clip to download")
        await asyncio.to_thread(_copy_atomic, video, Path(dest))
        return Path(dest)

    def _start(self, task_id: str, request: GenerationRequest) -> None:
        """Queue the render unless one is queued, running or already succeeded."""
        _, video = self._paths(task_id)
        with self._lock:
            job = self._jobs.get(task_id)
            if job is not None and not (job.done() and job.exception() is not None):
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.max_concurrency, "animatic")
            self._progress[task_id] = 0.0

            def report(fraction: float) -> None:
                self._progress[task_id] = fraction

            self._jobs[task_id] = self._pool.submit(
                render_animatic, request, video, progress=report
            )

    def _finished(self, job: Future[Path], video: Path) -> TaskStatus:
        exc = job.exception()
        if exc is not None:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            return TaskStatus(
                state="failed",
                error=f"animatic render failed: {reason}",
                retryable=not isinstance(exc, DirectorError),
            )
        if not video.exists():
            return TaskStatus(state="failed", error=f"animatic render left no file at {video}")
        return self._succeeded(video)

    @staticmethod
    def _succeeded(video: Path) -> TaskStatus:
        return TaskStatus(state="succeeded", progress=1.0, video_url=video.resolve().as_uri())


def _copy_atomic(source: Path, dest: Path) -> None:
    with atomic_output(dest) as tmp:
        shutil.copyfile(source, tmp)


def _load_request(spec: Path) -> GenerationRequest | None:
    """The request recorded in a task file, or None when there is none (or it is damaged)."""
    try:
        return GenerationRequest.model_validate_json(spec.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None

"""The simulator's pixels: the animatic's set and camera, plus the subject's action as local
motion, with the failure modes real video models show written into the frames.

Faults are applied while rendering, frame by frame, so the inspector sees them the way it would
see them in a real model's output:

- wrong_direction: the move is performed mirrored (pan left becomes pan right, push-in becomes
  pull-back, crane up becomes crane down).
- no_motion: neither the camera nor the subject moves.
- frozen: one frame is held for a stretch of the clip.
- black: a stretch of frames is black.
- cut: halfway through, the picture jumps to a different set, light and framing.
- duration: the clip runs shorter or longer than asked.

A multi-shot request (Kling 3.0 `multi_prompt`) is drawn as its segments in order, each the
single clip it stands for: its own length, the camera move its prompt names (the simulator
reads the prompt as a model would), and its own faults; set, light and seed are the request's,
as one scene.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from director.film import CameraMove, GenerationRequest
from director.tools.edit import H264_OPTIONS, atomic_output
from director.tools.providers.camera import Planes, build_rig
from director.tools.providers.caption import draw_caption

SIM_H264_THREADS = 1
"""One encoder thread per clip: the process draws several clips at once on the render pool,
so frame threads would add ~20 MB each and no speed. Fixed, so a seed gives one file."""

MIRROR: dict[CameraMove, CameraMove] = {
    "pan_left": "pan_right", "pan_right": "pan_left", "tilt_up": "tilt_down",
    "tilt_down": "tilt_up", "push_in": "pull_out", "pull_out": "push_in",
    "orbit_left": "orbit_right", "orbit_right": "orbit_left", "crane_up": "crane_down",
    "crane_down": "crane_up",
}
"""The move a model performs when it gets the direction wrong."""
ACTION_AMPLITUDE = 0.04
"""How far the subject sways while performing its action, in frame widths."""
ACTION_PERIOD_S = 2.0
"""One back-and-forth of the subject's action, in seconds."""
_SUBJECT_BOX = (0.38, 0.62, 0.25, 0.75)
"""Where the subject stands on the storyboard (x0, x1, y0, y1 as fractions of the frame)."""
_BLACK_Y, _GREY_UV = 16, 128  # limited-range black
_AUDIO_RATE = 48_000


_MOVE_WORDS: tuple[tuple[CameraMove, str], ...] = (
    ("static", r"\bstatic (?:locked-off )?(?:camera|shot)\b|\blocked[- ]off\b"),
    ("pan_left", r"\b(?:slow|camera|whip)\s+pans?\s+(?:to\s+the\s+)?left\b"),
    ("pan_right", r"\b(?:slow|camera|whip)\s+pans?\s+(?:to\s+the\s+)?right\b"),
    ("tilt_up", r"\bupward tilt\b|\btilts? up(?:ward)?\b"),
    ("tilt_down", r"\bdownward tilt\b|\btilts? down(?:ward)?\b"),
    ("push_in", r"\bdolly[- ]in\b|\bpush[- ]in\b|\bzoom[- ]in\b"),
    ("pull_out", r"\bdolly[- ](?:out|back)\b|\bpull[- ]?(?:back|out)\b|\bzoom[- ]out\b"),
    ("orbit_left", r"\borbit[^.,;]{0,30}?\bleft\b"),
    ("orbit_right", r"\borbit[^.,;]{0,30}?\bright\b"),
    ("crane_up", r"\bcrane[^.,;]{0,20}?\b(?:rising|up)\b"),
    ("crane_down", r"\bcrane[^.,;]{0,20}?\b(?:descending|down)\b|\bcrane descending\b"),
    ("handheld", r"\bhandheld\b"),
    ("rack_focus", r"\brack focus\b"),
)
"""How the simulator reads a prompt's camera move: the phrases compose writes (vocabulary's
MOVE_PHRASES) and their common variants."""


def move_named(prompt: str) -> CameraMove:
    """The camera move a prompt names first ("static" when it names none)."""
    found = [(m.start(), move) for move, rx in _MOVE_WORDS
             for m in [re.search(rx, prompt, re.IGNORECASE)] if m]
    return min(found)[1] if found else "static"


def segment_requests(request: GenerationRequest) -> list[GenerationRequest]:
    """A multi-shot request as the single clips it stands for, in order (just `request` when it
    is a single shot). The segments of a group are consecutive shots, numbered from the lead."""
    if not request.multi_prompt:
        return [request]
    return [
        request.model_copy(update={
            "shot_index": request.shot_index + k,
            "prompt": segment.prompt,
            "duration_s": segment.duration_s,
            "multi_prompt": [],
            "hints": request.hints.model_copy(
                update={"camera_move": move_named(segment.prompt)}),
        })
        for k, segment in enumerate(request.multi_prompt)
    ]


def faulted_request(request: GenerationRequest, faults: dict[str, dict]) -> GenerationRequest:
    """The request the set and camera are drawn from: the move mirrored, or held still."""
    move = request.hints.camera_move
    if "no_motion" in faults:
        move = "static"
    elif "wrong_direction" in faults:
        move = MIRROR.get(move, move)
    return request.model_copy(update={"hints": request.hints.model_copy(
        update={"camera_move": move})})


def frame_total(request: GenerationRequest, faults: dict[str, dict]) -> int:
    drift = faults.get("duration", {}).get("drift_s", 0.0)
    return max(1, round((request.duration_s + drift) * request.fps))


def _other_set(request: GenerationRequest) -> GenerationRequest:
    """What a model cuts to: another seed, the light from the other side, another colour, a
    different framing, and no move."""
    hints = request.hints
    flipped = {"left": "right", "right": "left"}.get(hints.light_side, "left")
    kelvin = 2600 if hints.colour_temperature_k >= 4500 else 7500
    size = "wide" if hints.size in ("close_up", "extreme_close_up", "medium") else "close_up"
    return request.model_copy(update={
        "seed": request.seed + 104_729,
        "hints": hints.model_copy(update={
            "camera_move": "static", "light_side": flipped, "colour_temperature_k": kelvin,
            "size": size, "subject_kind": "object" if hints.subject_kind == "person" else "person",
        }),
    })


def _sway(planes: Planes, t_s: float, width: int, height: int) -> None:
    """The subject performs its action: its region of the frame sways side to side, and a
    textured hand-sized patch moves across it (a close-up of a smooth prop would otherwise
    show nothing a viewer, or optical flow, could follow)."""
    dx = round(ACTION_AMPLITUDE * width * math.sin(2 * math.pi * t_s / ACTION_PERIOD_S))
    dx -= dx % 2  # whole chroma samples
    x0, x1, y0, y1 = (round(f * n / 2) * 2 for f, n in zip(
        _SUBJECT_BOX, (width, width, height, height), strict=True))
    _hand(planes.y, t_s, x0, x1, y0, y1)
    if dx == 0:
        return
    planes.y[y0:y1, x0:x1] = np.roll(planes.y[y0:y1, x0:x1], dx, axis=1)
    for plane in (planes.u, planes.v):
        region = plane[y0 // 2:y1 // 2, x0 // 2:x1 // 2]
        region[:] = np.roll(region, dx // 2, axis=1)


def _hand(luma: np.ndarray, t_s: float, x0: int, x1: int, y0: int, y1: int) -> None:
    """A small checkered patch travelling back and forth across the subject's region."""
    side = max(8, ((x1 - x0) // 3) // 4 * 4)
    span = max(0, (x1 - x0) - side)
    phase = 0.5 - 0.5 * math.cos(2 * math.pi * t_s / ACTION_PERIOD_S)
    left = x0 + round(span * phase)
    top = y0 + ((y1 - y0) - side) // 2
    rows, cols = np.indices((side, side)) // max(2, side // 4)
    cells = (rows + cols) % 2
    luma[top:top + side, left:left + side] = np.where(cells, 220, 40).astype(luma.dtype)


def _stall_frames(span: dict | None, fps: int, frames: int) -> tuple[int, int]:
    """First frame of a stall and the frame it ends before ((0, 0) when there is none)."""
    if not span:
        return (0, 0)
    start = max(1, round(span["start_s"] * fps))
    return (start, min(frames - 1, max(start, round(span["end_s"] * fps))))


def _in(span: dict | None, t_s: float) -> bool:
    return span is not None and span["start_s"] <= t_s < span["end_s"]


def render_sim(
    request: GenerationRequest,
    faults: dict[str, dict],
    dest: Path,
    *,
    caption: bool = False,
    progress: Callable[[float], None] | None = None,
) -> Path:
    """Render the take with its faults as H.264 at `dest` (atomically). Deterministic for a
    request and a fault set. A multi-shot request's faults are {"segments": [one per segment]}."""
    parts = segment_requests(request)
    part_faults = faults.get("segments", []) if request.multi_prompt else [faults]
    if len(part_faults) != len(parts):
        raise ValueError(f"{len(parts)} segments but {len(part_faults)} fault sets")
    frames = sum(frame_total(p, f) for p, f in zip(parts, part_faults, strict=True))
    planes = Planes(request.width, request.height)
    time_base = Fraction(1, request.fps)
    with (
        atomic_output(Path(dest)) as tmp,
        av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        stream = out.add_stream("libx264", rate=request.fps)
        stream.width, stream.height, stream.pix_fmt = request.width, request.height, "yuv420p"
        stream.codec_context.thread_count = SIM_H264_THREADS
        stream.codec_context.thread_type = "FRAME"
        stream.codec_context.gop_size = 2 * request.fps
        stream.options = dict(H264_OPTIONS)
        # Streams are declared before the first packet is written.
        sound = out.add_stream("aac", rate=_AUDIO_RATE) if request.audio else None
        if sound is not None:
            sound.layout = "mono"
        i = 0
        for part, found in zip(parts, part_faults, strict=True):
            for _ in _draw_clip(part, found, planes, caption):
                frame = av.VideoFrame.from_ndarray(planes.array, format="yuv420p")
                frame.pts, frame.time_base = i, time_base
                out.mux(stream.encode(frame))
                i += 1
                if progress is not None and (i % request.fps == 1 or i == frames):
                    progress(i / frames)
        out.mux(stream.encode(None))
        if sound is not None:
            _room_tone(out, sound, frames / request.fps)
    return Path(dest)


def _draw_clip(request: GenerationRequest, faults: dict[str, dict], planes: Planes,
               caption: bool) -> Iterator[None]:
    """Draw one clip's frames into `planes`, yielding after each."""
    frames = frame_total(request, faults)
    frozen, black = faults.get("frozen"), faults.get("black")
    # A stall stops the clip's clock: the picture holds, then carries on from where it stopped
    # (no jump), so the move ends short of where it should.
    stall = _stall_frames(frozen, request.fps, frames)
    content = frames - (stall[1] - stall[0])
    rig = build_rig(faulted_request(request, faults), content)
    cut = faults.get("cut")
    other = build_rig(_other_set(request), content) if cut else None
    band = draw_caption(request) if caption else None
    moving = bool(request.hints.action.strip()) and "no_motion" not in faults
    for i in range(frames):
        j = i if i < stall[0] else max(stall[0] - 1, i - (stall[1] - stall[0]))
        j = min(max(j, 0), content - 1)
        t = j / request.fps
        if _in(black, i / request.fps):
            planes.y[:] = _BLACK_Y
            planes.u[:] = planes.v[:] = _GREY_UV
        else:
            (other if other is not None and cut and t >= cut["at_s"] else rig).render(j, planes)
            if moving:
                _sway(planes, t, request.width, request.height)
            if band is not None:
                band.apply(planes.y, planes.u, planes.v)
        yield


def _room_tone(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float,
               rate: int = _AUDIO_RATE) -> None:
    """Native audio, as models with sound return it: a quiet 120 Hz hum for the clip's length."""
    chunk = 1024
    total = int(seconds * rate)
    for start in range(0, total, chunk):
        n = min(chunk, total - start)
        t = (np.arange(start, start + n) / rate).astype(np.float32)
        samples = (0.03 * np.sin(2 * np.pi * 120 * t)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = rate, start
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))

"""First QC step: can the clip be decoded, and is it the length, size and rate that was asked for?

Every frame is decoded because container headers can lie (a truncated upload still claims its
full duration); the decoded count is the truth.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import av

from director.film import Finding, GenerationRequest, QCReport

FPS_TOLERANCE = 0.5
"""Frames per second a clip may differ from the request before it fails."""
ASPECT_TOLERANCE = 0.01
"""Relative aspect-ratio error allowed (1 %)."""
DURATION_TOLERANCE = 0.01
"""Relative duration error allowed (1 %), or one frame, whichever is larger."""


class VideoInfo(NamedTuple):
    """What the container says about a clip, counted from its packets (cheap, no decoding)."""

    duration_s: float
    width: int
    height: int
    fps: float
    frames: int


def probe(path: Path, request: GenerationRequest | None = None) -> QCReport:
    """Decode every frame of `path` and check it against `request`; never raises on bad media."""
    try:
        report, pixel_aspect = _decode(Path(path))
    except Exception as exc:  # whatever a broken file makes the demuxer do, it is a bad take
        return _undecodable(f"cannot decode {Path(path).name}: {_one_line(exc)}")
    if not report.decodable or request is None:
        return report
    findings = list(report.findings) + check_request(report, request, pixel_aspect)
    return report.model_copy(update={"findings": findings})


def _decode(path: Path) -> tuple[QCReport, float]:
    """The decoded measurements and the pixel aspect ratio (1.0 for square pixels)."""
    if not path.is_file():
        return _undecodable(f"no file at {path}"), 1.0
    if path.stat().st_size == 0:
        return _undecodable(f"{path.name} is empty"), 1.0
    with av.open(str(path)) as container:
        if not container.streams.video:
            return _undecodable(f"{path.name} has no video stream"), 1.0
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        fps = _rate(stream)
        sar = stream.sample_aspect_ratio
        pixel_aspect = float(sar) if sar else 1.0
        frames = 0
        width = height = 0
        try:
            for frame in container.decode(stream):
                frames += 1
                width, height = frame.width, frame.height
        except av.FFmpegError as exc:
            reason = _one_line(exc)
            message = f"{path.name} stops decoding after {frames} frames: {reason}"
            return _undecodable(message), pixel_aspect
        has_audio = bool(container.streams.audio)
    if frames == 0:
        return _undecodable(f"{path.name} holds no decodable video frames"), pixel_aspect
    report = QCReport(
        decodable=True,
        duration_s=frames / fps if fps else 0.0,
        frames=frames,
        fps=fps,
        width=width or stream.width,
        height=height or stream.height,
        has_audio=has_audio,
    )
    return report, pixel_aspect


def _rate(stream: av.VideoStream) -> float:
    """Frames per second from the stream's average rate, falling back to the guessed rate."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return 0.0


def check_request(
    report: QCReport, request: GenerationRequest, pixel_aspect: float = 1.0
) -> list[Finding]:
    """Findings for a decoded clip's duration, size, rate, aspect and audio against `request`."""
    findings: list[Finding] = []
    expected = request.duration_s
    tolerance = max(1 / request.fps, DURATION_TOLERANCE * expected) + 1e-6
    if abs(report.duration_s - expected) > tolerance:
        findings.append(
            Finding(
                check="duration",
                message=f"clip is {report.duration_s:.3f}s ({report.frames} frames), "
                f"expected {expected:.3f}s (±{tolerance:.3f}s)",
            )
        )
    if (report.width, report.height) != (request.width, request.height):
        findings.append(
            Finding(
                check="size",
                message=f"frame is {report.width}x{report.height}, "
                f"expected {request.width}x{request.height}",
            )
        )
    if abs(report.fps - request.fps) > FPS_TOLERANCE:
        findings.append(
            Finding(
                check="fps", message=f"clip runs at {report.fps:.3f} fps, expected {request.fps}"
            )
        )
    want = _aspect(request.aspect_ratio)
    # Shown shape, not stored shape: anamorphic pixels (SAR != 1) stretch on playback.
    got = report.width * pixel_aspect / report.height if report.height else 0.0
    if abs(got - want) / want > ASPECT_TOLERANCE:
        findings.append(
            Finding(
                check="aspect",
                message=f"aspect ratio is {got:.4f} ({report.width}x{report.height}), "
                f"expected {want:.4f} ({request.aspect_ratio})",
            )
        )
    if request.audio and not report.has_audio:
        findings.append(
            Finding(check="audio", message="native audio was asked for but the clip has none")
        )
    return findings


def _aspect(ratio: str) -> float:
    w, h = ratio.split(":")
    return float(w) / float(h)


def undecodable(message: str) -> QCReport:
    """The report of a take that cannot be decoded: a re-roll is the only fix."""
    return _undecodable(message)


def _undecodable(message: str) -> QCReport:
    return QCReport(
        decodable=False,
        findings=[Finding(check="decodable", message=message, variable="seed")],
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def video_info(path: Path) -> VideoInfo:
    """Duration, size and rate from demuxed packets, without decoding: fast enough to verify an
    assembled cut. Raises av.FFmpegError / OSError on unreadable files."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = _rate(stream)
        frames = sum(
            1 for packet in container.demux(stream) if packet.size and packet.stream is stream
        )
        return VideoInfo(frames / fps if fps else 0.0, stream.width, stream.height, fps, frames)

"""Decode a clip once, small: grey frames for motion and defects, colour thumbnails for cuts and
continuity, and the counts the probe checks.

QC never needs full resolution. Luma is read straight from the decoder's Y plane and shrunk with
an area filter (cheaper than asking the scaler for grey), so a 5 s 720p clip costs about as much
as decoding it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from director.errors import DirectorError

ANALYSIS_WIDTH = 320
"""Width of the grey frames every pixel check works on."""
THUMB_WIDTH = 80
"""Width of the colour thumbnails used for cut and colour comparisons."""
_PLANAR_YUV = ("yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12")


class MediaError(DirectorError):
    """The file is missing, empty, or holds no decodable video."""

    exit_code = 2


@dataclass(frozen=True)
class Clip:
    """A decoded clip at analysis size."""

    gray: np.ndarray
    """Luma frames, shape (n, h, w), uint8, ANALYSIS_WIDTH wide."""
    colour: np.ndarray
    """BGR thumbnails, shape (n, th, tw, 3), uint8."""
    fps: float
    """Frames per second of the stream."""
    width: int
    """Source frame width."""
    height: int
    """Source frame height."""
    pixel_aspect: float
    """Sample aspect ratio (1.0 for square pixels)."""
    has_audio: bool
    """Whether the container holds an audio stream."""
    full_range: bool
    """Whether luma spans 0..255 (JPEG range) rather than 16..235."""
    error: str = ""
    """Why decoding stopped early; empty when every frame decoded."""

    @property
    def frames(self) -> int:
        return int(self.gray.shape[0])

    @property
    def duration_s(self) -> float:
        return self.frames / self.fps if self.fps else 0.0

    def time(self, index: int) -> float:
        """Start time of frame `index` in seconds."""
        return index / self.fps if self.fps else 0.0

    @property
    def black_level(self) -> tuple[int, int]:
        """Nominal (black, white) luma of the stream's range."""
        return (0, 255) if self.full_range else (16, 235)


def stream_rate(stream: av.VideoStream) -> float:
    """Frames per second from the stream's average rate, falling back to the guessed rate."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            return float(rate)
    return 0.0


def decode(path: Path, width: int = ANALYSIS_WIDTH, thumb_width: int = THUMB_WIDTH) -> Clip:
    """Decode every frame of `path` at analysis size.

    Raises MediaError when there is no file, no video stream or no decodable frame; a stream
    that breaks part-way returns the frames decoded so far with `error` set.
    """
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"no file at {path}")
    if path.stat().st_size == 0:
        raise MediaError(f"{path.name} is empty")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise MediaError(f"{path.name} is not a video: {_one_line(exc)}") from None
    with container:
        if not container.streams.video:
            raise MediaError(f"{path.name} has no video stream")
        stream = container.streams.video[0]
        fps = stream_rate(stream)
        sar = stream.sample_aspect_ratio
        gray: list[np.ndarray] = []
        colour: list[np.ndarray] = []
        size = (0, 0)
        full_range = False
        error = ""
        try:
            for frame in container.decode(stream):
                if not gray:
                    size = (frame.width, frame.height)
                    full_range = _is_full_range(frame)
                g, c = _shrink(frame, width, thumb_width)
                gray.append(g)
                colour.append(c)
        except (av.FFmpegError, ValueError) as exc:
            error = f"stops decoding after {len(gray)} frames: {_one_line(exc)}"
        has_audio = bool(container.streams.audio)
    if not gray:
        raise MediaError(f"{path.name} holds no decodable video frames {error}".strip())
    return Clip(
        gray=np.stack(gray),
        colour=np.stack(colour),
        fps=fps,
        width=size[0] or stream.width,
        height=size[1] or stream.height,
        pixel_aspect=float(sar) if sar else 1.0,
        has_audio=has_audio,
        full_range=full_range,
        error=error,
    )


def _is_full_range(frame: av.VideoFrame) -> bool:
    if frame.format.name.startswith("yuvj"):
        return True
    return int(getattr(frame, "color_range", 0) or 0) == 2  # AVCOL_RANGE_JPEG


def _shrink(frame: av.VideoFrame, width: int, thumb_width: int) -> tuple[np.ndarray, np.ndarray]:
    """Grey frame `width` wide and a BGR thumbnail `thumb_width` wide."""
    w, h = frame.width, frame.height
    out_h = max(2, round(h * width / w))
    thumb = (thumb_width, max(2, round(h * thumb_width / w)))
    if frame.format.name in _PLANAR_YUV:
        plane = frame.planes[0]
        y = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[:h, :w]
        gray = cv2.resize(y, (width, out_h), interpolation=cv2.INTER_AREA)
        small = cv2.resize(gray, thumb, interpolation=cv2.INTER_AREA)
        if frame.format.name == "nv12":
            bgr = cv2.cvtColor(small, cv2.COLOR_GRAY2BGR)
        else:
            u, v = (_plane(frame, i, thumb) for i in (1, 2))
            bgr = cv2.cvtColor(np.dstack([small, u, v]), cv2.COLOR_YUV2BGR)
        return gray, bgr
    # Rare formats (10-bit, RGB, paletted): let the scaler do it.
    gray = frame.reformat(width=width, height=out_h, format="gray").to_ndarray()
    bgr = frame.reformat(width=thumb[0], height=thumb[1], format="bgr24").to_ndarray()
    return gray, bgr


def _plane(frame: av.VideoFrame, index: int, size: tuple[int, int]) -> np.ndarray:
    plane = frame.planes[index]
    data = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: plane.height]
    return cv2.resize(data[:, : plane.width], size, interpolation=cv2.INTER_AREA)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

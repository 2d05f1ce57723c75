"""Assembly: concatenation into a cut and frame-exact cuts of a clip (stills are in stills.py).

Every writer goes through `atomic_output`, so a crash never leaves half a file where a finished
one is expected (the graph resumes by looking at what is on disk).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from director.errors import DirectorError
from director.tools.qc.probe import video_info

H264_OPTIONS = {
    "preset": "ultrafast",
    "crf": "23",
    # ultrafast's speed with the tools that buy most of veryfast's size back (CABAC, B-frames,
    # macroblock-tree rate control) plus the deblocking filter. Measured on 720p animatics:
    # ~15 % more CPU than plain ultrafast for a file ~4x smaller, and under half the CPU of
    # veryfast, which is what keeps rendering above 2x real time on two cores.
    "x264-params": "cabac=1:bframes=3:b-adapt=0:mbtree=1:rc-lookahead=10:deblock=0,0",
}
"""libx264 settings shared by the animatic and by re-encoded cuts."""
H264_THREADS = 2
"""Fixed, not "auto": x264 output depends on the thread count, and a seed must give one file."""
DURATION_SLACK_S = 0.1
"""Allowed difference between the cut and the sum of its clips, per clip."""


@contextmanager
def atomic_output(dest: Path) -> Iterator[Path]:
    """Yield a temp path beside `dest` (same suffix, so writers infer the format); on success
    rename it over `dest`, on failure delete it."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.stem}.", suffix=dest.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # The writer closed the file; flush it to the disk before the rename makes it the
        # finished one, so a power cut cannot leave an empty file under the final name.
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, dest)
    except BaseException:
        # A full or read-only disk may refuse the clean-up too; the write's error is the one
        # to show, and `dest` is untouched either way.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


# --- concat --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clip:
    """What decides whether clips can be joined by copying packets."""

    path: Path
    video_key: tuple[object, ...]
    audio_key: tuple[object, ...] | None
    rate: Fraction
    time_base: Fraction
    frames: int
    width: int
    height: int
    start_s: float
    """Timestamp of the first video frame; clips are laid end to end from there."""

    @property
    def duration_s(self) -> float:
        return self.frames / float(self.rate)


def _inspect(path: Path) -> _Clip:
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise DirectorError(f"cannot join {path.name}: it has no video stream")
            v = container.streams.video[0]
            ctx = v.codec_context
            rate = v.average_rate or v.guessed_rate
            if not rate or v.time_base is None:
                raise DirectorError(f"cannot join {path.name}: unknown frame rate")
            pts = [p.pts for p in container.demux(v) if p.size and p.pts is not None]
            frames = len(pts)
            key = (ctx.name, v.width, v.height, ctx.pix_fmt, v.time_base, rate, ctx.extradata)
            audio = None
            if container.streams.audio:
                a = container.streams.audio[0]
                actx = a.codec_context
                audio = (actx.name, actx.sample_rate, actx.layout.name, a.time_base, actx.extradata)
    except DirectorError:
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise DirectorError(f"cannot read clip {path}: {one_line(exc)}") from None
    if frames == 0:
        raise DirectorError(f"cannot join {path.name}: it holds no video frames")
    start_s = float(min(pts) * v.time_base)
    return _Clip(
        path, key, audio, Fraction(rate), Fraction(v.time_base), frames, v.width, v.height, start_s
    )


def concat(clips: list[Path], dest: Path) -> Path:
    """Join `clips` in order into one MP4 at `dest`.

    Matching clips (same codec, size, pixel format, time base and parameter sets) are joined by
    copying packets, which is as fast as reading the files; anything else is re-encoded to the
    first clip's size and rate, letterboxed where the shape differs.
    """
    if not clips:
        raise DirectorError("nothing to join: the list of clips is empty")
    infos = [_inspect(Path(c)) for c in clips]
    copy = all(c.video_key == infos[0].video_key for c in infos)
    audio = all(c.audio_key is not None and c.audio_key == infos[0].audio_key for c in infos)
    with atomic_output(Path(dest)) as tmp:
        try:
            _write_cut(infos, tmp, copy, audio)
        except (av.FFmpegError, OSError) as exc:
            raise DirectorError(f"could not assemble {Path(dest).name}: {one_line(exc)}") from None
        _verify(tmp, infos)
    return Path(dest)


def _write_cut(infos: list[_Clip], tmp: Path, copy: bool, audio: bool) -> None:
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        with av.open(str(infos[0].path)) as first:
            template = first.streams.video[0]
            muxer = _Muxer(out)
            video: _CopyVideo | _Reencoder = (
                _CopyVideo(muxer, out.add_stream_from_template(template))
                if copy
                else _Reencoder(out, infos[0])
            )
            out_audio = out.add_stream_from_template(first.streams.audio[0]) if audio else None
        offset_s = 0.0
        for clip in infos:
            with av.open(str(clip.path)) as src:
                streams = [src.streams.video[0]]
                if not copy:
                    streams[0].thread_type = "AUTO"
                if out_audio is not None:
                    streams.append(src.streams.audio[0])
                # Sound follows the clip's picture wherever it actually starts in the cut.
                starts_at = video.start_clip(clip, offset_s)
                for packet in src.demux(*streams):
                    if packet.stream.type == "video":
                        video.feed(packet)
                    elif out_audio is not None:
                        muxer.mux(packet, out_audio, starts_at - clip.start_s)
                video.end_clip()
            offset_s += clip.duration_s
        video.close()


class _Muxer:
    """Muxes copied packets moved later by a whole number of ticks, dropping any that would
    overlap the previous clip's tail (muxers require rising timestamps per stream)."""

    def __init__(self, out: av.container.OutputContainer) -> None:
        self.out = out
        self.last_dts: dict[int, int] = {}

    def mux(self, packet: av.Packet, stream: av.Stream, shift_s: float) -> None:
        if not packet.size or packet.pts is None or packet.time_base is None:
            return
        shift = round(shift_s / packet.time_base)
        dts = (packet.dts if packet.dts is not None else packet.pts) + shift
        last = self.last_dts.get(stream.index)
        if last is not None and dts <= last:
            return
        self.last_dts[stream.index] = dts
        packet.pts += shift
        packet.dts = dts
        packet.stream = stream
        self.out.mux(packet)


class _CopyVideo:
    """Stream copy: packets keep their bytes, only their timestamps move."""

    def __init__(self, muxer: _Muxer, stream: av.VideoStream) -> None:
        self.muxer = muxer
        self.stream = stream
        self.shift_s = 0.0

    def start_clip(self, clip: _Clip, offset_s: float) -> float:
        self.shift_s = offset_s - clip.start_s
        return offset_s

    def feed(self, packet: av.Packet) -> None:
        self.muxer.mux(packet, self.stream, self.shift_s)

    def end_clip(self) -> None:
        pass

    def close(self) -> None:
        pass


class _Reencoder:
    """Decode, fit to the first clip's frame, and re-time to its rate by nearest earlier frame."""

    def __init__(self, out: av.container.OutputContainer, first: _Clip) -> None:
        self.out = out
        self.rate = first.rate
        self.size = (first.width, first.height)
        stream = out.add_stream("libx264", rate=first.rate)
        stream.width, stream.height, stream.pix_fmt = first.width, first.height, "yuv420p"
        stream.codec_context.thread_count = H264_THREADS
        stream.codec_context.thread_type = "FRAME"
        stream.options = {**H264_OPTIONS, "crf": "20"}  # a second generation: keep more detail
        self.stream = stream
        self.index = 0
        self._reset(first)

    def _reset(self, clip: _Clip) -> None:
        self.src_rate = float(clip.rate)
        self.src_index = 0
        self.emitted = 0
        self.target = round(clip.duration_s * float(self.rate))
        self.current: av.VideoFrame | None = None

    def start_clip(self, clip: _Clip, offset_s: float) -> float:
        self._reset(clip)
        return self.index / float(self.rate)  # whole output frames, not the sum of sources

    def feed(self, packet: av.Packet) -> None:
        for frame in packet.decode():
            t = self.src_index / self.src_rate
            self._emit_until(t)
            self.current = self._fit(frame)
            self.src_index += 1

    def _emit_until(self, t: float) -> None:
        """Write output frames whose time falls before `t`, showing the current source frame."""
        rate = float(self.rate)
        while self.current is not None and self.emitted < self.target:
            if self.emitted / rate >= t - 1e-9:
                return
            frame = self.current
            frame.pts, frame.time_base = self.index, 1 / self.rate
            self.out.mux(self.stream.encode(frame))
            self.index += 1
            self.emitted += 1

    def end_clip(self) -> None:
        self._emit_until(float("inf"))

    def close(self) -> None:
        self.out.mux(self.stream.encode(None))

    def _fit(self, frame: av.VideoFrame) -> av.VideoFrame:
        w, h = self.size
        if (frame.width, frame.height) == (w, h):
            return frame.reformat(format="yuv420p")
        rgb = frame.to_ndarray(format="rgb24")
        fitted = _letterbox(rgb, w, h)
        return av.VideoFrame.from_ndarray(fitted, format="rgb24").reformat(format="yuv420p")


def _letterbox(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to fit inside width x height keeping the shape; pad with black. Shapes within 1 %
    are simply resized, since bars a pixel or two wide only look like a defect."""
    h, w = rgb.shape[:2]
    if abs((w / h) / (width / height) - 1) <= 0.01:
        return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    scale = min(width / w, height / h)
    nw, nh = max(2, round(w * scale)), max(2, round(h * scale))
    canvas = np.zeros((height, width, 3), np.uint8)
    x0, y0 = (width - nw) // 2, (height - nh) // 2
    canvas[y0 : y0 + nh, x0 : x0 + nw] = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    return canvas


def _verify(path: Path, infos: list[_Clip]) -> None:
    """The cut must be as long as its clips: a silent drop would be a missing shot."""
    try:
        got = video_info(path).duration_s
    except (av.FFmpegError, OSError, IndexError) as exc:
        raise DirectorError(f"the assembled cut is unreadable: {one_line(exc)}") from None
    want = sum(c.duration_s for c in infos)
    if abs(got - want) > DURATION_SLACK_S * len(infos):
        raise DirectorError(f"the assembled cut is {got:.2f}s, expected {want:.2f}s")


# --- cutting -------------------------------------------------------------------------------


def cut(video: Path, dest: Path, start_s: float, end_s: float) -> Path:
    """Write the frames of `video` shown in [start_s, end_s) to `dest` as H.264, re-encoded so
    the cut lands on exact frames (a stream copy can only cut at keyframes); sound, if any, is
    cut to the same span. A source that ends early gives a shorter clip, never an error."""
    if not 0 <= start_s < end_s:
        raise DirectorError(f"cannot cut [{start_s:g}, {end_s:g}) s: the span is empty")
    try:
        with av.open(str(video)) as src, atomic_output(Path(dest)) as tmp:
            written = _cut_into(src, tmp, start_s, end_s)
    except DirectorError:
        raise
    except (av.FFmpegError, OSError, ValueError, IndexError) as exc:
        raise DirectorError(f"cannot cut {Path(video).name}: {one_line(exc)}") from None
    if written == 0:
        Path(dest).unlink(missing_ok=True)
        raise DirectorError(f"{Path(video).name} has no frames in [{start_s:g}, {end_s:g}) s")
    return Path(dest)


def _cut_into(src: av.container.InputContainer, tmp: Path, start_s: float, end_s: float) -> int:
    if not src.streams.video:
        raise DirectorError("it has no video stream")
    v = src.streams.video[0]
    v.thread_type = "AUTO"
    rate = Fraction(v.average_rate or v.guessed_rate or 24)
    first, stop = round(start_s * rate), round(end_s * rate)
    a = src.streams.audio[0] if src.streams.audio else None
    with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = v.width, v.height, "yuv420p"
        stream.codec_context.thread_count = H264_THREADS
        stream.options = dict(H264_OPTIONS)
        sound = None
        if a is not None:
            sound = out.add_stream("aac", rate=a.codec_context.sample_rate)
            sound.layout = a.codec_context.layout.name
        # Frames are counted in presentation order: the n-th decoded frame is frame n.
        frames = samples = written = heard = 0
        for packet in src.demux(*(s for s in (v, a) if s is not None)):
            for frame in packet.decode():
                if isinstance(frame, av.VideoFrame):
                    if first <= frames < stop:
                        frame = frame.reformat(format="yuv420p")
                        frame.pts, frame.time_base = written, 1 / rate
                        out.mux(stream.encode(frame))
                        written += 1
                    frames += 1
                elif sound is not None and isinstance(frame, av.AudioFrame):
                    heard = _cut_audio(out, sound, frame, samples, heard, start_s, end_s)
                    samples += frame.samples
            # Nothing after the span is needed: stop decoding there.
            if frames >= stop and (a is None or samples >= end_s * a.codec_context.sample_rate):
                break
        out.mux(stream.encode(None))
        if sound is not None:
            out.mux(sound.encode(None))
    return written


def _cut_audio(out: av.container.OutputContainer, sound: av.AudioStream, frame: av.AudioFrame,
               at: int, heard: int, start_s: float, end_s: float) -> int:
    """Encode the part of `frame` (whose first sample is sample `at`) inside the span; return
    the samples written so far."""
    sr = frame.sample_rate
    lo, hi = max(round(start_s * sr) - at, 0), min(round(end_s * sr) - at, frame.samples)
    if lo >= hi:
        return heard
    data = frame.to_ndarray()
    # Planar formats hold (channels, samples); packed ones (1, samples * channels).
    width = 1 if frame.format.is_planar else len(frame.layout.channels)
    part = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, lo * width:hi * width]),
                                      format=frame.format.name, layout=frame.layout.name)
    part.sample_rate, part.pts, part.time_base = sr, heard, Fraction(1, sr)
    out.mux(sound.encode(part))
    return heard + (hi - lo)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

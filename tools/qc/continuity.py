"""Continuity between clips: does the next shot pick up where the last one ended, and does each
character keep one look across the film?

Pure functions over video paths (or frames), so the graph can call them wherever it likes:

- `compare_shots(prev_path, next_path)` for consecutive shots of one scene: the last frame of
  the first against the first frame of the second. A character-region colour histogram that
  jumps flags the subject; the key light changing sides (which half of the frame is brighter)
  or the exposure jumping flags the lighting.
- `character_drift(paths_by_character)` for every character: a colour signature of the subject
  region in each of its shots, compared with the character's own median signature.

No face or person detector ships with the wheels we use (OpenCV 5 bundles no cascades), so the
character region is the centre of frame, where the planner stages the subject; pass `region`
to use a known box instead. Thresholds are heuristics (no published "same character" histogram
distance exists) and were set on storyboard renders: treat a finding as a prompt to look.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from director.film import Finding
from director.tools.qc.frames import MediaError

Box = tuple[float, float, float, float]
"""A region as fractions of the frame: left, top, right, bottom."""
CENTRE: Box = (0.3, 0.1, 0.7, 0.85)
"""Where the subject of a staged shot stands, unless told otherwise."""
SUBJECT_DISTANCE = 0.45
"""Bhattacharyya distance of the subject's H-S histograms above which it changed across a cut."""
DRIFT_DISTANCE = 0.45
"""Distance of one shot's signature from the character's median signature that is drift."""
LIGHT_MARGIN = 0.04
"""Relative luma difference of the two halves below which no side is lit more than the other."""
EXPOSURE_JUMP = 0.25
"""Relative change of mean luma across a cut that reads as a lighting change."""
WIDTH = 320
"""Frames are compared at this width."""


def compare_shots(
    prev_path: Path | str, next_path: Path | str, *, region: Box = CENTRE
) -> list[Finding]:
    """Findings for the cut from the last frame of `prev_path` to the first of `next_path`
    (empty when it matches). Raises MediaError when either clip cannot be read."""
    last = edge_frame(Path(prev_path), last=True)
    first = edge_frame(Path(next_path), last=False)
    return compare_frames(
        last, first, region=region, names=(Path(prev_path).name, Path(next_path).name)
    )


def compare_frames(
    last: np.ndarray, first: np.ndarray, *, region: Box = CENTRE, names: tuple[str, str] = ("", "")
) -> list[Finding]:
    """Continuity findings between two BGR frames (the end of one shot, the start of the next)."""
    label = f"{names[0]} → {names[1]}: " if any(names) else ""
    findings: list[Finding] = []
    distance = histogram_distance(signature(last, region), signature(first, region))
    if distance > SUBJECT_DISTANCE:
        findings.append(
            Finding(
                check="continuity_subject",
                severity="warn",
                message=f"{label}subject colours change across the cut "
                f"(histogram distance {distance:.2f} > {SUBJECT_DISTANCE})",
                variable="subject",
            )
        )
    side_a, side_b = light_side(last), light_side(first)
    if "even" not in (side_a, side_b) and side_a != side_b:
        findings.append(
            Finding(
                check="continuity_light",
                severity="warn",
                message=f"{label}key light moves from frame {side_a} to frame {side_b}",
                variable="lighting",
            )
        )
    mean_a, mean_b = _luma(last).mean(), _luma(first).mean()
    jump = abs(mean_a - mean_b) / max(mean_a, mean_b, 1.0)
    if jump > EXPOSURE_JUMP:
        findings.append(
            Finding(
                check="continuity_exposure",
                severity="warn",
                message=f"{label}exposure jumps {jump:.0%} across the cut "
                f"(mean luma {mean_a:.0f} → {mean_b:.0f})",
                variable="lighting",
            )
        )
    return findings


def character_drift(
    paths_by_character: Mapping[str, Sequence[Path | str]], *, region: Box = CENTRE
) -> list[Finding]:
    """Findings for characters whose look in one shot strays from their look in the others.

    Each shot contributes the signature of its middle frame; a character needs three shots for
    a median to stand against (with two there is no telling which one drifted).
    """
    findings: list[Finding] = []
    for name, paths in paths_by_character.items():
        if len(paths) < 3:
            continue
        sigs = [signature(middle_frame(Path(p)), region) for p in paths]
        centre = np.median(np.stack(sigs), axis=0).astype(np.float32)
        for path, sig in zip(paths, sigs, strict=True):
            distance = histogram_distance(sig, centre)
            if distance > DRIFT_DISTANCE:
                findings.append(
                    Finding(
                        check="continuity_identity",
                        severity="warn",
                        message=f"{name} looks different in {Path(path).name} "
                        f"(colour distance {distance:.2f} from their other shots)",
                        variable="subject",
                    )
                )
    return findings


def signature(frame: np.ndarray, region: Box = CENTRE) -> np.ndarray:
    """Normalised hue-saturation histogram of `region` of a BGR frame (50 x 60 bins)."""
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = (
        round(v) for v in (region[0] * w, region[1] * h, region[2] * w, region[3] * h)
    )
    crop = frame[y0:y1, x0:x1]
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hist = cv2.calcHist([hsv], [0, 1], None, [50, 60], [0, 180, 0, 256])
    return cv2.normalize(hist, None, 1.0, 0.0, cv2.NORM_L1).astype(np.float32)


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Bhattacharyya distance: 0 for identical histograms, 1 for disjoint ones."""
    return float(cv2.compareHist(a, b, cv2.HISTCMP_BHATTACHARYYA))


def light_side(frame: np.ndarray) -> str:
    """ "left" or "right": the half of the frame that is brighter; "even" when neither is."""
    y = _luma(frame)
    half = y.shape[1] // 2
    left, right = float(y[:, :half].mean()), float(y[:, half:].mean())
    if abs(left - right) / max(left, right, 1.0) < LIGHT_MARGIN:
        return "even"
    return "left" if left > right else "right"


def edge_frame(path: Path, *, last: bool) -> np.ndarray:
    """The first or last decodable frame of a clip as BGR, WIDTH wide."""
    keys = key_frames(path)
    return keys.last if last else keys.first


def middle_frame(path: Path) -> np.ndarray:
    """The middle frame of a clip as BGR, WIDTH wide."""
    return key_frames(path).middle


@dataclass(frozen=True)
class KeyFrames:
    """The frames continuity looks at, BGR and WIDTH wide (read-only: they are shared)."""

    first: np.ndarray
    """The first decodable frame."""
    middle: np.ndarray
    """The middle one of the decodable frames."""
    last: np.ndarray
    """The last decodable frame."""


KEY_FRAME_CACHE = 32
"""Clips whose key frames are kept (about 0.5 MB each): a pass over a film asks for the same
clip up to four times (either side of two cuts, once per character), and decoding the whole
clip is what costs."""


def key_frames(path: Path) -> KeyFrames:
    """First, middle and last frames of `path` from one decode, remembered for the same file
    (path, inode, size and modification time) for the next question about it."""
    return _key_frames_cached(*_cache_key(path))


def _cache_key(path: Path) -> tuple[str, int, int, int]:
    try:
        stat = path.stat()
    except OSError:
        raise MediaError(f"no file at {path}") from None
    # Clips are replaced atomically (a new inode), so a rewrite never matches an old entry.
    return str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=KEY_FRAME_CACHE)
def _key_frames_cached(path: str, inode: int, size: int, mtime_ns: int) -> KeyFrames:
    del inode, size, mtime_ns  # part of the cache key only: a rewritten clip is decoded again
    first, middle, last, count, expected = _one_pass(Path(path))
    if middle is None or count != expected:
        # The container's frame count was missing or wrong: find the middle of what decodes.
        frames = _all_frames(Path(path))
        middle = frames[len(frames) // 2]
    for frame in (first, middle, last):
        frame.setflags(write=False)
    return KeyFrames(first=first, middle=middle, last=last)


def _one_pass(path: Path) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, int, int]:
    """Decode `path` once, converting only the first, middle (by the container's frame count)
    and last frames: (first, middle or None, last, frames decoded, frames announced)."""
    if not path.is_file():
        raise MediaError(f"no file at {path}")
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path.name} has no video stream")
            stream = container.streams.video[0]
            expected = int(stream.frames or 0)
            first: np.ndarray | None = None
            middle: np.ndarray | None = None
            last: av.VideoFrame | None = None
            count = 0
            try:
                for frame in container.decode(stream):
                    if count == 0:
                        first = _small(frame)
                    if expected and count == expected // 2:
                        middle = _small(frame)
                    last = frame
                    count += 1
            except av.FFmpegError:
                pass  # a clip that breaks part-way still has the frames before the break
            if first is None or last is None:
                raise MediaError(f"{path.name} holds no decodable video frames")
            return first, middle, _small(last), count, expected
    except av.FFmpegError as exc:
        raise MediaError(f"{path.name} is not a video: {' '.join(str(exc).split())}") from None


def _all_frames(path: Path) -> list[np.ndarray]:
    """Every decodable frame of `path` at WIDTH (the slow path, when the frame count is off)."""
    try:
        with av.open(str(path)) as container:
            out: list[np.ndarray] = []
            try:
                for frame in container.decode(container.streams.video[0]):
                    out.append(_small(frame))
            except av.FFmpegError:
                pass  # a clip that breaks part-way still has the frames before the break
            return out
    except av.FFmpegError as exc:
        raise MediaError(f"{path.name} is not a video: {' '.join(str(exc).split())}") from None


def _small(frame: av.VideoFrame) -> np.ndarray:
    height = max(2, round(frame.height * WIDTH / frame.width))
    return frame.reformat(width=WIDTH, height=height, format="bgr24").to_ndarray()


def _luma(frame: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.float32)

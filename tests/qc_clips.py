"""Small synthetic clips for the QC tests: a random texture moved by a known camera, written
with PyAV, so every test knows the truth it checks against; and the fixture-sized labelled set
(bench/qcset.py) that the clip-set and accuracy tests share."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

W, H, FPS = 320, 180, 24
BENCH = Path(__file__).resolve().parents[1] / "bench"
FIXTURE_SEED = 11
"""Seed of the fixture-sized labelled set: not the bench's seeds 0 and 1."""


def labelled_set(config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> list:
    """The fixture-sized labelled set (one clip per camera move and defect type, 640x360, 3 s).

    Built once and kept in pytest's cache folder (or, with the cache plugin off, once per
    session), in a folder named by a hash of the generator's source: clips are cached by spec,
    and a changed generator gets a fresh folder, never stale clips."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    import qcset

    source = b"".join(p.read_bytes() for p in sorted(BENCH.glob("qcset*.py")))
    name = f"qcset-{hashlib.sha256(source).hexdigest()[:12]}"
    cache = getattr(config, "cache", None)
    folder = cache.mkdir(name) if cache is not None else tmp_path_factory.getbasetemp() / name
    return qcset.generate(folder, n_per_class=1, seed=FIXTURE_SEED, small=True)


def texture(seed: int = 0, size: tuple[int, int] = (2 * W, 2 * H)) -> np.ndarray:
    """A blotchy grey-and-colour texture with plenty of corners, RGB uint8."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    big = cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)
    return cv2.GaussianBlur(big, (0, 0), 1.2)


def camera_frame(
    canvas: np.ndarray, pan: float = 0.0, tilt: float = 0.0, zoom: float = 1.0, roll: float = 0.0
) -> np.ndarray:
    """The W x H view of `canvas` from a camera moved by `pan` (px, + right), `tilt` (px, + up),
    `zoom` (magnification) and `roll` (degrees, + clockwise camera roll)."""
    ch, cw = canvas.shape[:2]
    centre = (cw / 2 + pan, ch / 2 - tilt)
    # Camera roll clockwise turns the content counter-clockwise on screen.
    m = cv2.getRotationMatrix2D(centre, roll, zoom)
    m[0, 2] += W / 2 - centre[0]
    m[1, 2] += H / 2 - centre[1]
    return cv2.warpAffine(canvas, m, (W, H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def write(path: Path, frames: Iterable[np.ndarray], fps: int = FPS, crf: int = 20) -> Path:
    """Encode RGB frames as H.264 yuv420p."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": str(crf)}
        first = True
        for i, rgb in enumerate(frames):
            if first:
                stream.height, stream.width = rgb.shape[:2]
                first = False
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def moving_clip(
    path: Path,
    move: Callable[[float], dict[str, float]],
    seconds: float = 2.0,
    seed: int = 0,
    noise: float = 1.5,
) -> Path:
    """A clip whose camera at time fraction t in [0, 1] is `camera_frame(**move(t))`."""
    canvas = texture(seed)
    rng = np.random.default_rng(seed + 100)
    n = round(seconds * FPS)

    def frames() -> Iterable[np.ndarray]:
        for i in range(n):
            frame = camera_frame(canvas, **move(i / max(1, n - 1))).astype(np.float32)
            frame += rng.normal(0, noise, frame.shape)
            yield np.clip(frame, 0, 255).astype(np.uint8)

    return write(path, frames())

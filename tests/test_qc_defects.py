"""Technical defects are found where they were injected, and clean clips come back clean."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from qc_clips import BENCH, FPS, H, W, camera_frame, texture, write

from director.tools.qc.defects import find_defects, letterbox_bars
from director.tools.qc.frames import decode

N = 60  # 2.5 s


def _frames(seed: int = 0, pan: float = 0.2, noise: float = 1.5) -> list[np.ndarray]:
    canvas = texture(seed)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(N):
        f = camera_frame(canvas, pan=pan * W * i / (N - 1)).astype(np.float32)
        out.append(np.clip(f + rng.normal(0, noise, f.shape), 0, 255).astype(np.uint8))
    return out


def _kinds(path: Path, expect_motion: bool = True) -> dict[str, list[tuple[float, float]]]:
    found: dict[str, list[tuple[float, float]]] = {}
    for d in find_defects(path, expect_motion):
        found.setdefault(d.type, []).append((d.start_s, d.end_s))
    return found


def test_clean_moving_clip_has_no_defects(tmp_path: Path) -> None:
    assert _kinds(write(tmp_path / "clean.mp4", _frames())) == {}


def test_clean_still_scene_is_not_frozen_when_no_motion_was_asked(tmp_path: Path) -> None:
    clip = write(tmp_path / "still.mp4", _frames(pan=0.0), crf=30)
    assert _kinds(clip, expect_motion=False) == {}


def test_still_scene_is_static_when_motion_was_asked(tmp_path: Path) -> None:
    clip = write(tmp_path / "still.mp4", _frames(pan=0.0))
    assert list(_kinds(clip, expect_motion=True)) == ["static"]


def test_black_frames_are_found_with_their_span(tmp_path: Path) -> None:
    frames = _frames()
    for i in range(20, 32):
        frames[i] = np.zeros_like(frames[i])
    found = _kinds(write(tmp_path / "black.mp4", frames))
    assert list(found) == ["black"]
    ((start, end),) = found["black"]
    assert start == pytest.approx(20 / FPS, abs=0.05) and end == pytest.approx(32 / FPS, abs=0.05)


def test_frozen_stretch_is_found(tmp_path: Path) -> None:
    moving = _frames()
    # A stall: frame 20 held for a second, then the camera resumes where it stopped.
    frames = moving[:21] + [moving[20]] * 24 + moving[21 : N - 24]
    found = _kinds(write(tmp_path / "frozen.mp4", frames))
    assert list(found) == ["frozen"]
    ((start, end),) = found["frozen"]
    assert start == pytest.approx(21 / FPS, abs=0.1) and end == pytest.approx(45 / FPS, abs=0.1)


def test_flicker_is_found_and_its_flashes_are_not_cuts(tmp_path: Path) -> None:
    frames = _frames()
    for i in range(12, 48):
        if (i // 3) % 2:  # 4 flashes a second at 24 fps
            frames[i] = cv2.convertScaleAbs(frames[i], alpha=0.4)
    assert list(_kinds(write(tmp_path / "flicker.mp4", frames))) == ["flicker"]


def test_hard_cut_is_found_at_the_first_frame_of_the_new_shot(tmp_path: Path) -> None:
    frames = _frames()[:30] + _frames(seed=7)[30:]
    found = _kinds(write(tmp_path / "cut.mp4", frames))
    assert found == {"cut": [(pytest.approx(30 / FPS, abs=0.01),) * 2]}


def test_letterbox_bars_are_found_and_measured(tmp_path: Path) -> None:
    frames = _frames()
    for f in frames:
        f[:18] = 0
        f[H - 18 :] = 0
    path = write(tmp_path / "letterbox.mp4", frames)
    assert list(_kinds(path)) == ["letterbox"]
    bars = letterbox_bars(decode(path))
    assert bars["top"] == pytest.approx(18, abs=2) and bars["bottom"] == pytest.approx(18, abs=2)
    assert bars["left"] == bars["right"] == 0


def _night_sky_still(sigma: float = 3.5) -> list[np.ndarray]:
    """A photographed night sky (dark, flat) where only sensor noise and a coarse shimmer
    change: at this size the noise jitters the fastest tracks by more than a slow subject's
    travel from one frame to the next."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    from qcset_frames import Noise, load_photo

    sky = cv2.resize(load_photo("rocket"), (W, H), interpolation=cv2.INTER_AREA)
    noise = Noise(sigma, (W, H), seed=7, shimmer=3.0)
    return [noise.apply(sky) for _ in range(N)]


def test_dark_noisy_still_scene_is_static_when_motion_was_asked(tmp_path: Path) -> None:
    """Noise lifts every track's jitter on a flat, dark picture; it must not read as motion."""
    clip = write(tmp_path / "night.mp4", _night_sky_still(), crf=23)
    assert list(_kinds(clip, expect_motion=True)) == ["static"]


def test_small_subject_crossing_a_locked_off_frame_is_not_static(tmp_path: Path) -> None:
    """A subject a sixth of the frame high crossing a tenth of its width in 2.5 s moves."""
    background = _frames(pan=0.0, noise=0.0)[0]
    subject = cv2.resize(texture(9), (24, 30), interpolation=cv2.INTER_AREA)
    frames = []
    for i in range(N):
        f = background.copy()
        x = round(0.45 * W + 0.1 * W * i / (N - 1))
        f[90:120, x : x + 24] = subject
        frames.append(f)
    assert _kinds(write(tmp_path / "walker.mp4", frames, crf=33), expect_motion=True) == {}

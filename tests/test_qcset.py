"""The labelled QC clip set tells the truth: files decode as labelled, and the motion and defects
in the labels are measurable in the decoded pixels."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import qcset
from qc_clips import labelled_set
from qcset_frames import PHOTO_FILES, Layer, Path2D, load_photo


def _decode(path: Path) -> tuple[list[np.ndarray], float, tuple[int, int]]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="gray") for f in container.decode(stream)]
        return frames, float(stream.average_rate), (stream.width, stream.height)


def _similarity(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float, float]:
    """Centre displacement (dx, dy), scale and angle (atan2(M10, M00), degrees) from a to b."""
    orb = cv2.ORB_create(3000)
    ka, da = orb.detectAndCompute(a, None)
    kb, db = orb.detectAndCompute(b, None)
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    src = np.float32([ka[m.queryIdx].pt for m in matches])
    dst = np.float32([kb[m.trainIdx].pt for m in matches])
    m, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC, ransacReprojThreshold=3)
    assert m is not None and inliers.sum() >= 20
    h, w = a.shape
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    t = m[:, :2] @ c + m[:, 2] - c
    return float(t[0]), float(t[1]), math.hypot(m[0, 0], m[1, 0]), math.degrees(
        math.atan2(m[1, 0], m[0, 0])
    )


@pytest.fixture(scope="module")
def clips(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> list[qcset.LabelledClip]:
    return labelled_set(pytestconfig, tmp_path_factory)


def _one(clips: list[qcset.LabelledClip], clip_id_prefix: str) -> qcset.LabelledClip:
    return next(c for c in clips if c.spec.clip_id.startswith(clip_id_prefix))


def test_photos_are_read_from_the_wheel_without_a_download() -> None:
    import skimage.data

    data_dir = Path(skimage.data.__file__).parent
    for name, file in PHOTO_FILES.items():
        assert (data_dir / file).is_file()
        photo = load_photo(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and min(photo.shape[:2]) >= 300


def test_every_class_is_present_and_labelled(clips: list[qcset.LabelledClip]) -> None:
    cameras = {c.move for c in clips if c.spec.category == "camera"}
    assert cameras == set(qcset.CAMERA_CLASSES)
    defect_clips = [c for c in clips if c.spec.category == "defect"]
    assert {c.defects[0].type for c in defect_clips} == set(qcset.DEFECT_CLASSES)
    assert all(len(c.defects) == 1 for c in defect_clips)
    assert all(c.clean for c in clips if c.spec.category == "camera")
    static_defect = _one(clips, "def-static")
    assert static_defect.expect_motion and static_defect.move == "static"
    scenes = {c.spec.target: c for c in clips if c.spec.category == "subject"}
    assert set(scenes) == set(qcset.SUBJECT_SCENES)
    for name, clip in scenes.items():
        moves, action = qcset.SUBJECT_SCENES[name]
        assert clip.move in moves and clip.spec.subject_action == action
        assert clip.clean and clip.expect_motion


def test_files_decode_with_the_labelled_duration_rate_and_size(
    clips: list[qcset.LabelledClip],
) -> None:
    for clip in clips:
        frames, fps, size = _decode(clip.path)
        assert len(frames) == clip.spec.frames, clip.spec.clip_id
        assert fps == clip.spec.fps
        assert size == (clip.spec.width, clip.spec.height)
        assert len(frames) / fps == pytest.approx(clip.duration_s)


def test_a_known_pattern_moves_the_labelled_distance_and_way() -> None:
    """Camera pans right => content moves left: measured on a random-dot pattern, no codec."""
    dots = np.random.default_rng(1).integers(0, 255, (400, 700), np.uint8)
    pattern = np.repeat(cv2.GaussianBlur(dots, (0, 0), 1.5)[..., None], 3, axis=2)
    n = 10
    path = Path2D(np.linspace(0, 45, n), np.linspace(0, -12, n), np.ones(n), np.zeros(n))
    layer = Layer(pattern, path, (320, 180))
    first, last = (cv2.cvtColor(layer.render(i), cv2.COLOR_RGB2GRAY) for i in (0, n - 1))
    (dx, dy), response = cv2.phaseCorrelate(np.float32(first), np.float32(last))
    assert response > 0.3
    assert dx == pytest.approx(-45, abs=0.5)  # window went right: content went left
    assert dy == pytest.approx(12, abs=0.5)  # window went up (tilt up): content went down


@pytest.mark.parametrize(
    "prefix",
    ["cam-pan_left", "cam-pan_right", "cam-tilt_up", "cam-tilt_down", "cam-push_in",
     "cam-pull_out", "cam-roll"],
)
def test_decoded_motion_matches_the_label(clips: list[qcset.LabelledClip], prefix: str) -> None:
    clip = _one(clips, prefix)
    frames, _, (w, _h) = _decode(clip.path)
    dx, dy, scale, angle = _similarity(frames[0], frames[-1])
    tol = 0.01 * w + 2
    assert dx == pytest.approx(clip.content_dx_px, abs=tol)
    assert dy == pytest.approx(clip.content_dy_px, abs=tol)
    assert scale == pytest.approx(clip.zoom_ratio, rel=0.02)
    assert -angle == pytest.approx(clip.roll_ccw_deg, abs=0.5)  # y down: ccw reads negative
    moving = {"pan_left": dx > 0, "pan_right": dx < 0, "tilt_up": dy > 0, "tilt_down": dy < 0,
              "push_in": scale > 1.05, "pull_out": scale < 0.95, "roll": abs(angle) > 3}
    assert moving[clip.move]


@pytest.mark.parametrize("prefix", ["cam-orbit_left", "cam-orbit_right"])
def test_orbit_layers_slide_opposite_ways(clips: list[qcset.LabelledClip], prefix: str) -> None:
    clip = _one(clips, prefix)
    frames, _, (w, h) = _decode(clip.path)
    band = 2 * round(0.7 * h / 2)
    top = (frames[0][: h // 4], frames[-1][: h // 4])  # far layer above the subject
    bottom = (frames[0][band + 4 :], frames[-1][band + 4 :])  # near band
    (far_dx, _), _ = cv2.phaseCorrelate(*(np.float32(f) for f in top))
    (near_dx, _), _ = cv2.phaseCorrelate(*(np.float32(f) for f in bottom))
    assert far_dx == pytest.approx(clip.content_dx_px, abs=0.01 * w + 2)
    assert near_dx == pytest.approx(clip.near_dx_px, abs=0.01 * w + 2)
    assert np.sign(far_dx) == (-1 if clip.move == "orbit_left" else 1) == -np.sign(near_dx)
    centre = (slice(int(h * 0.35), int(h * 0.6)), slice(int(w * 0.45), int(w * 0.55)))
    still = np.abs(frames[0][centre].astype(int) - frames[-1][centre].astype(int)).mean()
    assert still < 6  # the subject holds at the centre


def test_handheld_shakes_without_drifting(clips: list[qcset.LabelledClip]) -> None:
    clip = _one(clips, "cam-handheld")
    frames, _, (w, _h) = _decode(clip.path)
    shifts = [
        cv2.phaseCorrelate(np.float32(frames[0]), np.float32(f))[0] for f in frames[1::2]
    ]
    xs = np.array([s[0] for s in shifts])
    assert np.abs(xs).max() > 0.004 * w  # it shakes
    assert np.abs(xs).max() < 0.05 * w  # but never travels like a pan
    assert abs(xs[-1]) < 0.01 * w  # and ends near where it began


@pytest.mark.parametrize("scene", ["static_walk", "static_gesture", "static_approach"])
def test_a_still_camera_watches_a_large_subject_move(
    clips: list[qcset.LabelledClip], scene: str
) -> None:
    """The camera is locked off: the picture outside the subject is the same in every frame,
    while the subject covers a large part of it and moves."""
    clip = _one(clips, f"sub-{scene}")
    frames, _, _ = _decode(clip.path)
    stack = np.stack(frames).astype(np.int16)
    change = np.abs(stack - stack[0]).max(axis=0)  # largest change of each pixel from frame 0
    moved = change > 40
    assert moved.mean() > 0.08  # a large subject moved (8 % of the frame at the least)
    assert moved.mean() < 0.6  # but the background did not
    still = ~cv2.dilate(moved.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    assert still.mean() > 0.3
    # Everything the subject never touched holds still: no shift between first and any frame.
    def background(f: np.ndarray) -> np.ndarray:
        return np.where(still, f, f[still].mean()).astype(np.float32)

    for f in frames[len(frames) // 3 :: len(frames) // 3]:
        (dx, dy), _ = cv2.phaseCorrelate(background(frames[0]), background(f))
        assert math.hypot(dx, dy) < 0.3


def test_a_pan_with_a_subject_walking_through_moves_the_background_as_labelled(
    clips: list[qcset.LabelledClip],
) -> None:
    clip = _one(clips, "sub-pan_walk")
    frames, _, (w, _h) = _decode(clip.path)
    dx, dy, _, _ = _similarity(frames[0], frames[-1])
    assert dx == pytest.approx(clip.content_dx_px, abs=0.01 * w + 2)
    assert abs(clip.content_dx_px) > 0.1 * w and abs(dy) < 0.01 * w + 2


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def _means(frames: list[np.ndarray]) -> np.ndarray:
    return np.array([f.mean() for f in frames])


def _range(clip: qcset.LabelledClip) -> tuple[int, int]:
    d = clip.defects[0]
    return round(d.start_s * clip.spec.fps), round(d.end_s * clip.spec.fps)


def test_black_stretch_is_black_only_where_labelled(clips: list[qcset.LabelledClip]) -> None:
    clip = _one(clips, "def-black")
    frames, _, _ = _decode(clip.path)
    a, b = _range(clip)
    means = _means(frames)
    inside = np.zeros(len(frames), bool)
    inside[a:b] = True
    assert b - a >= 2
    assert means[inside].max() < 12
    assert means[~inside].min() > 30


def test_frozen_stretch_repeats_one_picture(clips: list[qcset.LabelledClip]) -> None:
    clip = _one(clips, "def-frozen")
    frames, _, _ = _decode(clip.path)
    a, b = _range(clip)
    diffs = np.array([_mad(frames[i], frames[i + 1]) for i in range(len(frames) - 1)])
    assert b - a >= clip.spec.fps  # at least a second
    stalled = diffs[a - 1 : b - 1]  # frames a-1 .. b-1 show one picture
    # Codec residue only: B-frames next to the restart borrow a little from the moving frames.
    assert np.median(stalled) < 0.1
    assert np.quantile(stalled, 0.9) < 0.5
    moving = np.delete(diffs, range(a - 1, b))
    # Outside the stall the picture keeps changing, by an order of magnitude more (a slow tilt
    # over a soft photo changes about 1.5 levels a frame).
    assert np.median(moving) > max(0.5, 10 * np.median(stalled))


def test_flicker_is_a_wcag_flash_at_the_labelled_rate(clips: list[qcset.LabelledClip]) -> None:
    clip = _one(clips, "def-flicker")
    frames, fps, _ = _decode(clip.path)
    a, b = _range(clip)
    lum = _means(frames) / 255
    steps = np.diff(lum[a - 1 : b + 1])
    big = steps[np.abs(steps) > 0.05]
    reversals = int(np.sum(np.sign(big[1:]) != np.sign(big[:-1])))
    seconds = (b - a) / fps
    assert reversals / 2 / seconds > 3  # more than three flashes a second
    assert reversals / 2 / seconds == pytest.approx(clip.spec.flicker_hz, rel=0.35)
    assert clip.flash_delta >= 0.10  # WCAG: a change of at least 10 % relative luminance
    outside = np.abs(np.diff(lum[: a - 1]))
    assert outside.max() < 0.03


def test_cut_is_the_one_big_change(clips: list[qcset.LabelledClip]) -> None:
    clip = _one(clips, "def-cut")
    frames, _, _ = _decode(clip.path)
    c, _ = _range(clip)
    hists = [cv2.calcHist([f], [0], None, [32], [0, 256]).ravel() / f.size for f in frames]
    change = np.array([np.abs(hists[i + 1] - hists[i]).sum() for i in range(len(frames) - 1)])
    assert int(np.argmax(change)) == c - 1  # between frame c-1 and frame c
    assert change[c - 1] > 5 * np.median(change)


def test_letterbox_bars_are_black(clips: list[qcset.LabelledClip]) -> None:
    clip = _one(clips, "def-letterbox")
    frames, _, _ = _decode(clip.path)
    bar = clip.spec.bar_px
    for f in frames[:: len(frames) // 5]:
        img = f if clip.spec.bar_axis == "rows" else f.T
        assert img[: bar - 2].mean() < 24 and img[-(bar - 2) :].mean() < 24
        assert img[bar + 2 : -(bar + 2)].mean() > 40


def test_static_defect_has_no_motion_but_a_live_sensor(clips: list[qcset.LabelledClip]) -> None:
    clip = _one(clips, "def-static")
    frames, _, (w, _h) = _decode(clip.path)
    first = np.float32(frames[0])
    shifts = [cv2.phaseCorrelate(first, np.float32(f))[0] for f in frames[1:]]
    assert max(math.hypot(*s) for s in shifts) < 0.002 * w + 0.2
    diffs = [_mad(frames[i], frames[i + 1]) for i in range(10)]
    assert min(diffs) > 0.001 * 255  # not a frozen picture (FFmpeg freezedetect's noise floor)


def test_second_run_reads_the_cache(tmp_path: Path) -> None:
    classes = ("camera:pan_left", "defect:cut")
    first = qcset.generate(tmp_path, n_per_class=1, seed=5, small=True, classes=classes)
    stamps = [c.path.stat().st_mtime_ns for c in first]
    again = qcset.generate(tmp_path, n_per_class=1, seed=5, small=True, classes=classes)
    assert [c.path.stat().st_mtime_ns for c in again] == stamps
    assert again == first
    other = qcset.specs(1, seed=6, small=True, classes=classes)
    assert [s.key() for s in other] != [c.spec.key() for c in first]


def test_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown clip classes"):
        qcset.specs(1, classes=("camera:dolly_zoom",))

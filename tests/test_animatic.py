"""The animatic renders real H.264 whose pixels perform the requested camera move and light."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np
import pytest

from director.errors import ProviderError
from director.film import CameraMove, GenerationRequest, LightSide, ShotHints, ShotSize, TaskRef
from director.tools.providers.animatic import AnimaticProvider, render_animatic, task_id_for
from director.tools.providers.base import VideoProvider
from director.tools.providers.caption import draw_caption
from director.tools.providers.storyboard import draw_storyboard
from director.tools.qc.probe import probe

W, H, FPS = 320, 180, 12


def _request(
    move: CameraMove = "static",
    *,
    seed: int = 1,
    light: LightSide = "left",
    size: ShotSize = "medium",
    kelvin: int = 5600,
    width: int = W,
    height: int = H,
    duration: float = 1.5,
    kind: Literal["person", "object"] = "person",
) -> GenerationRequest:
    return GenerationRequest(
        shot_index=0,
        model="animatic",
        provider="animatic",
        prompt="a chef plates a dish",
        duration_s=duration,
        width=width,
        height=height,
        fps=FPS,
        seed=seed,
        hints=ShotHints(
            subject="Ana, a chef in a white jacket",
            action="plates a dish",
            camera_move=move,
            camera_line="eye height, 85mm",
            light_side=light,
            colour_temperature_k=kelvin,
            size=size,
            subject_kind=kind,
        ),
    )


def _frames(path: Path, fmt: str = "gray") -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format=fmt) for f in container.decode(video=0)]


def _render(tmp_path: Path, request: GenerationRequest, name: str = "clip") -> list[np.ndarray]:
    return _frames(render_animatic(request, tmp_path / f"{name}.mp4"))


def _above_caption(request: GenerationRequest) -> int:
    return draw_caption(request).top


def _shift(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """How far content moved on screen from a to b (x right, y down)."""
    (dx, dy), _ = cv2.phaseCorrelate(a.astype(np.float32), b.astype(np.float32))
    return dx, dy


def _scale(a: np.ndarray, b: np.ndarray) -> float:
    """Similarity scale from tracked corners of a to b (>1 means content grew)."""
    pts = cv2.goodFeaturesToTrack(a, 300, 0.01, 5)
    nxt, status, _ = cv2.calcOpticalFlowPyrLK(a, b, pts, None, winSize=(21, 21), maxLevel=3)
    ok = status.ravel() == 1
    m, _ = cv2.estimateAffinePartial2D(pts[ok], nxt[ok], method=cv2.RANSAC)
    return float(np.hypot(m[0, 0], m[1, 0]))


def test_clip_is_h264_with_exact_frames_size_and_rate(tmp_path: Path) -> None:
    request = _request("pan_right", duration=1.25)
    path = render_animatic(request, tmp_path / "clip.mp4")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.average_rate == FPS
        frames = list(container.decode(stream))
    assert len(frames) == 15  # round(1.25 * 12)
    assert (frames[0].width, frames[0].height) == (W, H)
    assert probe(path, request).passed
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # no temp file left behind


@pytest.mark.parametrize(
    ("move", "axis", "sign"),
    [
        ("pan_right", 0, -1),  # camera pans right: the set slides left on screen
        ("pan_left", 0, 1),
        ("tilt_up", 1, 1),  # camera tilts up: the set slides down
        ("tilt_down", 1, -1),
        ("crane_up", 1, 1),
        ("crane_down", 1, -1),
    ],
)
def test_camera_moves_slide_the_set_the_right_way(
    tmp_path: Path, move: CameraMove, axis: int, sign: int
) -> None:
    request = _request(move)
    frames = _render(tmp_path, request)
    rows = _above_caption(request)
    moved = _shift(frames[0][:rows], frames[len(frames) // 2][:rows])
    assert sign * moved[axis] > 8, moved
    # Cross-axis drift stays small against the move (a crane's parallax shows a little).
    assert abs(moved[1 - axis]) < max(2.0, 0.2 * abs(moved[axis])), moved


@pytest.mark.parametrize(("move", "grows"), [("push_in", True), ("pull_out", False)])
def test_push_in_magnifies_and_pull_out_shrinks(tmp_path: Path, move: CameraMove, grows: bool):
    request = _request(move)
    frames = _render(tmp_path, request)
    rows = _above_caption(request)
    scale = _scale(frames[0][:rows], frames[-1][:rows])
    assert scale > 1.15 if grows else scale < 0.87, scale


def test_moves_ease_in_and_out(tmp_path: Path) -> None:
    request = _request("pan_right", duration=2.0)
    frames = [f[: _above_caption(request)] for f in _render(tmp_path, request)]
    steps = [abs(_shift(a, b)[0]) for a, b in itertools.pairwise(frames)]
    middle = steps[len(steps) // 2]
    assert steps[0] < middle / 3 and steps[-1] < middle / 3, steps


def _screen_origin(request: GenerationRequest) -> tuple[int, int]:
    """Where the unmoved frame sits on the storyboard canvas."""
    canvas_h, canvas_w = draw_storyboard(request).background.y.shape
    return (canvas_w - request.width) // 2, (canvas_h - request.height) // 2


@pytest.mark.parametrize("move", ["orbit_left", "orbit_right"])
def test_orbit_slides_far_and_near_layers_opposite_ways(tmp_path: Path, move: CameraMove) -> None:
    request = _request(move, size="wide", width=640, height=360)
    first, *_, last = _render(tmp_path, request)
    horizon = int(draw_storyboard(request).horizon_y) - _screen_origin(request)[1]
    sky, floor = slice(0, horizon - 4), slice(horizon + 6, _above_caption(request))
    far = _shift(first[sky], last[sky])[0]
    near = _shift(first[floor], last[floor])[0]
    sign = -1 if move == "orbit_left" else 1
    assert sign * far > 20 and sign * near < -20, (far, near)


def test_handheld_shakes_small_and_both_ways(tmp_path: Path) -> None:
    request = _request("handheld", duration=3.0)
    frames = [f[: _above_caption(request)] for f in _render(tmp_path, request)]
    offsets = np.array([_shift(frames[0], f) for f in frames[1:]])
    assert np.abs(offsets).max() < 0.05 * W
    assert offsets[:, 0].max() > 0.5 and offsets[:, 0].min() < -0.5


def test_static_frames_do_not_move(tmp_path: Path) -> None:
    frames = _render(tmp_path, _request("static"))
    assert np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean() < 1.0


def test_rack_focus_trades_sharpness_from_subject_to_background(tmp_path: Path) -> None:
    request = _request("rack_focus", size="wide", width=640, height=360)
    first, *_, last = _render(tmp_path, request)

    def sharpness(frame: np.ndarray, box: tuple[int, int, int, int]) -> float:
        x0, y0, x1, y1 = box
        return float(cv2.Laplacian(frame[y0:y1, x0:x1], cv2.CV_64F).var())

    background = (0, 0, 200, 150)  # top-left: wall and blocks, away from the subject
    sprite = draw_storyboard(request).subject
    ox, oy = _screen_origin(request)
    x0, y0 = sprite.x - ox, sprite.y - oy
    subject = (x0, y0, x0 + sprite.mask.shape[1], min(y0 + sprite.mask.shape[0], 250))
    assert sharpness(last, background) > 2 * sharpness(first, background)
    assert sharpness(first, subject) > 2 * sharpness(last, subject)


@pytest.mark.parametrize("light", ["left", "right", "top"])
def test_key_light_side_is_the_bright_side(tmp_path: Path, light: LightSide) -> None:
    request = _request("static", light=light)
    grey = _render(tmp_path, request)[0][: _above_caption(request)].astype(float)
    third_w, third_h = W // 3, grey.shape[0] // 3
    left, right = grey[:, :third_w].mean(), grey[:, -third_w:].mean()
    top, bottom = grey[:third_h].mean(), grey[-third_h:].mean()
    if light == "left":
        assert left > 1.3 * right
    elif light == "right":
        assert right > 1.3 * left
    else:
        assert top > 1.3 * bottom


def test_colour_temperature_tints_warm_and_cool(tmp_path: Path) -> None:
    means = {}
    for kelvin in (3200, 5600, 7500):
        request = _request("static", kelvin=kelvin)
        path = render_animatic(request, tmp_path / f"{kelvin}.mp4")
        rgb = _frames(path, "rgb24")[0][: _above_caption(request)].astype(float)
        means[kelvin] = rgb.reshape(-1, 3).mean(axis=0)
    warm, neutral, cool = (means[k][0] - means[k][2] for k in (3200, 5600, 7500))
    assert warm > neutral + 15 and cool < neutral - 15


def test_shot_size_sets_the_subject_scale() -> None:
    areas = [int(draw_storyboard(_request(size=s)).subject.mask.sum()) for s in ("wide", "medium")]
    close = draw_storyboard(_request(size="close_up")).subject
    assert areas[0] * 3 < areas[1]
    assert (
        close.mask.shape[1] > 1.8 * draw_storyboard(_request(size="medium")).subject.mask.shape[1]
    )


def test_object_shot_stands_a_prop_in_the_same_set(tmp_path: Path) -> None:
    person = _request("static", seed=5, size="wide")
    prop = _request("static", seed=5, size="wide", kind="object")
    frames = {
        r.hints.subject_kind: _render(tmp_path, r, r.hints.subject_kind) for r in (person, prop)
    }
    assert len(frames["person"]) == len(frames["object"]) == 18  # round(1.5 * 12)
    a, b = (frames[k][0].astype(int) for k in ("person", "object"))
    boards = {k: draw_storyboard(r) for k, r in (("person", person), ("object", prop))}
    ox, oy = _screen_origin(prop)
    region = np.zeros(a.shape, bool)
    for board in boards.values():
        s = board.subject
        y0, x0 = max(0, s.y - oy), max(0, s.x - ox)
        region[y0 : s.y - oy + s.mask.shape[0], x0 : s.x - ox + s.mask.shape[1]] = True
    sky = slice(0, int(boards["object"].horizon_y) - oy - 4)  # above the floor and its shadows
    diff = np.abs(a - b)
    assert diff[region].mean() > 15, diff[region].mean()  # the subject changed...
    assert diff[sky][~region[sky]].mean() < 1  # ...and the set did not

    def shape(mask: np.ndarray) -> tuple[float, float]:
        rows, cols = np.nonzero(mask)
        h, w = np.ptp(rows) + 1, np.ptp(cols) + 1
        return w / h, mask.sum() / (w * h)  # aspect and how much of its box it fills

    figure, pot = shape(boards["person"].subject.mask), shape(boards["object"].subject.mask)
    assert figure[0] < 0.45 and pot[0] > 0.75  # a standing figure is tall; the prop is squat
    assert pot[1] > 0.7 and figure[1] < pot[1] - 0.1  # one solid body, not limbs and a head


def test_prop_scales_with_shot_size_and_takes_the_key_light() -> None:
    def sprite(size: ShotSize, light: LightSide = "left"):
        return draw_storyboard(_request(size=size, light=light, kind="object")).subject

    wide, medium, close = (int(sprite(s).mask.sum()) for s in ("wide", "medium", "close_up"))
    assert wide * 3 < medium < close
    assert close > 0.15 * W * H  # a close-up fills much of the frame
    for light, brighter in (("left", 0), ("right", 1)):
        s = sprite("medium", light)
        half = s.mask.shape[1] // 2
        sides = [
            s.yuv.y[:, cols][s.mask[:, cols]].mean() for cols in (slice(0, half), slice(half, None))
        ]
        assert sides[brighter] > sides[1 - brighter] + 10, sides
    again = sprite("medium")
    assert np.array_equal(again.yuv.y, sprite("medium").yuv.y)  # deterministic for the seed


def test_caption_band_holds_still_while_the_camera_moves(tmp_path: Path) -> None:
    request = _request("pan_right")
    frames = _render(tmp_path, request)
    band = slice(_above_caption(request), H)
    text = frames[0][band] > 200  # white lettering
    assert text.sum() > 50
    assert (frames[-1][band][text] > 170).mean() > 0.9


def test_same_seed_same_file_other_seed_other_set(tmp_path: Path) -> None:
    a = render_animatic(_request("pan_left", seed=7), tmp_path / "a.mp4")
    b = render_animatic(_request("pan_left", seed=7), tmp_path / "b.mp4")
    c = render_animatic(_request("pan_left", seed=8), tmp_path / "c.mp4")
    # The drawing is deterministic; the encoder's byte stream may vary with thread timing on a
    # loaded machine, so compare what a viewer sees.
    fa, fb = _frames(a), _frames(b)
    assert len(fa) == len(fb)
    same = [np.abs(x.astype(int) - y.astype(int)).mean() for x, y in zip(fa, fb, strict=True)]
    assert max(same) < 2.0  # encoder noise only; another seed differs by > 10
    diff = np.abs(_frames(a)[0].astype(int) - _frames(c)[0].astype(int)).mean()
    assert diff > 10


def test_odd_frame_size_is_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="even frame size"):
        render_animatic(_request(width=321), tmp_path / "x.mp4")
    assert not list(tmp_path.iterdir())


# --- provider --------------------------------------------------------------------------------


async def _wait(provider: AnimaticProvider, ref: TaskRef, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        status = await provider.poll(ref)
        if status.state in ("succeeded", "failed") or time.monotonic() > deadline:
            return status
        assert 0.0 <= status.progress <= 1.0
        await asyncio.sleep(provider.poll_interval_s)


def test_provider_round_trip(tmp_path: Path) -> None:
    provider = AnimaticProvider(tmp_path / "work")
    assert isinstance(provider, VideoProvider)
    request = _request("pan_right")
    dest = tmp_path / "takes" / "shot00_take1.mp4"

    async def run():
        ref = await provider.submit(request, "proj-s00-a1")
        status = await _wait(provider, ref)
        return ref, status, await provider.download(ref, status, dest)

    ref, status, path = asyncio.run(run())
    assert ref.provider == "animatic" and ref.task_id == task_id_for("proj-s00-a1")
    assert status.state == "succeeded" and status.video_url.startswith("file://")
    assert (tmp_path / "work" / f"{ref.task_id}.json").exists()
    assert path == dest and probe(dest, request).passed


def test_same_key_returns_same_task_without_rendering_again(tmp_path: Path) -> None:
    provider = AnimaticProvider(tmp_path / "work")
    request = _request()

    async def run():
        first = await provider.submit(request, "key")
        await _wait(provider, first)
        video = tmp_path / "work" / f"{first.task_id}.mp4"
        stamp = video.stat().st_mtime_ns
        again = await provider.submit(request, "key")
        return first, again, stamp, video.stat().st_mtime_ns, await provider.poll(again)

    first, again, before, after, status = asyncio.run(run())
    assert again == first
    assert before == after and status.state == "succeeded"


def test_restarted_process_resumes_a_task_from_its_file(tmp_path: Path) -> None:
    work = tmp_path / "work"
    crashed = AnimaticProvider(work)
    crashed._start = lambda task_id, request: None  # type: ignore[method-assign]  # died at once
    request = _request("tilt_up")
    ref = asyncio.run(crashed.submit(request, "proj-s01-a1"))
    assert not (work / f"{ref.task_id}.mp4").exists()

    resumed = AnimaticProvider(work)

    async def run():
        first = await resumed.poll(ref)
        return first, await _wait(resumed, ref)

    first, final = asyncio.run(run())
    assert first.state == "running"
    assert final.state == "succeeded"
    assert probe(work / f"{ref.task_id}.mp4", request).passed


def test_bad_parameters_are_refused_at_submit(tmp_path: Path) -> None:
    provider = AnimaticProvider(tmp_path / "work")
    with pytest.raises(ProviderError, match="even frame size"):
        asyncio.run(provider.submit(_request(width=99), "bad"))


def test_unknown_task_and_failed_render_are_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(request: GenerationRequest, dest: Path, **_: object) -> Path:
        raise OSError("No space left on device")

    monkeypatch.setattr("director.tools.providers.animatic.render_animatic", broken)
    provider = AnimaticProvider(tmp_path / "work")
    stranger = TaskRef(provider="animatic", task_id="anim-nope", model="animatic", submitted_at=0)

    async def run():
        unknown = await provider.poll(stranger)
        ref = await provider.submit(_request(), "disk-full")
        return unknown, await _wait(provider, ref)

    unknown, failed = asyncio.run(run())
    assert unknown.state == "failed" and "unknown animatic task" in unknown.error
    assert failed.state == "failed" and "No space left on device" in failed.error
    assert failed.retryable

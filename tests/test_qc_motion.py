"""Camera motion is read from pixels: known synthetic camera moves, and every move the planner
uses as the animatic actually performs it, come back as the right class."""

from __future__ import annotations

import math
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
from qc_clips import H, W, camera_frame, moving_clip, texture, write

from director.film import CameraMove, GenerationRequest, ShotHints
from director.tools.providers.animatic import render_animatic
from director.tools.qc.inspector import caption_fraction
from director.tools.qc.motion import MOVE_CLASS, SHAKE_MIN, analyse_motion

SYNTHETIC = {
    "static": lambda t: {},
    "pan_right": lambda t: {"pan": 0.25 * W * t},
    "pan_left": lambda t: {"pan": -0.25 * W * t},
    "tilt_up": lambda t: {"tilt": 0.25 * H * t},
    "tilt_down": lambda t: {"tilt": -0.25 * H * t},
    "push_in": lambda t: {"zoom": 1 + 0.3 * t},
    "pull_out": lambda t: {"zoom": 1.3 - 0.3 * t},
    "roll": lambda t: {"roll": 8 * t},
    "handheld": lambda t: {
        "pan": 0.012 * W * math.sin(2 * math.pi * 2.5 * t),
        "tilt": 0.01 * H * math.sin(2 * math.pi * 1.7 * t + 1),
    },
}


@pytest.mark.parametrize("move", list(SYNTHETIC))
def test_synthetic_camera_moves_are_classified(move: str, tmp_path: Path) -> None:
    clip = moving_clip(tmp_path / f"{move}.mp4", SYNTHETIC[move], seed=len(move))
    motion = analyse_motion(clip)
    assert motion.move == move, motion
    assert motion.pairs_used >= 0.8 * motion.pairs


def test_signs_and_magnitudes(tmp_path: Path) -> None:
    """Content moving left means the camera panned right; travel is reported in frame widths."""
    right = analyse_motion(moving_clip(tmp_path / "r.mp4", SYNTHETIC["pan_right"]))
    assert right.pan == pytest.approx(0.25, abs=0.02)
    up = analyse_motion(moving_clip(tmp_path / "u.mp4", SYNTHETIC["tilt_up"]))
    assert up.tilt == pytest.approx(0.25, abs=0.02)
    push = analyse_motion(moving_clip(tmp_path / "z.mp4", SYNTHETIC["push_in"]))
    assert push.zoom == pytest.approx(math.log(1.3), abs=0.03)
    # A pure zoom is not a pan: the centre displacement, not the corner translation, is used.
    assert abs(push.pan) < 0.01 and abs(push.tilt) < 0.01
    roll = analyse_motion(moving_clip(tmp_path / "o.mp4", SYNTHETIC["roll"]))
    assert roll.roll_deg == pytest.approx(8, abs=1)
    assert [s.t_s for s in right.path][:2] == [0.0, pytest.approx(1.0, abs=0.1)]


@pytest.mark.parametrize("move", ["orbit_left", "orbit_right"])
def test_two_layers_sliding_apart_read_as_an_orbit(move: str, tmp_path: Path) -> None:
    far, near = texture(1), texture(2)
    sign = 1 if move == "orbit_left" else -1  # circling left: the far layer slides left
    n = 48

    def frames():
        for i in range(n):
            x = sign * 0.12 * W * i / (n - 1)
            frame = camera_frame(far, pan=x)
            frame[H // 2 :] = camera_frame(near, pan=-1.6 * x)[H // 2 :]
            yield frame

    motion = analyse_motion(write(tmp_path / "orbit.mp4", frames()))
    assert motion.move == move, motion
    assert motion.note  # the verdict says how far to trust it


def test_every_planner_move_maps_to_a_measured_class() -> None:
    assert set(MOVE_CLASS) == set(get_args(CameraMove))


def _animatic(move: CameraMove) -> GenerationRequest:
    return GenerationRequest(
        shot_index=0,
        model="animatic",
        provider="animatic",
        prompt="a chef at the pass",
        duration_s=2.0,
        width=320,
        height=180,
        fps=24,
        seed=3,
        hints=ShotHints(
            subject="Ana, 40s, black hair in a tight bun, white chef jacket",
            action="plates a dish",
            camera_move=move,
            camera_line="medium shot, eye height, 85mm",
        ),
    )


@pytest.mark.parametrize("move", get_args(CameraMove))
def test_animatic_moves_read_correctly_with_the_caption_masked(
    move: CameraMove, tmp_path: Path
) -> None:
    request = _animatic(move)
    clip = render_animatic(request, tmp_path / f"{move}.mp4")
    mask = caption_fraction(request)
    assert mask is not None and 0.5 < mask < 1.0
    motion = analyse_motion(clip, ignore_below=mask)
    assert motion.move == MOVE_CLASS[move], motion


def test_unreadable_clip_raises_a_media_error(tmp_path: Path) -> None:
    from director.tools.qc.frames import MediaError

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(np.zeros(100, np.uint8).tobytes())
    with pytest.raises(MediaError):
        analyse_motion(bad)


@pytest.mark.parametrize(("seed", "kind"), [(4, "object"), (2, "object"), (1, "person")])
def test_a_locked_off_take_with_its_subject_acting_reads_static(
    seed: int, kind: str, tmp_path: Path
) -> None:
    """The simulator draws the action as the subject's region swaying; the camera fit must not
    follow it (these takes read as handheld when the subject pulled the fit)."""
    from director.tools.providers.simrender import render_sim

    request = _animatic("static").model_copy(
        update={"model": "sim", "provider": "sim", "seed": seed, "duration_s": 5.0,
                "width": 640, "height": 360}
    )
    request = request.model_copy(
        update={"hints": request.hints.model_copy(update={"subject_kind": kind})}
    )
    clip = render_sim(request, {}, tmp_path / "take.mp4", caption=True)
    motion = analyse_motion(clip, ignore_below=caption_fraction(request))
    assert motion.move == "static", motion
    assert motion.confidence >= 0.7 and motion.shake < 0.5 * SHAKE_MIN


def test_a_close_up_prop_whose_texture_defeats_tracking_still_counts_as_moving(
    tmp_path: Path,
) -> None:
    """An extreme close-up of a smooth prop: the action's only trackable texture is a small
    repeating pattern travelling further than its period, which tracking loses; the changed
    pixels still show that something moves, so the shot is not "nothing moves"."""
    from director.tools.providers.simrender import render_sim
    from director.tools.qc.defects import find_defects
    from director.tools.qc.frames import decode
    from director.tools.qc.motion import measure

    request = _animatic("static").model_copy(
        update={"model": "sim", "provider": "sim", "seed": 225770, "duration_s": 4.0,
                "width": 640, "height": 360}
    )
    request = request.model_copy(
        update={"hints": request.hints.model_copy(
            update={"subject_kind": "object", "size": "extreme_close_up"})}
    )
    path = render_sim(request, {}, tmp_path / "take.mp4", caption=True)
    clip = decode(path)
    motion = measure(clip, ignore_below=caption_fraction(request))
    assert motion.move == "static" and motion.dynamic_degree >= 0.5, motion
    assert find_defects(path, True, clip=clip, camera=motion) == []

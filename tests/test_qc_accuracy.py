"""The inspector against the labelled clip set (fixture size): every camera class is read right,
also with a large subject moving in frame, every injected defect is found where it was put, and
clean clips come back clean.

The full-size measurement with per-class figures is bench/qc_accuracy.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import qcset
from qc_accuracy import Verdict, inspect, matches, score
from qc_clips import labelled_set

from director.film import GenerationRequest, ShotHints
from director.tools.qc.inspector import inspect_take


@pytest.fixture(scope="module")
def verdicts(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Verdict]:
    # The fixture set is a fresh draw (seed 11), not the bench sets the detectors were tuned on.
    return {c.spec.clip_id: inspect(c) for c in labelled_set(pytestconfig, tmp_path_factory)}


@pytest.mark.parametrize("move", qcset.CAMERA_CLASSES)
def test_camera_class_is_read_from_pixels(verdicts: dict[str, Verdict], move: str) -> None:
    v = verdicts[f"cam-{move}-00"]
    assert v.move == move, f"{v.clip.path.name}: read {v.move} ({v.confidence:.2f})"


@pytest.mark.parametrize("scene", list(qcset.SUBJECT_SCENES))
def test_a_large_moving_subject_does_not_move_the_camera(
    verdicts: dict[str, Verdict], scene: str
) -> None:
    """A locked-off camera watching someone walk, gesture or come closer stays static; a pan or
    a handheld camera with someone walking through is still read as that move."""
    v = verdicts[f"sub-{scene}-00"]
    assert v.clip.spec.subject_height >= 0.55
    assert v.move == v.clip.move, f"{v.clip.path.name}: read {v.move} ({v.confidence:.2f})"
    if v.move == "static":
        assert v.confidence >= 0.7  # clear enough that a mismatch would fail, not warn


@pytest.mark.parametrize("kind", qcset.DEFECT_CLASSES)
def test_injected_defect_is_found_where_it_was_put(
    verdicts: dict[str, Verdict], kind: str
) -> None:
    v = verdicts[f"def-{kind}-00"]
    (label,) = v.clip.defects
    assert any(matches(d, label) for d in v.defects), f"{label} not in {v.defects}"


def test_clean_clips_have_no_defects(verdicts: dict[str, Verdict]) -> None:
    clean = [v for v in verdicts.values() if v.clip.clean]
    assert len(clean) == len(qcset.CAMERA_CLASSES) + len(qcset.SUBJECT_SCENES)
    flagged = {v.clip.spec.clip_id: v.defects for v in clean if v.defects}
    assert not flagged


def test_scores_add_up(verdicts: dict[str, Verdict]) -> None:
    s = score(list(verdicts.values()))
    assert s.camera_total == len(qcset.CAMERA_CLASSES) + len(qcset.SUBJECT_SCENES)
    assert s.camera_accuracy == 1.0
    assert s.scene_accuracy() == 1.0
    assert all(s.scene_total[scene] == 1 for scene in qcset.SUBJECT_SCENES)
    for kind in qcset.DEFECT_CLASSES:
        assert s.recall(kind) == 1.0
        assert s.false_positive_rate(kind) == 0.0


def _request(clip: qcset.LabelledClip, move: str, action: str = "") -> GenerationRequest:
    return GenerationRequest(
        shot_index=0,
        model="kling-v2-6-pro",
        provider="kling",
        prompt="a take",
        duration_s=clip.duration_s,
        width=clip.spec.width,
        height=clip.spec.height,
        fps=clip.spec.fps,
        hints=ShotHints(camera_move=move, action=action),  # type: ignore[arg-type]
    )


def test_inspect_take_passes_the_right_move_and_fails_the_wrong_one(
    verdicts: dict[str, Verdict],
) -> None:
    clip = verdicts["cam-pan_right-00"].clip
    assert inspect_take(clip.path, _request(clip, "pan_right")).passed
    wrong = inspect_take(clip.path, _request(clip, "pan_left"))
    camera = [f for f in wrong.findings if f.check == "camera"]
    assert not wrong.passed and camera and camera[0].variable == "camera"


def test_inspect_take_passes_a_static_shot_with_a_walking_subject(
    verdicts: dict[str, Verdict],
) -> None:
    clip = verdicts["sub-static_walk-00"].clip
    report = inspect_take(clip.path, _request(clip, "static", action="she crosses the room"))
    assert report.passed and not report.findings, report.findings
    # Asked for a pan, the still camera is clearly wrong: that costs a retake.
    panned = inspect_take(clip.path, _request(clip, "pan_left", action="she crosses the room"))
    assert [(f.check, f.severity) for f in panned.findings] == [("camera", "fail")]


def test_inspect_take_names_the_defect_and_the_variable(verdicts: dict[str, Verdict]) -> None:
    clip = verdicts["def-black-00"].clip
    report = inspect_take(clip.path, _request(clip, clip.move))
    black = [f for f in report.findings if f.check == "black"]
    assert black and black[0].variable == "seed" and not report.passed
    still = verdicts["def-static-00"].clip
    report = inspect_take(still.path, _request(still, "static", action="she pours the tea"))
    assert [f.variable for f in report.findings if f.check == "static"] == ["action"]

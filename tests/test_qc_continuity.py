"""Continuity: the cut between two shots of a scene keeps the subject and the light, and each
character keeps one look across its shots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from qc_clips import H, W, write

from director.film import GenerationRequest, LightSide, ShotHints
from director.tools.providers.animatic import render_animatic
from director.tools.qc.continuity import (
    character_drift,
    compare_frames,
    compare_shots,
    light_side,
)
from director.tools.qc.frames import MediaError


def _render(tmp_path: Path, name: str, side: LightSide, seed: int = 1) -> Path:
    request = GenerationRequest(
        shot_index=0,
        model="animatic",
        provider="animatic",
        prompt="a chef at the pass",
        duration_s=0.5,
        width=320,
        height=180,
        fps=12,
        seed=seed,
        hints=ShotHints(subject="Ana, white chef jacket", light_side=side),
    )
    return render_animatic(request, tmp_path / f"{name}.mp4")


def test_same_setup_across_the_cut_has_no_findings(tmp_path: Path) -> None:
    a = _render(tmp_path, "a", "left")
    b = _render(tmp_path, "b", "left")
    assert compare_shots(a, b) == []


def test_key_light_switching_sides_is_a_lighting_finding(tmp_path: Path) -> None:
    a = _render(tmp_path, "a", "left")
    b = _render(tmp_path, "b", "right")
    findings = compare_shots(a, b)
    assert [f.variable for f in findings if f.check == "continuity_light"] == ["lighting"]
    assert "left" in findings[0].message and "right" in findings[0].message


def _solid(colour: tuple[int, int, int]) -> np.ndarray:
    frame = np.full((H, W, 3), 90, np.uint8)
    frame[40:150, 110:210] = colour  # the subject, in the centre of frame
    return frame


def test_subject_changing_colour_across_the_cut_is_a_subject_finding() -> None:
    red, blue = _solid((30, 30, 200)), _solid((200, 60, 30))  # BGR
    findings = compare_frames(red, blue)
    assert [f.variable for f in findings] == ["subject"]
    assert compare_frames(red, red.copy()) == []


def test_light_side_reads_the_brighter_half() -> None:
    frame = np.full((H, W, 3), 60, np.uint8)
    frame[:, : W // 2] = 160
    assert light_side(frame) == "left"
    assert light_side(frame[:, ::-1].copy()) == "right"
    assert light_side(np.full((H, W, 3), 100, np.uint8)) == "even"


def test_character_drift_flags_the_one_shot_that_strays(tmp_path: Path) -> None:
    def clip(name: str, colour: tuple[int, int, int]) -> Path:
        rgb = _solid(colour)[..., ::-1]
        return write(tmp_path / f"{name}.mp4", [rgb] * 6)

    same = [clip(f"ana{i}", (40, 40, 190)) for i in range(3)]
    odd = clip("ana-odd", (190, 120, 40))
    findings = character_drift({"Ana": [*same, odd], "Ben": same[:2]})
    assert len(findings) == 1
    (finding,) = findings
    assert finding.variable == "subject" and "ana-odd.mp4" in finding.message


def test_missing_clip_is_a_media_error(tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        compare_shots(tmp_path / "nope.mp4", tmp_path / "nope2.mp4")


def test_key_frames_come_from_one_decode_and_follow_a_rewritten_clip(tmp_path: Path) -> None:
    from director.tools.qc import continuity

    clip = _render(tmp_path, "a", "left")
    every = continuity._all_frames(clip)
    keys = continuity.key_frames(clip)
    assert np.array_equal(keys.first, every[0])
    assert np.array_equal(keys.middle, every[len(every) // 2])
    assert np.array_equal(keys.last, every[-1])
    assert continuity.key_frames(clip) is keys  # asked again: not decoded again
    # The same path rewritten with the light on the other side is decoded afresh.
    _render(tmp_path, "a", "right")
    assert light_side(continuity.key_frames(clip).first) == "right"
    assert light_side(keys.first) == "left"

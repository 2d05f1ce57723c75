"""probe decodes every frame and checks the clip against what was asked for; bad media never
raises, it fails the take with a finding that names one variable to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from director.film import GenerationRequest, ShotHints
from director.tools.providers.animatic import render_animatic
from director.tools.qc.probe import probe, video_info


def _request(**update: object) -> GenerationRequest:
    request = GenerationRequest(
        shot_index=0,
        model="animatic",
        provider="animatic",
        prompt="a paper boat in a gutter",
        duration_s=1.5,
        width=320,
        height=180,
        fps=12,
        hints=ShotHints(camera_move="pan_left"),
    )
    return request.model_copy(update=update)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_animatic(_request(), tmp_path_factory.mktemp("probe") / "clip.mp4")


def test_good_clip_measures_what_was_asked(clip: Path) -> None:
    report = probe(clip, _request())
    assert report.decodable and report.passed and not report.findings
    assert (report.frames, report.fps, report.width, report.height) == (18, 12.0, 320, 180)
    assert report.duration_s == pytest.approx(1.5)
    assert report.has_audio is False
    assert video_info(clip) == (1.5, 320, 180, 12.0, 18)


def test_probe_without_request_only_measures(clip: Path) -> None:
    report = probe(clip)
    assert report.passed and report.frames == 18


def test_duration_off_by_more_than_a_frame_fails_with_both_values(clip: Path) -> None:
    report = probe(clip, _request(duration_s=2.5))
    (finding,) = report.findings
    assert finding.check == "duration" and finding.variable == "params"
    assert "1.500s" in finding.message and "2.500s" in finding.message
    assert not report.passed


def test_duration_within_one_frame_passes(clip: Path) -> None:
    assert probe(clip, _request(duration_s=1.55)).passed


@pytest.mark.parametrize(
    ("update", "check"),
    [
        ({"width": 640, "height": 360}, "size"),
        ({"fps": 24, "duration_s": 0.75}, "fps"),
        ({"aspect_ratio": "1:1"}, "aspect"),
    ],
)
def test_parameter_mismatches_are_named(clip: Path, update: dict, check: str) -> None:
    report = probe(clip, _request(**update))
    assert check in [f.check for f in report.findings]
    assert all(f.variable == "params" for f in report.findings)
    assert not report.passed


def test_truncated_file_fails(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    for fraction in (0.9, 0.5, 0.02):
        cut = tmp_path / f"cut{fraction}.mp4"
        cut.write_bytes(data[: int(len(data) * fraction)])
        report = probe(cut, _request())
        assert not report.passed
        checks = {f.check for f in report.findings}
        # A short tail still decodes (caught by its length); a deep cut does not decode at all.
        assert checks <= {"duration", "decodable"} and checks
        if not report.decodable:
            assert report.findings[0].variable == "seed"


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100, None])
def test_missing_empty_or_garbage_is_undecodable(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "take.mp4"
    if content is not None:
        path.write_bytes(content)
    report = probe(path, _request())
    assert not report.decodable and not report.passed
    (finding,) = report.findings
    assert finding.check == "decodable" and finding.variable == "seed"
    assert "\n" not in finding.message


def test_corrupted_middle_fails(clip: Path, tmp_path: Path) -> None:
    data = bytearray(clip.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4000] = bytes(4000)
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    assert not probe(bad, _request()).passed

"""Assembly: cuts as long as their clips, stream copy when clips match, stills at the right time."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from director.errors import DirectorError
from director.film import CameraMove, GenerationRequest, ShotHints
from director.tools import edit
from director.tools import stills as frames_out
from director.tools.providers.animatic import render_animatic
from director.tools.qc.probe import probe, video_info


def _animatic(path: Path, move: CameraMove, seed: int, duration: float = 1.5) -> Path:
    request = GenerationRequest(
        shot_index=seed,
        model="animatic",
        provider="animatic",
        prompt="p",
        duration_s=duration,
        width=320,
        height=180,
        fps=12,
        seed=seed,
        hints=ShotHints(camera_move=move, subject=f"clip {seed}"),
    )
    return render_animatic(request, path)


def _grey_clip(
    path: Path,
    frames: int,
    *,
    fps: int = 12,
    size: tuple[int, int] = (320, 180),
    level: int | None = None,
    audio: bool = False,
) -> Path:
    """Frame i is flat grey at 10 * i (or at `level`), so a decoded frame tells its index."""
    w, h = size
    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "12"}
        sound = out.add_stream("aac", rate=48000, layout="mono") if audio else None
        for i in range(frames):
            grey = np.full((h, w, 3), 10 * i if level is None else level, np.uint8)
            frame = av.VideoFrame.from_ndarray(grey, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            total = round(frames / fps * 48000)
            for start in range(0, total, 1024):
                samples = np.zeros((1, min(1024, total - start)), np.float32)
                chunk = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                chunk.sample_rate, chunk.pts = 48000, start
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    return path


def _grey_levels(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [
            float(f.to_ndarray(format="gray")[40:-40, 60:-60].mean())
            for f in container.decode(video=0)
        ]


def _packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return [bytes(p) for p in container.demux(stream) if p.size]


def _audio_seconds(path: Path) -> float:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return 0.0
        return sum(f.samples for f in container.decode(audio=0)) / 48000


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clips")
    moves: list[CameraMove] = ["pan_left", "static", "push_in"]
    return [_animatic(folder / f"c{i}.mp4", m, i) for i, m in enumerate(moves)]


def test_matching_clips_are_joined_by_stream_copy(clips: list[Path], tmp_path: Path) -> None:
    dest = edit.concat(clips, tmp_path / "cut" / "final.mp4")
    # Stream copy: the cut carries the clips' compressed frames byte for byte, in order.
    assert _packets(dest) == [p for c in clips for p in _packets(c)]
    report = probe(dest)
    assert report.passed and report.frames == 54
    assert report.duration_s == pytest.approx(sum(video_info(c).duration_s for c in clips))
    assert [p.name for p in dest.parent.iterdir()] == ["final.mp4"]


def test_mixed_sizes_are_reencoded_to_the_first_clip(tmp_path: Path) -> None:
    a = _grey_clip(tmp_path / "a.mp4", 12, level=60)
    b = _grey_clip(tmp_path / "b.mp4", 18, size=(640, 360), level=200)
    dest = edit.concat([a, b], tmp_path / "cut.mp4")
    report = probe(dest)
    assert report.passed and (report.width, report.height) == (320, 180)
    assert report.duration_s == pytest.approx(2.5, abs=0.2)
    levels = _grey_levels(dest)
    assert len(levels) == 30
    assert all(abs(v - 60) < 8 for v in levels[:12]) and all(abs(v - 200) < 8 for v in levels[12:])


def test_other_shapes_are_letterboxed(tmp_path: Path) -> None:
    wide = _grey_clip(tmp_path / "wide.mp4", 6, level=100)
    square = _grey_clip(tmp_path / "square.mp4", 6, size=(180, 180), level=235)
    dest = edit.concat([wide, square], tmp_path / "cut.mp4")
    with av.open(str(dest)) as container:
        last = list(container.decode(video=0))[-1].to_ndarray(format="gray")
    assert last[:, :40].mean() < 25 and last[:, -40:].mean() < 25  # black pillars
    assert last[:, 100:220].mean() > 200  # picture in the middle


def test_other_frame_rates_are_retimed(tmp_path: Path) -> None:
    a = _grey_clip(tmp_path / "a.mp4", 12, fps=12, level=50)
    b = _grey_clip(tmp_path / "b.mp4", 24, fps=24, size=(320, 180), level=150)
    dest = edit.concat([a, b], tmp_path / "cut.mp4")
    report = probe(dest)
    assert report.fps == 12.0 and report.duration_s == pytest.approx(2.0, abs=0.2)


def test_audio_is_kept_only_when_every_clip_has_it(tmp_path: Path) -> None:
    a = _grey_clip(tmp_path / "a.mp4", 12, audio=True)
    b = _grey_clip(tmp_path / "b.mp4", 18, audio=True)
    silent = _grey_clip(tmp_path / "s.mp4", 12)
    both = edit.concat([a, b], tmp_path / "both.mp4")
    assert probe(both).has_audio
    assert _audio_seconds(both) == pytest.approx(2.5, abs=0.1)
    assert probe(both).duration_s == pytest.approx(2.5)
    mixed = edit.concat([a, silent], tmp_path / "mixed.mp4")
    assert not probe(mixed).has_audio and probe(mixed).duration_s == pytest.approx(2.0)


def test_bad_input_raises_one_line_errors(clips: list[Path], tmp_path: Path) -> None:
    with pytest.raises(DirectorError, match="empty"):
        edit.concat([], tmp_path / "cut.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00" * 2048)
    with pytest.raises(DirectorError, match=r"junk\.mp4"):
        edit.concat([clips[0], junk], tmp_path / "cut.mp4")
    with pytest.raises(DirectorError, match=r"missing\.mp4"):
        edit.concat([tmp_path / "missing.mp4"], tmp_path / "cut.mp4")
    assert not (tmp_path / "cut.mp4").exists()


def test_still_at_a_time_and_by_default_the_middle(tmp_path: Path) -> None:
    clip = _grey_clip(tmp_path / "ramp.mp4", 24)  # 2 s; frame i at grey 10 * i
    at_one = frames_out.extract_still(clip, tmp_path / "one.png", at=1.0)
    middle = frames_out.extract_still(clip, tmp_path / "mid.jpg")
    first = frames_out.extract_still(clip, tmp_path / "first.png", at=0.0)
    for path, index in ((at_one, 12), (middle, 12), (first, 0)):
        with Image.open(path) as image:
            assert image.size == (320, 180)
            assert abs(np.asarray(image.convert("L")).mean() - 10 * index) < 6


def test_last_frame_is_the_final_frame(clips: list[Path], tmp_path: Path) -> None:
    ramp = _grey_clip(tmp_path / "ramp.mp4", 20)
    with Image.open(frames_out.last_frame(ramp, tmp_path / "last.png")) as image:
        assert abs(np.asarray(image.convert("L")).mean() - 190) < 6
    with av.open(str(clips[2])) as container:
        final = list(container.decode(video=0))[-1].to_ndarray(format="rgb24").astype(int)
    with Image.open(frames_out.last_frame(clips[2], tmp_path / "push.png")) as image:
        assert np.abs(np.asarray(image.convert("RGB")).astype(int) - final).mean() < 1


def test_contact_sheet_grid_with_labels(clips: list[Path], tmp_path: Path) -> None:
    stills = [frames_out.extract_still(c, tmp_path / f"s{i}.png") for i, c in enumerate(clips * 2)]
    plain = frames_out.contact_sheet(stills, tmp_path / "plain.png", columns=4, cell_width=160)
    labelled = frames_out.contact_sheet(
        stills,
        tmp_path / "sheet.png",
        columns=4,
        labels=[f"shot {i}" for i in range(6)],
        cell_width=160,
    )
    with Image.open(plain) as a, Image.open(labelled) as b:
        assert a.size == (8 + 4 * (160 + 8), 8 + 2 * (90 + 8))
        assert b.size[0] == a.size[0] and b.size[1] > a.size[1]  # room for the labels
        label_row = np.asarray(b.convert("L"))[8 + 90 : 8 + 90 + 22, 8 : 8 + 160]
        assert label_row.max() > 200  # lettering under the first still
    with pytest.raises(DirectorError, match="labels"):
        frames_out.contact_sheet(stills, tmp_path / "x.png", labels=["one"])
    with pytest.raises(DirectorError, match="no stills"):
        frames_out.contact_sheet([], tmp_path / "x.png")

"""A labelled clip set for measuring the inspector: camera moves and injected defects.

    from qcset import generate
    clips = generate(Path("build/qcset"), n_per_class=6, seed=0)          # bench
    clips = generate(tmp, n_per_class=1, seed=0, small=True)               # tests

Every clip is synthesised from real photographs bundled with scikit-image (see qcset_frames.py
for how the camera is faked and for the sign conventions), then encoded with PyAV (libx264,
yuv420p) at varied size, rate, length, compression and sensor noise. Its label is the truth the
generator built in, never what a detector said: the camera move, whether motion was asked for,
and each defect with its time range. Clips are cached on disk by a hash of their spec, so a
second run only reads labels. Specs and labels are drawn in qcset_spec.py, frames synthesised in
qcset_frames.py; this module renders, encodes and caches.

Defect time ranges use frame boundaries: frames [a, b) span [a/fps, b/fps). A cut is an instant:
start_s == end_s == the time of the first frame of the new shot.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import av
import cv2
import numpy as np
from qcset_frames import Layer, Noise, Path2D, Scene, Sprite, handheld_path, load_photo, ramp
from qcset_spec import (
    CAMERA_CLASSES,
    DEFECT_BASE_MOVES,
    DEFECT_CLASSES,
    SUBJECT_SCENES,
    VERSION,
    ClipSpec,
    DefectKind,
    DefectLabel,
    LabelledClip,
    Move,
    specs,
)

__all__ = [
    "CAMERA_CLASSES",
    "DEFECT_BASE_MOVES",
    "DEFECT_CLASSES",
    "SUBJECT_SCENES",
    "VERSION",
    "ClipSpec",
    "DefectKind",
    "DefectLabel",
    "LabelledClip",
    "Move",
    "build",
    "camera_path",
    "generate",
    "specs",
]


# --- rendering -------------------------------------------------------------------------------


def camera_path(spec: ClipSpec) -> Path2D:
    """The window path that performs `spec.move` (orbit: the far layer's path)."""
    n, w, h = spec.frames, spec.width, spec.height
    r = ramp(n, spec.eased) - 0.5
    zero, one = np.zeros(n), np.ones(n)
    a = spec.amount
    move = spec.move
    if move in ("pan_left", "pan_right"):  # camera right => window right => content left
        return Path2D((1 if move == "pan_right" else -1) * a * w * r, zero, one, zero)
    if move in ("tilt_up", "tilt_down"):  # camera up => window up => content down
        return Path2D(zero, (-1 if move == "tilt_up" else 1) * a * h * r, one, zero)
    if move == "push_in":
        return Path2D(zero, zero, 1 + (a - 1) * (r + 0.5), zero)
    if move == "pull_out":
        return Path2D(zero, zero, a - (a - 1) * (r + 0.5), zero)
    if move == "roll":
        return Path2D(zero, zero, one, spec.direction * a * r)
    if move in ("orbit_left", "orbit_right"):  # circling left: the far layer slides left
        return Path2D((1 if move == "orbit_left" else -1) * a * w * r, zero, one, zero)
    if move == "handheld":
        return handheld_path(np.random.default_rng(spec.seed), n, spec.fps, w, a)
    return Path2D.still(n)


def _scene(spec: ClipSpec, photo: str, path: Path2D) -> Scene:
    size = (spec.width, spec.height)
    scene = Scene(Layer(load_photo(photo), path, size))
    other = spec.photo2 if photo == spec.photo else spec.photo
    n, w, h = spec.frames, spec.width, spec.height
    if spec.move in ("orbit_left", "orbit_right"):
        near = Path2D(-1.6 * path.x, path.y, path.zoom, path.roll)  # nearer: further, opposite
        scene.band = Layer(load_photo(spec.texture), near, size)
        scene.band_top = 2 * round(0.7 * h / 2)
        centres = np.tile([w / 2, h / 2], (n, 1))
        scene.sprite = Sprite(load_photo(other), round(0.5 * h), centres)
    elif spec.subject_action:
        scene.sprite = _subject(spec, load_photo(other))
    elif spec.subject_moves:
        r = ramp(n, spec.eased) - 0.5
        rng = np.random.default_rng(spec.seed + 1)
        side = rng.choice([-1, 1])
        cx = w / 2 + side * spec.amount * w * r
        cy = h * 0.55 + 0.02 * h * np.sin(np.linspace(0, 4 * np.pi, n))  # a walking bob
        scene.sprite = Sprite(load_photo(other), round(0.3 * h), np.stack([cx, cy], 1))
    return scene


def _subject(spec: ClipSpec, photo: np.ndarray) -> Sprite:
    """A large subject performing `spec.subject_action` on screen, whatever the camera does:
    walking across (with a bob), gesturing in place (swaying and turning to and fro), or
    walking towards the camera (growing, drifting a little sideways)."""
    n, w, h = spec.frames, spec.width, spec.height
    rng = np.random.default_rng(spec.seed + 2)
    r = ramp(n, spec.eased) - 0.5
    t = np.arange(n) / spec.fps
    height = round(spec.subject_height * h)
    side = float(rng.choice([-1, 1]))
    x0 = w / 2 + float(rng.uniform(-0.1, 0.1)) * w
    if spec.subject_action == "walk":
        travel = float(rng.uniform(0.25, 0.5)) * w
        step_hz = float(rng.uniform(1.5, 2.2))
        cx = x0 + side * travel * r
        cy = h * 0.55 + 0.02 * h * np.abs(np.sin(np.pi * step_hz * t))
        return Sprite(photo, height, np.stack([cx, cy], 1))
    if spec.subject_action == "gesture":
        hz = float(rng.uniform(0.5, 1.2))
        phase = 2 * np.pi * hz * t + float(rng.uniform(0, 2 * np.pi))
        cx = x0 + float(rng.uniform(0.02, 0.05)) * w * np.sin(phase)
        cy = np.full(n, h * 0.55) + 0.01 * h * np.sin(2 * phase)
        angles = float(rng.uniform(4.0, 10.0)) * np.sin(phase + 0.6)
        return Sprite(photo, height, np.stack([cx, cy], 1), angles=angles)
    # approach: from about half the final size to full size, feet staying low in frame
    scales = 0.5 + 0.5 * (r + 0.5)
    cx = x0 + side * float(rng.uniform(0.0, 0.1)) * w * r
    cy = h * 0.6 - 0.1 * h * (1 - scales)
    return Sprite(photo, height, np.stack([cx, cy], 1), scales=scales)


def _relative_luminance(rgb: np.ndarray) -> float:
    """Mean WCAG relative luminance of a frame (sRGB decoded to linear light)."""
    c = rgb.astype(np.float32) / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float((lin @ np.array([0.2126, 0.7152, 0.0722], np.float32)).mean())


def _flash(frame: np.ndarray, mode: str) -> np.ndarray:
    """The other state of a flash: a strobe towards white, or a dip towards black."""
    if mode == "up":
        return cv2.addWeighted(frame, 0.55, np.full_like(frame, 255), 0.45, 0)
    return cv2.convertScaleAbs(frame, alpha=0.45)


def _frames(spec: ClipSpec, info: dict[str, float]):
    """Yield the clip's RGB frames with its defect applied; fills `info` with measured truths."""
    path = camera_path(spec)
    scene = _scene(spec, spec.photo, path)
    second = _scene(spec, spec.photo2, path) if spec.target == "cut" else None
    noise = Noise(spec.noise_sigma, (spec.width, spec.height), spec.seed, spec.shimmer)
    a, b = spec.defect_start, spec.defect_end
    held: np.ndarray | None = None
    deltas: list[float] = []
    mode = spec.flicker_mode
    for i in range(spec.frames):
        if spec.target == "frozen" and a <= i < b and held is not None:
            frame = held  # the same decoded picture again: a stall, not a still scene
        else:
            # After a stall the camera resumes where it stopped.
            j = i - (b - a) if spec.target == "frozen" and i >= b else i
            src = second if second is not None and i >= a else scene
            frame = noise.apply(src.render(j))
            if spec.target == "flicker" and a <= i < b:
                phase = int(np.floor((i - a) / spec.fps * spec.flicker_hz * 2)) % 2
                if phase == 1:
                    other = _flash(frame, mode)
                    deltas.append(abs(_relative_luminance(other) - _relative_luminance(frame)))
                    frame = other
            if spec.target == "black" and a <= i < b:
                frame = noise.apply(np.zeros_like(frame))
        if spec.target == "frozen" and i == a - 1:
            held = frame
        if spec.bar_axis == "rows":
            frame[: spec.bar_px] = 0
            frame[spec.height - spec.bar_px :] = 0
        elif spec.bar_axis == "cols":
            frame[:, : spec.bar_px] = 0
            frame[:, spec.width - spec.bar_px :] = 0
        yield frame
    if deltas:
        info["flash_delta"] = float(np.mean(deltas))


def _flicker_mode(spec: ClipSpec) -> ClipSpec:
    """Dark photos flash up, bright ones dip down, so every flash is a WCAG flash (>= 10 %)."""
    if spec.target != "flicker":
        return spec
    first = _scene(spec, spec.photo, camera_path(spec)).render(spec.defect_start)
    mode = "up" if _relative_luminance(first) < 0.3 else "down"
    return spec.model_copy(update={"flicker_mode": mode})


def _encode(spec: ClipSpec, dest: Path, info: dict[str, float]) -> None:
    tmp = dest.with_name(dest.stem + ".part.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        stream.codec_context.thread_count = 2
        if spec.crf is not None:
            stream.options = {"preset": "veryfast", "crf": str(spec.crf)}
        else:
            stream.options = {"preset": "veryfast"}
            stream.bit_rate = spec.bitrate_kbps * 1000
        for i, rgb in enumerate(_frames(spec, info)):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    os.replace(tmp, dest)


def _label(spec: ClipSpec, path: Path, info: dict[str, float]) -> LabelledClip:
    p = camera_path(spec)
    fps = spec.fps
    defects: list[DefectLabel] = []
    if spec.category == "defect":
        defects.append(
            DefectLabel(
                type=spec.target,  # type: ignore[arg-type]
                start_s=spec.defect_start / fps,
                end_s=spec.defect_end / fps,
            )
        )
    zoom0, zoom1 = float(p.zoom[0]), float(p.zoom[-1])
    orbit = spec.move in ("orbit_left", "orbit_right")
    return LabelledClip(
        path=path,
        spec=spec,
        move=spec.move,
        expect_motion=spec.expect_motion,
        defects=defects,
        duration_s=spec.frames / fps,
        content_dx_px=-(float(p.x[-1] - p.x[0])) * zoom1,
        content_dy_px=-(float(p.y[-1] - p.y[0])) * zoom1,
        zoom_ratio=zoom1 / zoom0,
        roll_ccw_deg=float(p.roll[-1] - p.roll[0]),
        near_dx_px=1.6 * float(p.x[-1] - p.x[0]) if orbit else 0.0,
        flash_delta=info.get("flash_delta", 0.0),
    )


def build(spec: ClipSpec, out_dir: Path) -> LabelledClip:
    """Render one clip (or read it from the cache) and return its label."""
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = _flicker_mode(spec)
    stem = f"{spec.clip_id}-{spec.key()}"
    video, sidecar = out_dir / f"{stem}.mp4", out_dir / f"{stem}.json"
    if video.is_file() and sidecar.is_file():
        label = LabelledClip.model_validate_json(sidecar.read_text())
        return label.model_copy(update={"path": video})
    info: dict[str, float] = {}
    _encode(spec, video, info)
    label = _label(spec, video, info)
    sidecar.write_text(label.model_dump_json(indent=1))
    return label


def generate(
    out_dir: Path,
    n_per_class: int = 6,
    seed: int = 0,
    small: bool = False,
    classes: tuple[str, ...] | None = None,
) -> list[LabelledClip]:
    """Build (or reuse) the labelled set in `out_dir`; `small` gives fixture-sized clips
    (640x360, 24 fps, 3 s, crf) for tests."""
    out_dir = Path(out_dir)
    clips = [build(s, out_dir) for s in specs(n_per_class, seed, small, classes)]
    manifest = [json.loads(c.model_dump_json()) for c in clips]
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return clips

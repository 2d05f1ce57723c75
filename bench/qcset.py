"""A labelled clip set for measuring the inspector: camera moves and injected defects.

    from qcset import generate
    clips = generate(Path("build/qcset"), n_per_class=6, seed=0)          # bench
    clips = generate(tmp, n_per_class=1, seed=0, small=True)               # tests

Every clip is synthesised from real photographs bundled with scikit-image (see qcset_frames.py
for how the camera is faked and for the sign conventions), then encoded with PyAV (libx264,
yuv420p) at varied size, rate, length, compression and sensor noise. Its label is the truth the
generator built in, never what a detector said: the camera move, whether motion was asked for,
and each defect with its time range. Clips are cached on disk by a hash of their spec, so a
second run only reads labels.

Defect time ranges use frame boundaries: frames [a, b) span [a/fps, b/fps). A cut is an instant:
start_s == end_s == the time of the first frame of the new shot.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from qcset_frames import (
    PHOTO_FILES,
    TEXTURES,
    Layer,
    Noise,
    Path2D,
    Scene,
    Sprite,
    handheld_path,
    load_photo,
    ramp,
)

VERSION = 1
"""Bump when synthesis changes, so cached clips are rebuilt."""

Move = Literal[
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "push_in",
    "pull_out",
    "roll",
    "orbit_left",
    "orbit_right",
    "handheld",
]
DefectKind = Literal["black", "frozen", "flicker", "cut", "letterbox", "static"]
CAMERA_CLASSES: tuple[Move, ...] = Move.__args__  # type: ignore[attr-defined]
DEFECT_CLASSES: tuple[DefectKind, ...] = DefectKind.__args__  # type: ignore[attr-defined]
DEFECT_BASE_MOVES: tuple[Move, ...] = (
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "push_in",
    "pull_out",
    "handheld",
)
"""Camera moves under an injected defect ("static" means a locked-off shot of a moving subject)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DefectLabel(_Model):
    """One defect the generator injected."""

    type: DefectKind
    """Kind of defect, as the inspector names it."""
    start_s: float
    """Start of the defect in the clip."""
    end_s: float
    """End of the defect (equal to start_s for a cut)."""


class ClipSpec(_Model):
    """Everything that determines a clip; its hash names the cached file."""

    clip_id: str
    """Stable name, e.g. "pan_left-03"."""
    category: Literal["camera", "defect"]
    """Whether the clip measures camera classification or a defect detector."""
    target: str
    """The class this clip stands for: a camera move or a defect type."""
    move: Move
    """The true camera move."""
    subject_moves: bool = False
    """Static camera only: a small subject crosses the frame (something moves)."""
    expect_motion: bool = True
    """Whether the shot asked for motion (passed to the defect finder)."""
    photo: str
    """Background photograph."""
    photo2: str
    """Second photograph: the subject cut-out, or the shot after a cut."""
    texture: str
    """Near-band texture of an orbit."""
    width: int
    height: int
    fps: int
    frames: int
    eased: bool
    """Smoothstep speed profile instead of constant speed."""
    amount: float
    """Size of the move: travel fraction, end zoom, degrees, or handheld RMS fraction."""
    direction: int = 1
    """Roll direction (+1: content turns counter-clockwise)."""
    noise_sigma: float
    """Sensor noise standard deviation in 8-bit levels."""
    shimmer: float = 0.0
    """Coarse shimmer in 8-bit levels: keeps a still scene alive through the codec."""
    crf: int | None
    """x264 constant rate factor, or None when a bitrate is set."""
    bitrate_kbps: int | None
    """Average bitrate when crf is None."""
    defect_start: int = 0
    """First defective frame (cut: first frame of the new shot)."""
    defect_end: int = 0
    """One past the last defective frame."""
    flicker_hz: float = 0.0
    """Flashes per second."""
    flicker_mode: Literal["", "up", "down"] = ""
    """Flash towards white (up) or dip towards black (down)."""
    bar_px: int = 0
    """Letterbox bar thickness per side."""
    bar_axis: Literal["", "rows", "cols"] = ""
    """Bars top and bottom (rows) or left and right (cols, pillarbox)."""
    seed: int
    version: int = VERSION

    def key(self) -> str:
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]


class LabelledClip(_Model):
    """A clip on disk and its ground truth."""

    path: Path
    """The MP4 file."""
    spec: ClipSpec
    """How it was made."""
    move: Move
    """The true camera move."""
    expect_motion: bool
    """Whether motion was asked for."""
    defects: list[DefectLabel] = Field(default_factory=list)
    """Injected defects; empty for a clean clip."""
    duration_s: float
    """frames / fps."""
    content_dx_px: float = 0.0
    """On-screen displacement of the background content, first to last frame (+ is right)."""
    content_dy_px: float = 0.0
    """Same, vertical (+ is down)."""
    zoom_ratio: float = 1.0
    """Content magnification of the last frame relative to the first."""
    roll_ccw_deg: float = 0.0
    """Counter-clockwise on-screen rotation of content, first to last frame."""
    near_dx_px: float = 0.0
    """Orbit only: on-screen displacement of the near foreground band."""
    flash_delta: float = 0.0
    """Flicker only: mean relative-luminance difference between the two flash states (0..1)."""

    @property
    def clean(self) -> bool:
        return not self.defects


# --- specs -----------------------------------------------------------------------------------


def _spec(category: str, target: str, index: int, seed: int, small: bool) -> ClipSpec:
    offset = 0 if category == "camera" else len(CAMERA_CLASSES)
    pool = CAMERA_CLASSES if category == "camera" else DEFECT_CLASSES
    class_no = offset + pool.index(target)  # type: ignore[arg-type]
    rng = np.random.default_rng([seed, class_no, index, VERSION])
    photos = list(PHOTO_FILES)
    photo = photos[(index + class_no) % len(photos)]
    photo2 = str(rng.choice([p for p in photos if p != photo]))
    if small:
        width, height, fps, seconds = 640, 360, 24, 3.0
    else:
        width, height = ((640, 360), (1280, 720))[int(rng.integers(2))]
        fps = int(rng.choice([24, 30]))
        seconds = float(rng.choice(np.arange(3.0, 6.01, 0.5)))
    frames = round(seconds * fps)
    use_crf = small or rng.random() < 0.75
    kbps = int(rng.uniform(500, 900) * (4 if width > 640 else 1))
    move = target if category == "camera" else str(rng.choice(DEFECT_BASE_MOVES))
    # A locked-off camera: half the clean ones watch a subject cross the frame (motion asked
    # for), half a still scene (none asked for); under a defect the subject always moves.
    subject_moves = move == "static" and (category == "defect" or index % 2 == 0)
    expect_motion = move != "static" or subject_moves
    static_defect = category == "defect" and target == "static"
    if static_defect:  # nothing moves although motion was asked for
        move, subject_moves, expect_motion = "static", False, True
    base = {
        "clip_id": f"{'cam' if category == 'camera' else 'def'}-{target}-{index:02d}",
        "category": category,
        "target": target,
        "move": move,
        "subject_moves": subject_moves,
        "expect_motion": expect_motion,
        "photo": photo,
        "photo2": photo2,
        "texture": str(rng.choice(TEXTURES)),
        "width": width,
        "height": height,
        "fps": fps,
        "frames": frames,
        "eased": bool(rng.random() < 0.5),
        "amount": _amount(move, rng),
        "direction": int(rng.choice([-1, 1])),
        "noise_sigma": float(rng.choice([0.0, 1.0, 2.0, 3.5])),
        "crf": int(rng.choice([18, 23, 28, 33])) if use_crf else None,
        "bitrate_kbps": None if use_crf else kbps,
        "seed": int(rng.integers(2**31)),
    }
    if static_defect or (not subject_moves and move == "static"):
        # A live camera on a still scene, not a still frame: decoded frames must differ.
        base["noise_sigma"] = max(1.0, base["noise_sigma"])
        # At crf 33 even this decodes as identical frames (a frozen picture), so cap the crf.
        base["shimmer"] = 3.0
        base["crf"] = int(rng.choice([18, 23, 28]))
        base["bitrate_kbps"] = None
    if category == "defect":
        base.update(_defect_params(target, frames, fps, height, width, rng))
    return ClipSpec(**base)


def _amount(move: str, rng: np.random.Generator) -> float:
    if move in ("pan_left", "pan_right"):
        return float(rng.uniform(0.10, 0.35))  # travel, fraction of width
    if move in ("tilt_up", "tilt_down"):
        return float(rng.uniform(0.10, 0.30))  # travel, fraction of height
    if move in ("push_in", "pull_out"):
        return float(rng.uniform(1.12, 1.45))  # zoom at the tight end
    if move == "roll":
        return float(rng.uniform(5.0, 15.0))  # degrees
    if move in ("orbit_left", "orbit_right"):
        return float(rng.uniform(0.08, 0.20))  # far-layer travel, fraction of width
    if move == "handheld":
        return float(rng.uniform(0.004, 0.010))  # RMS shake, fraction of width
    return float(rng.uniform(0.10, 0.25))  # static: the subject's travel, fraction of width


def _defect_params(
    target: str, frames: int, fps: int, height: int, width: int, rng: np.random.Generator
) -> dict[str, object]:
    def span(lo_s: float, hi_s: float) -> int:
        return max(2, round(rng.uniform(lo_s, hi_s) * fps))

    if target == "black":
        n = min(span(0.25, 1.0), frames // 3)
        where = rng.integers(3)
        start = (0, (frames - n) // 2 + int(rng.integers(-fps // 4, fps // 4 + 1)), frames - n)
        return {"defect_start": int(start[where]), "defect_end": int(start[where]) + n}
    if target == "frozen":
        n = min(span(1.0, 2.0), frames // 2)
        a = int(rng.integers(round(0.15 * frames), frames - n - round(0.1 * frames)))
        return {"defect_start": a, "defect_end": a + n}
    if target == "flicker":
        n = min(span(1.0, 2.0), frames // 2)
        a = int(rng.integers(round(0.1 * frames), frames - n - round(0.1 * frames)))
        # WCAG: more than 3 flashes in a second fails; keep each state at least ~1.5 frames.
        hz = float(rng.uniform(4.0, min(10.0, fps / 3)))
        return {"defect_start": a, "defect_end": a + n, "flicker_hz": hz}
    if target == "cut":
        c = int(rng.integers(round(0.35 * frames), round(0.65 * frames)))
        return {"defect_start": c, "defect_end": c}
    if target == "letterbox":
        if rng.random() < 0.7:
            bar = 2 * round(rng.uniform(0.05, 0.13) * height / 2)
            return {"bar_px": bar, "bar_axis": "rows", "defect_start": 0, "defect_end": frames}
        bar = 2 * round(rng.uniform(0.08, 0.14) * width / 2)
        return {"bar_px": bar, "bar_axis": "cols", "defect_start": 0, "defect_end": frames}
    if target == "static":
        return {"defect_start": 0, "defect_end": frames}
    return {}


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
    elif spec.subject_moves:
        r = ramp(n, spec.eased) - 0.5
        rng = np.random.default_rng(spec.seed + 1)
        side = rng.choice([-1, 1])
        cx = w / 2 + side * spec.amount * w * r
        cy = h * 0.55 + 0.02 * h * np.sin(np.linspace(0, 4 * np.pi, n))  # a walking bob
        scene.sprite = Sprite(load_photo(other), round(0.3 * h), np.stack([cx, cy], 1))
    return scene


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


def specs(
    n_per_class: int, seed: int = 0, small: bool = False, classes: tuple[str, ...] | None = None
) -> list[ClipSpec]:
    """The specs of the set: `n_per_class` clips of every camera move and defect type."""
    every = [("camera", c) for c in CAMERA_CLASSES] + [("defect", d) for d in DEFECT_CLASSES]
    wanted = classes or tuple(f"{cat}:{t}" for cat, t in every)
    unknown = set(wanted) - {f"{cat}:{t}" for cat, t in every}
    if unknown:
        raise ValueError(f"unknown clip classes (use camera:<move> or defect:<type>): {unknown}")
    pairs = [(cat, t) for cat, t in every if f"{cat}:{t}" in wanted]
    return [_spec(cat, t, i, seed, small) for cat, t in pairs for i in range(n_per_class)]


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

"""What each clip of the labelled QC set is: its spec (every choice that determines the pixels,
hashed to name the cached file) and its label (the truth the generator built in).

`specs()` draws the set: per class, size, rate, length, compression, noise, photos and the size
of the move or defect come from a generator seeded by (seed, class, index, VERSION), so a set is
reproducible and a fresh seed is a fresh draw. Rendering lives in qcset.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from qcset_frames import PHOTO_FILES, TEXTURES

from director.inspection import CameraClass, DefectType

VERSION = 1
"""Bump when synthesis changes, so cached clips are rebuilt."""

# Labels use the inspector's own names for camera moves and defects.
Move = CameraClass
DefectKind = DefectType
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
SubjectAction = Literal["", "walk", "gesture", "approach"]
SUBJECT_SCENES: dict[str, tuple[tuple[Move, ...], SubjectAction]] = {
    "static_walk": (("static",), "walk"),
    "static_gesture": (("static",), "gesture"),
    "static_approach": (("static",), "approach"),
    "pan_walk": (("pan_left", "pan_right"), "walk"),
    "handheld_walk": (("handheld",), "walk"),
}
"""Camera clips with a LARGE subject moving in frame (a tenth to a quarter of the picture): the
camera moves drawn from the first item, the subject's action the second. A moving subject must
not pull the camera reading: a locked-off camera watching someone walk or gesture is static."""


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
    category: Literal["camera", "defect", "subject"]
    """Whether the clip measures camera classification, a defect detector, or camera
    classification with a large moving subject in frame."""
    target: str
    """The class this clip stands for: a camera move, a defect type or a subject scene."""
    move: Move
    """The true camera move."""
    subject_moves: bool = False
    """Static camera only: a small subject crosses the frame (something moves)."""
    subject_action: SubjectAction = ""
    """Subject scenes: a large subject walks across, gestures in place, or walks towards the
    camera (growing)."""
    subject_height: float = 0.0
    """Subject scenes: the subject's height as a fraction of the frame height (at its largest)."""
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
        # Fields added after the first release are hashed only when set, so clips cached
        # before they existed keep their names.
        later = {k for k in _LATER_FIELDS if getattr(self, k) == ClipSpec.model_fields[k].default}
        return hashlib.sha256(self.model_dump_json(exclude=later).encode()).hexdigest()[:12]


_LATER_FIELDS = ("subject_action", "subject_height")


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
    pools: dict[str, tuple[str, ...]] = {
        "camera": CAMERA_CLASSES,
        "defect": DEFECT_CLASSES,
        "subject": tuple(SUBJECT_SCENES),
    }
    offset = {"camera": 0, "defect": len(CAMERA_CLASSES)}.get(
        category, len(CAMERA_CLASSES) + len(DEFECT_CLASSES)
    )
    class_no = offset + pools[category].index(target)
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
    if category == "subject":
        move = str(rng.choice(SUBJECT_SCENES[target][0]))
    elif category == "camera":
        move = target
    else:
        move = str(rng.choice(DEFECT_BASE_MOVES))
    # A locked-off camera: half the clean ones watch a subject cross the frame (motion asked
    # for), half a still scene (none asked for); under a defect the subject always moves.
    subject_moves = move == "static" and (category == "defect" or index % 2 == 0)
    subject_moves = subject_moves and category != "subject"  # the large subject is its own
    expect_motion = move != "static" or subject_moves or category == "subject"
    static_defect = category == "defect" and target == "static"
    if static_defect:  # nothing moves although motion was asked for
        move, subject_moves, expect_motion = "static", False, True
    base = {
        "clip_id": f"{category[:3]}-{target}-{index:02d}",
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
    if category == "subject":
        action = SUBJECT_SCENES[target][1]
        base["subject_action"] = action
        # Tall enough to fill a fifth to a third of the frame; a walker towards the camera
        # ends taller still.
        low, high = (0.7, 0.9) if action == "approach" else (0.55, 0.8)
        base["subject_height"] = float(rng.uniform(low, high))
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


def specs(
    n_per_class: int, seed: int = 0, small: bool = False, classes: tuple[str, ...] | None = None
) -> list[ClipSpec]:
    """The specs of the set: `n_per_class` clips of every camera move, defect type and subject
    scene."""
    every = (
        [("camera", c) for c in CAMERA_CLASSES]
        + [("defect", d) for d in DEFECT_CLASSES]
        + [("subject", s) for s in SUBJECT_SCENES]
    )
    wanted = classes or tuple(f"{cat}:{t}" for cat, t in every)
    unknown = set(wanted) - {f"{cat}:{t}" for cat, t in every}
    if unknown:
        raise ValueError(
            f"unknown clip classes (use camera:<move>, defect:<type> or subject:<scene>): "
            f"{unknown}"
        )
    pairs = [(cat, t) for cat, t in every if f"{cat}:{t}" in wanted]
    return [_spec(cat, t, i, seed, small) for cat, t in pairs for i in range(n_per_class)]

"""What inspection sees in a take: defects, findings, the measured camera move, the QC report.

Field docstrings are part of the contract (see director.film): they become the JSON-schema
descriptions an LLM brain sees.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from director.film import FilmModel, Variable

DefectType = Literal["black", "frozen", "flicker", "cut", "letterbox", "static"]


class Defect(FilmModel):
    """A technical defect found in the pixels."""

    type: DefectType
    """Kind of defect."""
    start_s: float
    """Where it starts in the clip."""
    end_s: float
    """Where it ends."""


class Finding(FilmModel):
    """One QC result that fails (or warns about) a take."""

    check: str
    """Which check produced it, e.g. "duration", "decodable", "size"."""
    severity: Literal["fail", "warn"] = "fail"
    """fail rejects the take; warn is reported only."""
    message: str
    """What is wrong, in one line, with the measured and expected values."""
    variable: Variable = "params"
    """The one variable a retake should change to fix it."""


CameraClass = Literal[
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
"""Camera moves QC can tell apart from pixels (cranes read as tilts, rack focus as static)."""


class CameraSample(FilmModel):
    """Where the camera has got to at one moment, accumulated from the first frame."""

    t_s: float
    """Time in the clip."""
    pan: float = 0.0
    """Horizontal travel so far, in frame widths; positive is camera right."""
    tilt: float = 0.0
    """Vertical travel so far, in frame heights; positive is camera up."""
    zoom: float = 0.0
    """Log magnification so far; positive is in (push-in or zoom-in)."""
    roll_deg: float = 0.0
    """Rotation so far in degrees; positive is the camera rolling clockwise."""


class CameraMotion(FilmModel):
    """The camera move the pixels show, measured by sparse optical flow."""

    move: CameraClass = "static"
    """The move the clip shows."""
    confidence: float = 0.0
    """0..1: how clearly the winning move beats its thresholds and the runner-up."""
    pan: float = 0.0
    """Net horizontal travel in frame widths; positive is camera right."""
    tilt: float = 0.0
    """Net vertical travel in frame heights; positive is camera up."""
    zoom: float = 0.0
    """Net log magnification; positive is in."""
    roll_deg: float = 0.0
    """Net rotation in degrees; positive is clockwise camera roll."""
    parallax: float = 0.0
    """Upper layer minus lower layer horizontal travel, in frame widths (orbit evidence)."""
    shake: float = 0.0
    """Back-and-forth travel beyond the net move, in frame widths (handheld evidence)."""
    dynamic_degree: float = 0.0
    """0..1: share of frame pairs in which anything (camera or subject) visibly moves."""
    pairs: int = 0
    """Frame pairs measured."""
    pairs_used: int = 0
    """Pairs whose fit had enough tracked points to trust."""
    path: list[CameraSample] = Field(default_factory=list)
    """Accumulated travel once per second."""
    note: str = ""
    """Caveats, e.g. how reliable an orbit verdict is."""


class QCReport(FilmModel):
    """What inspection saw in a take."""

    decodable: bool
    """Whether every frame decoded."""
    duration_s: float = 0.0
    """Duration from decoded frames."""
    frames: int = 0
    """Decoded frame count."""
    fps: float = 0.0
    """Frames per second."""
    width: int = 0
    """Frame width."""
    height: int = 0
    """Frame height."""
    has_audio: bool = False
    """Whether an audio stream is present."""
    defects: list[Defect] = Field(default_factory=list)
    """Technical defects with time ranges."""
    findings: list[Finding] = Field(default_factory=list)
    """Failures and warnings against the request."""
    camera: CameraMotion | None = None
    """The camera move measured from pixels; None when not measured."""

    @property
    def passed(self) -> bool:
        return self.decodable and not any(f.severity == "fail" for f in self.findings)

    def failures(self) -> str:
        """The failing findings as one line, for reasons shown to a person."""
        return "; ".join(f.message for f in self.findings if f.severity == "fail")


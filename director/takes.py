"""What is sent to a provider and what comes back: requests, task handles, takes and revisions.

Field docstrings are part of the contract (see director.film): they become the JSON-schema
descriptions an LLM brain sees.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from director.film import AspectRatio, FilmModel, PromptSpec, ShotHints, Variable
from director.inspection import QCReport

CameraControlType = Literal[
    "simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward"
]
CAMERA_AXES: tuple[str, ...] = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


class CameraControl(FilmModel):
    """A Kling camera-control instruction: a preset move, or one axis of a "simple" move.

    Only a few Kling models honour it (see tools/providers/guards.py); others ignore it.
    """

    type: CameraControlType = "simple"
    """"simple" moves along one axis below; the others are fixed presets with no axis values."""
    horizontal: float = Field(0.0, ge=-10, le=10)
    """Sideways travel (truck), -10 left to 10 right."""
    vertical: float = Field(0.0, ge=-10, le=10)
    """Up/down travel (pedestal), -10 down to 10 up."""
    pan: float = Field(0.0, ge=-10, le=10)
    """Rotation about the vertical axis, -10 to 10."""
    tilt: float = Field(0.0, ge=-10, le=10)
    """Rotation about the horizontal axis, -10 to 10."""
    roll: float = Field(0.0, ge=-10, le=10)
    """Rotation about the lens axis, -10 to 10."""
    zoom: float = Field(0.0, ge=-10, le=10)
    """Focal length change, -10 wider to 10 tighter."""

    @model_validator(mode="after")
    def _one_axis(self) -> CameraControl:
        moving = [axis for axis in CAMERA_AXES if getattr(self, axis)]
        if self.type == "simple" and len(moving) != 1:
            raise ValueError("a simple camera control moves exactly one axis")
        if self.type != "simple" and moving:
            raise ValueError(f"the {self.type} camera preset takes no axis values")
        return self


class ShotSegment(FilmModel):
    """One shot of a multi-shot request (Kling 3.0 `multi_prompt`)."""

    prompt: str = Field(min_length=1)
    """The segment's own prompt (at most 512 characters on Kling 3.0)."""
    duration_s: float = Field(ge=1)
    """The segment's length in whole seconds; segments add up to the request's duration."""


class GenerationRequest(FilmModel):
    """Everything a provider needs to render one take."""

    shot_index: int
    """The shot this take renders."""
    attempt: int = Field(1, ge=1)
    """1 for the first take, then 2, 3, ... for retakes."""
    model: str
    """Catalog model id, e.g. "kling-v2-6-pro", "animatic"."""
    provider: str
    """Provider adapter name, e.g. "animatic", "kling", "fal"."""
    prompt: str
    """The exact prompt text sent to the provider."""
    negative_prompt: str = ""
    """Negative prompt, for models that accept one."""
    duration_s: float
    """Requested clip length (a value the model accepts)."""
    aspect_ratio: AspectRatio = "16:9"
    """Frame shape."""
    width: int
    """Output width in pixels."""
    height: int
    """Output height in pixels."""
    fps: int = 24
    """Frames per second."""
    audio: bool = False
    """Ask for native audio."""
    seed: int = 0
    """Seed, for providers that accept one; the animatic is deterministic for a seed."""
    first_frame: str = ""
    """Path or URL of a first-frame image (image-to-video); empty for text-to-video."""
    last_frame: str = ""
    """Path or URL of a last-frame image; empty when unused."""
    hints: ShotHints = Field(default_factory=ShotHints)
    """Structured shot facts used by the local animatic renderer."""
    camera_control: CameraControl | None = None
    """Explicit camera control for models that take one (Kling 1.0 std, 1.5 pro); None for the
    prompt's own camera line."""
    multi_prompt: list[ShotSegment] = Field(default_factory=list)
    """Several shots rendered as one clip (Kling 3.0 multi-shot); empty for a single shot."""
    element_images: list[str] = Field(default_factory=list)
    """Paths or URLs of reference images of recurring subjects, for services that take them."""
    element_ids: list[str] = Field(default_factory=list)
    """Ids of subjects registered with the service (Kling 3.0 `element_list`, at most 3)."""

    def idempotency_key(self, project_id: str) -> str:
        """A key unique to this take of this project, sent as e.g. Kling's external_task_id."""
        return f"{project_id}-s{self.shot_index:02d}-a{self.attempt}"


class TaskRef(FilmModel):
    """A provider's handle on a paid task, persisted before anything waits on it."""

    provider: str
    """Adapter name."""
    task_id: str
    """The provider's task or request id."""
    model: str
    """Catalog model id."""
    submitted_at: float
    """Unix time of submission."""
    urls: dict[str, str] = Field(default_factory=dict)
    """Status/result/cancel URLs the provider returned, where it returns them."""
    idempotency_key: str = ""
    """The take's idempotency key, kept here when the service has no field for it."""


TaskState = Literal["queued", "running", "succeeded", "failed"]


class TaskStatus(FilmModel):
    """One poll of a task."""

    state: TaskState
    """Where the task is."""
    progress: float = 0.0
    """0..1 when the provider reports it."""
    error: str = ""
    """The provider's failure reason, when failed."""
    retryable: bool = False
    """Whether the failure may succeed if submitted again unchanged."""
    policy: bool = False
    """Whether the service refused the content (a prompt change, not a resubmit, may help)."""
    video_url: str = ""
    """Where to download the result, when succeeded."""



class Take(FilmModel):
    """One attempt at one shot: what was asked, what the provider did, what QC saw."""

    shot_index: int
    """The shot."""
    attempt: int
    """1-based attempt number."""
    request: GenerationRequest
    """What was sent."""
    task: TaskRef | None = None
    """The provider task, once submitted."""
    video_path: str = ""
    """Downloaded clip, relative to the project folder."""
    cost_usd: float = 0.0
    """What this take cost (catalog price of what was submitted)."""
    submitted_at: float = 0.0
    """Unix time of submission."""
    finished_at: float = 0.0
    """Unix time the clip was on disk (or the task failed)."""
    error: str = ""
    """Provider or download failure, when there is no clip."""
    policy: bool = False
    """The service refused the content: the same prompt will be refused again, so only a
    rewrite of what the shot shows can help."""
    qc: QCReport | None = None
    """Inspection result."""
    spec: PromptSpec | None = None
    """The four-part prompt this take was rendered from (a reverted retake starts from it)."""
    accepted: bool = False
    """Whether this take is the one in the cut."""


class Revision(FilmModel):
    """One controlled experiment: a retake that changed exactly one variable."""

    shot_index: int
    """The shot."""
    attempt: int
    """The attempt this revision produced."""
    variable: Variable
    """The ONE variable changed."""
    before: str
    """Its value before."""
    after: str
    """Its value after."""
    reason: str
    """The QC finding that motivated it, as "check: message"."""
    base_attempt: int = 0
    """The take this experiment started from: the best so far, which is earlier than the last
    take when a worse retake was reverted (0 when unknown)."""
    qc_before: list[str] = Field(default_factory=list)
    """Failing QC checks of the take it started from."""
    qc_after: list[str] = Field(default_factory=list)
    """Failing QC checks of the retake, once inspected."""
    cost_usd: float = 0.0
    """What the retake cost, once submitted."""
    outcome: Literal["pending", "fixed", "improved", "unchanged", "worse"] = "pending"
    """What the retake showed against the take it started from."""

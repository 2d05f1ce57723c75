"""The film vocabulary every layer shares: brief, bible, shots, prompts, takes, QC and revisions.

Field docstrings are part of the contract: they become the JSON-schema descriptions an LLM brain
sees, so they say what a value means on set, not how the code stores it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AspectRatio = Literal["16:9", "9:16", "1:1"]
ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1")
Tier = Literal["draft", "final"]
CameraMove = Literal[
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "push_in",
    "pull_out",
    "orbit_left",
    "orbit_right",
    "crane_up",
    "crane_down",
    "handheld",
    "rack_focus",
]
ShotSize = Literal["extreme_wide", "wide", "medium", "close_up", "extreme_close_up"]
CameraAngle = Literal["eye_level", "low_angle", "high_angle", "overhead", "dutch"]
LightSide = Literal["left", "right", "front", "back", "top"]
Variable = Literal[
    "params",
    "subject",
    "action",
    "camera",
    "environment",
    "lighting",
    "atmosphere",
    "seed",
    "model",
]
"""The variables a retake may change, exactly one at a time."""


class _Model(BaseModel):
    # Field docstrings become the JSON-schema descriptions an LLM brain reads.
    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              use_attribute_docstrings=True)


class WardrobeItem(_Model):
    """One garment, named precisely enough that a model renders the same one every time."""

    garment: str
    """The garment itself, e.g. "double-breasted chef jacket", "trench coat"."""
    material: str = ""
    """What it is made of, e.g. "waxed cotton", "wool"; empty when the brief does not say."""
    colour: str = ""
    """Its colour, e.g. "white", "forest green"; empty when the brief does not say."""

    def phrase(self) -> str:
        return " ".join(p for p in (self.colour, self.material, self.garment) if p)


class Character(_Model):
    """A person (or creature) who appears in more than one shot and must look the same in all."""

    name: str
    """The name the brief uses, e.g. "Ana"."""
    age: str = ""
    """Apparent age, e.g. "40s", "early 30s"."""
    hair: str = ""
    """Hair colour, length and style, e.g. "black hair in a tight bun"."""
    eyes: str = ""
    """Eye colour, e.g. "green eyes"."""
    build: str = ""
    """Body build or height, e.g. "slim", "broad-shouldered"."""
    wardrobe: list[WardrobeItem] = Field(default_factory=list)
    """Specific garments with material and colour, worn identically in every shot."""
    marks: list[str] = Field(default_factory=list)
    """Distinguishing features, e.g. "a small gold nose ring", "a transparent bubble umbrella"."""
    reference_images: list[str] = Field(default_factory=list)
    """Paths or URLs of reference stills of this character, for image-to-video."""
    descriptor: str = ""
    """The canonical descriptor: pasted verbatim into every prompt this character appears in."""

    @model_validator(mode="after")
    def _fill_descriptor(self) -> Character:
        if not self.descriptor:
            self.descriptor = self.compose_descriptor()
        return self

    def compose_descriptor(self) -> str:
        """Build "Ana, a woman in her 40s with ..., wearing ..., ..." from the parts."""
        parts: list[str] = []
        if self.age:
            parts.append(f"{self.age}")
        if self.build:
            parts.append(self.build)
        looks = [p for p in (self.hair, self.eyes) if p]
        clothes = [w.phrase() for w in self.wardrobe]
        text = self.name
        if parts:
            text += ", " + ", ".join(parts)
        if looks:
            text += ", " + " and ".join(looks)
        if clothes:
            text += ", wearing " + " and ".join(clothes)
        if self.marks:
            text += ", " + ", ".join(self.marks)
        return text


class Lighting(_Model):
    """The light of a shot, stated the way a gaffer would set it."""

    source: str
    """The motivated source, e.g. "window sunlight", "neon signage", "tungsten practical"."""
    direction: str
    """Key light direction relative to camera, e.g. "camera-left at 45°"."""
    side: LightSide = "left"
    """Which side of frame the key comes from; drawn by the animatic and checked by QC."""
    colour_temperature_k: int = Field(5600, ge=1000, le=12000)
    """Key light colour temperature in kelvin, e.g. 3200 tungsten, 5600 daylight."""
    quality: str = "soft"
    """Hard or soft light and any modifier, e.g. "soft, diffused"."""

    def phrase(self) -> str:
        return (
            f"{self.quality} key light from {self.direction}, {self.colour_temperature_k}K "
            f"{self.source}"
        )


class Location(_Model):
    """A place the film returns to; shots in one location share its lighting setup."""

    name: str
    """Short handle, e.g. "kitchen pass", "hotel doorway"."""
    place: str
    """What the camera sees, e.g. "a narrow city street with neon signs on wet pavement"."""
    time_of_day: str = "day"
    """e.g. "night", "golden hour", "early morning"."""
    lighting: Lighting
    """The lighting setup kept for every shot here unless the scene changes."""


class Camera(_Model):
    """One camera setup: a single move, an angle, a height and a lens."""

    move: CameraMove = "static"
    """The ONE camera movement of the clip."""
    size: ShotSize = "medium"
    """Shot size; never combine contradictory sizes in one clip."""
    angle: CameraAngle = "eye_level"
    """Vertical angle of view."""
    height: str = "eye height"
    """Camera height, e.g. "eye height", "low, at table height", "overhead"."""
    focal_length_mm: int = Field(50, ge=8, le=600)
    """Lens: 24 establishing, 50 neutral, 85 any person, 135 compression."""


class DialogueLine(_Model):
    """A spoken line in a shot."""

    speaker: str
    """Character name, or "narrator"."""
    text: str
    """The words, in the brief's language."""


class Shot(_Model):
    """One clip of the shot list."""

    index: int = Field(ge=0)
    """Position in the cut, from 0."""
    beat: str
    """The story beat this shot carries, in the brief's words."""
    scene: int = 0
    """Scene number; consecutive shots of one scene bridge positions and keep lighting."""
    location: str = ""
    """Name of the Location in the bible."""
    duration_s: float = Field(gt=0, le=60)
    """Clip length in seconds (a duration the routed model accepts)."""
    subject: str
    """Who or what the shot is about, in plain words, without character descriptors."""
    characters: list[str] = Field(default_factory=list)
    """Names of bible characters in frame; their descriptors are pasted verbatim."""
    action: str
    """The ONE primary action of the clip."""
    camera: Camera = Field(default_factory=Camera)
    """The camera setup."""
    lighting: Lighting
    """Light for this shot, with direction and colour temperature."""
    atmosphere: str
    """Film stock, grain, palette and mood grounded in physical detail."""
    start_position: str = ""
    """Where the subject is at the first frame (bridging from the previous shot)."""
    end_position: str = ""
    """The stable position the subject holds at the last frame (bridging into the next shot)."""
    dialogue: list[DialogueLine] = Field(default_factory=list)
    """Spoken lines, if any."""
    sfx: list[str] = Field(default_factory=list)
    """Sound effects wanted in native audio, e.g. "knife on board"."""
    negative_prompt: str = ""
    """What must not appear, e.g. "text, watermark, extra fingers"."""
    continuous: bool = False
    """True when this clip must start on the previous clip's last frame."""


class PromptSpec(_Model):
    """The four-part prompt of one shot, in the order models weigh it."""

    shot_index: int
    """The shot this prompt renders."""
    subject: str
    """Part 1: subject and action with descriptors, clothing material and colour."""
    camera: str
    """Part 2: angle, height, ONE movement, focal length."""
    environment: str
    """Part 3: place, time of day, light source position and colour temperature."""
    atmosphere: str
    """Part 4: film stock, grain, palette, mood grounded in physical detail."""
    negative_prompt: str = ""
    """Text for the provider's negative prompt field."""
    audio: str = ""
    """Sound and dialogue cues appended for models with native audio."""

    def parts(self) -> list[str]:
        return [self.subject, self.camera, self.environment, self.atmosphere]

    def text(self) -> str:
        return " ".join(p.strip() for p in self.parts() if p.strip())


class Brief(_Model):
    """What the person asked for."""

    title: str
    """Working title of the film."""
    text: str
    """The brief in the person's words."""
    target_duration_s: float = Field(15.0, ge=2, le=600)
    """Length of the final cut in seconds."""
    aspect_ratio: AspectRatio = "16:9"
    """Frame shape of the delivery."""
    platform: str = ""
    """Where it will be shown, e.g. "instagram reels", "youtube"; empty when unstated."""
    tier: Tier = "draft"
    """draft renders on fast cheap models; final on the best ones."""
    budget_usd: float | None = Field(None, ge=0)
    """Spend cap for the whole run in US dollars; None means no cap."""
    audio: bool = False
    """Whether native audio (sfx, dialogue) is wanted."""
    language: str = "en"
    """Language of dialogue and on-screen text."""
    resolution: Literal["720p", "1080p"] = "720p"
    """Delivery resolution."""
    characters: list[Character] = Field(default_factory=list)
    """Characters the brief states explicitly (structured briefs)."""
    locations: list[Location] = Field(default_factory=list)
    """Locations the brief states explicitly (structured briefs)."""
    beats: list[str] = Field(default_factory=list)
    """Shot-by-shot beats when the brief lists them; otherwise derived from the text."""
    style: str = ""
    """Look and feel words from the brief, e.g. "warm, quiet, tactile"."""


class Bible(_Model):
    """The continuity bible: what must stay the same across clips."""

    characters: list[Character] = Field(default_factory=list)
    """Every recurring character with a canonical descriptor."""
    locations: list[Location] = Field(default_factory=list)
    """Every location with its lighting setup."""
    look: str = ""
    """The film's shared look: stock, grain, palette."""

    def character(self, name: str) -> Character | None:
        return next((c for c in self.characters if c.name.lower() == name.lower()), None)

    def location(self, name: str) -> Location | None:
        return next((loc for loc in self.locations if loc.name == name), None)


class ShotHints(_Model):
    """Structured facts about a shot for local renderers; remote providers get only the prompt."""

    subject: str = ""
    """Subject line drawn on the storyboard frame."""
    action: str = ""
    """Action line drawn on the storyboard frame."""
    camera_move: CameraMove = "static"
    """The move the animatic performs."""
    camera_line: str = ""
    """Camera setup line drawn on the frame."""
    light_side: LightSide = "left"
    """Side the key light comes from, drawn as a gradient."""
    colour_temperature_k: int = 5600
    """Tints the frame warm or cool."""
    size: ShotSize = "medium"
    """Shot size, drawn as the subject's scale."""
    subject_kind: Literal["person", "object"] = "person"
    """Whether the storyboard stands a figure or a prop in the set."""


CameraControlType = Literal[
    "simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward"
]
CAMERA_AXES: tuple[str, ...] = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


class CameraControl(_Model):
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


class ShotSegment(_Model):
    """One shot of a multi-shot request (Kling 3.0 `multi_prompt`)."""

    prompt: str = Field(min_length=1)
    """The segment's own prompt (at most 512 characters on Kling 3.0)."""
    duration_s: float = Field(ge=1)
    """The segment's length in whole seconds; segments add up to the request's duration."""


class GenerationRequest(_Model):
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


class TaskRef(_Model):
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


class TaskStatus(_Model):
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


DefectType = Literal["black", "frozen", "flicker", "cut", "letterbox", "static"]


class Defect(_Model):
    """A technical defect found in the pixels."""

    type: DefectType
    """Kind of defect."""
    start_s: float
    """Where it starts in the clip."""
    end_s: float
    """Where it ends."""


class Finding(_Model):
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


class CameraSample(_Model):
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


class CameraMotion(_Model):
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


class QCReport(_Model):
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


class Take(_Model):
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


class Revision(_Model):
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

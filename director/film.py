"""The film vocabulary every layer shares: brief, characters, locations, camera, lighting, shots,
prompts and the continuity bible.

Field docstrings are part of the contract: they become the JSON-schema descriptions an LLM brain
sees, so they say what a value means on set, not how the code stores it.

What is sent to a provider and what comes back (requests, takes, revisions) lives in
director.takes, and what inspection sees (defects, findings, QC reports) in director.inspection.
Both build on the models here and are re-exported, so `from director.film import Take` works.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from director.inspection import (
        CameraClass,
        CameraMotion,
        CameraSample,
        Defect,
        DefectType,
        Finding,
        QCReport,
    )
    from director.takes import (
        CAMERA_AXES,
        CameraControl,
        CameraControlType,
        GenerationRequest,
        Revision,
        ShotSegment,
        Take,
        TaskRef,
        TaskState,
        TaskStatus,
    )

# Everything defined here, in director.takes and in director.inspection (see REEXPORTS).
__all__ = [
    "ASPECT_RATIOS", "CAMERA_AXES", "AspectRatio", "Bible", "Brief", "Camera", "CameraAngle",
    "CameraClass", "CameraControl", "CameraControlType", "CameraMotion", "CameraMove",
    "CameraSample", "Character", "Defect", "DefectType", "DialogueLine", "FilmModel", "Finding",
    "GenerationRequest", "LightSide", "Lighting", "Location", "PromptSpec", "QCReport",
    "Revision", "Shot", "ShotHints", "ShotSegment", "ShotSize", "Take", "TaskRef", "TaskState",
    "TaskStatus", "Tier", "Variable", "WardrobeItem",
]

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


class FilmModel(BaseModel):
    # Field docstrings become the JSON-schema descriptions an LLM brain reads; the models in
    # director.takes and director.inspection inherit this too.
    model_config = ConfigDict(extra="forbid", validate_assignment=True,
                              use_attribute_docstrings=True)


class WardrobeItem(FilmModel):
    """One garment, named precisely enough that a model renders the same one every time."""

    garment: str
    """The garment itself, e.g. "double-breasted chef jacket", "trench coat"."""
    material: str = ""
    """What it is made of, e.g. "waxed cotton", "wool"; empty when the brief does not say."""
    colour: str = ""
    """Its colour, e.g. "white", "forest green"; empty when the brief does not say."""

    def phrase(self) -> str:
        return " ".join(p for p in (self.colour, self.material, self.garment) if p)


class Character(FilmModel):
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
    """Paths or URLs of reference stills of this character; the first becomes its reference
    still (https/http from public addresses only; local files only from the command line)."""
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


class Lighting(FilmModel):
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


class Location(FilmModel):
    """A place the film returns to; shots in one location share its lighting setup."""

    name: str
    """Short handle, e.g. "kitchen pass", "hotel doorway"."""
    place: str
    """What the camera sees, e.g. "a narrow city street with neon signs on wet pavement"."""
    time_of_day: str = "day"
    """e.g. "night", "golden hour", "early morning"."""
    lighting: Lighting
    """The lighting setup kept for every shot here unless the scene changes."""


class Camera(FilmModel):
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


class DialogueLine(FilmModel):
    """A spoken line in a shot."""

    speaker: str
    """Character name, or "narrator"."""
    text: str
    """The words, in the brief's language."""


class Shot(FilmModel):
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


class PromptSpec(FilmModel):
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


class Brief(FilmModel):
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


class Bible(FilmModel):
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


class ShotHints(FilmModel):
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


# ---- re-exports ------------------------------------------------------------------------------

REEXPORTS: dict[str, str] = {
    "CAMERA_AXES": "director.takes",
    "CameraControl": "director.takes",
    "CameraControlType": "director.takes",
    "GenerationRequest": "director.takes",
    "Revision": "director.takes",
    "ShotSegment": "director.takes",
    "Take": "director.takes",
    "TaskRef": "director.takes",
    "TaskState": "director.takes",
    "TaskStatus": "director.takes",
    "CameraClass": "director.inspection",
    "CameraMotion": "director.inspection",
    "CameraSample": "director.inspection",
    "Defect": "director.inspection",
    "DefectType": "director.inspection",
    "Finding": "director.inspection",
    "QCReport": "director.inspection",
}
"""Names served here but defined in director.takes or director.inspection -> that module.
Checkpoints written before those modules existed name these classes under director.film."""


def __getattr__(name: str) -> object:
    # Resolved on first use, not imported at the top: director.takes and director.inspection
    # import this module, so an eager import here would be circular.
    module = REEXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *REEXPORTS})

"""The plan: shot list, bible, prompts and routes. plan.json is this model's JSON.

Other tools read plan.json, so the names `characters[].name/descriptor` and
`shots[].index/duration_s/characters/model/prompt` are a public contract.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from director.film import Bible, Brief, Character, Location, PromptSpec, Shot


class ShotList(BaseModel):
    """What a brain's plan step returns: the bible and the shots, before prompts are written."""

    model_config = ConfigDict(extra="forbid")

    bible: Bible
    """Characters, locations and the shared look."""
    shots: list[Shot]
    """Shots in cut order, indexed from 0."""
    question: str = ""
    """ONE clarifying question for the person when the brief lacks something that changes the
    plan (shown at the approval gate; the plan assumes the likeliest answer); empty when none."""
    continuity: list[str] = Field(default_factory=list)
    """Continuity notes: props, wardrobe, screen direction, time of day to match across shots."""


class PlannedShot(BaseModel):
    """One shot as it will be rendered."""

    model_config = ConfigDict(extra="forbid")

    index: int
    """Position in the cut, from 0."""
    duration_s: float
    """Clip length the routed model will render."""
    characters: list[str] = Field(default_factory=list)
    """Names of characters in frame."""
    model: str = ""
    """Catalog model id chosen by the router."""
    provider: str = ""
    """Adapter that will render it."""
    prompt: str = ""
    """The exact text the provider receives."""
    negative_prompt: str = ""
    """The negative prompt sent, where the model accepts one."""
    estimate_usd: float = 0.0
    """Catalog price of one take."""
    seed: int = 0
    """Seed of the first take; retakes that re-roll it are recorded in the ledger."""
    storyboard: list[str] = Field(default_factory=list)
    """First and last storyboard frames (paths relative to the project), for approval."""
    chain_from: int | None = None
    """The shot whose accepted clip's last frame becomes this clip's first frame (continuous
    shots on a model that takes a first frame); None for an independent clip."""
    group_lead: int | None = None
    """The shot whose multi-shot request renders this one as a segment (the lead names itself);
    None when the shot is rendered on its own."""
    group: list[int] = Field(default_factory=list)
    """On a group's lead: every shot of the group in cut order, the lead first; empty
    otherwise."""
    segment_prompt: str = ""
    """This shot's segment of the multi-shot request (at most the model's segment length);
    empty when the shot is not in a group."""
    keyframe: str = ""
    """A text-to-image keyframe of this shot (relative to the project), used as the first frame
    of an image-to-video clip; empty when none was made."""
    lint: list[str] = Field(default_factory=list)
    """Craft-rule findings left after auto-fix (empty when the prompt is clean)."""
    shot: Shot
    """The full shot setup."""
    spec: PromptSpec
    """The four-part prompt."""


class Plan(BaseModel):
    """Everything decided before rendering."""

    model_config = ConfigDict(extra="forbid")

    title: str
    """Working title."""
    brief: Brief
    """The brief as loaded."""
    characters: list[Character] = Field(default_factory=list)
    """Recurring characters with canonical descriptors."""
    locations: list[Location] = Field(default_factory=list)
    """Locations with lighting setups."""
    look: str = ""
    """The film's shared look."""
    shots: list[PlannedShot] = Field(default_factory=list)
    """Shots in cut order."""
    estimate_usd: float = 0.0
    """Cost of one take of every shot."""
    references: dict[str, str] = Field(default_factory=dict)
    """Character name -> reference still (relative to the project), shown at approval."""
    stills_usd: float = 0.0
    """What the reference stills and keyframes cost (already spent when the gate asks)."""
    storyboard: str = ""
    """Contact sheet of every shot's first storyboard frame, relative to the project."""

    @property
    def bible(self) -> Bible:
        return Bible(characters=self.characters, locations=self.locations, look=self.look)

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.shots)

    def group_of(self, index: int) -> list[PlannedShot]:
        """The shots rendered together with shot `index` in one multi-shot request, lead first
        (empty when it is rendered on its own)."""
        by_index = {s.index: s for s in self.shots}
        shot = by_index.get(index)
        if shot is None or shot.group_lead is None or shot.group_lead not in by_index:
            return []
        return [by_index[i] for i in by_index[shot.group_lead].group if i in by_index]

"""What the vision judge checks a take against: one line per element of the shot (subject,
action, environment, lighting, atmosphere), taken from the richest source at hand.

- A `Shot` and its `Bible` (the plan): characters' descriptors, the location's place and time of
  day, the lighting setup. Best.
- A `GenerationRequest` with the shot's `PromptSpec`: the spec's parts (subject with the
  characters' descriptors, environment, atmosphere) plus the structured hints (action, key-light
  side and colour temperature).
- A `GenerationRequest` alone: the hints, and the prompt text for what they do not cover.

An element no source describes is sent as NOT_SPECIFIED; the judge is told such an element
passes, and no finding is ever raised for it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from director.film import Bible, GenerationRequest, LightSide, PromptSpec, Shot

NOT_SPECIFIED = "not specified"
"""The line of an element the shot does not describe."""
PROMPT_CHARS = 600
"""Most of the prompt text quoted for an element the hints do not cover."""
SIDE_PHRASE: dict[LightSide, str] = {
    "left": "camera-left",
    "right": "camera-right",
    "front": "the front (beside the camera)",
    "back": "behind the subject",
    "top": "above",
}
"""How each key-light side is said to the judge (the lighting question of reference/qc.md)."""


class JudgeSpec(BaseModel):
    """The shot as the judge reads it: one line per element."""

    model_config = ConfigDict(extra="forbid")

    subject: str
    """Who or what is in frame, with appearance and clothing."""
    action: str
    """The one thing the subject does."""
    environment: str
    """The place and time of day."""
    lighting: str
    """Key light side, colour temperature and quality."""
    atmosphere: str
    """Palette, texture, weather and mood."""

    def specified(self, element: str) -> bool:
        """Whether the shot describes `element` at all (an unspecified one cannot fail)."""
        return getattr(self, element).strip().lower() not in ("", NOT_SPECIFIED)

    @classmethod
    def from_shot(cls, shot: Shot, bible: Bible | None = None) -> JudgeSpec:
        """From the plan's shot, with characters and location resolved through the bible."""
        people = [bible.character(n) for n in shot.characters] if bible else []
        subject = "; ".join([shot.subject, *(c.descriptor for c in people if c)])
        place = bible.location(shot.location) if bible and shot.location else None
        environment = f"{place.place}, {place.time_of_day}" if place else shot.location
        return cls(
            subject=subject,
            action=shot.action,
            environment=environment or "as the subject's surroundings suggest",
            lighting=shot.lighting.phrase(),
            atmosphere=shot.atmosphere,
        )

    @classmethod
    def from_request(
        cls, request: GenerationRequest, spec: PromptSpec | None = None
    ) -> JudgeSpec:
        """From what a take was asked for: the prompt spec's subject part (it carries the
        characters' descriptors) and the hints' action, key-light side and colour temperature,
        the spec's environment and atmosphere parts; the prompt text for anything left."""
        hints = request.hints
        prompt = " ".join(request.prompt.split())
        if len(prompt) > PROMPT_CHARS:
            prompt = prompt[:PROMPT_CHARS].rsplit(" ", 1)[0] + " …"
        fallback = f"whatever this prompt says about it: {prompt}" if prompt else NOT_SPECIFIED
        lights = []
        # Hints never filled in (no subject, no action) hold only the default light side.
        if hints.subject.strip() or hints.action.strip():
            side = SIDE_PHRASE[hints.light_side]
            lights.append(f"key light from {side}, about {hints.colour_temperature_k}K")
        if spec is not None and spec.environment.strip():
            # The environment part of the four-part prompt names the light source too.
            lights.append(f"as in: {spec.environment.strip()}")
        lighting = "; ".join(lights) or fallback
        return cls(
            subject=_first(spec.subject if spec else "", hints.subject, fallback),
            action=_first(hints.action, spec.subject if spec else "", fallback),
            environment=_first(spec.environment if spec else "", fallback),
            lighting=lighting,
            atmosphere=_first(spec.atmosphere if spec else "", fallback),
        )


def _first(*lines: str) -> str:
    return next((line.strip() for line in lines if line.strip()), NOT_SPECIFIED)

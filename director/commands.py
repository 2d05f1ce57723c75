"""Typed commands: the one vocabulary the shell, the chat page, Slack and the LLM brain share.

Every door turns what a person typed into one of these models (ui/commands.py parses text; an LLM
brain returns them from `converse`), and ui/session.py executes them against a project folder.
Field docstrings become the tool schema an LLM sees, so they say what a value means to a person.
Shot and take numbers are 1-based here, as a person counts them; the plan indexes from 0.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from director.film import Tier, Variable
from director.plan import Plan

EditField = Literal[
    "duration",
    "subject",
    "action",
    "move",
    "size",
    "angle",
    "lens",
    "height",
    "light",
    "light_side",
    "kelvin",
    "atmosphere",
    "start",
    "end",
    "prompt",
]
"""Shot fields a person may edit before approval.

duration (seconds, one the model accepts), subject, action (the ONE primary action),
move (camera move, e.g. push_in), size (e.g. close_up), angle (e.g. low_angle),
lens (focal length in mm), height (camera height words), light (key light source words),
light_side (left/right/front/back/top), kelvin (key light colour temperature),
atmosphere (stock, grain, palette, physical mood), start / end (bridging positions),
prompt (the exact provider text, replacing the written one; it is linted, not rewritten)."""

EDIT_FIELDS: tuple[str, ...] = EditField.__args__  # type: ignore[attr-defined]


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class New(_Command):
    """Start a new project from a brief and plan it (planning is free; nothing is rendered)."""

    name: Literal["new"] = "new"
    text: str = Field(min_length=1, max_length=20_000)
    """The brief in the person's words, e.g. "15 s ad: a baker at dawn pulls bread from the
    oven, warm tungsten light, 16:9"."""


class ShowPlan(_Command):
    """Show the plan: title, shots with duration, model and price, estimate, storyboard."""

    name: Literal["plan"] = "plan"


class Shots(_Command):
    """Show the shot list: camera, light and status of every shot."""

    name: Literal["shots"] = "shots"


class Cast(_Command):
    """Show the character bible (descriptors pasted into every prompt) and the locations."""

    name: Literal["cast"] = "cast"


class EditShot(_Command):
    """Change one field of one shot before approval; the prompt is re-written and re-linted."""

    name: Literal["edit"] = "edit"
    shot: int = Field(ge=1, le=500)
    """Shot number, counting from 1."""
    field: EditField
    """Which field to change."""
    value: str = Field(min_length=1, max_length=4000)
    """The new value. Numbers may be relative: kelvin "+1500" is cooler, "-800" warmer."""


class Approve(_Command):
    """Approve the plan and render every shot (spends the estimate)."""

    name: Literal["approve"] = "approve"


class Reject(_Command):
    """Turn the plan down without rendering; edit it and approve later."""

    name: Literal["reject"] = "reject"
    reason: str = "rejected"
    """Why, in the person's words."""


class Render(_Command):
    """Render shots: before approval this approves the plan; after it, renders new takes."""

    name: Literal["render"] = "render"
    shots: list[Annotated[int, Field(ge=1, le=500)]] | None = None
    """Shot numbers from 1; None renders every shot."""
    tier: Tier | None = None
    """draft (fast, cheap models) or final (best models); None keeps the plan's."""
    model: str | None = None
    """A catalog model id to render on, e.g. "kling-v2-6-pro"; None lets the router choose."""


class Revise(_Command):
    """A manual retake of one shot that changes exactly ONE variable."""

    name: Literal["revise"] = "revise"
    shot: int = Field(ge=1, le=500)
    """Shot number, counting from 1."""
    variable: Variable
    """The one variable to change: seed, model, params (duration), subject, action, camera
    (a camera move), environment (place words), lighting (kelvin, side or source words),
    atmosphere."""
    value: str = Field(min_length=1, max_length=4000)
    """Its new value, e.g. "push_in" for camera, "6500" or "right" for lighting, a model id."""


class Status(_Command):
    """Where the project stands: stage, shots done and failed, spend against the cap, cut."""

    name: Literal["status"] = "status"


class Budget(_Command):
    """Show the budget, or set the spend cap."""

    name: Literal["budget"] = "budget"
    usd: float | None = Field(None, ge=0, le=100_000)
    """New spend cap in US dollars; None shows estimate, spend and cap."""


class Takes(_Command):
    """List every take of one shot with its QC verdict and the revision that produced it."""

    name: Literal["takes"] = "takes"
    shot: int = Field(ge=1, le=500)
    """Shot number, counting from 1."""


class Pick(_Command):
    """Choose which take of a shot goes in the cut (then `cut` re-assembles)."""

    name: Literal["pick"] = "pick"
    shot: int = Field(ge=1, le=500)
    """Shot number, counting from 1."""
    take: int = Field(ge=1, le=100)
    """Take (attempt) number, counting from 1."""


class Cut(_Command):
    """Re-assemble the cut from the chosen take of every shot."""

    name: Literal["cut"] = "cut"


class Export(_Command):
    """Paths of the final cut and the report."""

    name: Literal["export"] = "export"


class Help(_Command):
    """Show the commands, or the usage of one."""

    name: Literal["help"] = "help"
    topic: str | None = None
    """A command name, e.g. "render"; None lists them all."""


Command = Annotated[
    New
    | ShowPlan
    | Shots
    | Cast
    | EditShot
    | Approve
    | Reject
    | Render
    | Revise
    | Status
    | Budget
    | Takes
    | Pick
    | Cut
    | Export
    | Help,
    Field(discriminator="name"),
]
"""Any command, discriminated by its `name`."""

COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
"""Validates a dict such as {"name": "render", "shots": [2]} into a Command."""

COMMAND_NAMES: tuple[str, ...] = (
    "new", "plan", "shots", "cast", "edit", "approve", "reject", "render", "revise", "status",
    "budget", "takes", "pick", "cut", "export", "help",
)

_PAID = ("approve", "render", "revise")


def spends_money(cmd: Command, estimate_usd: float | None = None) -> bool:
    """Whether running `cmd` may spend money and so needs the person's confirmation first.

    approve, render and revise start paid renders; `estimate_usd` (what the session priced them
    at) lets a free run, e.g. on the local animatic, skip the question. Unknown cost asks.
    """
    if cmd.name not in _PAID:
        return False
    return estimate_usd is None or estimate_usd > 0


class ConverseContext(BaseModel):
    """What a brain sees when a person writes in free words instead of a command."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    stage: Literal["empty", "awaiting_approval", "rejected", "rendering", "done"] = "empty"
    """empty: no project yet; awaiting_approval: planned, not approved; rejected: turned down;
    rendering: approved but unfinished (interrupted); done: rendered and cut."""
    plan: Plan | None = None
    """The current plan, when there is one."""
    status: str = ""
    """The project's status as a person would read it (shots done, failed, spend)."""
    spent_usd: float = 0.0
    """Money spent so far."""
    cap_usd: float | None = None
    """The spend cap, None for no cap."""


class ConverseReply(BaseModel):
    """A brain's answer to free words: a short reply and the commands it proposes."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    reply: str
    """What to say to the person, in plain words (markdown allowed)."""
    commands: list[Command] = Field(default_factory=list)
    """Commands proposed; each edit changes ONE field of ONE shot. Commands that spend money
    are shown to the person and run only once they confirm."""

"""Editing one field of one planned shot before approval: validate, re-write, re-lint by code.

Whatever the person types goes through the same path a brain's shot does: the brain writes the
four-part prompt for the edited shot, lint fixes what it can, and what remains is shown.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from director.agent.brains.base import Brain
from director.commands import EditShot
from director.controls import strip_controls
from director.film import Shot
from director.plan import Plan, PlannedShot, ShotList
from director.project import Project
from director.prompts import compose, lint
from director.tools import catalog
from director.ui.commands import CommandError
from director.ui.values import ANGLES, MOVES, SIDES, SIZES, choice, number


def _shot_update(shot: Shot, field: str, value: str) -> dict[str, Any]:
    """The Shot fields an edit changes, as a model_dump-shaped patch."""
    data = shot.model_dump()
    cam, light = data["camera"], data["lighting"]
    if field == "duration":
        data["duration_s"] = number(value, shot.duration_s, 1, 60, "duration")
    elif field in ("subject", "action", "atmosphere"):
        data[field] = value
    elif field in ("start", "end"):
        data[f"{field}_position"] = value
    elif field == "move":
        cam["move"] = choice(value, MOVES, "move")
    elif field == "size":
        cam["size"] = choice(value, SIZES, "size")
    elif field == "angle":
        cam["angle"] = choice(value, ANGLES, "angle")
    elif field == "lens":
        cam["focal_length_mm"] = int(number(value, cam["focal_length_mm"], 8, 600, "lens"))
    elif field == "height":
        cam["height"] = value
    elif field == "light":
        light["source"] = value
    elif field == "light_side":
        side = choice(value, SIDES, "light_side")
        light["side"] = side
        light["direction"] = {
            "left": "camera-left at 45°", "right": "camera-right at 45°", "front": "front",
            "back": "behind the subject", "top": "directly above",
        }[side]
    elif field == "kelvin":
        current = light["colour_temperature_k"]
        light["colour_temperature_k"] = int(number(value, current, 1000, 12000, "kelvin"))
    return data


def edit_plan(
    plan: Plan, shotlist: ShotList | None, brain: Brain, cmd: EditShot
) -> tuple[Plan, ShotList | None, PlannedShot]:
    """The plan (and shot list) with `cmd` applied to one shot; CommandError for a bad value."""
    index = cmd.shot - 1
    if not 0 <= index < len(plan.shots):
        raise CommandError(f"there is no shot {cmd.shot}; the plan has {len(plan.shots)}")
    planned = plan.shots[index]
    family = catalog.get(planned.model).family if planned.model else "kling"
    bible = plan.bible
    # A brain's proposed edit never went through the command grammar: its value is cleaned
    # here too, so no escape or bidi override reaches a prompt; a prompt part is one line.
    value = " ".join(strip_controls(cmd.value, " ").split())
    if not value:
        raise CommandError(f"shot {cmd.shot} {cmd.field}: the new value is empty")
    if cmd.field == "prompt":
        findings = lint.lint_text(value, planned.shot, bible, family, planned.negative_prompt)
        new_planned = planned.model_copy(
            update={"prompt": value, "lint": [f.message for f in findings]}
        )
    else:
        try:
            shot = Shot.model_validate(_shot_update(planned.shot, cmd.field, value))
        except ValidationError as exc:
            err = exc.errors()[0]
            raise CommandError(f"shot {cmd.shot} {cmd.field}: {err['msg']}") from None
        if cmd.field == "duration" and planned.model:
            spec = catalog.get(planned.model)
            if not spec.accepts(shot.duration_s):
                raise CommandError(
                    f"{spec.id} renders {', '.join(f'{d:g}' for d in spec.durations[:12])} s "
                    f"clips, not {shot.duration_s:g} s"
                )
        written, remaining = lint.fix(brain.write(shot, bible), shot, bible, family)
        new_planned = planned.model_copy(
            update={
                "duration_s": shot.duration_s,
                "shot": shot,
                "spec": written,
                "prompt": compose.render(written, family),
                "negative_prompt": written.negative_prompt,
                "lint": [f.message for f in remaining],
            }
        )
    shots = [new_planned if s.index == planned.index else s for s in plan.shots]
    new_plan = plan.model_copy(update={"shots": shots})
    new_list = shotlist
    if shotlist is not None:
        new_list = shotlist.model_copy(
            update={
                "shots": [
                    new_planned.shot if s.index == planned.index else s for s in shotlist.shots
                ]
            }
        )
    return new_plan, new_list, new_planned


def forget_storyboard(project: Project, index: int) -> None:
    """Remove one shot's storyboard frames so the stills step draws the edited shot."""
    for end in ("first", "last"):
        (project.stills_dir / f"board{index:02d}_{end}.png").unlink(missing_ok=True)

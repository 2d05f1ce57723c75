"""The rules brain's conversation: free words in, a short answer and proposed commands out.

A keyword reader, deterministic and offline: it finds which shots a message means ("the second
shot", "shot 3", "all shots") and what it asks for ("colder", "push in slowly", "render it",
"how much have we spent"), and proposes one command per change, each changing ONE variable. When
it cannot tell, it says so and points to the slash commands.
"""

from __future__ import annotations

import re

from director.commands import (
    Approve,
    Budget,
    Cast,
    Command,
    ConverseContext,
    ConverseReply,
    Cut,
    EditShot,
    Export,
    New,
    Render,
    Revise,
    Shots,
    ShowPlan,
    Status,
    Takes,
)

KELVIN_STEP = 1500
"""How far "colder" or "warmer" moves the key light's colour temperature."""

_ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "opening": 1,
}
_MOVES = (
    (r"\b(?:push(?:es|ing)? in|dolly(?:ing)? in|move closer|creep in|zoom in)\b", "push_in"),
    (r"\b(?:pull(?:s|ing)? (?:out|back)|dolly(?:ing)? out|zoom out)\b", "pull_out"),
    (r"\bpan(?:s|ning)? (?:to the )?left\b", "pan_left"),
    (r"\bpan(?:s|ning)? (?:to the )?right\b", "pan_right"),
    (r"\btilt(?:s|ing)? up\b", "tilt_up"),
    (r"\btilt(?:s|ing)? down\b", "tilt_down"),
    (r"\borbit(?:s|ing)?(?: left)?\b", "orbit_left"),
    (r"\bcrane(?:s|ing)? up\b", "crane_up"),
    (r"\bcrane(?:s|ing)? down\b", "crane_down"),
    (r"\bhand-?held\b", "handheld"),
    (r"\b(?:static|locked[- ]off|tripod|hold still)\b", "static"),
    (r"\brack focus\b", "rack_focus"),
)
_COLDER = re.compile(r"\b(?:cold(?:er)?|cool(?:er)?|blu(?:e|er|ish)|icier|bleaker|wintry)\b")
_WARMER = re.compile(r"\b(?:warm(?:er)?|golden|orange|cosier|cozier|amber)\b")
_SIDE = re.compile(r"\blight(?:ing)? from (?:the )?(?:camera[- ])?(left|right|behind|above)\b")
_SECONDS = re.compile(r"\b(\d{1,2}(?:\.\d)?)\s*(?:s|sec|secs|seconds)\b")


def named_shots(text: str, count: int) -> list[int]:
    """Shot numbers (from 1) a message names explicitly ("shot 3", "the second shot", "#2")."""
    found: list[int] = []
    for m in re.finditer(r"\bshots? #?(\d{1,3})\b|(?<!\w)#(\d{1,3})\b", text):
        found.append(int(m.group(1) or m.group(2)))
    for m in re.finditer(r"\b(\w+) shot\b", text):
        word = m.group(1)
        digits = re.fullmatch(r"(\d{1,3})(?:st|nd|rd|th)?", word)
        if word in _ORDINALS:
            found.append(_ORDINALS[word])
        elif word in ("last", "final") and count:
            found.append(count)
        elif digits:
            found.append(int(digits.group(1)))
    for m in re.finditer(r"\bshot (\w+)\b", text):
        if m.group(1) in _ORDINALS:
            found.append(_ORDINALS[m.group(1)])
    return sorted(set(found))


def shots_meant(text: str, count: int) -> list[int]:
    """Shot numbers (from 1) a message refers to: every shot for "all shots", the only shot of a
    one-shot plan when none is named, else those named that exist."""
    if re.search(r"\b(?:all|every|each) (?:the )?shots?\b|\beverything\b", text):
        return list(range(1, count + 1))
    named = named_shots(text, count)
    if not named and count == 1:
        return [1]
    return [n for n in named if 1 <= n <= count]


def _changes(text: str, number: int, ctx: ConverseContext) -> list[tuple[str, str, str]]:
    """(edit field, value, words) for each one-variable change asked of one shot."""
    out: list[tuple[str, str, str]] = []
    kelvin = 5600
    if ctx.plan is not None and number <= len(ctx.plan.shots):
        kelvin = ctx.plan.shots[number - 1].shot.lighting.colour_temperature_k
    if _COLDER.search(text):
        new = min(12000, kelvin + KELVIN_STEP)
        out.append(("kelvin", str(new), f"cooler key light, {kelvin}K → {new}K"))
    elif _WARMER.search(text):
        new = max(1000, kelvin - KELVIN_STEP)
        out.append(("kelvin", str(new), f"warmer key light, {kelvin}K → {new}K"))
    for pattern, move in _MOVES:
        if re.search(pattern, text):
            out.append(("move", move, f"camera move {move.replace('_', ' ')}"))
            break
    side = _SIDE.search(text)
    if side:
        value = {"behind": "back", "above": "top"}.get(side.group(1), side.group(1))
        out.append(("light_side", value, f"key light from {value}"))
    seconds = _SECONDS.search(text)
    if seconds:
        out.append(("duration", seconds.group(1), f"{seconds.group(1)} s long"))
    return out


_REVISE_AS = {"kelvin": "lighting", "move": "camera", "light_side": "lighting",
              "duration": "params"}


def _edit_commands(text: str, ctx: ConverseContext) -> tuple[list[Command], list[str]]:
    count = len(ctx.plan.shots) if ctx.plan else 0
    commands: list[Command] = []
    said: list[str] = []
    for number in shots_meant(text, count):
        for field, value, words in _changes(text, number, ctx):
            if ctx.stage in ("awaiting_approval", "rejected"):
                commands.append(EditShot(shot=number, field=field, value=value))  # type: ignore[arg-type]
            else:
                variable = _REVISE_AS[field]
                commands.append(Revise(shot=number, variable=variable, value=value))  # type: ignore[arg-type]
            said.append(f"shot {number}: {words}")
    return commands, said


def converse(message: str, ctx: ConverseContext) -> ConverseReply:
    """Answer free words about the project with a reply and one-variable command proposals."""
    text = " ".join(message.lower().split())
    stage = ctx.stage
    if stage == "empty":
        if len(text.split()) >= 5:
            return ConverseReply(
                reply="That reads like a brief; I'll plan it (planning is free).",
                commands=[New(text=message.strip())],
            )
        return ConverseReply(reply="There is no project yet. Describe the film you want, or "
                                   "type `/new <brief>`; `/help` lists every command.")
    if re.search(r"\b(?:spent|spend|cost|costs|money|budget|how much)\b", text):
        return ConverseReply(reply="Here is the money so far.", commands=[Budget()])
    if re.search(r"\b(?:status|where are we|progress|how is it going|what now)\b", text):
        return ConverseReply(reply="Where the project stands:", commands=[Status()])
    if re.search(r"\b(?:characters?|cast|bible|who is in)\b", text):
        return ConverseReply(reply="The cast:", commands=[Cast()])
    if re.search(r"\b(?:export|download|final cut|where is the (?:video|cut|film))\b", text):
        return ConverseReply(reply="The files:", commands=[Export()])
    count = len(ctx.plan.shots) if ctx.plan else 0
    if re.search(r"\btakes?\b", text) and (shots := shots_meant(text, count)):
        return ConverseReply(reply="The takes:", commands=[Takes(shot=n) for n in shots])
    missing = [n for n in named_shots(text, count) if n > count]
    if missing and count:
        return ConverseReply(reply=f"There is no shot {missing[0]}: the plan has {count}. "
                                   "`/shots` lists them.")
    commands, said = _edit_commands(text, ctx)
    if not commands and count > 1 and _changes(text, 1, ctx) and not named_shots(text, count):
        # "make it warmer" on a multi-shot plan: a change without a shot is not a render.
        return ConverseReply(reply=f"Which shot? The plan has {count}: name one (\"shot 2\", "
                                   "\"the last shot\") or \"all shots\"; `/shots` lists them.")
    if commands:
        kind = "edit" if stage in ("awaiting_approval", "rejected") else "retake"
        reply = f"I'd {kind} one variable at a time: " + "; ".join(said) + "."
        return ConverseReply(reply=reply, commands=commands)
    if _wants_render(text):
        if stage in ("awaiting_approval", "rejected"):
            return ConverseReply(reply="Approving the plan and rendering every shot.",
                                 commands=[Approve()])
        if stage == "rendering":
            return ConverseReply(reply="Continuing the render.", commands=[Render()])
        shots = shots_meant(text, count) if re.search(r"\bshot", text) else []
        return ConverseReply(reply="A new take with a fresh seed.",
                             commands=[Render(shots=shots or None)])
    if re.search(r"\b(?:re-?cut|assemble|re-?assemble)\b", text):
        return ConverseReply(reply="Re-assembling the cut.", commands=[Cut()])
    if re.search(r"\b(?:plan|storyboard|prompts?)\b", text):
        return ConverseReply(reply="The plan:", commands=[ShowPlan()])
    if re.search(r"\bshots?\b|\bshot list\b", text):
        return ConverseReply(reply="The shot list:", commands=[Shots()])
    if re.search(r"\b(?:approve|looks good|ship it|lgtm)\b", text):
        return ConverseReply(reply="Approving the plan.", commands=[Approve()])
    return ConverseReply(
        reply="I couldn't tell what to change. Name a shot and one change (\"make shot 2 "
        "warmer\", \"push in on the first shot\"), or use a command: `/shots`, "
        "`/edit shot N <field> <value>`, `/approve`, `/status`, `/help`."
    )


def _wants_render(text: str) -> bool:
    return bool(re.search(
        r"\b(?:render|shoot|go ahead|make it|roll|action|do it|generate|retake|re-?render)\b",
        text,
    ))

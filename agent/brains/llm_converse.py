"""Free words to a short reply and typed commands, through tool calling.

Every command of director/commands.py is offered as one function tool (its pydantic model is
the tool schema); each tool call the model makes is validated back into a Command. A call that
does not validate is dropped and the reply says so: nothing the model invents reaches a door.
"""

from __future__ import annotations

import json
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from director.agent.brains.llm_calls import StructuredCaller
from director.agent.brains.llm_prompts import data_block, render
from director.agent.brains.llm_schemas import strict_schema
from director.commands import COMMAND_ADAPTER, Command, ConverseContext, ConverseReply

MAX_COMMANDS = 8


def command_models() -> list[type[BaseModel]]:
    """The Command union's members, in declaration order."""
    union = get_args(Command)[0]
    return list(get_args(union))


def command_tools() -> list[dict[str, Any]]:
    """One strict function tool per command, named after the command, with the same strict
    schema subset the structured calls send (see llm_schemas.UNSUPPORTED)."""
    return [{
        "type": "function",
        "function": {
            "name": model.model_fields["name"].default,
            "description": (model.__doc__ or "").strip(),
            "parameters": strict_schema(model),
            "strict": True,
        },
    } for model in command_models()]


def state_summary(context: ConverseContext) -> dict[str, Any]:
    """The project as the model needs it: small enough for every message, no file contents."""
    summary: dict[str, Any] = {"stage": context.stage, "status": context.status,
                               "spent_usd": context.spent_usd, "cap_usd": context.cap_usd}
    plan = context.plan
    if plan is not None:
        summary["title"] = plan.title
        summary["estimate_usd"] = plan.estimate_usd
        summary["characters"] = [{"name": c.name, "descriptor": c.descriptor}
                                 for c in plan.characters]
        summary["shots"] = [{
            "shot": s.index + 1, "duration_s": s.duration_s, "model": s.model,
            "subject": s.shot.subject, "action": s.shot.action, "move": s.shot.camera.move,
            "size": s.shot.camera.size, "kelvin": s.shot.lighting.colour_temperature_k,
            "prompt": s.prompt[:400],
        } for s in plan.shots]
    return summary


def converse(caller: StructuredCaller, message: str, context: ConverseContext) -> ConverseReply:
    """The model's reply and its validated commands (LLMError when the endpoint fails)."""
    request = {
        "model": caller.settings.model,
        "messages": [
            {"role": "system", "content": render("converse")},
            {"role": "user", "content": f"{data_block('state', state_summary(context))}\n\n"
                                        f"{data_block('message', {'text': message})}"},
        ],
        "tools": command_tools(),
        "tool_choice": "auto",
    }
    completion = caller.raw("converse", request)
    reply = completion.choices[0].message if completion.choices else None
    content = reply.content if reply is not None else None
    text = " ".join(content.split()) if isinstance(content, str) else ""
    if reply is not None and getattr(reply, "refusal", None):
        text = text or str(reply.refusal)
    commands: list[Command] = []
    dropped: list[str] = []
    for call in (reply.tool_calls or []) if reply else []:
        function = getattr(call, "function", None)
        if function is None:
            continue
        try:
            args = json.loads(function.arguments or "{}")
            if not isinstance(args, dict):
                raise ValueError("arguments are not an object")
            commands.append(COMMAND_ADAPTER.validate_python({**args, "name": function.name}))
        except (TypeError, ValueError, ValidationError):
            dropped.append(str(function.name)[:40])
    if dropped:
        text = (f"{text} (I could not turn {', '.join(sorted(set(dropped)))} into a valid "
                "command; please say it again.)").strip()
    # An empty reply must not read as if something happened: nothing has run yet.
    fallback = "Proposed:" if commands else "I have nothing to add; `/help` lists the commands."
    return ConverseReply(reply=text or fallback, commands=commands[:MAX_COMMANDS])

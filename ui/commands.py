"""One command grammar for the shell, the chat page and Slack: text in, a typed Command out.

`parse` accepts a command with or without a leading "/" or "/director ". Bad input raises
CommandError whose message is the command's usage line; nothing else ever escapes.
"""

from __future__ import annotations

import re
import shlex

from pydantic import ValidationError

from director.commands import (
    COMMAND_ADAPTER,
    COMMAND_NAMES,
    EDIT_FIELDS,
    Approve,
    Budget,
    Cast,
    Command,
    Cut,
    EditShot,
    Export,
    Help,
    New,
    Pick,
    Reject,
    Render,
    Revise,
    Shots,
    ShowPlan,
    Status,
    Takes,
)
from director.controls import strip_controls
from director.errors import DirectorError
from director.film import Variable


class CommandError(DirectorError):
    """A command that cannot be understood; the message is a short usage line."""

    exit_code = 2


USAGE: dict[str, tuple[str, str]] = {
    "new": ("new <brief text>", "start a project from a brief and plan it (free)"),
    "plan": ("plan", "the plan: shots, models, prices, estimate, storyboard"),
    "shots": ("shots", "the shot list: camera, light and status of every shot"),
    "cast": ("cast", "the character bible and the locations"),
    "edit": (
        "edit shot N <field> <value>",
        "change one field of one shot before approval; fields: " + ", ".join(EDIT_FIELDS),
    ),
    "approve": ("approve", "approve the plan and render every shot"),
    "reject": ("reject [reason]", "turn the plan down; nothing is rendered"),
    "render": (
        "render [N[,N...]|all] [--tier draft|final] [--model NAME]",
        "render the plan, or new takes of chosen shots",
    ),
    "revise": (
        "revise N <variable> <value>",
        "a one-variable retake; variables: seed, model, params, subject, action, camera, "
        "environment, lighting, atmosphere",
    ),
    "status": ("status", "stage, shots done and failed, spend against the cap"),
    "budget": ("budget [USD]", "show the budget, or set the spend cap"),
    "takes": ("takes N", "every take of shot N with its QC verdict"),
    "pick": ("pick N TAKE", "choose which take of shot N goes in the cut"),
    "cut": ("cut", "re-assemble the cut from the chosen takes"),
    "export": ("export", "paths of the final cut and the report"),
    "help": ("help [command]", "this list, or one command's usage"),
}

_ALIASES = {
    "bible": "cast",
    "characters": "cast",
    "storyboard": "plan",
    "shotlist": "shots",
    "retake": "revise",
    "choose": "pick",
    "assemble": "cut",
    "files": "export",
    "?": "help",
}

_FIELD_ALIASES = {
    "camera": "move",
    "camera_move": "move",
    "movement": "move",
    "shot_size": "size",
    "framing": "size",
    "focal": "lens",
    "focal_length": "lens",
    "mm": "lens",
    "lighting": "light",
    "light_source": "light",
    "side": "light_side",
    "temperature": "kelvin",
    "colour_temperature": "kelvin",
    "color_temperature": "kelvin",
    "k": "kelvin",
    "length": "duration",
    "seconds": "duration",
    "mood": "atmosphere",
    "look": "atmosphere",
    "start_position": "start",
    "end_position": "end",
    "text": "prompt",
}

_VARIABLES: tuple[str, ...] = Variable.__args__  # type: ignore[attr-defined]
_VARIABLE_ALIASES = {
    "light": "lighting", "move": "camera", "duration": "params", "place": "environment"
}
_PREFIX = re.compile(r"^\s*/?\s*(?:director\b)?\s*", re.IGNORECASE)
# Control characters (NUL, terminal escapes, bidi overrides, zero-width marks) would reach
# prompts, terminals and file names; newlines and tabs stay, a brief may span lines.
# strip_controls takes escapes, C0/C1 and bidi controls; here zero-width marks go too.
_CONTROL = re.compile(r"[\x0b-\x0c\x1c-\x1f\u200b-\u200f\u2028-\u202e\u2060\ufeff]")


def usage(name: str | None = None) -> str:
    """One command's usage line, or every command with a line of help each."""
    if name:
        key = _ALIASES.get(name.strip().lower().lstrip("/"), name.strip().lower().lstrip("/"))
        if key in USAGE:
            line, what = USAGE[key]
            return f"usage: /{line} — {what}"
    return HELP


HELP = "Commands (type them with or without a leading /):\n" + "\n".join(
    f"  /{line}  — {what}" for line, what in USAGE.values()
)


def _fail(name: str, problem: str = "") -> CommandError:
    line = USAGE[name][0]
    return CommandError(f"{problem + '; ' if problem else ''}usage: /{line}")


def split_name(text: str) -> tuple[str, str]:
    """("render", "2 --tier final") from "/director render 2 --tier final"."""
    body = _PREFIX.sub("", text or "", count=1).strip()
    if not body:
        return "help", ""
    head, _, rest = body.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = f"{more} {rest}".strip()
    key = head.strip().lower()
    return _ALIASES.get(key, key), rest.strip()


def is_command(text: str) -> bool:
    """Whether `text` starts with "/" or with a known command word (it may still be malformed)."""
    if (text or "").lstrip().startswith("/"):
        return True
    name, _ = split_name(text)
    return bool((text or "").strip()) and name in COMMAND_NAMES


def parse(text: str) -> Command:
    """Parse one command line into a typed Command; CommandError (a usage line) otherwise."""
    if not isinstance(text, str):
        raise CommandError("a command is text; type /help for the commands")
    name, rest = split_name(_CONTROL.sub(" ", strip_controls(text, " ")))
    if name not in USAGE:
        raise CommandError(f"unknown command {name[:40]!r}; type /help for the commands")
    try:
        return _build(name, rest)
    except CommandError:
        raise
    except ValidationError as exc:
        raise _fail(name, _first_problem(exc, name)) from None
    except ValueError as exc:  # shlex quoting, int()/float() on bad numbers
        raise _fail(name, str(exc).splitlines()[0][:80] if str(exc) else "") from None


def _first_problem(exc: ValidationError, name: str) -> str:
    err = exc.errors()[0]
    loc = tuple(err.get("loc", ()))
    # The union's tag ("revise") leads the location when the adapter validated it.
    where = ".".join(str(p) for p in (loc[1:] if loc[:1] == (name,) else loc))
    msg = str(err.get("msg", "invalid value"))
    return f"{where}: {msg}" if where else msg


def _tokens(rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as exc:
        raise ValueError(f"unbalanced quotes ({exc})") from None


def _number(token: str, what: str, name: str) -> int:
    token = token.strip().lstrip("#")
    if not re.fullmatch(r"\d{1,6}", token):
        raise _fail(name, f"{what} must be a whole number, not {token[:20]!r}")
    return int(token)


def _no_args(name: str, rest: str, model: type) -> Command:
    if rest:
        raise _fail(name, f"{name} takes no arguments")
    return model()


def _build(name: str, rest: str) -> Command:
    simple = {
        "plan": ShowPlan,
        "shots": Shots,
        "cast": Cast,
        "approve": Approve,
        "status": Status,
        "cut": Cut,
        "export": Export,
    }
    if name in simple:
        return _no_args(name, rest, simple[name])
    if name == "new":
        if not rest:
            raise _fail(name, "the brief is empty")
        return New(text=rest)
    if name == "reject":
        return Reject(reason=rest) if rest else Reject()
    if name == "help":
        tokens = _tokens(rest)
        if len(tokens) > 1:
            raise _fail(name)
        return Help(topic=tokens[0].lstrip("/").lower() if tokens else None)
    if name == "edit":
        return _edit(rest)
    if name == "render":
        return _render(_tokens(rest))
    if name == "revise":
        return _revise(rest)
    if name == "budget":
        return _budget(_tokens(rest))
    if name == "takes":
        tokens = _tokens(rest)
        if tokens[:1] == ["shot"]:
            tokens = tokens[1:]
        if len(tokens) != 1:
            raise _fail(name)
        return Takes(shot=_number(tokens[0], "N", name))
    if name == "pick":
        tokens = [t for t in _tokens(rest) if t.lower() not in ("shot", "take")]
        if len(tokens) != 2:
            raise _fail(name)
        return Pick(shot=_number(tokens[0], "N", name), take=_number(tokens[1], "TAKE", name))
    raise _fail(name)  # pragma: no cover - every name in USAGE is handled above


def _words(rest: str, count: int) -> tuple[list[str], str]:
    """The first `count` whitespace-separated words and the raw remainder (kept verbatim)."""
    parts = rest.split(None, count)
    return parts[:count], (parts[count] if len(parts) > count else "").strip()


def _unquote(value: str) -> str:
    """A value without one pair of surrounding quotes; quotes inside it are kept."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1].strip()
    return value


def _edit(rest: str) -> EditShot:
    body = re.sub(r"^\s*shot\b", "", rest, flags=re.IGNORECASE).strip()
    (words, value) = _words(body, 2)
    if len(words) < 2:
        raise _fail("edit")
    shot = _number(words[0], "N", "edit")
    field = words[1].lower().replace("-", "_")
    if field in ("camera", "light", "colour", "color", "focal", "shot") and value:
        # two-word field names: "camera move", "colour temperature", "focal length", "shot size"
        nxt, tail = _words(value, 1)
        joined = f"{field}_{nxt[0].lower()}" if nxt else field
        if joined in _FIELD_ALIASES or joined in EDIT_FIELDS:
            field, value = joined, tail
    field = _FIELD_ALIASES.get(field, field)
    if field not in EDIT_FIELDS:
        raise _fail("edit", f"unknown field {field[:30]!r} (fields: {', '.join(EDIT_FIELDS)})")
    if not value:
        raise _fail("edit", f"no value for {field}")
    return EditShot(shot=shot, field=field, value=_unquote(value))


def _render(tokens: list[str]) -> Render:
    shots: list[int] | None = None
    tier: str | None = None
    model: str | None = None
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        low = tok.lower()
        if low.startswith("--tier") or low.startswith("--model"):
            key, eq, val = low.partition("=")
            if not eq:
                if i + 1 >= len(tokens):
                    raise _fail("render", f"{key} needs a value")
                i += 1
                val = tokens[i]
            if key == "--tier":
                if val.lower() not in ("draft", "final"):
                    raise _fail("render", f"--tier must be draft or final, not {val[:20]!r}")
                tier = val.lower()
            else:
                model = val if eq == "" else tok.partition("=")[2]
        elif low in ("draft", "final"):
            tier = low
        elif low in ("all", "shots", "shot", "every", "everything"):
            pass
        elif re.fullmatch(r"#?\d{1,3}(?:[,#\d]*)", low):
            picked = [_number(p, "N", "render") for p in low.split(",") if p.strip("#")]
            shots = sorted(set((shots or []) + picked))
        else:
            raise _fail("render", f"unexpected {tok[:30]!r}")
        i += 1
    return Render(shots=shots, tier=tier, model=model)  # type: ignore[arg-type]


def _revise(rest: str) -> Revise:
    body = re.sub(r"^\s*shot\b", "", rest, flags=re.IGNORECASE).strip()
    words, value = _words(body, 2)
    if len(words) < 2 or not value:
        raise _fail("revise")
    shot = _number(words[0], "N", "revise")
    variable = _VARIABLE_ALIASES.get(words[1].lower(), words[1].lower())
    if variable not in _VARIABLES:
        raise _fail("revise", f"unknown variable {variable[:30]!r} ({', '.join(_VARIABLES)})")
    return COMMAND_ADAPTER.validate_python(
        {"name": "revise", "shot": shot, "variable": variable, "value": _unquote(value)}
    )  # type: ignore[return-value]


def _budget(tokens: list[str]) -> Budget:
    if not tokens:
        return Budget()
    if len(tokens) > 1:
        raise _fail("budget")
    raw = tokens[0].strip().lstrip("$").rstrip("$").replace("usd", "").replace("USD", "")
    if not re.fullmatch(r"\d{1,6}(?:\.\d{1,4})?", raw):
        raise _fail("budget", f"{tokens[0][:20]!r} is not an amount in dollars")
    return Budget(usd=float(raw))

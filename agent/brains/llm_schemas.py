"""What each LLM call must return: film.py's models, wrapped where a call returns more.

The field docstrings are the JSON-schema descriptions the model reads; the SDK turns these
models into strict schemas (every property required, no additional properties).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from director.film import Bible, Shot, Variable


class PlanDraft(BaseModel):
    """The director's plan for a brief, before code checks it against the catalog."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    beats: list[str]
    """The story beats in cut order, one short line each, in the brief's own words."""
    bible: Bible
    """Recurring characters (with every descriptor part filled), locations with their lighting
    setup, and the film's shared look."""
    shots: list[Shot]
    """The shot list in cut order, indexed from 0; each duration is one of the allowed clip
    lengths and together they add up to the target duration."""
    continuity: list[str]
    """Continuity notes: props, wardrobe, screen direction and time of day that must match
    from shot to shot; empty when there is nothing to track."""
    question: str
    """ONE clarifying question for the person, only when the brief lacks something that would
    change the plan (e.g. the aspect ratio of a social ad); empty otherwise. Plan with the most
    likely answer meanwhile."""


class RevisionDraft(BaseModel):
    """One controlled experiment for a failed take: exactly one variable and its new value."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    variable: Variable
    """The ONE variable to change."""
    after: str
    """Its new value: a whole-number seed; a catalog model id; for params a JSON object of the
    changed request fields, e.g. {"duration_s": 5}; for a prompt variable the whole new text of
    the prompt part that holds it, with only that variable's sentences changed."""
    rationale: str = Field(max_length=400)
    """Why this change should fix the QC finding, in one sentence."""


UNSUPPORTED = frozenset({
    "default", "format", "pattern", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
    "uniqueItems", "discriminator", "examples", "title",
})
"""Keywords left out of a strict schema. Strict Structured Outputs accept only a subset of JSON
Schema and some OpenAI-compatible servers reject any of these with a 400; the bounds still hold,
because every reply is validated against the pydantic model itself."""


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """`model`'s JSON schema in the form strict Structured Outputs accept: every object closed
    (additionalProperties false) with every property required, `anyOf` instead of `oneOf`, no
    `$ref` beside other keys (a field docstring next to a nested model is inlined with it), and
    none of the UNSUPPORTED keywords."""
    root = model.model_json_schema()
    return _strict(root, root)


def _strict(node: Any, root: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strict(item, root) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node and len(node) > 1:
        target: Any = root
        for key in node["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs"):
            # Names here are the model's own field names, never keywords to drop.
            out[key] = {name: _strict(sub, root) for name, sub in value.items()}
        elif key == "oneOf":
            out["anyOf"] = _strict(value, root)
        elif key not in UNSUPPORTED:
            out[key] = _strict(value, root)
    if out.get("type") == "object" or "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    if len(out.get("allOf", [])) == 1:
        out = {**out.pop("allOf")[0], **out}
    return out

"""Instruction templates (prompts/llm/*.md, package data) and the delimited data blocks.

Untrusted text (the brief, and everything derived from it) reaches the model only as JSON
inside one `<tag>` … `</tag>` block. Inside the block `<` and `>` are written as JSON escapes
(\\u003c, \\u003e), so no text in a brief can close the block or open another one, and the
JSON still decodes to exactly what the person wrote.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel

from director.prompts.compose import WORD_RANGE
from director.prompts.craft import craft_rules_markdown

_SLOT = re.compile(r"\{\{(\w+)\}\}")


@cache
def template(name: str) -> str:
    """The text of prompts/llm/<name>.md, read from the installed package."""
    return (resources.files("director.prompts") / "llm" / f"{name}.md").read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    """Fill a template's {{slots}}; the craft rules and word range are always available."""
    values = {
        "craft_rules": craft_rules_markdown(),
        "word_min": WORD_RANGE[0],
        "word_max": WORD_RANGE[1],
        **values,
    }

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template {name}.md needs a value for {{{{{key}}}}}")
        return str(values[key])

    return _SLOT.sub(fill, template(name))


def data_block(tag: str, data: BaseModel | dict[str, Any] | list[Any]) -> str:
    """`data` as JSON inside <tag>…</tag>, with angle brackets escaped so it cannot break out."""
    if isinstance(data, BaseModel):
        text = data.model_dump_json(indent=1)
    else:
        text = json.dumps(data, indent=1, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<{tag}>\n{text}\n</{tag}>"

"""A brief's raw text made readable: emoji, markdown emphasis and chatter out, arrows and
"!!!" made plain, markdown shot tables and screenplay dialogue turned into the plain forms the
reader understands (list items, `Name: "line"`).
"""

from __future__ import annotations

import re
import unicodedata

from director.agent.brains.speech import mask_quotes, screenplay_lines, unmask_quotes
from director.prompts.vocabulary import vague_regex

# "pls", "thx", "!!" and the like are the brief writer talking, not direction.
_CHATTER = re.compile(r"\b(?:pls|plz|please|thx|thanks|thank you|lol|asap)\b[.!]*", re.I)


def prepare(text: str) -> str:
    """Text a reader can trust: no emoji or markdown emphasis, arrows and runs of "!!!" made
    plain, and screenplay dialogue blocks as `Name: "line"`."""
    text = unicodedata.normalize("NFC", text)
    # Symbols go; a line that began with one ("🔥 NEW DROP") is not thereby indented.
    text = "\n".join(_symbols_out(line) for line in text.split("\n"))
    text = re.sub(r"\s*(?:—>|->|=>|-->|→)\s*", ", ", text)
    text = re.sub(r"(?<=\s)@(?=\s)", "at", text)
    text = re.sub(r"([!?])[!?]+", r"\1", text).replace("…", "...")
    masked, quotes = mask_quotes(text)  # "Please don't go" is a line, not chatter
    text = unmask_quotes(_CHATTER.sub("", masked), quotes)
    text = re.sub(r"\*\*|__|`|(?<!\w)\*(?=\w)|(?<=\w)\*(?!\w)|^\s*>\s?", "", text, flags=re.M)
    lines = [re.sub(r"[ \t]+", " ", line).rstrip() for line in text.splitlines()]
    return "\n".join(screenplay_lines(_table_rows(lines)))


_CAMERA_COLUMNS = re.compile(r"\b(?:camera|shot type|framing|lens|move|movement|angle|size)\b",
                             re.IGNORECASE)


def _table_rows(lines: list[str]) -> list[str]:
    """A markdown shot table as list items: the description cell, with the camera cells as a
    "(camera: ...)" note; header and rule rows dropped."""
    out: list[str] = []
    header: list[str] = []
    for line in lines:
        if not re.match(r"^\s*\|.*\|\s*$", line):
            out.append(line)
            header = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(re.fullmatch(r":?-{2,}:?", c) or not c for c in cells):
            continue  # the |---|---| rule
        if not header:
            header = cells
            continue
        named = dict(zip(header, cells, strict=False))
        camera = [v for k, v in named.items() if _CAMERA_COLUMNS.search(k) and v]
        text = [v for k, v in named.items() if not _CAMERA_COLUMNS.search(k)
                and not re.fullmatch(r"[\d.:s\s-]*", v)]
        if text:
            note = f" (camera: {', '.join(camera)})" if camera else ""
            out.append(f"- {max(text, key=len)}{note}")
    return out


def _symbols_out(line: str) -> str:
    cleaned = "".join(" " if unicodedata.category(c) in ("So", "Cs", "Co") or c in "\u200d\ufe0f"
                      else c for c in line)
    return cleaned if line[:1].isspace() else cleaned.lstrip()


# --- words fit for a prompt ---------------------------------------------------------------------

_SEQUENCE_WORDS = re.compile(r",?\s*\b(?:and then|then|finally|after that|afterwards|followed by|"
                             r"before that)\b,?", re.IGNORECASE)


def plain(text: str) -> str:
    """Brief words that reach a prompt without words that chain actions ("and finally a wide"
    in a place or an end state): lint rightly reads those as a second action."""
    return clean(_SEQUENCE_WORDS.sub(" ", text))


def clean(text: str) -> str:
    """Vague mood words out of the brief's own words before they reach a prompt, and the
    commas and articles they leave dangling ("in a powerful, cinematic moment" -> "in a
    moment")."""
    text = re.sub(r"\s+", " ", vague_regex().sub("", text))
    text = re.sub(r"\s+([,.;])", r"\1", text)
    text = re.sub(r"\b(a|an|the)(?:\s*,)+\s*", r"\1 ", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r"\b(?:a|an)\s+(?=(?:a|an)\b)", "", text)
    text = re.sub(r"\ban (?=[b-df-hj-np-tv-z])", "a ", text)
    text = re.sub(r"\ba (?=[aeio])", "an ", text)
    text = re.sub(r"\s+", " ", text)
    # A dangling "with"/"and"/article is what a removed word left; "pulls in" keeps its "in".
    return re.sub(r"\b(?:with|and|a|an|the)\s*$", "", text.strip(" ,")).strip(" ,")

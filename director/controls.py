"""Characters that must not reach a terminal, a prompt or a file name raw, and their removal.

Whatever a person (or a model) typed is shown in terminals and chat pages, pasted into provider
prompts and turned into file names; escapes and bidi overrides in it would repaint a terminal or
reorder what a reader sees, and chat-template tokens could end a turn on some servers.
"""

from __future__ import annotations

import re

__all__ = ["strip_controls"]

# ANSI escape sequences (CSI "\x1b[31m", OSC "\x1b]0;title\x07", two-byte "\x1bc") go whole.
_ANSI = re.compile(r"\x1b(?:\[[0-?]{0,64}[ -/]{0,8}[@-~]|\][^\x07\x1b]{0,256}(?:\x07|\x1b\\)?|"
                   r"[@-Z\\-_])")
# Characters that end a line for str.splitlines(): kept as line ends.
_LINE_BREAKS = re.compile(r"[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Other C0/C1 controls, DEL, bidi embeddings, overrides and isolates (they reorder what a
# terminal shows), zero-width space and word joiner, BOM, interlinear annotation marks.
# Joiners (U+200C/D, needed in emoji and some scripts) and LRM/RLM marks stay.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u200b\u202a-\u202e\u2060-\u2064"
    r"\u2066-\u2069\ufeff\ufff9-\ufffb]")
# Chat-template control tokens ("<|im_start|>", "<|eot_id|>"): some OpenAI-compatible servers
# read them inside message content as real turn boundaries; no brief needs them.
_SPECIAL_TOKENS = re.compile(r"<\|[A-Za-z0-9_.:-]{1,40}\|>")


def strip_controls(text: str, replacement: str = "") -> str:
    """`text` without terminal escapes, control and bidi-override characters or chat-template
    tokens, so none reaches a terminal, a prompt or a file name raw; line ends stay lines."""
    text = _ANSI.sub(replacement, text)
    # A bare carriage return redraws the terminal line: "paid\rfree" shows as "free".
    text = _LINE_BREAKS.sub("\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub(replacement, text)
    return _SPECIAL_TOKENS.sub(replacement, text)

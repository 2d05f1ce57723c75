"""Block Kit for the Slack door: replies, approval and money buttons, progress lines.

Buttons carry the commands they stand for (as the person would type them), so a click works
after a restart and the session that answers it needs no memory of the question.
"""

from __future__ import annotations

import json
import re
from typing import Any

from director.commands import Command
from director.ui.session import describe
from director.ui.views import ProjectView

APPROVE = "director_approve"
REJECT = "director_reject"
CONFIRM = "director_confirm"
CANCEL = "director_cancel"
ACTIONS = (APPROVE, REJECT, CONFIRM, CANCEL)

_SECTION_LIMIT = 2900  # Slack refuses section text over 3000 characters
_MAX_SECTIONS = 8

_PROGRESS = {
    "planned": "planned {shots} shots",
    "routed": "routed, estimate ${estimate_usd:.2f}",
    "submitted": "take {attempt} submitted",
    "rendered": "take {attempt} rendered",
    "inspected": "take {attempt} inspected",
    "revised": "retake: {variable} {before} → {after}",
    "accepted": "✅ take {attempt} accepted",
    "failed": "❌ failed: {reason}",
    "cut": "🎞️ cut assembled ({shots} shots)",
}


def mrkdwn(markdown: str) -> str:
    """Slack's mrkdwn from the session's markdown: bold, links and headings."""
    text = re.sub(r"\*\*(.+?)\*\*", r"*\1*", markdown)
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r"<\2|\1>", text)
    return re.sub(r"(?m)^#{1,6}\s+(.+)$", r"*\1*", text)


def _sections(text: str) -> list[dict[str, Any]]:
    chunks: list[str] = []
    rest = text
    while rest and len(chunks) < _MAX_SECTIONS:
        if len(rest) <= _SECTION_LIMIT:
            chunks.append(rest)
            break
        cut = rest.rfind("\n", 0, _SECTION_LIMIT)
        cut = cut if cut > _SECTION_LIMIT // 2 else _SECTION_LIMIT
        chunks.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    return [{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks if c]


def _button(label: str, action_id: str, value: dict[str, Any], style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": json.dumps(value, separators=(",", ":"))[:2000],
    }
    if style:
        button["style"] = style
    return button


def pending_value(project: str, cmds: list[Command]) -> dict[str, Any]:
    return {"p": project, "c": [describe(c) for c in cmds]}


def read_value(raw: str) -> tuple[str, list[str]]:
    """(project folder name, command lines) from a button's value; ValueError when malformed."""
    data = json.loads(raw or "{}")
    project = data.get("p", "")
    cmds = data.get("c", [])
    if not isinstance(project, str) or not isinstance(cmds, list):
        raise ValueError("malformed button value")
    return project, [str(c) for c in cmds]


def reply_blocks(
    text: str,
    *,
    project: str,
    view: ProjectView | None,
    pending: list[Command],
    estimate_usd: float | None = None,
) -> list[dict[str, Any]]:
    """The reply as sections, then the buttons the person's next step needs."""
    blocks = _sections(mrkdwn(text))
    if pending:
        money = "" if estimate_usd is None else f" (about ${estimate_usd:.2f})"
        blocks.append(
            {
                "type": "actions",
                "block_id": "director_pending",
                "elements": [
                    _button(f"Confirm{money}", CONFIRM, pending_value(project, pending),
                            "primary"),
                    _button("Cancel", CANCEL, {"p": project, "c": []}),
                ],
            }
        )
    elif view is not None and view.stage == "awaiting_approval":
        estimate = view.budget.estimate_usd
        blocks.append(
            {
                "type": "actions",
                "block_id": "director_gate",
                "elements": [
                    _button(f"Approve and render (${estimate:.2f})", APPROVE,
                            {"p": project, "c": ["/approve"]}, "primary"),
                    _button("Reject", REJECT, {"p": project, "c": ["/reject"]}, "danger"),
                ],
            }
        )
    return blocks


def budget_line(view: ProjectView) -> str:
    b = view.budget
    cap = "no cap" if b.cap_usd is None else f"cap ${b.cap_usd:.2f}"
    return f"estimate ${b.estimate_usd:.2f} · spent ${b.spent_usd:.2f} · {cap}"


class ProgressLines:
    """One line per shot (and one for the run), rewritten as graph events arrive."""

    def __init__(self) -> None:
        self.run = ""
        self.shots: dict[int, str] = {}

    def add(self, event: dict[str, Any]) -> bool:
        """Fold one event in; True when the text changed."""
        kind = str(event.get("event", ""))
        template = _PROGRESS.get(kind)
        if template is None:
            return False
        values = {k: event.get(k, "") for k in
                  ("shots", "estimate_usd", "attempt", "variable", "before", "after", "reason")}
        if kind == "routed":
            values["estimate_usd"] = float(event.get("estimate_usd") or 0.0)
        if kind == "cut":
            values["shots"] = event.get("shots", "")
        try:
            line = template.format(**values)
        except (ValueError, KeyError):
            line = kind
        if "shot" in event and kind not in ("planned", "routed", "cut"):
            self.shots[int(event["shot"])] = line
        else:
            self.run = line
        return True

    def text(self) -> str:
        lines = [f"• shot {i + 1}: {line}" for i, line in sorted(self.shots.items())]
        head = f"⏳ {self.run}" if self.run else "⏳ working"
        return "\n".join([head, *lines])

"""HTML panels of the chat page, drawn from a ProjectView (never from the browser).

Media are linked through Gradio's file route, which serves only the projects folder.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from director.ui.views import ProjectView, ShotRow

SHOT_HEADERS = ["#", "sec", "subject", "action", "move", "size", "lens mm", "kelvin", "light",
                "model", "$/take", "status", "prompt"]
"""Columns of the editable shot list; the order matches `shot_rows`."""
COLUMN_WIDTHS = ["44px", "52px", "170px", "190px", "100px", "100px", "64px", "70px", "64px",
                 "130px", "64px", "84px", "520px"]
EDITABLE = {1: "duration", 2: "subject", 3: "action", 4: "move", 5: "size", 6: "lens",
            7: "kelvin", 8: "light_side", 12: "prompt"}
"""Column index -> EditShot field."""
STATIC_COLUMNS = [i for i in range(len(SHOT_HEADERS)) if i not in EDITABLE]

_STAGE = {
    "empty": "no plan",
    "awaiting_approval": "awaiting approval",
    "rejected": "plan rejected",
    "rendering": "rendering",
    "done": "cut ready",
}


def file_url(root: Path, rel: str, *, version: bool = False) -> str:
    path = (root / rel).resolve()
    url = f"/gradio_api/file={quote(str(path), safe='/')}"
    if version and path.exists():
        url += f"?v={path.stat().st_mtime_ns}"
    return url


def _root(view: ProjectView) -> Path:
    return Path(view.project)


def budget_meter(view: ProjectView) -> str:
    b = view.budget
    scale = max(b.cap_usd or 0.0, b.estimate_usd, b.spent_usd, 0.01)
    spent = min(100.0, 100.0 * b.spent_usd / scale)
    est = min(100.0, 100.0 * b.estimate_usd / scale)
    over = b.cap_usd is not None and b.spent_usd > b.cap_usd
    cap = "no cap" if b.cap_usd is None else f"cap ${b.cap_usd:.2f}"
    title = escape(view.title) if view.title else "No project open"
    stage = escape(view.stage)
    return f"""<div class="vd-meter{' over' if over else ''}">
<div class="row"><span class="title">{title}</span>
<span class="pill {stage}">{escape(_STAGE.get(view.stage, view.stage))}</span></div>
<div class="bar" title="spent vs estimate vs cap"><div class="spent" style="width:{spent:.1f}%">
</div><div class="est" style="width:{est:.1f}%"></div></div>
<div class="row"><span>spent <b>${b.spent_usd:.2f}</b></span>
<span>estimate ${b.estimate_usd:.2f} (one take of every shot)</span><span>{cap}</span></div>
</div>"""


def _setup(shot: ShotRow) -> str:
    move = shot.move.replace("_", " ")
    size = shot.size.replace("_", " ")
    return (f"{shot.duration_s:g}s · {escape(size)} · {escape(move)} · {shot.lens_mm}mm · "
            f"key {escape(shot.light_side)} {shot.kelvin}K")


def _frame(root: Path, shot: ShotRow) -> str:
    if not shot.storyboard:
        return ""
    src = file_url(root, shot.storyboard[0], version=True)
    return f'<img loading="lazy" alt="shot {shot.number} storyboard" src="{src}">'


def board(view: ProjectView) -> str:
    """The contact sheet: one card per shot with its frame, setup and prompt."""
    if not view.shots:
        return ('<div class="vd-empty">Write a brief in the chat to plan a film; the storyboard '
                "appears here.</div>")
    root = _root(view)
    cards = []
    for s in view.shots:
        lint = (f'<div class="find">lint: {escape("; ".join(s.lint))}</div>' if s.lint else "")
        cards.append(f"""<div class="vd-card">{_frame(root, s)}<div class="body">
<div class="head"><span class="num">SHOT {s.number:02d}</span>
<span class="pill {escape(s.status)}">{escape(s.status)}</span></div>
<div><b>{escape(s.subject)}</b> — {escape(s.action)}</div>
<div class="setup">{_setup(s)}<br>{escape(s.model)} · ${s.estimate_usd:.2f}/take</div>{lint}
<details><summary>prompt ({len(s.prompt.split())} words)</summary><p>{escape(s.prompt)}</p>
</details></div></div>""")
    return f'<div class="vd-sheet">{"".join(cards)}</div>'


def shot_rows(view: ProjectView) -> list[list[object]]:
    return [
        [s.number, s.duration_s, s.subject, s.action, s.move, s.size, s.lens_mm, s.kelvin,
         s.light_side, s.model, round(s.estimate_usd, 2), s.status, s.prompt]
        for s in view.shots
    ]


def edits(view: ProjectView, rows: list[list[object]]) -> list[str]:
    """`/edit shot N field value` for every editable cell that differs from the plan."""
    lines = []
    current = {r[0]: r for r in shot_rows(view)}
    for row in rows:
        try:
            number = int(float(str(row[0])))
        except (TypeError, ValueError, IndexError):
            continue
        before = current.get(number)
        if before is None:
            continue
        for col, field in EDITABLE.items():
            if col >= len(row):
                continue
            new = str(row[col]).strip()
            old = str(before[col]).strip()
            if new and new != old and not _same_number(new, old):
                lines.append(f"/edit shot {number} {field} {new}")
    return lines


def _same_number(a: str, b: str) -> bool:
    try:
        return float(a) == float(b)
    except ValueError:
        return False


def cast(view: ProjectView) -> str:
    if not view.cast and not view.locations:
        return ('<div class="vd-empty">The character bible and locations appear after '
                "planning.</div>")
    people = "".join(
        f'<div class="vd-card"><div class="body"><div class="num">{escape(c.name)}</div>'
        f"<p>{escape(c.descriptor)}</p></div></div>"
        for c in view.cast
    )
    places = "".join(
        f'<div class="vd-card"><div class="body"><div class="num">LOCATION</div>'
        f"<p>{escape(loc)}</p></div></div>"
        for loc in view.locations
    )
    people = people or "<i>no recurring characters</i>"
    return ("<h3>Cast</h3><p class='setup'>Each descriptor is pasted verbatim into every prompt "
            f"the character appears in.</p><div class='vd-cast'>{people}</div>"
            f"<h3>Locations</h3><div class='vd-cast'>{places}</div>")


def takes(view: ProjectView) -> str:
    """Every take per shot: the clip, QC verdict, findings and the revision that made it."""
    if not any(s.takes for s in view.shots):
        return '<div class="vd-empty">Takes appear here as shots render.</div>'
    root = _root(view)
    sections = []
    for s in view.shots:
        cards = []
        for t in s.takes:
            video = (f'<video controls preload="metadata" src="{file_url(root, t.video)}"></video>'
                     if t.video else "")
            verdict = "pass" if t.passed else "fail"
            badge = ' <span class="pill done">in cut</span>' if t.in_cut else ""
            findings = "".join(f'<div class="find">{escape(f)}</div>' for f in t.findings)
            revision = f'<div class="rev">retake: {escape(t.revision)}</div>' if t.revision else ""
            cards.append(f"""<div class="vd-card">{video}<div class="body">
<div class="head"><span class="num">TAKE {t.take}</span><span><span class="pill {verdict}">QC
{verdict}</span>{badge}</span></div><div class="setup">{escape(t.model)} · ${t.cost_usd:.2f}
</div>{revision}{findings}</div></div>""")
        if cards:
            sections.append(
                f'<div class="vd-shot"><h3>Shot {s.number} — {escape(s.subject)} '
                f'<span class="pill {escape(s.status)}">{escape(s.status)}</span></h3>'
                f'<div class="vd-sheet">{"".join(cards)}</div></div>'
            )
    return "".join(sections)


def cut_summary(view: ProjectView) -> str:
    if not view.cut:
        return '<div class="vd-empty">The final cut appears here once every shot is in.</div>'
    root = _root(view)
    report = (f' · <a href="{file_url(root, view.report, version=True)}" target="_blank">'
              "open the report</a>" if view.report else "")
    accepted = sum(1 for s in view.shots if s.status == "accepted")
    return (f'<div class="vd-meter"><div class="row"><span class="title">Final cut · '
            f"{view.cut_duration_s:.2f}s</span><span>{accepted}/{len(view.shots)} shots"
            f"{report}</span></div></div>")


_SHOT_WORDS = {
    "submitted": "take {attempt} submitted",
    "rendered": "take {attempt} rendered",
    "inspected": "take {attempt} inspected",
    "revised": "retake: {variable} {before} → {after}",
    "accepted": "take {attempt} accepted ✔",
    "failed": "failed: {reason}",
}
_PLAN_WORDS = {"planned": "shot list planned", "written": "prompts written and linted",
               "routed": "models routed and priced", "storyboard": "storyboard drawn"}


class Steps:
    """Collapsible step messages (Chatbot metadata titles) built from graph events."""

    def __init__(self, history: list[dict[str, Any]]) -> None:
        self.history = history
        self._at: dict[str, int] = {}

    def add(self, event: dict[str, Any]) -> None:
        kind = str(event.get("event", ""))
        values = {k: event.get(k, "") for k in ("attempt", "variable", "before", "after",
                                                 "reason")}
        if kind in _SHOT_WORDS and "shot" in event:
            n = int(event["shot"]) + 1
            done = kind in ("accepted", "failed")
            self._step(f"shot{n}", f"Shot {n}", _SHOT_WORDS[kind].format(**values), done)
        elif kind in _PLAN_WORDS:
            self._step("plan", "Planning", _PLAN_WORDS[kind], kind == "storyboard")
        elif kind == "cut":
            self._step("cut", "Cut", f"assembled {event.get('shots', '')} shots", True)

    def _step(self, key: str, title: str, line: str, done: bool) -> None:
        if key not in self._at:
            self._at[key] = len(self.history)
            self.history.append({"role": "assistant", "content": "",
                                 "metadata": {"title": title, "id": key, "status": "pending"}})
        msg = self.history[self._at[key]]
        msg["content"] = (msg["content"] + "\n" if msg["content"] else "") + line
        msg["metadata"]["log"] = line
        msg["metadata"]["status"] = "done" if done else "pending"

    def finish(self) -> None:
        for i in self._at.values():
            self.history[i]["metadata"]["status"] = "done"

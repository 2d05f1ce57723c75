"""report.html: one self-contained page a person can open, mail or archive.

Stills are embedded as data URIs so the page needs nothing beside it.
"""

from __future__ import annotations

import base64
import io
from collections import Counter
from html import escape
from pathlib import Path
from typing import NamedTuple

from PIL import Image

from director.agent.state import DirectorState, ShotResult
from director.film import Revision
from director.ledger import Ledger
from director.plan import Plan, PlannedShot
from director.project import Project, atomic_write_text

_CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
padding:0 1rem}
h1{margin-bottom:.2rem} .meta{color:#666} table{border-collapse:collapse;width:100%;margin:1rem 0}
td,th{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}
.sheet{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:.6rem}
.sheet figure{margin:0} .sheet img{width:100%;border-radius:4px}
.shot{border-top:2px solid #eee;padding-top:1rem;margin-top:1.5rem}
.prompt{background:#fafafa;border-left:3px solid #888;padding:.6rem;white-space:pre-wrap}
.board img{width:240px;margin:.3rem .3rem 0 0;border-radius:3px}
.cast li{list-style:none;margin:.4rem 0;overflow:hidden}
.cast img{float:left;width:160px;margin-right:.8rem;border-radius:4px}
.ok{color:#17702a} .bad{color:#b00020} .warn{color:#a05a00} code{font-size:90%}
"""


def _thumb(path: Path, width: int = 480) -> str:
    if not path.exists():
        return ""
    with Image.open(path) as img:
        img.thumbnail((width, width))
        buf = io.BytesIO()
        img.convert("RGB").save(buf, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode()


def _status(result: ShotResult | None) -> str:
    if result is None:
        return '<span class="warn">not rendered</span>'
    if result.status == "accepted":
        return '<span class="ok">accepted</span>'
    return f'<span class="bad">failed</span>: {escape(result.reason)}'


def _contact_sheet(project: Project, plan: Plan, state: DirectorState) -> str:
    figures = []
    for s in plan.shots:
        still = project.stills_dir / f"shot{s.index:02d}.png"
        if not still.exists() and s.storyboard:
            still = project.root / s.storyboard[0]  # not rendered yet: show the storyboard
        src = _thumb(still)
        img = f'<img alt="shot {s.index + 1}" src="{src}">' if src else "<div>(no still)</div>"
        caption = f"{s.index + 1}. {escape(s.shot.beat[:80])} · {s.duration_s:g}s"
        figures.append(f"<figure>{img}<figcaption>{caption}</figcaption></figure>")
    return f'<div class="sheet">{"".join(figures)}</div>'


def _storyboard(project: Project, planned: PlannedShot) -> str:
    frames = [_thumb(project.root / p, 320) for p in planned.storyboard]
    imgs = "".join(f'<img alt="storyboard" src="{src}">' for src in frames if src)
    return f'<p class="board">Storyboard, first and last frame:<br>{imgs}</p>' if imgs else ""


def _shot_section(project: Project, planned: PlannedShot, result: ShotResult | None) -> str:
    lint = (
        '<span class="ok">lint clean</span>'
        if not planned.lint
        else '<span class="warn">lint: ' + escape("; ".join(planned.lint)) + "</span>"
    )
    rows = []
    for take in result.takes if result else []:
        qc = take.qc
        verdict = "passed" if qc and qc.passed else "failed"
        problems = "; ".join(f.message for f in (qc.findings if qc else [])) or take.error
        measured = f"{qc.duration_s:.2f}s {qc.width}x{qc.height} @{qc.fps:g}" if qc else "-"
        rows.append(
            f"<tr><td>{take.attempt}</td><td>{escape(take.request.model)}</td>"
            f"<td>{take.request.seed}</td><td>${take.cost_usd:.2f}</td><td>{measured}</td>"
            f"<td>{verdict}{' ✔' if take.accepted else ''}</td><td>{escape(problems)}</td></tr>"
        )
    experiments = experiment_table(result.revisions if result else [])
    shot = planned.shot
    return f"""
<section class="shot"><h3>Shot {planned.index + 1} — {escape(shot.beat)}</h3>
<p>{_status(result)} · model <code>{escape(planned.model)}</code> · {planned.duration_s:g}s ·
estimate ${planned.estimate_usd:.2f} · {escape(shot.camera.move.replace("_", " "))},
{shot.camera.focal_length_mm}mm · {lint}</p>
<div class="prompt">{escape(planned.prompt)}</div>
{_storyboard(project, planned)}
{f"<p><b>Negative:</b> {escape(planned.negative_prompt)}</p>" if planned.negative_prompt else ""}
<table><tr><th>take</th><th>model</th><th>seed</th><th>cost</th><th>measured</th><th>QC</th>
<th>findings</th></tr>{"".join(rows) or '<tr><td colspan="7">no takes</td></tr>'}</table>
{experiments}
</section>"""


def experiment_table(revisions: list[Revision]) -> str:
    """One row per one-variable experiment: what changed, why, and what QC said after."""
    if not revisions:
        return ""
    rows = "".join(
        f"<tr><td>{r.attempt}</td><td>{r.base_attempt or '-'}</td>"
        f"<td><b>{escape(r.variable)}</b></td>"
        f"<td>{escape(_short(r.before))} → {escape(_short(r.after))}</td>"
        f"<td>{escape(r.reason)}</td><td>{escape(', '.join(r.qc_before) or 'passed')}</td>"
        f"<td>{escape(', '.join(r.qc_after) or ('passed' if r.outcome == 'fixed' else '-'))}</td>"
        f'<td class="{_VERDICT_CLASS.get(r.outcome, "")}">{escape(r.outcome)}</td>'
        f"<td>${r.cost_usd:.2f}</td></tr>"
        for r in revisions
    )
    return (
        "<p><b>Experiments</b> (one variable per retake)</p><table><tr><th>take</th>"
        "<th>from take</th><th>variable</th><th>before → after</th><th>finding</th>"
        "<th>QC before</th><th>QC after</th><th>verdict</th><th>cost</th></tr>"
        f"{rows}</table>"
    )


_VERDICT_CLASS = {"fixed": "ok", "improved": "ok", "worse": "bad", "unchanged": "warn"}


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Summary(NamedTuple):
    """Project-level figures of the retake loop."""

    shots: int
    accepted: int
    first_pass: int
    takes_accepted: int
    spent_usd: float
    accepted_s: float
    fixes: Counter[tuple[str, str]]
    tried: Counter[str]


def summarise(results: list[ShotResult], spent_usd: float) -> Summary:
    """First-pass acceptance, takes per accepted shot, spend, and which variable fixed which
    failure type (the check that prompted the experiment)."""
    accepted = [r for r in results if r.status == "accepted"]
    fixes: Counter[tuple[str, str]] = Counter()
    tried: Counter[str] = Counter()
    for result in results:
        for r in result.revisions:
            tried[r.variable] += 1
            if r.outcome == "fixed":
                fixes[(r.reason.split(":", 1)[0], r.variable)] += 1
    return Summary(
        shots=len(results),
        accepted=len(accepted),
        first_pass=sum(1 for r in accepted if len(r.takes) == 1),
        takes_accepted=sum(len(r.takes) for r in accepted),
        spent_usd=spent_usd,
        accepted_s=sum(
            t.request.duration_s for r in accepted for t in r.takes if t.accepted
        ),
        fixes=fixes,
        tried=tried,
    )


def _lessons(state: DirectorState, spent_usd: float) -> str:
    """The project summary: acceptance, cost, and which variables fixed which failures."""
    s = summarise(list(state.results.values()), spent_usd)
    per_take = f"{s.takes_accepted / s.accepted:.2f}" if s.accepted else "-"
    per_second = f"${s.spent_usd / s.accepted_s:.3f}" if s.accepted_s else "-"
    first = f"{s.first_pass} of {s.shots}" if s.shots else "-"
    figures = (
        f"<table><tr><th>First-pass acceptance</th><td>{first}</td></tr>"
        f"<tr><th>Takes per accepted shot</th><td>{per_take}</td></tr>"
        f"<tr><th>Spend per accepted second</th><td>{per_second}</td></tr></table>"
    )
    if not s.tried:
        return figures + "<p>No retakes were needed.</p>"
    rows = "".join(
        f"<tr><td>{escape(kind)}</td><td>{escape(var)}</td><td>{n}</td></tr>"
        for (kind, var), n in sorted(s.fixes.items(), key=lambda kv: (-kv[1], kv[0]))
    ) or '<tr><td colspan="3">no experiment fixed a take</td></tr>'
    counts = ", ".join(f"{k} ×{v}" for k, v in sorted(s.tried.items()))
    return (
        f"{figures}<p>Experiments by variable: {escape(counts)}</p>"
        f"<table><tr><th>failure</th><th>fixed by</th><th>times</th></tr>{rows}</table>"
    )


def render_report(project: Project, state: DirectorState) -> str:
    plan = state.plan
    assert plan is not None
    spent = Ledger(project.ledger_path).spent_usd()
    cut = state.cut
    accepted = sum(1 for r in state.results.values() if r.status == "accepted")
    takes = sum(len(r.takes) for r in state.results.values())
    cut_line = (
        f'<a href="{escape(cut.path)}">{escape(cut.path)}</a> · {cut.duration_s:.2f}s'
        + (f" · missing shots {', '.join(str(i + 1) for i in cut.missing)}" if cut.missing else "")
        if cut
        else '<span class="bad">no cut (no shot was accepted)</span>'
    )
    characters = "".join(_character(project, plan, c.name, c.descriptor) for c in plan.characters)
    sections = "".join(_shot_section(project, s, state.results.get(s.index)) for s in plan.shots)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{escape(plan.title)} — video-director report</title><style>{_CSS}</style></head><body>
<h1>{escape(plan.title)}</h1>
<p class="meta">{len(plan.shots)} shots · planned {plan.duration_s:g}s of
{plan.brief.target_duration_s:g}s · {escape(plan.brief.aspect_ratio)} ·
tier {escape(plan.brief.tier)}</p>
<table><tr><th>Final cut</th><td>{cut_line}</td></tr>
<tr><th>Shots accepted</th><td>{accepted} of {len(plan.shots)} ({takes} takes)</td></tr>
<tr><th>Estimate</th><td>${plan.estimate_usd:.2f} for one take of each shot</td></tr>
<tr><th>Spent</th><td>${spent:.2f}</td></tr></table>
<h2>Contact sheet</h2>{_contact_sheet(project, plan, state)}
{f"<h2>Characters</h2><ul class='cast'>{characters}</ul>" if characters else ""}
<h2>What fixed what</h2>{_lessons(state, spent)}
{_continuity(state)}
<h2>Shots</h2>{sections}
</body></html>"""


def _character(project: Project, plan: Plan, name: str, descriptor: str) -> str:
    still = plan.references.get(name, "")
    src = _thumb(project.root / still, 320) if still else ""
    img = f'<img src="{src}" alt="reference still of {escape(name)}">' if src else ""
    return f"<li>{img}<b>{escape(name)}</b>: {escape(descriptor)}</li>"


def _continuity(state: DirectorState) -> str:
    """The script supervisor's notes on the accepted takes (warnings, not failures)."""
    if not state.continuity:
        return ""
    rows = "".join(
        f"<tr><td>{escape(', '.join(str(i + 1) for i in n.shots) or '-')}</td>"
        f"<td>{escape(n.finding.check)}</td><td>{escape(n.finding.message)}</td>"
        f"<td>{escape(n.finding.variable)}</td></tr>"
        for n in state.continuity
    )
    return (
        "<h2>Continuity notes</h2><table><tr><th>shots</th><th>check</th><th>measured</th>"
        f"<th>variable to change</th></tr>{rows}</table>"
    )


def write_report(project: Project, state: DirectorState) -> Path:
    atomic_write_text(project.report_path, render_report(project, state))
    return project.report_path

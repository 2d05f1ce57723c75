"""Markdown a front door shows for a ProjectView: plan, shots, cast, budget, status, takes."""

from __future__ import annotations

from director.ui.views import ProjectView, ShotRow

STAGE_WORDS = {
    "empty": "no plan yet",
    "awaiting_approval": "planned, waiting for approval",
    "rejected": "plan turned down, nothing rendered",
    "rendering": "approved, render not finished",
    "done": "rendered",
}


def _cell(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _money(value: float | None) -> str:
    return "no cap" if value is None else f"${value:.2f}"


def plan_text(view: ProjectView) -> str:
    lines = [
        f"**{view.title}** — {len(view.shots)} shots, "
        f"{sum(s.duration_s for s in view.shots):g} s, estimate {_money(view.budget.estimate_usd)}",
        "",
        "| # | s | model | $ | prompt |",
        "|---|---|---|---|---|",
    ]
    for s in view.shots:
        lint = " ⚠ " + "; ".join(s.lint) if s.lint else ""
        lines.append(
            f"| {s.number} | {s.duration_s:g} | {s.model} | {s.estimate_usd:.2f} | "
            f"{_cell(s.prompt, 160)}{_cell(lint, 80)} |"
        )
    if view.storyboard:
        lines += ["", f"Storyboard: `{view.storyboard}`"]
    return "\n".join(lines)


def _status_cell(s: ShotRow) -> str:
    if s.status == "failed":
        return f"failed: {_cell(s.reason, 40)}"
    if s.status == "accepted":
        take = next((t.take for t in s.takes if t.in_cut), None)
        return f"take {take} in cut" if take else "accepted"
    return s.status


def shots_text(view: ProjectView) -> str:
    lines = [
        "| # | s | subject / action | camera | light | status |",
        "|---|---|---|---|---|---|",
    ]
    for s in view.shots:
        lines.append(
            f"| {s.number} | {s.duration_s:g} | {_cell(s.subject, 30)}: {_cell(s.action, 40)} | "
            f"{s.size.replace('_', ' ')}, {s.move.replace('_', ' ')}, {s.lens_mm}mm | "
            f"{s.kelvin}K from {s.light_side} | {_status_cell(s)} |"
        )
    return "\n".join(lines)


def cast_text(view: ProjectView) -> str:
    if not view.cast and not view.locations:
        return "No recurring characters or locations in this plan."
    lines = ["**Cast** (pasted verbatim into every prompt they appear in):"]
    lines += [f"- **{c.name}**: {c.descriptor}" for c in view.cast] or ["- (none)"]
    if view.locations:
        lines += ["", "**Locations:**", *(f"- {loc}" for loc in view.locations)]
    return "\n".join(lines)


def budget_text(view: ProjectView) -> str:
    b = view.budget
    left = "" if b.cap_usd is None else f", {_money(max(0.0, b.cap_usd - b.spent_usd))} left"
    return (
        f"Estimate {_money(b.estimate_usd)} for one take of every shot; spent "
        f"{_money(b.spent_usd)} of {_money(b.cap_usd)}{left}."
    )


def status_text(view: ProjectView) -> str:
    if view.stage == "empty":
        return "No project yet. Start one with `/new <brief>`."
    done = sum(1 for s in view.shots if s.status == "accepted")
    failed = [s.number for s in view.shots if s.status == "failed"]
    lines = [
        f"**{view.title}** ({view.project}): {STAGE_WORDS[view.stage]}.",
        f"Shots: {done}/{len(view.shots)} accepted"
        + (f", failed: {', '.join(map(str, failed))}" if failed else "")
        + ".",
        budget_text(view),
    ]
    if view.cut:
        lines.append(f"Cut: `{view.cut}` ({view.cut_duration_s:.2f} s); report `{view.report}`.")
    hint = {
        "awaiting_approval": "Next: `/approve` (or `/edit shot N <field> <value>` first).",
        "rejected": "Next: edit with `/edit`, then `/approve`.",
        "rendering": "Next: `/render` continues the run.",
        "done": "Next: `/takes N`, `/revise N <variable> <value>`, `/export`.",
    }.get(view.stage, "")
    return "\n".join([*lines, hint] if hint else lines)


def takes_text(view: ProjectView, number: int) -> str:
    shot = view.shots[number - 1]
    if not shot.takes:
        return f"Shot {number} has no takes yet ({shot.status})."
    lines = [f"Shot {number} takes:", "", "| take | model | QC | cost | change | in cut |",
             "|---|---|---|---|---|---|"]
    for t in shot.takes:
        qc = "pass" if t.passed else "fail: " + _cell("; ".join(t.findings), 60)
        lines.append(
            f"| {t.take} | {t.model} | {qc} | ${t.cost_usd:.2f} | {_cell(t.revision, 50) or '—'} |"
            f" {'✔' if t.in_cut else ''} |"
        )
    return "\n".join(lines)

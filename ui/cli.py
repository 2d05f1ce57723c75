"""The `director` command: run, plan, resume and lint briefs from the shell."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from director.agent.checkpoint import has_run, require_run
from director.config import Settings
from director.errors import (
    BudgetError,
    DirectorError,
    ProjectError,
    storage_error,
)
from director.memory import limit_malloc_arenas
from director.plan import Plan
from director.project import Project, slugify
from director.ui.progress import ShotProgress
from director.ui.runner import Outcome, check_options, make_context, run_project

app = typer.Typer(
    help="video-director: brief in, shot list, prompts, rendered clips, cut and report out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)
_RUNNING: dict[str, Path] = {}
"""The project folder being run, named in a disk-full or read-only error."""

ProviderOpt = Annotated[str, typer.Option("--provider", help="Render every shot on this provider.")]
TierOpt = Annotated[str, typer.Option("--tier", help="draft (fast, cheap) or final (best models).")]
BrainOpt = Annotated[
    str,
    typer.Option(
        "--brain",
        help="llm (OpenAI-compatible endpoint) or rules (offline); default: llm when "
        "OPENAI_API_KEY or OPENAI_BASE_URL is set, else rules.",
    ),
]


def _say_brain(ctx: Any) -> None:
    describe = getattr(ctx.brain, "describe", None)
    err.print(f"Brain: {describe() if describe else ctx.brain.name}", highlight=False)


def _load(path: Path):
    from director.briefs import load_brief
    from director.tools.fetch import is_url

    brief = load_brief(path)
    # Local reference images are relative to the brief's folder; made absolute here so a
    # resumed run (which no longer knows that folder) finds them too.
    base = path.resolve().parent
    characters = [
        c.model_copy(update={"reference_images": [
            r if is_url(r) else str(base / Path(r).expanduser())
            for r in c.reference_images
        ]})
        for c in brief.characters
    ]
    return brief.model_copy(update={"characters": characters})


def _summary(project: Project, outcome: Outcome) -> int:
    state = outcome.state
    if outcome.status == "awaiting_approval":
        out.print(
            f"Plan ready in {project.root}/plan.json, storyboard in "
            f"{project.root}/stills/storyboard.png (estimate "
            f"${outcome.question.get('estimate_usd', 0):.2f}). Approve with: "
            f"director resume {project.root} --yes"
        )
        return 0
    if outcome.status == "rejected":
        out.print(
            f"Plan not approved ({state.rejected_reason}); nothing was rendered. "
            f"Approve it later with: director resume {project.root} --yes"
        )
        return 0
    failed = [r for r in state.results.values() if r.status == "failed"]
    if state.cut is not None:
        out.print(f"[bold green]Final cut[/] {project.final_path} ({state.cut.duration_s:.2f}s)")
    out.print(f"Report {project.report_path}")
    for r in sorted(failed, key=lambda r: r.index):
        err.print(f"shot {r.index + 1} failed: {escape(r.reason)}")
    if any(r.reason.startswith("budget") for r in failed):
        return BudgetError.exit_code  # the cap stopped the run: say so in the exit code
    return 1 if failed or state.cut is None else 0


def _approve_interactively(project: Project, outcome: Outcome) -> bool | None:
    """Ask at the terminal; None when there is no terminal to ask at."""
    if not sys.stdin.isatty():
        return None
    _print_plan_question(outcome.question)
    if outcome.question.get("storyboard"):
        out.print(f"Storyboard {project.root / outcome.question['storyboard']}")
    return typer.confirm("Approve and render?", default=False)


def _print_plan_question(question: dict[str, Any]) -> None:
    table = Table(
        title=f"{escape(str(question.get('title', '')))} — estimate "
        f"${question.get('estimate_usd', 0):.2f}"
    )
    for col in ("#", "s", "model", "prompt"):
        table.add_column(col, overflow="fold")
    for s in question.get("shots", []):
        # Brief words reach these cells: escaped, so "[/]" in a brief is text, not markup.
        table.add_row(str(s["index"] + 1), f"{s['duration_s']:g}", escape(s["model"]),
                      escape(s["prompt"]))
    out.print(table)
    references = question.get("references") or {}
    if references:
        spent = question.get("stills_usd", 0.0)
        out.print(f"Reference stills (${spent:.2f}, already made):", highlight=False)
        for name, path in references.items():
            out.print(f"  {escape(name)}: {escape(path)}", highlight=False)
    if question.get("clarify"):
        out.print(f"[bold]Question from the director:[/] {escape(question['clarify'])}",
                  highlight=False)


async def _drive(
    project: Project, yes: bool, provider: str, tier: str, brain: str = "", **start: Any
) -> int:
    settings = Settings.from_env()
    _RUNNING["project"] = project.root
    with ShotProgress(out) as progress:
        ctx = make_context(
            project, settings, auto_approve=yes, provider=provider, tier=tier, on_event=progress,
            brain=brain,
        )
        # The command line may read the user's own image files; chat and Slack may not.
        ctx.reference_dir = Path.cwd()
        _say_brain(ctx)
        outcome = await run_project(project, ctx, **start)
    if outcome.status == "awaiting_approval":
        decision = _approve_interactively(project, outcome)
        if decision is not None:
            with ShotProgress(out) as progress:
                ctx.on_event = progress
                outcome = await run_project(project, ctx, decision="approve" if decision else "no")
    return _summary(project, outcome)


@app.command()
def run(
    brief: Annotated[Path, typer.Argument(help="Brief file: .md/.txt free text, .yaml/.json.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Project folder.")] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Approve the plan without asking.")
    ] = False,
    provider: ProviderOpt = "",
    tier: TierOpt = "",
    brain: BrainOpt = "",
) -> None:
    """Plan, approve, render, inspect, retake and cut a brief into a project folder."""
    parsed = _load(brief)
    check_options(tier, provider, flag="--")  # before any work starts
    root = out_dir or Settings.from_env().projects_dir / slugify(parsed.title)
    project = Project(root)
    # A run stopped before it wrote plan.json has nothing to resume: running again continues
    # it from its checkpoint (or starts it) instead of leaving the folder stuck.
    if has_run(project) and project.plan_path.exists():
        raise DirectorError(f"{root} already holds a run; continue it with: director resume {root}")
    code = asyncio.run(
        _drive(project, yes, provider, tier, brain, brief=parsed, brief_file=brief)
    )
    raise typer.Exit(code)


@app.command()
def resume(
    project_dir: Annotated[Path, typer.Argument(help="A project folder made by `director run`.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Approve a pending plan.")] = False,
    brain: BrainOpt = "",
) -> None:
    """Continue an interrupted or unapproved run; finished shots are not rendered again."""
    project = Project(project_dir)
    if has_run(project) and not project.plan_path.exists():
        raise ProjectError(f"{project_dir} was stopped before it had a plan; start it again with: "
                           f"director run BRIEF --out {project_dir}")
    project = require_run(project)
    raise typer.Exit(asyncio.run(_drive(project, yes, "", "", brain)))


@app.command()
def plan(
    brief: Annotated[Path, typer.Argument(help="Brief file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print plan.json to stdout.")] = False,
    provider: ProviderOpt = "",
    tier: TierOpt = "",
    brain: BrainOpt = "",
) -> None:
    """Plan, write prompts and estimate cost without rendering anything."""
    parsed = _load(brief)
    check_options(tier, provider, flag="--")  # before any work starts
    with tempfile.TemporaryDirectory(prefix="director-plan-") as tmp:
        project = Project(Path(tmp))
        ctx = make_context(
            project, Settings.from_env(), auto_approve=False, provider=provider, tier=tier,
            brain=brain,
        )
        ctx.reference_dir = Path.cwd()
        _say_brain(ctx)
        outcome = asyncio.run(run_project(project, ctx, brief=parsed, scratch=True))
    result = outcome.state.plan
    assert result is not None
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
        return
    _print_plan_question(outcome.question)
    for c in result.characters:
        out.print(f"[bold]{escape(c.name)}[/]: {escape(c.descriptor)}")


@app.command()
def lint(
    target: Annotated[Path, typer.Argument(help="A brief, or a plan.json.")],
) -> None:
    """Check every prompt against the craft rules; exit 1 when any finding remains."""
    from director.prompts import lint as craft
    from director.tools import catalog

    if target.suffix.lower() == ".json" and _looks_like_plan(target):
        try:
            the_plan = Plan.model_validate_json(target.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise DirectorError(
                f"{target}: not a valid plan.json ({str(exc).splitlines()[0]})"
            ) from None
    else:
        parsed = _load(target)
        with tempfile.TemporaryDirectory(prefix="director-lint-") as tmp:
            project = Project(Path(tmp))
            ctx = make_context(project, Settings.from_env(), auto_approve=False)
            the_plan = asyncio.run(run_project(project, ctx, brief=parsed, scratch=True)).state.plan
    assert the_plan is not None
    bible = the_plan.bible
    total = 0
    for s in the_plan.shots:
        family = catalog.get(s.model).family if s.model else "kling"
        findings = craft.lint(s.spec, s.shot, bible, family)
        total += len(findings)
        mark = "[green]clean[/]" if not findings else f"[red]{len(findings)} finding(s)[/]"
        out.print(f"shot {s.index + 1}: {len(s.prompt.split())} words, {mark}")
        for f in findings:
            out.print(f"  - {f.rule}: {escape(f.message)}")
    raise typer.Exit(1 if total else 0)


providers_app = typer.Typer(
    help="List generation backends and which have keys; `check NAME` verifies a key.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(providers_app, name="providers")


@providers_app.callback()
def providers(ctx: typer.Context) -> None:
    """List generation backends, whether this build renders on them and which have keys."""
    if ctx.invoked_subcommand is None:
        from director.ui.providers_cmd import list_backends

        list_backends(out)


@providers_app.command("check")
def providers_check(
    name: Annotated[str, typer.Argument(help="Backend name, e.g. kling, fal, openai.")],
) -> None:
    """Make one cheap authenticated call to verify the backend's key (renders nothing)."""
    from director.ui.providers_cmd import check_backend

    check_backend(name, out)



@app.command()
def shell(
    project_dir: Annotated[
        Path | None, typer.Argument(help="A project folder to continue; none starts empty.")
    ] = None,
    provider: ProviderOpt = "",
    tier: TierOpt = "",
) -> None:
    """Type commands (/new, /plan, /approve, /render, /revise, /cut, /export, /help) at a prompt,
    or pipe them in; the same commands the chat page and Slack take."""
    from director.ui.shell import run_shell

    check_options(tier, provider, flag="--")  # before any work starts
    code = asyncio.run(
        run_shell(project_dir, Settings.from_env(), console=out, provider=provider, tier=tier)
    )
    raise typer.Exit(code)



@app.command()
def inspect(
    video: Annotated[Path, typer.Argument(help="A video clip to inspect.")],
    spec: Annotated[
        Path | None, typer.Option("--spec", help="plan.json to check the clip against.")
    ] = None,
    shot: Annotated[
        int | None, typer.Option("--shot", help="Shot number in the plan, from 1.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Inspect a clip: parameters, defects and the camera move read from its pixels."""
    from director.ui.inspect_cmd import inspect_command

    raise typer.Exit(inspect_command(video, spec, shot, as_json))

@app.command()
def chat(
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to serve the page on.")
    ] = 7860,
    host: Annotated[
        str, typer.Option("--host", help="Interface to bind; loopback unless you ask.")
    ] = "127.0.0.1",
    share: Annotated[bool, typer.Option("--share", help="Open a public share link.")] = False,
    auth: Annotated[
        str, typer.Option("--auth", help="user:pass required to open the page.")
    ] = "",
) -> None:
    """The chat page: brief the director, edit shots, approve, watch takes and the cut."""
    from director.ui.chat import run_chat

    run_chat(Settings.from_env(), host=host, port=port, share=share, auth=auth)


@app.command()
def slack(
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="HTTP port for /slack/events.")
    ] = 3000,
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Serve `/director` in Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP."""
    from urllib.error import URLError

    from director.ui.slack import run_slack

    try:
        run_slack(Settings.from_env(), host=host, port=port)
    except URLError as exc:
        # Bolt checks the bot token with slack.com before it serves anything.
        raise DirectorError(
            f"cannot reach Slack to check SLACK_BOT_TOKEN ({exc.reason}); check the network"
        ) from None


def _looks_like_plan(path: Path) -> bool:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(data, dict) and "shots" in data and "brief" in data


def main() -> None:
    """Console entry point: one clear line and an exit code for every error, never a traceback."""
    limit_malloc_arenas()
    try:
        app()
    except DirectorError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted; continue with `director resume PROJECT_DIR`")
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: still one line, details on request
        disk = storage_error(exc, str(_RUNNING.get("project", "")))
        if disk is not None:  # disk full or read-only: not a bug, and resumable
            err.print(f"[red]error:[/] {escape(str(disk))}", highlight=False)
            sys.exit(disk.exit_code)
        if os.environ.get("DIRECTOR_DEBUG"):
            raise
        err.print(
            f"[red]internal error:[/] {type(exc).__name__}: {escape(str(exc))} "
            "(set DIRECTOR_DEBUG=1 for the traceback)",
            highlight=False,
        )
        sys.exit(1)

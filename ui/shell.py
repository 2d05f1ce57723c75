"""`director shell`: a local prompt over the same Session the chat page and Slack drive.

At a terminal it asks with a rich prompt and keeps going after a bad command. With piped input
it reads line by line, answers a money question only with a following "yes" line, and exits
non-zero at the end when any command failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.markdown import Markdown
from rich.prompt import Prompt

from director.config import Settings
from director.ui.session import Reply, Session

PROMPT = "director> "
EXIT_WORDS = frozenset({"exit", "quit", "/exit", "/quit", ":q"})


def _show(console: Console, reply: Reply, root: Path | None) -> None:
    style = None if reply.ok else "red"
    if console.is_terminal:
        console.print(Markdown(reply.text), style=style)
    else:
        console.print(reply.text, style=style, markup=False, highlight=False, soft_wrap=True)
    for path in reply.files:
        shown = path.relative_to(root) if root and path.is_relative_to(root) else path
        console.print(f"  file: {shown}", markup=False, highlight=False)


def _event_printer(console: Console) -> Callable[[dict[str, Any]], None]:
    def on_event(event: dict) -> None:
        kind = event.get("event", "")
        if kind in ("submitted", "accepted", "failed", "revised", "cut"):
            shot = event.get("shot")
            where = f"shot {shot + 1} " if isinstance(shot, int) else ""
            detail = ", ".join(f"{k}={v}" for k, v in event.items() if k not in ("event", "shot"))
            console.print(f"  · {where}{kind} {detail}".rstrip(), markup=False, highlight=False,
                          style="dim")

    return on_event


async def run_shell(
    project_dir: Path | None,
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    console: Console | None = None,
    provider: str = "",
    tier: str = "",
    session: Session | None = None,
) -> int:
    """Read commands until end of input or `exit`; the exit code (1 if any command failed when
    input was piped)."""
    stdin = stdin or sys.stdin
    console = console or Console()
    interactive = stdin.isatty()
    kw = {"on_event": _event_printer(console), "provider": provider, "tier": tier}
    if session is None and project_dir is not None:
        session = Session.open(project_dir, settings, **kw)
    elif session is None:
        session = Session(settings, **kw)
    if interactive:
        where = session.project.root if session.project else "no project (type /new <brief>)"
        console.print(f"video-director shell — {where}. /help lists commands, exit leaves.")
    failed = False
    while True:
        line = _read(stdin, console, interactive)
        if line is None:
            break
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() in EXIT_WORDS:
            break
        if not interactive:
            console.print(f"{PROMPT}{line}", markup=False, highlight=False, style="bold")
        reply = await session.handle(line)
        _show(console, reply, session.project.root if session.project else None)
        if not reply.ok:
            failed = True
        if reply.pending and interactive:
            try:
                answer = Prompt.ask("Go ahead? (yes/no)", console=console, default="no")
            except (EOFError, KeyboardInterrupt):
                answer = "no"
            reply = await session.handle(answer)
            _show(console, reply, session.project.root if session.project else None)
            failed = failed or not reply.ok
    if session.pending:
        console.print("Input ended with a question unanswered; nothing was run for it.",
                      style="yellow")
        failed = True
    return 1 if failed and not interactive else 0


def _read(stdin: TextIO, console: Console, interactive: bool) -> str | None:
    if interactive:
        try:
            return Prompt.ask(PROMPT.rstrip("> ").strip() + ">", console=console)
        except (EOFError, KeyboardInterrupt):  # Ctrl-D or Ctrl-C at the prompt leaves quietly
            return None
    line = stdin.readline()
    return None if line == "" else line

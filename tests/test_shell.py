"""`director shell`: a whole brief driven by piped commands, and bad input in the middle."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
from pathlib import Path

import av
import pytest
from conftest import director_cmd
from rich.console import Console

from director.config import Settings
from director.ledger import Ledger
from director.tools.providers.animatic import AnimaticProvider
from director.ui.session import Session
from director.ui.shell import run_shell

BRIEF = "a paper boat drifting down a flooded gutter after rain, 4 seconds"


def shell(lines: list[str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*director_cmd(), "shell", *args], input="\n".join(lines) + "\n", capture_output=True,
        text=True, timeout=300, cwd=cwd,
        env={**os.environ, "DIRECTOR_PROJECTS_DIR": str(cwd / "projects")},
    )


def test_piped_brief_runs_to_a_real_cut(tmp_path: Path) -> None:
    result = shell(
        [f"/new {BRIEF}", "/plan", "/approve", "yes", "/status", "/cut", "/export"],
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (root,) = (tmp_path / "projects").iterdir()
    final = root / "final.mp4"
    with av.open(str(final)) as container:
        stream = container.streams.video[0]
        seconds = sum(1 for _ in container.decode(stream)) / float(stream.average_rate)
    assert abs(seconds - 4) < 0.2
    assert "Shots: 1/1 accepted" in result.stdout and str(final) in result.stdout
    assert "Nothing is waiting for confirmation" in result.stdout  # the animatic is free
    assert [p.name for p in (root / "takes").glob("*.mp4")] == ["shot00_take1.mp4"]

    # The same folder continues in a new shell; a bad command fails the piped run at the end
    # but does not stop the commands after it.
    out = io.StringIO()
    code = _run(["/edit shot x kelvin 3", "", "# a comment", "/takes 1", "/frobnicate",
                 "/pick 1 0", "/budget -5", "é漢\u200b"], out, project_dir=root)
    text = out.getvalue()
    assert code == 1
    assert "usage: /edit shot N" in text and "unknown command" in text
    assert "usage: /pick N TAKE" in text and "usage: /budget [USD]" in text
    assert "| 1 | animatic | pass" in text
    assert "Traceback" not in text


def test_money_question_needs_a_yes_line(tmp_path: Path) -> None:
    """Priced models (rendered offline by the animatic) make approve and render ask first."""
    provider = AnimaticProvider(tmp_path / "tasks")
    session = Session(Settings(), projects_dir=tmp_path, provider="kling",
                      providers=lambda name: provider)
    out = io.StringIO()
    code = _run(["/new a lighthouse beam sweeping over a night sea, 5 seconds",
                 "/approve", "no",              # asked, then dropped
                 "/approve", "/status", "yes",  # a new command moves on: the yes finds nothing
                 "/approve", "yes",             # asked and answered: renders
                 "/render 1"], out, session=session)  # asked, never answered
    text = out.getvalue()
    assert code == 1, text
    assert text.count("Waiting for your yes (about $") == 4
    assert "Cancelled (approve)" in text and "Nothing is waiting for confirmation" in text
    assert "unanswered; nothing was run" in text and "Traceback" not in text
    ledger = Ledger(session.project.ledger_path)
    view = asyncio.run(session.view())
    assert view.stage == "done" and (session.project.root / "final.mp4").is_file()
    assert [t.take for t in view.shots[0].takes] == [1]  # the unanswered render made nothing
    assert ledger.spent_usd() > 0 and abs(ledger.spent_usd() - view.budget.estimate_usd) < 1e-6


def _run(lines: list[str], out: io.StringIO, *, session: Session | None = None,
         project_dir: Path | None = None) -> int:
    stdin = io.StringIO("\n".join(lines) + "\n")
    console = Console(file=out, width=120, force_terminal=False)
    return asyncio.run(run_shell(project_dir, Settings(), stdin=stdin, console=console,
                                 session=session))


def test_ctrl_c_at_the_prompt_leaves_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def interrupted(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("director.ui.shell.Prompt.ask", interrupted)
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    code = asyncio.run(run_shell(None, Settings(), stdin=Terminal(), console=console))
    assert code == 0 and "video-director shell" in out.getvalue()

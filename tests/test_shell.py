"""`director shell`: a whole brief driven by piped commands, and bad input in the middle."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import av
from conftest import director_cmd
from rich.console import Console

from director.config import Settings
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
        [f"/new {BRIEF}", "/plan", "/approve", "yes", "/render 1", "/status", "/cut", "/export"],
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
    assert "Shot 1 take 2 (seed:" in result.stdout  # render 1 made a new take of shot 1
    assert sorted(p.name for p in (root / "takes").glob("*.mp4")) == [
        "shot00_take1.mp4", "shot00_take2.mp4"]

    # The same folder continues in a new shell; a bad command fails the piped run at the end
    # but does not stop the commands after it.
    again = shell(["/edit shot x kelvin 3", "/takes 1", "/frobnicate"], tmp_path, str(root))
    assert again.returncode == 1
    assert "usage: /edit shot N" in again.stdout and "unknown command" in again.stdout
    assert "| 2 | animatic | pass" in again.stdout and "seed:" in again.stdout
    assert "Traceback" not in again.stdout + again.stderr


def test_money_question_needs_a_yes_line(tmp_path: Path) -> None:
    provider = AnimaticProvider(tmp_path / "tasks")

    def session() -> Session:
        return Session(Settings(), projects_dir=tmp_path, provider="kling",
                       providers=lambda name: provider)

    out = io.StringIO()
    unanswered = session()
    code = _run(["/new a lighthouse beam sweeping over a night sea, 5 seconds", "/approve"],
                unanswered, out)
    assert code == 1 and "Waiting for your yes" in out.getvalue()
    assert "unanswered; nothing was run" in out.getvalue()
    assert not list(unanswered.project.takes_dir.glob("*.mp4"))

    out = io.StringIO()
    answered = Session.open(unanswered.project.root, Settings(), provider="kling",
                            providers=lambda name: provider)
    code = _run(["/approve", "yes", "/export"], answered, out)
    assert code == 0, out.getvalue()
    assert (answered.project.root / "final.mp4").is_file()


def _run(lines: list[str], session: Session, out: io.StringIO) -> int:
    import asyncio

    stdin = io.StringIO("\n".join(lines) + "\n")
    console = Console(file=out, width=120, force_terminal=False)
    return asyncio.run(run_shell(None, Settings(), stdin=stdin, console=console, session=session))

"""One run per project at a time: a second run is refused with one line, never run beside it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import EXAMPLE_BRIEFS, director_cmd, director_in_process

from director.errors import ProjectError
from director.project import RUN_LOCK, Project
from director.ui import graphstate

BRIEF = EXAMPLE_BRIEFS / "paper-boat.md"


def test_a_held_project_refuses_a_second_run_until_released(tmp_path: Path) -> None:
    project = Project(tmp_path / "film").ensure()
    with project.run_lock():
        busy = rf"being run by another director \(process {os.getpid()}\)"
        with pytest.raises(ProjectError, match=busy), project.run_lock():
            pytest.fail("two runs held the project at once")
    with project.run_lock():  # released with its holder
        pass


def test_a_killed_holder_leaves_the_project_free(tmp_path: Path) -> None:
    project = Project(tmp_path / "film").ensure()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from director.project import Project\n"
         "with Project(Path(sys.argv[1])).run_lock():\n"
         "    print('held', flush=True); time.sleep(600)", str(project.root)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ProjectError, match=f"process {holder.pid}"), project.run_lock():
            pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    with project.run_lock():
        pass


def test_resume_while_the_run_is_going_is_refused_with_one_line(tmp_path: Path) -> None:
    out = tmp_path / "boat"
    env = {**os.environ, "DIRECTOR_SIM_LATENCY_SCALE": "0.2"}
    running = subprocess.Popen(
        [*director_cmd(), "run", str(BRIEF), "--provider", "sim", "--yes", "--out", str(out)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not (out / "plan.json").exists():
            assert running.poll() is None, running.stderr.read() if running.stderr else ""
            assert time.monotonic() < deadline, "the run never wrote its plan"
            time.sleep(0.1)
        assert running.poll() is None, "the run ended before the second one could meet it"
        second = director_in_process("resume", str(out), "--yes",
                                     env={"DIRECTOR_SIM_LATENCY_SCALE": "0"})
        assert second.returncode == ProjectError.exit_code, second.stderr
        lines = [x for x in second.stderr.splitlines() if x.strip() and not x.startswith("Brain:")]
        assert lines == [
            f"error: {out} is being run by another director (process {running.pid}); "
            "wait for it to finish, or stop it and resume"
        ], second.stderr
    finally:
        running.send_signal(signal.SIGKILL)
        running.wait(30)
    assert (out / RUN_LOCK).exists()
    with Project(out).run_lock():  # the killed run let go of it
        pass


def test_a_plan_change_waits_for_no_run(tmp_path: Path) -> None:
    """A change to the plan while another door runs the project is refused, not interleaved."""
    project = Project(tmp_path / "film").ensure()
    with project.run_lock(), pytest.raises(ProjectError, match="being run by another director"):
        asyncio.run(graphstate.update(project, {"approved": True}, as_node="gate"))

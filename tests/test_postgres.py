"""Runs checkpointed in a shared PostgreSQL database (DIRECTOR_CHECKPOINT_URL), against a real
server started on loopback for the session (tests/pg.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from conftest import director_cmd, director_in_process
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from pg import PASSWORD, Server
from pg import postgres as postgres  # the session's server fixture

from director.agent.checkpoint import THREAD_FILE, open_checkpointer, serializer
from director.agent.postgres import scrub, where
from director.agent.state import ShotResult
from director.config import Settings
from director.film import Brief
from director.ledger import Ledger
from director.plan import Plan
from director.project import Project
from director.ui import graphstate
from director.ui.runner import make_context, run_project

NO_FAULTS = "wrong_direction=0,no_motion=0,frozen=0,black=0,cut=0,duration=0"
BOAT = Brief(title="Paper boat", text="a paper boat drifting down a flooded gutter after rain",
             target_duration_s=4)
KITE = Brief(title="Red kite", text="a red kite climbing over a windy beach at noon",
             target_duration_s=4)


def _use(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DIRECTOR_CHECKPOINT_URL", url)
    monkeypatch.setenv("DIRECTOR_SIM_LATENCY_SCALE", "0")
    monkeypatch.setenv("DIRECTOR_SIM_FAULTS", NO_FAULTS)


def _run(project: Project, brief: Brief | None = None, *, yes: bool = True, provider: str = ""):
    ctx = make_context(project, Settings(concurrency=2), auto_approve=yes, provider=provider)
    return asyncio.run(run_project(project, ctx, brief=brief))


def _rows(url: str, sql: str, *args: object) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


def test_full_run_is_checkpointed_in_postgres(
    postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database("full_run")
    _use(monkeypatch, url)
    project = Project(tmp_path / "boat")
    outcome = _run(project, BOAT, provider="sim")
    assert outcome.status == "done" and outcome.state.cut is not None
    assert project.final_path.stat().st_size > 0 and project.report_path.exists()
    # The run lives in the database, under the id written into the folder; no SQLite file.
    assert not project.state_path.exists()
    thread = (project.root / THREAD_FILE).read_text().strip()
    assert thread.startswith("director-")
    assert _rows(url, "SELECT count(*) FROM checkpoints WHERE thread_id = %s", thread)[0][0] > 5
    snap = asyncio.run(graphstate.read(project))
    assert snap.stage == "done" and snap.state is not None
    assert snap.state.brief.title == "Paper boat"

    # The serde allow-list holds in Postgres: every state type loads back as itself, with no
    # "unregistered type" fallback, and a loader without our list does not rebuild them.
    async def stored() -> tuple[dict, bytes]:
        async with open_checkpointer(project.state_path, url) as saver:
            tup = await saver.aget_tuple({"configurable": {"thread_id": thread}})
            assert tup is not None
            return tup.checkpoint["channel_values"], serializer().dumps_typed(
                tup.checkpoint["channel_values"]["plan"]
            )[1]

    values, plan_bytes = asyncio.run(stored())
    assert isinstance(values["plan"], Plan)
    assert values["results"] and all(isinstance(r, ShotResult) for r in values["results"].values())
    strict = JsonPlusSerializer(allowed_msgpack_modules=None)
    assert not isinstance(strict.loads_typed(("msgpack", plan_bytes)), Plan)
    # Nothing the database holds carries the connection password.
    for table in ("checkpoints", "checkpoint_blobs", "checkpoint_writes"):
        dump = _rows(url, f"SELECT t::text FROM {table} t")
        assert dump and not any(PASSWORD in row[0] for row in dump), table


def test_two_projects_in_one_database_keep_their_own_threads(
    postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database("shared")
    _use(monkeypatch, url)
    boat, kite = Project(tmp_path / "boat"), Project(tmp_path / "kite")
    assert _run(boat, BOAT, yes=False).status == "awaiting_approval"
    assert _run(kite, KITE, yes=False).status == "awaiting_approval"
    threads = {(p.root / THREAD_FILE).read_text().strip() for p in (boat, kite)}
    assert len(threads) == 2
    stored = {r[0] for r in _rows(url, "SELECT DISTINCT thread_id FROM checkpoints")}
    assert stored == threads

    # Approving one renders that one only; the other still waits at its gate.
    assert _run(boat).status == "done"
    boat_snap, kite_snap = (asyncio.run(graphstate.read(p)) for p in (boat, kite))
    assert boat_snap.stage == "done" and kite_snap.stage == "awaiting_approval"
    assert kite_snap.state is not None and kite_snap.state.brief.title == "Red kite"
    assert not list(kite.takes_dir.glob("*.mp4"))

    # A moved folder keeps its run: the thread id travels with it.
    moved = Project(tmp_path / "elsewhere" / "kite-renamed")
    moved.root.parent.mkdir()
    kite.root.rename(moved.root)
    snap = asyncio.run(graphstate.read(moved))
    assert snap.stage == "awaiting_approval" and snap.state.brief.title == "Red kite"

    # Without the URL the folder says where its run is instead of starting a new one.
    monkeypatch.delenv("DIRECTOR_CHECKPOINT_URL")
    result = director_in_process("resume", str(moved.root), "--yes")
    assert result.returncode == 2 and "DIRECTOR_CHECKPOINT_URL" in result.stderr


def test_chat_and_slack_sessions_open_a_postgres_project(
    postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from director.ui.chat_door import ChatDoor
    from director.ui.session import Session

    _use(monkeypatch, postgres.create_database("sessions"))
    settings = Settings(projects_dir=tmp_path / "projects")
    created = asyncio.run(Session.create("a red kite climbing over a windy beach at noon",
                                         settings.projects_dir, settings))
    assert created.project is not None
    root = created.project.root
    assert (root / THREAD_FILE).exists() and not (root / "state.sqlite").exists()
    # The chat page lists it and a fresh session (as Slack opens one per thread) reads its plan.
    assert ChatDoor(settings, settings.projects_dir).projects() == [root.name]
    reopened = Session.open(root, settings)
    reply = asyncio.run(reopened.handle("status"))
    assert reply.ok and reply.view is not None and reply.view.stage == "awaiting_approval"


def test_plan_and_lint_leave_no_thread_in_the_shared_database(
    postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = postgres.create_database("scratch")
    _use(monkeypatch, url)
    brief = tmp_path / "boat.md"
    brief.write_text("# Paper boat\n\na paper boat drifting down a flooded gutter after rain\n")
    assert director_in_process("plan", str(brief), "--json").returncode == 0
    assert director_in_process("lint", str(brief)).returncode == 0
    assert _rows(url, "SELECT count(*) FROM checkpoints")[0][0] == 0
    assert _rows(url, "SELECT count(*) FROM checkpoint_writes")[0][0] == 0


def test_sqlite_projects_stay_on_sqlite_when_the_url_is_set(
    postgres: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTOR_SIM_LATENCY_SCALE", "0")
    project = Project(tmp_path / "old")
    assert _run(project, BOAT, yes=False).status == "awaiting_approval"
    assert project.state_path.exists() and not (project.root / THREAD_FILE).exists()
    url = postgres.create_database("untouched")
    _use(monkeypatch, url)
    assert _run(project).status == "done"
    assert not (project.root / THREAD_FILE).exists()
    assert _rows(url, "SELECT to_regclass('checkpoints')")[0][0] is None


def test_resume_after_sigkill_continues_from_postgres(
    postgres: Server, tmp_path: Path
) -> None:
    url = postgres.create_database("killed")
    brief = tmp_path / "boat.md"
    brief.write_text("# Paper boat\n\na paper boat drifting down a flooded gutter after rain, "
                     "4 seconds\n")
    out = tmp_path / "boat"
    env = {
        **os.environ,
        "DIRECTOR_CHECKPOINT_URL": url,
        "DIRECTOR_PROVIDER": "sim",
        "DIRECTOR_SIM_FAULTS": NO_FAULTS,
        # A render takes a few seconds, long enough to be killed while it is being polled.
        "DIRECTOR_SIM_LATENCY_SCALE": "0.05",
        "DIRECTOR_POLL_S": "0.2",
        "DIRECTOR_CONCURRENCY": "1",
    }
    proc = subprocess.Popen(
        [*director_cmd(), "run", str(brief), "--out", str(out), "--yes", "--provider", "sim"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )
    ledger = Ledger(out / "ledger.jsonl")
    deadline = time.monotonic() + 60
    while not any(e.kind == "submit" for e in ledger.entries()):
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        assert time.monotonic() < deadline, "no submission within 60 s"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (out / "final.mp4").exists() and not (out / "state.sqlite").exists()
    submitted = [e.key for e in ledger.entries() if e.kind == "submit"]
    thread = (out / THREAD_FILE).read_text()
    planned = (out / "plan.json").stat().st_mtime_ns

    done = subprocess.run([*director_cmd(), "resume", str(out), "--yes"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (out / "final.mp4").stat().st_size > 0
    # The paid task recorded before the kill was polled again, never submitted twice.
    after = [e.key for e in ledger.entries() if e.kind == "submit"]
    assert after[: len(submitted)] == submitted and len(after) == len(set(after))
    # It went on from the checkpoint in the database: same thread, no re-plan, no SQLite file.
    assert (out / THREAD_FILE).read_text() == thread and not (out / "state.sqlite").exists()
    assert (out / "plan.json").stat().st_mtime_ns == planned
    assert _rows(url, "SELECT count(*) FROM checkpoints WHERE thread_id = %s", thread.strip())[0][0]


@pytest.mark.parametrize("kind", ["password", "refused", "scheme", "port"])
def test_bad_url_is_one_clear_line_without_the_password(
    postgres: Server, tmp_path: Path, kind: str
) -> None:
    secret = "s3cret-p%40ss"
    url = {
        "password": postgres.url(password=secret),
        "refused": f"postgresql://director:{secret}@127.0.0.1:1/director",
        "scheme": f"mysql://director:{secret}@127.0.0.1/director",
        "port": f"postgresql://director:{secret}@127.0.0.1:notaport/director",
    }[kind]
    brief = tmp_path / "boat.md"
    brief.write_text("# Paper boat\n\na paper boat drifting down a flooded gutter after rain\n")
    out = tmp_path / "boat"
    result = director_in_process(
        "run", str(brief), "--out", str(out), "--yes", env={"DIRECTOR_CHECKPOINT_URL": url}
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("error")]
    assert result.returncode == (2 if kind in ("scheme", "port") else 1), result.stderr
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert secret not in result.stderr + result.stdout and "s3cret-p@ss" not in result.stderr
    expect = {"password": f"127.0.0.1:{postgres.port}/director", "refused": "127.0.0.1:1",
              "scheme": "postgresql://", "port": "notaport"}[kind]
    assert expect in errors[0]
    assert kind != "password" or "password authentication failed" in errors[0]
    # No half-made run is left behind, so `director run` takes the folder again.
    assert not (out / THREAD_FILE).exists() and not (out / "state.sqlite").exists()


def test_scrub_and_where_hide_every_form_of_the_password() -> None:
    url = "postgresql://me:p%40ss%2Fword@db.example:6543/films?sslmode=require"
    assert where(url) == "db.example:6543/films"
    text = "failed for p@ss/word and p%40ss%2Fword"
    assert scrub(text, url) == "failed for *** and ***"
    assert scrub("x password=abc y", "postgresql://h/db?password=abc") == "x password=*** y"

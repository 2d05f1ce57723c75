"""A full disk or an unwritable project folder: one clear line and exit code 5, nothing already
written is lost, and `director resume` continues once space or permission is back.

Faults come two ways: injected at the write layer (ENOSPC from fsync or a short write, SQLite's
"database or disk is full"), so they are tested everywhere; and real ones where this machine
allows (a 3 MB tmpfs, a read-only bind mount, an immutable folder), skipped with the reason
where it does not.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE_BRIEFS, director_cmd, director_in_process
from crash_trials import corrupt_files

from director.errors import StorageError, storage_error
from director.ledger import Ledger, LedgerEntry
from director.project import Project, atomic_write_text
from director.tools.providers.sim import sim_tasks

BRIEF = EXAMPLE_BRIEFS / "paper-boat.md"
STORAGE_EXIT = StorageError.exit_code


def _enospc(path: str = "") -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path or None)


def paid_tasks(root: Path) -> Counter[tuple[int, int]]:
    """The simulator's own record: one task file per paid task."""
    found: Counter[tuple[int, int]] = Counter()
    for _, task in sim_tasks(root / "takes" / ".tasks"):
        request = task["request"]
        found[(request["shot_index"], request["attempt"])] += 1
    return found


def one_clear_line(stderr: str) -> str:
    lines = [x for x in stderr.strip().splitlines() if x.strip() and not x.startswith("Brain:")]
    assert "Traceback" not in stderr
    assert len(lines) == 1, stderr
    return lines[0]


def snapshot(root: Path) -> dict[str, str]:
    """Every file's content hash, to prove nothing already written changed."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.name.startswith(".")
            and not p.name.startswith("state.sqlite")}


def finished_cleanly(root: Path) -> None:
    assert (root / "final.mp4").exists() and (root / "report.html").exists()
    assert corrupt_files(root) == []
    assert paid_tasks(root) and max(paid_tasks(root).values()) == 1, paid_tasks(root)


# --- the write layer ------------------------------------------------------------------------


def test_ledger_takes_back_a_line_the_disk_could_not_hold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(LedgerEntry(kind="submit", shot=0, attempt=1, cost_usd=0.5))
    before = ledger.path.read_bytes()
    real_write = os.write

    def half_then_full(fd: int, data: bytes) -> int:
        if len(data) > 20:
            return real_write(fd, data[: len(data) // 2])  # a short write, as a filling disk does
        raise _enospc()

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(OSError) as info:
        ledger.append(LedgerEntry(kind="submit", shot=1, attempt=1, cost_usd=0.5))
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert ledger.path.read_bytes() == before  # the half line was taken back
    ledger.append(LedgerEntry(kind="submit", shot=1, attempt=1, cost_usd=0.5))
    assert [(e.shot, e.attempt) for e in ledger.entries()] == [(0, 1), (1, 1)]
    assert ledger.spent_usd() == 1.0


def test_ledger_append_after_a_torn_line_keeps_every_whole_entry(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.jsonl")
    ledger.append(LedgerEntry(kind="submit", shot=0, attempt=1, cost_usd=0.25))
    with ledger.path.open("ab") as fh:  # what a kill in the middle of an append leaves
        fh.write(b'{"kind":"take","shot":0,"att')
    ledger.append(LedgerEntry(kind="take", shot=0, attempt=1))
    lines = ledger.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and all(json.loads(x) for x in lines)
    assert {(e.kind, e.shot) for e in ledger.entries()} == {("submit", 0), ("take", 0)}


def test_atomic_write_on_a_full_disk_keeps_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "plan.json"
    atomic_write_text(plan, '{"old": true}')

    def full(fd: int) -> None:
        raise _enospc()

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        atomic_write_text(plan, '{"new": true}')
    monkeypatch.undo()
    assert plan.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_storage_errors_are_recognised_through_causes_and_groups() -> None:
    wrapped = RuntimeError("node failed")
    wrapped.__cause__ = _enospc("/p/takes/shot00_take1.mp4")
    error = storage_error(ExceptionGroup("tasks", [ValueError("x"), wrapped]), "/p")
    assert error is not None and error.exit_code == STORAGE_EXIT
    assert "/p/takes/shot00_take1.mp4" in str(error) and "disk is full" in str(error)
    assert "director resume /p" in str(error) and "\n" not in str(error)
    sqlite_full = storage_error(sqlite3.OperationalError("database or disk is full"), "/p")
    assert sqlite_full is not None and "checkpoint" in str(sqlite_full)
    read_only = storage_error(OSError(errno.EROFS, "Read-only file system", "/p/plan.json"))
    assert read_only is not None and "read-only" in str(read_only)
    assert storage_error(OSError(errno.ENOENT, "No such file")) is None
    assert storage_error(sqlite3.OperationalError("no such table: x")) is None
    assert storage_error(ValueError("bug")) is None


# --- whole runs with injected faults (in process) ----------------------------------------------


def test_disk_full_while_saving_a_paid_clip_stops_and_resume_does_not_pay_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC when the second shot's clip is saved into takes/: the run stops with one line,
    the ledger, plan and first take are intact, and the resumed run downloads the task
    already paid for instead of submitting it again."""
    out = tmp_path / "boat"
    env = {"DIRECTOR_SIM_LATENCY_SCALE": "0", "DIRECTOR_CONCURRENCY": "1"}
    real_fsync = os.fsync
    hits = []

    def full_for_shot_two(fd: int) -> None:
        name = os.readlink(f"/proc/self/fd/{fd}")
        if "/takes/.shot01_take1.mp4." in name:
            hits.append(name)
            raise _enospc()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_for_shot_two)
    result = director_in_process("run", str(BRIEF), "--provider", "sim", "--yes", "--out",
                                 str(out), env=env)
    assert hits, "the fault was never reached"
    assert result.returncode == STORAGE_EXIT, result.stderr
    line = one_clear_line(result.stderr)
    assert "disk is full" in line and f"director resume {out}" in line
    assert corrupt_files(out) == []
    assert (out / "takes" / "shot00_take1.mp4").exists()
    assert not (out / "takes" / "shot01_take1.mp4").exists()
    paid_before = paid_tasks(out)
    assert paid_before[(1, 1)] == 1  # shot 2 was paid for before the disk filled
    kept = snapshot(out)
    monkeypatch.undo()

    result = director_in_process("resume", str(out), "--yes", env=env)
    assert result.returncode == 0, result.stderr
    finished_cleanly(out)
    for name, digest in kept.items():  # nothing written before the fault was changed
        if name.startswith("takes/") or name == "brief.md":
            assert snapshot(out)[name] == digest, name
    assert all(paid_tasks(out)[key] == 1 for key in paid_before)


@pytest.mark.parametrize("fail_after", [
    pytest.param(9, id="inside-the-shots"),
    pytest.param(6, id="right-after-the-gate"),
])
def test_checkpoint_disk_full_is_one_line_and_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_after: int
) -> None:
    """SQLite's "database or disk is full" while checkpointing: one line, exit 5, and the
    resumed run finishes. Checkpoint puts 1-6 are the parent graph's steps up to the gate;
    from 7 on they interleave with the shots' own."""
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    out = tmp_path / "boat"
    env = {"DIRECTOR_SIM_LATENCY_SCALE": "0"}
    real_aput = AsyncSqliteSaver.aput
    calls = []

    async def fills_up(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) > fail_after:
            raise sqlite3.OperationalError("database or disk is full")
        return await real_aput(self, *args, **kwargs)

    monkeypatch.setattr(AsyncSqliteSaver, "aput", fills_up)
    result = director_in_process("run", str(BRIEF), "--provider", "sim", "--yes", "--out",
                                 str(out), env=env)
    assert result.returncode == STORAGE_EXIT, result.stderr
    line = one_clear_line(result.stderr)
    assert "checkpoint" in line and "disk is full" in line
    monkeypatch.undo()
    result = director_in_process("resume", str(out), "--yes", env=env)
    assert result.returncode == 0, result.stderr
    finished_cleanly(out)


# --- real faults (subprocesses; need root and mount/chattr) ------------------------------------


def _try(cmd: list[str]) -> str:
    """"" when the command worked, else why not (for a skip reason)."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{cmd[0]}: {exc}"
    return "" if done.returncode == 0 else (done.stderr.strip() or f"exit {done.returncode}")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MB tmpfs: the run's clips do not fit."""
    mount = tmp_path / "disk"
    mount.mkdir()
    problem = _try(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)])
    if problem:
        pytest.skip(f"cannot mount a small tmpfs here ({problem}); the injected ENOSPC "
                    "tests above cover the behaviour")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*director_cmd(), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "DIRECTOR_SIM_LATENCY_SCALE": "0", **(env or {})})


def test_real_full_disk_then_space_back(tiny_disk: Path) -> None:
    out = tiny_disk / "boat"
    result = cli("run", str(BRIEF), "--provider", "sim", "--yes", "--out", str(out))
    assert result.returncode == STORAGE_EXIT, result.stdout + result.stderr
    assert "disk is full" in one_clear_line(result.stderr)
    assert corrupt_files(out) == []
    ledger_before = (out / "ledger.jsonl").read_bytes()
    paid_before = paid_tasks(out)
    assert paid_before, "the disk filled before anything was paid for"

    assert _try(["mount", "-o", "remount,size=64m", str(tiny_disk)]) == ""
    result = cli("resume", str(out), "--yes")
    assert result.returncode == 0, result.stderr
    finished_cleanly(out)
    assert (out / "ledger.jsonl").read_bytes().startswith(ledger_before)
    assert all(paid_tasks(out)[key] == 1 for key in paid_before)


@pytest.fixture
def planned(tmp_path: Path) -> Path:
    """A project stopped at the approval gate: plan, stills and checkpoint written."""
    out = tmp_path / "boat"
    result = cli("run", str(BRIEF), "--provider", "sim", "--out", str(out))
    assert result.returncode == 0 and (out / "plan.json").exists(), result.stderr
    return out


def test_read_only_project_folder_is_clear_and_loses_nothing(planned: Path) -> None:
    problem = _try(["mount", "--bind", str(planned), str(planned)])
    if problem:
        pytest.skip(f"cannot bind-mount here ({problem}); unwritable folders are covered by "
                    "the immutable-folder test")
    try:
        kept = snapshot(planned)
        assert _try(["mount", "-o", "remount,ro,bind", str(planned)]) == ""
        result = cli("resume", str(planned), "--yes")
        assert result.returncode == STORAGE_EXIT, result.stderr
        line = one_clear_line(result.stderr)
        assert "Read-only file system" in line or "read-only" in line
        assert snapshot(planned) == kept
    finally:
        subprocess.run(["umount", "-l", str(planned)], check=False)
    result = cli("resume", str(planned), "--yes")
    assert result.returncode == 0, result.stderr
    finished_cleanly(planned)


def test_takes_folder_made_unwritable_mid_run(tmp_path: Path) -> None:
    """The takes folder turns immutable (chattr +i stops root too) while clips render: the run
    stops at the first clip it cannot save, with one line; once writable, resume finishes
    on the tasks already paid for."""
    out = tmp_path / "boat"
    probe = tmp_path / "probe"
    probe.mkdir()
    problem = _try(["chattr", "+i", str(probe)])
    if problem:
        pytest.skip(f"chattr +i is not available on this file system ({problem})")
    _try(["chattr", "-i", str(probe)])
    env = {**os.environ, "DIRECTOR_SIM_LATENCY_SCALE": "0.01"}
    proc = subprocess.Popen(
        [*director_cmd(), "run", str(BRIEF), "--provider", "sim", "--yes", "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    takes = out / "takes"
    try:
        deadline = time.monotonic() + 240
        while not any(e.kind == "submit" for e in Ledger(out / "ledger.jsonl").entries()):
            assert proc.poll() is None and time.monotonic() < deadline, "never submitted"
            time.sleep(0.02)
        assert _try(["chattr", "+i", str(takes)]) == ""
        _, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        _try(["chattr", "-i", str(takes)])
    assert proc.returncode == STORAGE_EXIT, stderr
    assert "permission denied" in one_clear_line(stderr)
    assert corrupt_files(out) == []
    paid_before = paid_tasks(out)
    result = cli("resume", str(out), "--yes")
    assert result.returncode == 0, result.stderr
    finished_cleanly(out)
    assert all(paid_tasks(out)[key] == 1 for key in paid_before)


def test_temp_files_of_killed_writers_are_swept_only_when_stale(tmp_path: Path) -> None:
    """A writer killed mid-write leaves its hidden temp file; a later run removes it once it
    has sat untouched, and never touches a live one or a finished file."""
    project = Project(tmp_path / "p").ensure()
    (project.takes_dir / ".tasks").mkdir()
    stale = [project.root / ".plan.json.k2j3h4.tmp",
             project.takes_dir / ".shot00_take1.ab12cd34.part.mp4",
             project.stills_dir / ".shot00.x9y8z7.png",
             project.takes_dir / ".tasks" / ".sim-1.json.q1w2e3.tmp"]
    live = project.takes_dir / ".shot01_take1.zz99yy88.part.mp4"
    kept = [project.takes_dir / "shot00_take1.mp4", project.root / ".write-test-keep"]
    old = time.time() - 3600
    for path in [*stale, live, *kept]:
        path.write_bytes(b"x")
    for path in [*stale, *kept]:
        os.utime(path, (old, old))
    assert sorted(project.sweep_temp()) == sorted(stale)
    assert live.exists() and all(p.exists() for p in kept)
    assert not any(p.exists() for p in stale)

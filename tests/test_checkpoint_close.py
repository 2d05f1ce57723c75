"""A project's SQLite checkpoint lets go of its locks when the run's connection closes.

A run that fails mid-step can leave a write of a cancelled task uncommitted, and a statement of
it still referenced from a traceback. SQLite then only marks the closed connection a "zombie",
keeping its transaction (and the write lock) until the statement is garbage collected, so a
resume in the same process (the chat page, Slack) found the project "database is locked".
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from director.agent.checkpoint import open_checkpointer


def _write_lock_free(path: Path) -> bool:
    probe = sqlite3.connect(path, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        probe.close()


def test_an_uncommitted_write_with_a_live_statement_does_not_outlive_the_connection(
    tmp_path: Path,
) -> None:
    path = tmp_path / "state.sqlite"
    kept: list[sqlite3.Cursor] = []

    async def fail_mid_write() -> None:
        async with open_checkpointer(path) as saver:
            conn = saver.conn
            await conn.execute("CREATE TABLE scratch (n INTEGER)")
            await conn.commit()
            await conn.executemany("INSERT INTO scratch VALUES (?)", [(1,), (2,)])
            # A read stepped once and never finished, its cursor kept alive (as a traceback
            # keeps a cancelled task's frame alive): the statement is not finalized at close.
            cursor = await conn.execute("SELECT n FROM scratch")
            await cursor.fetchone()
            kept.append(cursor._cursor)
            assert not _write_lock_free(path)  # the uncommitted insert holds the write lock
            raise RuntimeError("the step failed")

    with pytest.raises(RuntimeError, match="the step failed"):
        asyncio.run(fail_mid_write())
    assert kept, "the statement was never kept alive"
    assert _write_lock_free(path)
    rows = sqlite3.connect(path).execute("SELECT count(*) FROM scratch").fetchone()
    assert rows == (0,)  # the uncommitted write was rolled back, not kept


def test_a_task_still_writing_while_the_run_unwinds_leaves_no_lock(tmp_path: Path) -> None:
    """Tasks of a failed step may still be writing and reading while the run unwinds; nothing
    of theirs may land between the roll-back and the close."""
    path = tmp_path / "state.sqlite"
    kept: list[object] = []
    pending: set[asyncio.Future[None]] = set()

    async def fail_while_a_task_writes() -> None:
        async with open_checkpointer(path) as saver:
            conn = saver.conn
            await conn.execute("CREATE TABLE scratch (n INTEGER)")
            await conn.commit()

            async def insert() -> None:
                with contextlib.suppress(sqlite3.Error, ValueError):  # closed under it
                    await conn.execute("INSERT INTO scratch VALUES (1)")
                    # A read left mid-way, as an abandoned `alist` iteration leaves one.
                    cursor = await conn.execute("SELECT n FROM scratch")
                    await cursor.fetchone()
                    kept.append(cursor)

            async def straggler() -> None:
                # Queues a write at every turn of the loop, never commits, keeps each cursor.
                while True:
                    pending.add(asyncio.ensure_future(insert()))
                    await asyncio.sleep(0)

            asyncio.get_running_loop().create_task(straggler())
            while not kept:
                await asyncio.sleep(0.01)
            raise RuntimeError("the step failed")

    with pytest.raises(RuntimeError, match="the step failed"):
        asyncio.run(fail_while_a_task_writes())
    assert _write_lock_free(path)

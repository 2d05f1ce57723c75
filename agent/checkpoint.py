"""Where a project's run is checkpointed, and the checkpointer that holds it.

A project keeps its run in `state.sqlite` inside its folder (one thread, "director"), or, when
DIRECTOR_CHECKPOINT_URL names a PostgreSQL database shared by many projects, in that database
under a thread id written once into the folder (`thread.id`), so a moved folder keeps its run.
The choice is made when the run starts and then sticks with the folder: a folder with a
state.sqlite stays on SQLite even after the URL is set. Every state type is registered for serde.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from director import film, inspection, plan, takes
from director.agent import state
from director.errors import ProjectError
from director.project import PLAN, STATE, Project

URL_ENV = "DIRECTOR_CHECKPOINT_URL"
BUSY_TIMEOUT_S = 30.0
"""How long a SQLite checkpoint waits for another connection's write lock."""
THREAD = "director"
"""The one thread of a project's own SQLite file."""
THREAD_FILE = "thread.id"
"""Holds the project's thread id in a shared database; written once, never changed."""


def _state_types() -> list[type | tuple[str, str]]:
    """Every pydantic class that can sit in a checkpoint; unregistered types are refused by
    LangGraph's msgpack loader (and come back as plain dicts)."""
    types: list[type | tuple[str, str]] = []
    for module in (film, inspection, plan, state, takes):
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                types.append(value)
    # Checkpoints written before takes and inspection had modules of their own name those
    # classes under director.film.
    types += [
        (film.__name__, name) for name in film.REEXPORTS if isinstance(getattr(film, name), type)
    ]
    return types


def serializer() -> JsonPlusSerializer:
    return JsonPlusSerializer(allowed_msgpack_modules=_state_types())


def checkpoint_url() -> str:
    return os.environ.get(URL_ENV, "").strip()


@dataclass(frozen=True)
class Checkpoint:
    """Where one project's run lives."""

    path: Path
    """The project's SQLite file (unused when `url` is set)."""
    thread: str
    """The LangGraph thread id of the project's run."""
    url: str = ""
    """The shared PostgreSQL database, or "" for the SQLite file."""

    def config(self, **extra: Any) -> dict[str, Any]:
        return {"configurable": {"thread_id": self.thread}, **extra}


def _read_thread(file: Path) -> str:
    thread = file.read_text(encoding="utf-8").strip()
    if not thread or len(thread) > 200 or not thread.isprintable():
        raise ProjectError(f"{file} does not hold a thread id")
    return thread


def _new_thread(file: Path) -> str:
    """A fresh id, linked into place so two processes starting together agree on one."""
    fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=f".{file.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"director-{uuid.uuid4().hex}\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, file)
    except FileExistsError:
        pass
    finally:
        Path(tmp).unlink(missing_ok=True)
    return _read_thread(file)


def locate(project: Project) -> Checkpoint | None:
    """Where `project`'s run is checkpointed; None when the folder holds no run yet."""
    thread_file = project.root / THREAD_FILE
    if project.state_path.exists():
        return Checkpoint(project.state_path, THREAD)
    if thread_file.exists():
        url = checkpoint_url()
        if not url:
            raise ProjectError(
                f"{project.root} keeps its run in PostgreSQL: set {URL_ENV} to open it"
            )
        return Checkpoint(project.state_path, _read_thread(thread_file), url)
    return None


def has_run(project: Project) -> bool:
    """Whether the folder holds a run (in its SQLite file or a shared database)."""
    return project.state_path.exists() or (project.root / THREAD_FILE).exists()


def require_run(project: Project) -> Project:
    """The project, or a one-line ProjectError when the folder holds no run."""
    if not project.plan_path.exists() or not has_run(project):
        raise ProjectError(
            f"{project.root} is not a project folder (no {PLAN} / {STATE} or {THREAD_FILE})"
        )
    return project


@asynccontextmanager
async def open_run(
    project: Project, *, create: bool = False
) -> AsyncIterator[tuple[BaseCheckpointSaver, Checkpoint] | None]:
    """The checkpointer and place of `project`'s run; None when it has none and not `create`.

    A new run goes where DIRECTOR_CHECKPOINT_URL says (a shared database, under a new thread
    id) or to the folder's SQLite file. The thread id is written only once the database has
    answered, so a wrong URL leaves no half-made run behind.
    """
    where = locate(project)
    if where is not None:
        async with open_checkpointer(where.path, where.url) as saver:
            yield saver, where
        return
    if not create:
        yield None
        return
    url = checkpoint_url()
    async with open_checkpointer(project.state_path, url) as saver:
        if url:
            where = Checkpoint(project.state_path, _new_thread(project.root / THREAD_FILE), url)
        else:
            where = Checkpoint(project.state_path, THREAD)
        yield saver, where


@asynccontextmanager
async def open_checkpointer(path: Path, url: str = "") -> AsyncIterator[BaseCheckpointSaver]:
    """The PostgreSQL checkpointer when `url` is given, else the SQLite file at `path`."""
    if url:
        from director.agent.postgres import open_postgres

        async with open_postgres(url, serializer()) as saver:
            yield saver
        return
    # A generous busy timeout: a door reading or editing the project beside a run holds the
    # write lock for moments, not for good.
    conn = await aiosqlite.connect(str(path), timeout=BUSY_TIMEOUT_S)
    try:
        saver = AsyncSqliteSaver(conn, serde=serializer())
        await saver.setup()
        yield saver
    finally:
        # Closed even while the run is being cancelled: a connection left open keeps its
        # write lock, and a later run of the project in this process would find it locked.
        await asyncio.shield(_close(conn))


async def _close(conn: aiosqlite.Connection) -> None:
    """Roll back, then close, in one call on the connection's own thread.

    Tasks of a failed step can still be finishing while the run unwinds, and one may begin a
    write that is never committed. While any statement of the connection is still referenced
    (a cancelled task's frame in a traceback), SQLite's close only marks the connection a
    zombie that keeps its transaction, and the write lock with it, until that statement is
    garbage collected. Done as two awaited calls, such a task could slip a write in between.
    """

    def rollback_and_close() -> None:
        raw = conn._conn  # aiosqlite has no public call that runs both on its thread
        with contextlib.suppress(sqlite3.Error):
            raw.rollback()
        raw.close()

    # ValueError: aiosqlite's "no active connection" when it is closed already.
    with contextlib.suppress(ValueError):
        await conn._execute(rollback_and_close)
    await conn.close()

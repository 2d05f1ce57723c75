"""The SQLite checkpointer in the project folder, with every state type registered for serde."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from director import film, inspection, plan, takes
from director.agent import state


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


@asynccontextmanager
async def open_checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    conn = await aiosqlite.connect(str(path))
    try:
        saver = AsyncSqliteSaver(conn, serde=serializer())
        await saver.setup()
        yield saver
    finally:
        await conn.close()

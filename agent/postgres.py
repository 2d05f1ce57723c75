"""The PostgreSQL checkpointer for teams: many projects' runs in one shared database.

The URL may carry a password, so it is never shown as given: errors name the host, port and
database only (`where`), and any text from the driver is scrubbed of the password (`scrub`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.serde.base import SerializerProtocol
from psycopg.rows import dict_row

from director.errors import DirectorError, UsageError

SCHEMES = ("postgresql", "postgres")
# One number for every director process: setup() runs its migrations under this advisory lock,
# so workers starting together never race on the migrations table.
_SETUP_LOCK = 0x6469_7265_6374
_set_up: set[str] = set()


def _password(url: str) -> str:
    try:
        parts = urlsplit(url)
        secret = parts.password or ""
        query = parse_qs(parts.query).get("password", [""])[0]
    except ValueError:
        return ""
    return unquote(secret) or query


def scrub(text: str, url: str) -> str:
    """`text` with the URL's password (raw and percent-encoded) replaced by ***."""
    secret = _password(url)
    if not secret:
        return text
    for form in {secret, urlsplit(url).password or ""} - {""}:
        text = text.replace(form, "***")
    return text


def where(url: str) -> str:
    """host:port/database of a URL, safe to print (no user, no password)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
    except ValueError:
        return "an unreadable address"
    db = parts.path.lstrip("/") or "(default database)"
    return scrub(f"{host}:{port}/{db}", url)


def check_url(url: str) -> str:
    """The URL when it is a postgresql:// URL, else a one-line UsageError (password hidden)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises on a bad one
    except ValueError as exc:
        raise UsageError(f"DIRECTOR_CHECKPOINT_URL is not a valid URL ({exc})") from None
    if parts.scheme not in SCHEMES:
        shown = f"{parts.scheme}://..." if parts.scheme else "a URL without postgresql://"
        raise UsageError(f"DIRECTOR_CHECKPOINT_URL must be a postgresql:// URL, not {shown}")
    return url


def _reason(exc: BaseException, url: str) -> str:
    """The driver's own words, first line, without its address preamble or the password."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    line = line.rsplit(" failed: ", 1)[-1].removeprefix("connection is bad: ")
    line = " ".join(line.split()).removeprefix("FATAL: ")
    return scrub(line, url)[:200]


async def connect(url: str) -> psycopg.AsyncConnection:
    """A connection with the settings AsyncPostgresSaver documents: autocommit (each checkpoint
    write stands alone), no prepared statements (safe behind pgbouncer) and dict rows."""
    check_url(url)
    try:
        return await psycopg.AsyncConnection.connect(
            url, autocommit=True, prepare_threshold=0, row_factory=dict_row, connect_timeout=10
        )
    except psycopg.Error as exc:
        raise DirectorError(
            f"cannot open the checkpoint database at {where(url)}: {_reason(exc, url)}"
        ) from None


async def _setup(saver: AsyncPostgresSaver, conn: psycopg.AsyncConnection) -> None:
    await conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK,))
    try:
        await saver.setup()
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))


@asynccontextmanager
async def open_postgres(url: str, serde: SerializerProtocol) -> AsyncIterator[AsyncPostgresSaver]:
    """An AsyncPostgresSaver on its own connection; tables are created once per process."""
    conn = await connect(url)
    try:
        saver = AsyncPostgresSaver(conn, serde=serde)
        try:
            if url not in _set_up:
                try:
                    await _setup(saver, conn)
                except psycopg.Error as exc:
                    raise DirectorError(
                        f"cannot set up checkpoint tables at {where(url)}: {_reason(exc, url)}"
                    ) from None
                _set_up.add(url)
            yield saver
        except psycopg.OperationalError as exc:
            # The server went away mid-run: finished steps are already committed.
            raise DirectorError(
                f"lost the checkpoint database at {where(url)}: {_reason(exc, url)}"
            ) from None
    finally:
        await conn.close()

"""A throwaway PostgreSQL server on loopback for the test session (Debian's postgresql package).

initdb and postgres refuse to run as root, so as root they run as the `postgres` user (runuser)
on a data folder it owns. The server listens on 127.0.0.1 only, on a free port, with password
(scram) authentication, so tests can check both a good and a wrong password.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

USER = "director"
PASSWORD = "pg-test-secret-5e1f"


def pg_bin() -> Path | None:
    """The newest installed PostgreSQL bin folder with initdb, or None."""
    # By version number: "16" is newer than "9.6", though it sorts before it as text.
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: [int(n) for n in re.findall(r"\d+", p.parts[-3])])
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    """A running test server."""

    port: int
    """TCP port on 127.0.0.1."""

    def url(self, database: str = "director", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def running_server() -> Iterator[Server]:
    """initdb, start, yield, stop (fast shutdown) and delete the cluster."""
    bin_dir = pg_bin()
    assert bin_dir is not None
    as_user: list[str] = []
    owner = None
    if os.getuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        owner = "postgres"
    base = Path(tempfile.mkdtemp(prefix="director-pg-"))
    data = base / "data"
    pwfile = base / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if owner:
        shutil.chown(base, owner)
        shutil.chown(pwfile, owner)
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    try:
        run(
            str(bin_dir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync",
        )
        # Durability settings off: the cluster lives for one test session.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-o", options,
            "-w", "-t", "30", "start")
        server = Server(port)
        deadline = time.monotonic() + 20
        while True:
            try:
                psycopg.connect(server.url("postgres"), connect_timeout=2).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        try:
            yield server
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Server]:
    """A PostgreSQL server for the session; skipped only where the binaries are not installed."""
    if pg_bin() is None:
        pytest.skip("PostgreSQL is not installed (no initdb; Debian: apt-get install postgresql)")
    with running_server() as server:
        yield server

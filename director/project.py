"""The project folder: one place for everything a run produces, written atomically."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from director.errors import STORAGE_ERRNOS, ProjectError, StorageError

PLAN = "plan.json"
LEDGER = "ledger.jsonl"
FINAL = "final.mp4"
REPORT = "report.html"
STATE = "state.sqlite"
TAKES = "takes"
STILLS = "stills"
RUN_LOCK = ".run.lock"
"""Held (flock) by whichever process is running the project; holds that process's id."""


_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
             *(f"lpt{i}" for i in range(1, 10))}


def slugify(text: str, max_len: int = 48) -> str:
    """A folder-safe slug: ascii letters, digits and dashes only, so no name can escape a folder."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", ascii_text).strip("-").lower()[:max_len].strip("-")
    slug = slug or "untitled"
    # Names Windows reserves for devices cannot be folders or files there.
    return f"{slug}-film" if slug in _RESERVED else slug


TEMP_SUFFIXES = frozenset({".tmp", ".mp4", ".png", ".jpg", ".jpeg", ".webp"})
"""Endings of the hidden temp files atomic writers leave when killed (see Project.sweep_temp)."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temp file in the same folder and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        # A full or read-only disk may refuse the clean-up too: the error worth showing is
        # the write's, and the file at `path` is untouched either way.
        with contextlib.suppress(OSError):
            Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


@dataclass(frozen=True)
class Project:
    """Paths inside one project folder."""

    root: Path

    @property
    def id(self) -> str:
        return slugify(self.root.name)

    @property
    def plan_path(self) -> Path:
        return self.root / PLAN

    @property
    def ledger_path(self) -> Path:
        return self.root / LEDGER

    @property
    def final_path(self) -> Path:
        return self.root / FINAL

    @property
    def report_path(self) -> Path:
        return self.root / REPORT

    @property
    def state_path(self) -> Path:
        return self.root / STATE

    @property
    def takes_dir(self) -> Path:
        return self.root / TAKES

    @property
    def stills_dir(self) -> Path:
        return self.root / STILLS

    def take_path(self, shot: int, attempt: int) -> Path:
        return self.takes_dir / f"shot{shot:02d}_take{attempt}.mp4"

    def ensure(self) -> Project:
        """Create the folder tree, or fail with one clear line when it cannot be written."""
        try:
            for d in (self.root, self.takes_dir, self.stills_dir):
                d.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise self._unwritable(exc) from None
        return self

    def _unwritable(self, exc: OSError) -> ProjectError:
        """One line for a folder that cannot be written: a storage error (exit 5, resumable)
        when the disk is full or read-only, else a project error."""
        error = StorageError if exc.errno in STORAGE_ERRNOS else ProjectError
        return error(f"cannot write project folder {self.root}: {exc.strerror}")

    def sweep_temp(self, max_age_s: float = 900.0) -> list[Path]:
        """Remove temp files of writers killed mid-write (atomic writes leave `.name.XXXX.tmp`,
        `.stem.XXXX.part.mp4` and the like beside their target) and return them. Only files
        untouched for `max_age_s`: a live writer (another door on this project, a download
        still streaming) keeps touching its file."""
        cutoff = time.time() - max_age_s
        removed: list[Path] = []
        for folder in (self.root, self.takes_dir, self.stills_dir, self.takes_dir / ".tasks"):
            if not folder.is_dir():
                continue
            for path in folder.glob(".*"):
                if path.suffix not in TEMP_SUFFIXES or not path.is_file():
                    continue
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed.append(path)
        return removed

    @contextlib.contextmanager
    def run_lock(self) -> Iterator[None]:
        """Hold the project for one run, or fail with one line when another run holds it.

        Two runs of one project (two terminals, a Slack `/approve` beside a chat retake) would
        each render the shots still to do and pay for them twice. An flock is released by the
        kernel when its holder dies, so a killed run never leaves the project stuck.
        """
        path = self.root / RUN_LOCK
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                by = f" (process {holder})" if holder.isdigit() else ""
                raise ProjectError(
                    f"{self.root} is being run by another director{by}; "
                    "wait for it to finish, or stop it and resume"
                ) from None
            # Best effort: the pid is only shown to whoever finds the project busy.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)  # releases the lock

"""Errors the product reports to a person: one clear line each, with an exit code."""

from __future__ import annotations

import errno
import sqlite3


class DirectorError(Exception):
    """Base of every error shown to a person; the message is one line, never a traceback."""

    exit_code = 1


class BriefError(DirectorError):
    """The brief (or plan file) cannot be read or holds absurd values."""

    exit_code = 2


class ProjectError(DirectorError):
    """The project folder is missing, unwritable or not a project."""

    exit_code = 2


class StorageError(ProjectError):
    """The project folder cannot take a write: disk full, read-only or permission denied.

    Everything written before stays as it was (writes are atomic, the ledger drops a torn
    line), so once space or permission is back `director resume` continues the run.
    """

    exit_code = 5


STORAGE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
"""OSError numbers that mean the folder cannot be written (as opposed to a bug)."""
_SQLITE_STORAGE = {
    "database or disk is full": "the disk is full",
    "attempt to write a readonly database": "the checkpoint is read-only",
    "unable to open database file": "the checkpoint cannot be opened",
    "disk i/o error": "the disk failed a write",
}


def storage_error(exc: BaseException, where: str = "") -> StorageError | None:
    """A StorageError saying what went wrong and what to do, when `exc` is a write refused by
    the disk (an OSError, or SQLite's own error from the checkpoint); None otherwise."""
    for found in _causes(exc):
        error = _storage_error(found, where)
        if error is not None:
            return error
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc`, what it was raised from or during, and the members of exception groups."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 50:
        item = todo.pop(0)
        if any(item is s for s in seen):
            continue
        seen.append(item)
        if isinstance(item, BaseExceptionGroup):
            todo.extend(item.exceptions)
        todo.extend(x for x in (item.__cause__, item.__context__) if x is not None)
    return seen


def _storage_error(exc: BaseException, where: str) -> StorageError | None:
    reason = ""
    path = ""
    verb = "write"
    if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
        reason = STORAGE_ERRNOS[exc.errno]
        path = str(exc.filename or "")
        # Permission errors come from reads too; space and read-only ones only from writes.
        verb = "access" if exc.errno in (errno.EACCES, errno.EPERM) else "write"
    elif isinstance(exc, sqlite3.DatabaseError):
        text = str(exc).lower()
        reason = next((why for words, why in _SQLITE_STORAGE.items() if words in text), "")
        path = "the checkpoint (state.sqlite)"
    if not reason:
        return None
    target = path or where or "the project folder"
    then = f"director resume {where}" if where else "director resume PROJECT_DIR"
    return StorageError(
        f"cannot {verb} {target}: {reason}; nothing already written was lost. "
        f"Free space or fix permissions, then continue with: {then}"
    )


class UsageError(DirectorError):
    """A command-line option or setting names something that does not exist."""

    exit_code = 2


class BudgetError(DirectorError):
    """The estimate or spend would pass the budget cap."""

    exit_code = 3


class ProviderError(DirectorError):
    """A generation service refused or failed a call.

    `retryable` says whether the same call may succeed later (rate limit, server error);
    `policy` marks content-policy refusals the reviser can act on by changing the prompt;
    `maybe_created` marks a create that may have reached the service (its answer was lost and
    no look-up settled it), so its cost is counted as spent.
    """

    exit_code = 4

    def __init__(self, message: str, *, retryable: bool = False, policy: bool = False,
                 maybe_created: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.policy = policy
        self.maybe_created = maybe_created

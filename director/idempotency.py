"""The idempotency key of a take, read back: `{project}-sNN-aN`, as
GenerationRequest.idempotency_key makes it, plus the salt a task log may add per account."""

from __future__ import annotations

import re
from typing import NamedTuple

_TAKE_KEY = re.compile(
    r"^(?P<project>.+)-s(?P<shot>\d+)-a(?P<attempt>\d+)(?:-(?P<salt>[0-9a-f]+))?$"
)


class TakeKey(NamedTuple):
    """The parts of an idempotency key, as sent (a task log may add a per-account salt)."""

    project: str
    shot: int
    attempt: int
    salt: str

    @property
    def unsalted(self) -> str:
        return f"{self.project}-s{self.shot:02d}-a{self.attempt}"


def parse_take_key(key: str) -> TakeKey | None:
    """The project, shot, attempt (and salt) of a key GenerationRequest.idempotency_key made;
    None for anything else."""
    match = _TAKE_KEY.match(key)
    if match is None:
        return None
    return TakeKey(match["project"], int(match["shot"]), int(match["attempt"]),
                   match["salt"] or "")

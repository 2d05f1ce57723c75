"""Errors the product reports to a person: one clear line each, with an exit code."""

from __future__ import annotations


class DirectorError(Exception):
    """Base of every error shown to a person; the message is one line, never a traceback."""

    exit_code = 1


class BriefError(DirectorError):
    """The brief (or plan file) cannot be read or holds absurd values."""

    exit_code = 2


class ProjectError(DirectorError):
    """The project folder is missing, unwritable or not a project."""

    exit_code = 2


class UsageError(DirectorError):
    """A command-line option or setting names something that does not exist."""

    exit_code = 2


class BudgetError(DirectorError):
    """The estimate or spend would pass the budget cap."""

    exit_code = 3


class ProviderError(DirectorError):
    """A generation service refused or failed a call.

    `retryable` says whether the same call may succeed later (rate limit, server error);
    `policy` marks content-policy refusals the reviser can act on by changing the prompt.
    """

    exit_code = 4

    def __init__(self, message: str, *, retryable: bool = False, policy: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.policy = policy

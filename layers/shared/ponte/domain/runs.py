"""Runs: the long jobs (a full sync, a role sync) that record their progress and history."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class RunKind(StrEnum):
    """Whose run it is; each kind keeps its own history and its own lock."""

    FULL_SYNC = "FULLSYNC"
    ROLE_SYNC = "ROLESYNC"

    @property
    def lock(self) -> str:
        """The name of the lock that keeps one run of this kind per tenant."""
        return _LOCKS[self]


_LOCKS: Final = {RunKind.FULL_SYNC: "full-sync", RunKind.ROLE_SYNC: "role-sync"}


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors"  # full sync: some records failed
    FAILED = "failed"
    ABORTED = "aborted"  # full sync: stopped by the client
    STOPPED = "stopped"  # role sync: stopped by the user

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED: Final = frozenset(
    {
        RunStatus.COMPLETED,
        RunStatus.COMPLETED_WITH_ERRORS,
        RunStatus.FAILED,
        RunStatus.ABORTED,
        RunStatus.STOPPED,
    }
)

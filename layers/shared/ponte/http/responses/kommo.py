"""The Kommo role sync API's answers: accounts (never their tokens), a role sync
started or finished, its live status, its stop, the sync logs. A sync's status, results and
logs are free-form objects, as the API documents them."""

from __future__ import annotations

from typing import Any

from ponte.domain.kommo import RoleKind
from ponte.http.responses import ResponseModel, Success


class KommoAccount(ResponseModel):
    id: int
    subdomain: str
    role: RoleKind
    active: bool
    created_at: str | None
    updated_at: str | None


class KommoAccountList(Success):
    """The registered accounts (never their tokens)"""

    data: list[KommoAccount]


class KommoAccountAnswer(Success):
    """The account (never its token)"""

    data: KommoAccount


class KommoMessage(Success):
    """Done"""

    message: str


class RoleSyncStarted(Success):
    """Started; follow `/sync/status`"""

    message: str
    sync_id: str
    status_url: str


class RoleSyncDone(Success):
    """The role sync ran to its end (`?wait=true`)"""

    message: str
    sync_id: str
    results: dict[str, Any]  # per slave and totals, as the API has always reported them


class RoleSyncStatus(Success):
    """Live progress of the running sync and the last one's summary"""

    data: dict[str, Any]


class RoleSyncStopped(Success):
    """The running sync was stopped: its summary"""

    message: str
    data: dict[str, Any]


class RoleSyncLogs(Success):
    """sync_logs: master, slave, roles, status"""

    data: list[dict[str, Any]]

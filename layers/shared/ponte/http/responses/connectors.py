"""The connectors API's answers (``/api/v1/sync/…``): connections, runs, logs and pulled
records, in the API's documented camelCase. Fields it did not document are marked additive."""

from __future__ import annotations

from typing import Any, Literal

from ponte.domain.connectors import Platform, RunStatus, Trigger
from ponte.http.responses import CursorMeta, PageMeta, ResponseModel, Success, absent_when_none


# -- connections -------------------------------------------------------------------------------
class ConnectionHead(ResponseModel):
    id: str
    name: str
    platform: Platform
    enabled: bool


class CreatedConnection(ConnectionHead):
    createdAt: str | None


class ConnectionRow(ConnectionHead):
    lastSyncAt: str | None
    lastSyncStatus: RunStatus | None
    syncedRecords: int
    createdAt: str | None
    updatedAt: str | None  # additive
    disabledReason: str | None  # additive: why Ponte turned it off (refused credentials)
    syncing: bool  # additive: a run holds the connection
    schedule: str | None  # additive: rate(…) or cron(…)
    timezone: str | None  # additive: the cron schedule's IANA zone
    workspaceId: str | None = absent_when_none()  # additive: RD Station's workspace only
    identity: dict[str, str] | None = absent_when_none()  # additive: identifier custom fields


class ConnectionList(Success):
    """The tenant's connections (never their credentials)"""

    data: list[ConnectionRow]
    meta: PageMeta


class ConnectionCreated(Success):
    """The connection was created (its credentials are not shown)"""

    data: CreatedConnection


class ConnectionAnswer(Success):
    """The connection (never its credentials)"""

    data: ConnectionRow


class Purged(ResponseModel):
    runs: int
    records: int


class Deleted(ResponseModel):
    id: str
    deleted: bool
    purged: Purged | None  # what `purge=true` deleted


class ConnectionDeleted(Success):
    """The connection and its schedule are gone; runs and records too with `purge=true`"""

    data: Deleted


# -- starting a run ----------------------------------------------------------------------------
class SyncJob(ResponseModel):
    runId: str
    status: RunStatus
    message: str


class SyncStarted(Success):
    """The run is queued: read it at `/api/v1/sync/runs/{runId}`"""

    data: SyncJob


class QueuedRun(ResponseModel):
    runId: str
    connectionId: str
    status: RunStatus
    createdAt: str


class RunQueued(Success):
    """The run is queued: read it at `/api/v1/sync/runs/{runId}`"""

    data: QueuedRun


# -- runs --------------------------------------------------------------------------------------
class StreamCounts(ResponseModel):
    status: str  # pending | running | done | failed
    pages: int
    fetched: int
    created: int
    updated: int
    unchanged: int
    deleted: int  # additive: records the vendor reported deleted
    errors: int
    error: str | None
    cursor: dict[str, Any] | None  # where the stream resumes


class RunRow(ResponseModel):
    id: str
    connectionId: str
    status: RunStatus
    recordsSynced: int
    recordsCreated: int
    recordsUpdated: int
    recordsErrors: int
    startedAt: str | None
    completedAt: str | None
    duration: str | None  # `5m 30s`
    createdAt: str | None  # additive, as are the fields below
    trigger: Trigger
    fullSync: bool
    recordsUnchanged: int
    recordsDeleted: int  # records the vendor reported deleted (not counted as synced)
    error: str | None  # why the run as a whole failed
    errorCode: str | None
    streams: dict[str, StreamCounts]  # in the order they are pulled


class RunList(Success):
    """Runs, newest first"""

    data: list[RunRow]
    meta: PageMeta


class RunConnection(ResponseModel):
    name: str
    platform: Platform


class RecordError(ResponseModel):
    stream: str | None
    record: str | None
    page: int | None
    message: str | None


class RunDetail(RunRow):
    connection: RunConnection
    errors: list[RecordError]  # the first ones
    logUrl: str


class RunAnswer(Success):
    """The run with its counts per stream, its errors and where its log is"""

    data: RunDetail


# -- a run's log -------------------------------------------------------------------------------
class PageCounts(ResponseModel):
    fetched: int
    created: int
    updated: int
    unchanged: int
    deleted: int
    errors: int


class PageEntry(ResponseModel):
    """A page stored"""

    timestamp: str
    level: Literal["info"]
    stream: str
    page: int
    message: str
    counts: PageCounts


class RecordErrorEntry(ResponseModel):
    """A record of a page that could not be stored"""

    timestamp: str
    level: Literal["error"]
    stream: str | None
    page: int
    record: str | None
    message: str | None


class StreamErrorEntry(ResponseModel):
    """A stream that failed"""

    timestamp: str | None
    level: Literal["error"]
    stream: str
    message: str


class RunErrorEntry(ResponseModel):
    """The run failed as a whole"""

    timestamp: str | None
    level: Literal["error"]
    message: str


type LogEntry = PageEntry | RecordErrorEntry | StreamErrorEntry | RunErrorEntry


class RunLog(ResponseModel):
    runId: str
    status: RunStatus
    entries: list[LogEntry]


class RunLogAnswer(Success):
    """An entry per page stored and one per error, in order"""

    data: RunLog


# -- records -----------------------------------------------------------------------------------
MatchedBy = Literal["email", "cpf", "phone"]


class RecordPerson(ResponseModel):
    """A person of the institution a record is about, and what matched them."""

    kind: Literal["students", "professors", "guardians"]
    id: str  # the ERP's code; a guardian's email
    name: str
    matchedBy: list[MatchedBy]


class PulledRecord(ResponseModel):
    id: str
    stream: str
    updatedAt: str
    syncedAt: str | None
    # The vendor's record as pulled; null when it is too large for an answer: then it comes
    # by ``dataUrl``, a presigned GET of the whole record, valid until ``dataUrlExpiresAt``.
    data: dict[str, Any] | None
    deletedAt: str | None  # additive: when the vendor reported it deleted
    dataUrl: str | None = absent_when_none()  # additive
    dataUrlExpiresAt: str | None = absent_when_none()  # additive
    # additive: who it is about (none while a person has a conflict to settle: linkStatus)
    people: list[RecordPerson] = []
    linkStatus: Literal["linked", "conflict", "confirmed", "rejected"] | None = absent_when_none()


class RecordPage(Success):
    """Records as pulled from the vendor, with a cursor to the next page"""

    data: list[PulledRecord]
    meta: CursorMeta

"""The full-sync API's answers (the ERP integration API's full sync): a run started, an upload
URL, a run's status with its progress per entity, mirror report and first errors."""

from __future__ import annotations

from typing import Any, Literal

from ponte.domain.runs import RunStatus
from ponte.http.responses import ResponseModel, Success


class RunStarted(ResponseModel):
    run_id: str
    status: RunStatus
    status_url: str


class FullSyncAccepted(Success):
    """Accepted: the run is queued; follow `status_url`"""

    message: str
    data: RunStarted


class Upload(ResponseModel):
    upload_id: str
    upload_url: str
    expires_in: int  # seconds
    start_url: str


class UploadCreated(Success):
    """A presigned URL to PUT the bundle to, and where to start it afterwards"""

    message: str
    data: Upload


class EntityProgress(ResponseModel):
    total: int
    processed: int
    created: int
    updated: int
    unchanged: int
    failed: int


class MirrorApplied(ResponseModel):
    applied: Literal[True]
    deactivated: int


class MirrorSkipped(ResponseModel):
    """Over `max_removal_ratio` without `force`: nothing deactivated, and why"""

    applied: Literal[False]
    would_deactivate: int
    active: int
    reason: str


class FullSyncRun(ResponseModel):
    run_id: str
    status: RunStatus
    source: str | None  # inline | upload
    options: dict[str, Any]
    progress: dict[str, EntityProgress]  # per entity, in the documented order
    failed_chunks: int
    mirror: dict[str, MirrorApplied | MirrorSkipped] | None  # per entity, mode mirror only
    error: str | None
    created_at: str | None
    started_at: str | None
    ended_at: str | None
    duration_seconds: float | None


class RecordError(ResponseModel):
    entity: str | None
    index: int | None  # the record's position in the bundle's list
    code: str | None
    errors: dict[str, list[str]] | None  # field -> messages


class FullSyncRunDetail(FullSyncRun):
    errors: list[RecordError]  # the first ones


class FullSyncRunAnswer(Success):
    """The run: status, live progress per entity, the first errors"""

    data: FullSyncRunDetail


class FullSyncHistory(Success):
    """The tenant's recent full syncs, newest first"""

    data: list[FullSyncRun]


class FullSyncStopped(Success):
    """The run was asked to stop"""

    message: str
    data: FullSyncRunDetail

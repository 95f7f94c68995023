"""The connectors API's presenters: connections, runs, logs and pulled records as the models of
:mod:`ponte.http.responses.connectors`, with the documented timestamps (``2025-01-03T10:00:00Z``)
and durations (``5m 30s``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ponte.clock import isoformat, utcnow
from ponte.domain.connectors import Connection, PageRecord, PullRun, duration_text
from ponte.domain.people import Linked
from ponte.domain.records import PulledRecord
from ponte.http.responses import connectors as out
from ponte.services.pulls.answers import Link

RUNS_BASE = "/api/v1/sync/runs"


def _moment(value: str | None) -> str | None:
    return isoformat(datetime.fromisoformat(value)) if value else None


def connection(c: Connection) -> out.ConnectionRow:
    return out.ConnectionRow(
        id=c.id,
        name=c.name,
        platform=c.platform,
        enabled=c.enabled,
        lastSyncAt=_moment(c.last_sync_at),
        lastSyncStatus=c.last_sync_status,
        syncedRecords=c.synced_records,
        createdAt=_moment(c.created_at),
        updatedAt=_moment(c.updated_at),
        disabledReason=c.disabled_reason,
        syncing=c.active_run is not None,
        schedule=c.schedule,
        timezone=c.timezone,
        workspaceId=c.workspace_id or None,
        identity=c.identity,
    )


def created_connection(c: Connection) -> out.CreatedConnection:
    return out.CreatedConnection(
        id=c.id,
        name=c.name,
        platform=c.platform,
        enabled=c.enabled,
        createdAt=_moment(c.created_at),
    )


def _duration(run: PullRun) -> str | None:
    if not run.started_at:
        return None
    end = datetime.fromisoformat(run.completed_at) if run.completed_at else utcnow()
    return duration_text((end - datetime.fromisoformat(run.started_at)).total_seconds())


def run(r: PullRun) -> out.RunRow:
    return out.RunRow(
        id=r.id,
        connectionId=r.connection_id,
        status=r.status,
        recordsSynced=r.records_synced,
        recordsCreated=r.total("created"),
        recordsUpdated=r.total("updated"),
        recordsErrors=r.error_count,
        startedAt=_moment(r.started_at),
        completedAt=_moment(r.completed_at),
        duration=_duration(r),
        createdAt=_moment(r.created_at),
        trigger=r.trigger,
        fullSync=r.full_sync,
        recordsUnchanged=r.total("unchanged"),
        recordsDeleted=r.total("deleted"),
        error=r.error,
        errorCode=r.error_code,
        streams={
            name: out.StreamCounts(
                status=s.status,
                pages=s.pages,
                fetched=s.fetched,
                created=s.created,
                updated=s.updated,
                unchanged=s.unchanged,
                deleted=s.deleted,
                errors=s.errors,
                error=s.error,
                cursor=s.cursor,
            )
            for name, s in r.streams.items()
        },
    )


def run_detail(r: PullRun) -> out.RunDetail:
    return out.RunDetail(
        **dict(run(r)),
        connection=out.RunConnection(name=r.connection_name, platform=r.platform),
        errors=[
            out.RecordError(
                stream=e.get("stream"),
                record=e.get("record"),
                page=e.get("page"),
                message=e.get("message"),
            )
            for e in r.errors
        ],
        logUrl=f"{RUNS_BASE}/{r.id}/logs",
    )


def run_logs(r: PullRun, pages: list[PageRecord]) -> out.RunLog:
    """The run's SyncLog: an entry per page stored and one per error, in order."""
    entries: list[out.LogEntry] = []
    for page in pages:
        entries.append(
            out.PageEntry(
                timestamp=page.at,
                level="info",
                stream=page.stream,
                page=page.seq,
                message=(
                    f"page {page.seq} of {page.stream}: {page.fetched} fetched, "
                    f"{page.created} created, {page.updated} updated, "
                    f"{page.unchanged} unchanged"
                    + (f", {page.deleted} deleted" if page.deleted else "")
                    + (f", {page.failed} failed" if page.failed else "")
                ),
                counts=out.PageCounts(
                    fetched=page.fetched,
                    created=page.created,
                    updated=page.updated,
                    unchanged=page.unchanged,
                    deleted=page.deleted,
                    errors=page.failed,
                ),
            )
        )
        entries.extend(
            out.RecordErrorEntry(
                timestamp=page.at,
                level="error",
                stream=e.get("stream"),
                page=page.seq,
                record=e.get("record"),
                message=e.get("message"),
            )
            for e in page.errors
        )
    ended = _moment(r.completed_at)
    entries.extend(
        out.StreamErrorEntry(timestamp=ended, level="error", stream=name, message=state.error)
        for name, state in r.streams.items()
        if state.error
    )
    if r.error:
        entries.append(out.RunErrorEntry(timestamp=ended, level="error", message=r.error))
    return out.RunLog(runId=r.id, status=r.status, entries=entries)


def record(stream: str, rec: PulledRecord, link: Link | None = None) -> out.PulledRecord:
    return out.PulledRecord(
        id=rec.vendor_id,
        stream=stream,
        updatedAt=rec.updated_at,
        syncedAt=_moment(rec.synced_at),
        data=rec.data if link is None else None,
        deletedAt=rec.deleted_at,
        dataUrl=link.url if link else None,
        dataUrlExpiresAt=link.expires_at if link else None,
        people=record_people(rec.links.linked),
        linkStatus=rec.links.status.value if rec.links.status else None,
    )


def record_people(people: Iterable[Linked]) -> list[out.RecordPerson]:
    return [
        out.RecordPerson(
            kind=p.person.kind.value,
            id=p.person.id,
            name=p.name,
            matchedBy=sorted(b.value for b in p.by),
        )
        for p in people
    ]


def large(link: Link | None) -> dict[str, Any]:
    """Additive: a record too large for one answer is given by a short-lived link instead."""
    return {} if link is None else {"dataUrl": link.url, "dataUrlExpiresAt": link.expires_at}

"""What the connectors API shows of runs and pulled records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ponte import errors
from ponte.connectors.base import normalised_time
from ponte.domain.connectors import PageRecord, PullRun, RunStatus
from ponte.domain.records import PulledRecord
from ponte.repository import cursors, pulled_records
from ponte.repository import pull_runs as pull_store
from ponte.services import connections, paging
from ponte.services.pulls.answers import Fit, Fitter, Link, Loader


def run_not_found() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.NOT_FOUND, "RUN_NOT_FOUND", "Execução não encontrada", "Sync run not found"
    )


def get_run(tenant_id: str, run_id: str) -> PullRun:
    """The run with every page stored so far counted in (one Query past its checkpoint)."""
    run = pull_store.get_run(tenant_id, run_id)
    if run is None:
        raise run_not_found()
    return run.with_pages(pull_store.pages(tenant_id, run_id, after=run.page_seq))


def run_log(tenant_id: str, run_id: str) -> tuple[PullRun, list[PageRecord]]:
    """The run and every page it stored, in order (its log)."""
    run = get_run(tenant_id, run_id)
    return run, pull_store.pages(tenant_id, run_id)


def list_runs(
    tenant_id: str, *, page: int, limit: int, connection_id: str = "", status: str = ""
) -> tuple[list[PullRun], int]:
    if status and status not in {s.value for s in RunStatus}:
        names = ", ".join(s.value for s in RunStatus)
        raise errors.invalid_fields({"status": [f"Must be one of: {names}"]})
    found, total = pull_store.list_runs(
        tenant_id, connection_id=connection_id, status=status, page=page, limit=limit
    )
    # A run still going (or cut short) has pages past its checkpoint: count them in.
    return [
        r.with_pages(pull_store.pages(tenant_id, r.id, after=r.page_seq))
        if not r.status.finished or r.error_code == "ABANDONED"
        else r
        for r in found
    ], total


@dataclass(frozen=True, slots=True)
class RecordPage:
    records: list[PulledRecord]
    next_cursor: str | None
    links: dict[str, Link] = field(default_factory=dict)  # vendor id -> link (too large)


def records(
    tenant_id: str,
    connection_id: str,
    *,
    stream: str,
    updated_since: datetime | None,
    cursor: str,
    limit: int,
    include_deleted: bool = False,
    fit: Fit | None = None,
) -> RecordPage:
    """A page of a stream's records in the vendor's update order; records the vendor
    reported deleted only with ``include_deleted``. With ``fit``, sized for one answer
    (services/pulls/answers.py): records too large to answer inline come with a link instead
    of their data."""
    connection = connections.get(tenant_id, connection_id)
    streams = connections.streams_of(connection)
    if stream not in streams:
        raise errors.invalid_fields({"stream": [f"Must be one of: {', '.join(streams)}"]})
    since = normalised_time(updated_since.isoformat()) if updated_since is not None else ""
    fitter = Fitter(fit) if fit is not None else None
    try:
        found, last = pulled_records.list_records(
            tenant_id, connection_id, stream, updated_since=since, limit=limit,
            sealer=paging.sealer(), cursor=cursor, hide_deleted=not include_deleted,
            filters="includeDeleted" if include_deleted else "", admit=fitter or Loader(),
        )  # fmt: skip
    except cursors.InvalidCursor:
        raise errors.invalid_fields({"cursor": ["Invalid cursor"]}) from None
    return RecordPage(found, last or None, fitter.links if fitter is not None else {})

"""Connector sync runs and the records they pull, in the table.

A run is a small item: per-stream state (cursor and counts) as of its last checkpoint, the
first errors and the worker's lease. Each stored page adds a page item (its cursor, counts and
errors: the run's log) in one transaction that checks the worker still holds the lease; the
run item is written at checkpoints (a handoff, the end, or to renew the lease), so a page
costs one small write whatever the size of the run.

A pulled record is keyed by connection, stream and vendor id, keeps the vendor's own update
time (also its index's sort key, for ``updatedSince``), a hash of its content, and which run
and page last wrote it: a page stored again after a crash is recognised and counted as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ponte import aws
from ponte.domain.connectors import (
    PageRecord,
    Platform,
    PullRun,
    RunStatus,
    StreamState,
    Trigger,
)
from ponte.repository import batch, cursors, keys
from ponte.repository.errors import ConditionFailed, is_condition_failure, translated
from ponte.repository.table import (
    Item,
    assignments,
    deserialize,
    get_item,
    query_page,
    query_pages,
    query_responses,
    serialize,
    table_name,
    values,
)


# -- runs ----------------------------------------------------------------------------------
def _run(item: Item) -> PullRun:
    return PullRun(
        id=str(item["id"]),
        connection_id=str(item["connection_id"]),
        connection_name=str(item.get("connection_name", "")),
        platform=Platform(item["platform"]),
        status=RunStatus(item["status"]),
        trigger=Trigger(item.get("trigger", Trigger.MANUAL)),
        full_sync=bool(item.get("full_sync", False)),
        created_at=str(item["created_at"]),
        streams={
            name: StreamState(**(item.get("streams") or {}).get(name, {}))
            for name in item.get("stream_order") or []
        },
        started_at=item.get("started_at"),
        completed_at=item.get("completed_at"),
        page_seq=int(item.get("page_seq", 0)),
        errors=list(item.get("errors") or []),
        error_count=int(item.get("error_count", 0)),
        error=item.get("error"),
        error_code=item.get("error_code"),
        heartbeat_at=item.get("heartbeat_at"),
        lease_id=item.get("lease_id"),
        lease_until=float(item.get("lease_until", 0)),
        options=dict(item.get("options") or {}),
        result=item.get("result"),
    )


def run_item(tenant_id: str, run: PullRun) -> Item:
    """The item of a new run (stored by ``connections.claim_for_run``)."""
    body = {k: v for k, v in asdict(run).items() if k != "streams"}
    return {
        **keys.sync_run(tenant_id, run.id),
        **keys.sync_run_index(tenant_id, run.connection_id, run.id),
        "type": "sync_run",
        **body,
        "streams": {name: asdict(state) for name, state in run.streams.items()},
        "stream_order": list(run.streams),
    }


def put_finished_run(tenant_id: str, run: PullRun) -> None:
    """Store a run that never held its connection (a skipped schedule fire)."""
    aws.dynamodb().put_item(
        TableName=table_name(),
        Item=serialize(run_item(tenant_id, run)),
        ConditionExpression="attribute_not_exists(PK)",
    )


def get_run(tenant_id: str, run_id: str) -> PullRun | None:
    item = get_item(keys.sync_run(tenant_id, run_id))
    return _run(item) if item else None


def list_runs(
    tenant_id: str, *, connection_id: str = "", status: str = "", page: int, limit: int
) -> tuple[list[PullRun], int]:
    """One page of runs, newest first, and how many match."""
    if connection_id:
        params: dict[str, Any] = {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "GSI1PK = :p",
        }
        vals: dict[str, Any] = {":p": keys.sync_run_index(tenant_id, connection_id)["GSI1PK"]}
    else:
        params = {"KeyConditionExpression": "PK = :p"}
        vals = {":p": keys.sync_run(tenant_id)["PK"]}
    if status:
        params["FilterExpression"] = "#st = :st"
        params["ExpressionAttributeNames"] = {"#st": "status"}
        vals[":st"] = status
    params["ExpressionAttributeValues"] = values(vals)
    params["ScanIndexForward"] = False
    total = sum(p.count for p in query_responses({**params, "Select": "COUNT"}))
    skip = (page - 1) * limit
    found: list[PullRun] = []
    for items in query_pages(**params):
        for item in items:
            if skip:
                skip -= 1
            elif len(found) < limit:
                found.append(_run(item))
        if len(found) >= limit:
            break
    return found, total


def take_lease(
    tenant_id: str, run_id: str, lease_id: str, *, now: float, until: float, started_at: str
) -> PullRun | None:
    """Become the run's worker: the run must be pending or in progress and its lease free (or
    expired). Returns the run, or None when another worker holds it or it has finished."""
    try:
        with translated():
            response = aws.dynamodb().update_item(
                TableName=table_name(),
                Key=serialize(keys.sync_run(tenant_id, run_id)),
                UpdateExpression=(
                    "SET lease_id = :me, lease_until = :until, #st = :running, "
                    "started_at = if_not_exists(started_at, :started), heartbeat_at = :started"
                ),
                ConditionExpression=(
                    "#st IN (:pending, :running) AND "
                    "(attribute_not_exists(lease_until) OR lease_until < :now)"
                ),
                ExpressionAttributeNames={"#st": "status"},
                ExpressionAttributeValues=values(
                    {
                        ":me": lease_id,
                        ":until": until,
                        ":now": now,
                        ":started": started_at,
                        ":pending": RunStatus.PENDING.value,
                        ":running": RunStatus.IN_PROGRESS.value,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
    except Exception as exc:
        if is_condition_failure(exc):
            return None
        raise
    return _run(deserialize(response["Attributes"]))


def release_lease(tenant_id: str, run_id: str, lease_id: str) -> None:
    """Let the next worker in at once (a handed-off or failed invocation)."""
    try:
        with translated():
            aws.dynamodb().update_item(
                TableName=table_name(),
                Key=serialize(keys.sync_run(tenant_id, run_id)),
                UpdateExpression="SET lease_until = :zero",
                ConditionExpression="lease_id = :me",
                ExpressionAttributeValues=values({":zero": 0, ":me": lease_id}),
            )
    except Exception as exc:
        if not is_condition_failure(exc):
            raise


def put_page(tenant_id: str, run_id: str, lease_id: str, page: PageRecord) -> None:
    """Store a page's cursor, counts and errors, if the worker still holds the run's lease
    (one transaction). Raises ConditionFailed when the lease was lost."""
    item = {**keys.sync_run_page(tenant_id, run_id, page.seq), "type": "sync_page"}
    item |= asdict(page)
    try:
        batch.transact(
            [
                {
                    "ConditionCheck": {
                        "TableName": table_name(),
                        "Key": serialize(keys.sync_run(tenant_id, run_id)),
                        "ConditionExpression": "lease_id = :me",
                        "ExpressionAttributeValues": values({":me": lease_id}),
                    }
                },
                {"Put": {"TableName": table_name(), "Item": serialize(item)}},
            ]
        )
    except batch.TransactionCancelled as exc:
        raise ConditionFailed(run_id) from exc


def pages(tenant_id: str, run_id: str, *, after: int = 0) -> list[PageRecord]:
    """The run's pages after page ``after``, in order."""
    key = keys.sync_run_page(tenant_id, run_id)
    start = keys.sync_run_page(tenant_id, run_id, after)["SK"]
    found: list[PageRecord] = []
    for items in query_pages(
        KeyConditionExpression="PK = :pk AND SK BETWEEN :after AND :last",
        ExpressionAttributeValues=values({":pk": key["PK"], ":after": start, ":last": "P#~"}),
    ):
        found.extend(_page(i) for i in items if int(i["seq"]) > after)
    return found


def _page(item: Item) -> PageRecord:
    return PageRecord(
        seq=int(item["seq"]),
        stream=str(item["stream"]),
        cursor=dict(item.get("cursor") or {}),
        done=bool(item.get("done", False)),
        at=str(item.get("at", "")),
        fetched=int(item.get("fetched", 0)),
        created=int(item.get("created", 0)),
        updated=int(item.get("updated", 0)),
        unchanged=int(item.get("unchanged", 0)),
        errors=list(item.get("errors") or []),
    )


def checkpoint(
    tenant_id: str, run_id: str, lease_id: str, run: PullRun, fields: Mapping[str, Any]
) -> None:
    """Write the run's state as the worker holds it (streams, pages counted, errors) with
    ``fields`` (lease renewal, heartbeat, a final status). Raises ConditionFailed when the
    worker no longer holds the lease."""
    state = {
        "streams": {name: asdict(s) for name, s in run.streams.items()},
        "page_seq": run.page_seq,
        "errors": run.errors,
        "error_count": run.error_count,
    } | dict(fields)
    if not _update_run(tenant_id, run_id, state, "lease_id = :me", values_={":me": lease_id}):
        raise ConditionFailed(run_id)


def set_run(tenant_id: str, run_id: str, fields: Mapping[str, Any]) -> bool:
    """Set fields on a run that has not finished; False when it has (or is gone)."""
    return _update_run(
        tenant_id,
        run_id,
        fields,
        "attribute_exists(PK) AND #st IN (:pending, :running)",
        values_={":pending": RunStatus.PENDING.value, ":running": RunStatus.IN_PROGRESS.value},
        names={"#st": "status"},
    )


def _update_run(
    tenant_id: str,
    run_id: str,
    fields: Mapping[str, Any],
    condition: str,
    *,
    values_: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
) -> bool:
    """Set ``fields`` on the run when ``condition`` (with its own ``values_`` and ``names``)
    holds; False when it does not."""
    sets, field_names, vals = assignments(fields)
    try:
        with translated():
            aws.dynamodb().update_item(
                TableName=table_name(),
                Key=serialize(keys.sync_run(tenant_id, run_id)),
                UpdateExpression=f"SET {sets}",
                ConditionExpression=condition,
                ExpressionAttributeNames=field_names | dict(names or {}),
                ExpressionAttributeValues=values(vals | dict(values_)),
            )
    except Exception as exc:
        if is_condition_failure(exc):
            return False
        raise
    return True


def delete_runs(tenant_id: str, connection_id: str) -> int:
    """Delete every run of a connection (purge); return how many."""
    index = keys.sync_run_index(tenant_id, connection_id)
    run_ids = [
        str(item["id"])
        for page in query_pages(
            IndexName=keys.GSI1,
            KeyConditionExpression="GSI1PK = :p",
            ExpressionAttributeValues=values({":p": index["GSI1PK"]}),
            ProjectionExpression="id",
        )
        for item in page
    ]
    for run_id in run_ids:
        batch.delete_all(
            [keys.sync_run_page(tenant_id, run_id, p.seq) for p in pages(tenant_id, run_id)]
        )
    batch.delete_all([keys.sync_run(tenant_id, run_id) for run_id in run_ids])
    return len(run_ids)


# -- records -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Version:
    """What decides created / updated / unchanged for a record seen again."""

    hash: str
    run: str
    page: int
    action: str  # "created" or "updated": what that run and page did


def versions(
    tenant_id: str, connection_id: str, stream: str, vendor_ids: Iterable[str]
) -> dict[str, Version]:
    """The stored versions of a page's records (one BatchGetItem per 100, hashes only)."""
    found = batch.batch_get(
        (keys.pulled_record(tenant_id, connection_id, stream, v) for v in vendor_ids),
        projection="PK, SK, #h, #r, #p, #a",
        names={"#h": "hash", "#r": "run", "#p": "page", "#a": "action"},
    )
    return {
        sk: Version(str(item["hash"]), str(item["run"]), int(item["page"]), str(item["action"]))
        for (_, sk), item in found.items()
    }


@dataclass(frozen=True, slots=True)
class PulledRecord:
    vendor_id: str
    updated_at: str  # the vendor's, normalised ISO-8601 (UTC, milliseconds)
    data: dict[str, Any]
    hash: str
    synced_at: str = ""


def put_records(
    tenant_id: str,
    connection_id: str,
    stream: str,
    records: Sequence[tuple[PulledRecord, str]],
    *,
    run_id: str,
    page: int,
) -> None:
    """Write records, each with its action ("created"/"updated"), 25 per BatchWriteItem."""
    items = [
        {
            **keys.pulled_record(tenant_id, connection_id, stream, record.vendor_id),
            **keys.pulled_record_index(
                tenant_id, connection_id, stream, record.updated_at, record.vendor_id
            ),
            "type": "pulled_record",
            "vendor_id": record.vendor_id,
            "updated_at": record.updated_at,
            "data": json.dumps(record.data, ensure_ascii=False, separators=(",", ":")),
            "hash": record.hash,
            "synced_at": record.synced_at,
            "run": run_id,
            "page": page,
            "action": action,
        }
        for record, action in records
    ]
    batch.put_all(items)


def list_records(
    tenant_id: str,
    connection_id: str,
    stream: str,
    *,
    updated_since: str = "",
    updated_until: str = "",
    limit: int,
    cursor: str,
    keep: Callable[[PulledRecord], bool] | None = None,
    filters: str = "",
    newest_first: bool = False,
    max_reads: int = 20,
) -> tuple[list[PulledRecord], str]:
    """Records in the vendor's update order (``newest_first``: reversed) within
    [``updated_since``, ``updated_until``], those ``keep`` accepts; the next page's cursor
    ('' at the end). ``filters`` names what ``keep`` tests, so a cursor is bound to it. At
    most ``max_reads`` reads a page (a page may then hold fewer than ``limit``). Raises
    cursors.InvalidCursor for a cursor not issued for this listing."""
    partition = keys.pulled_records(tenant_id, connection_id, stream)
    scope = json.dumps(
        ["records", connection_id, stream, updated_since, updated_until, filters, newest_first]
    )
    start = cursors.open_start(cursor, tenant_id=tenant_id, listing=scope)
    condition, vals = "GSI2PK = :p", {":p": partition}
    if updated_since and updated_until:
        condition += " AND GSI2SK BETWEEN :since AND :until"
        vals |= {":since": updated_since, ":until": f"{updated_until}~"}
    elif updated_since:
        condition += " AND GSI2SK >= :since"
        vals[":since"] = updated_since
    elif updated_until:
        condition += " AND GSI2SK <= :until"
        vals[":until"] = f"{updated_until}~"
    params: dict[str, Any] = {
        "IndexName": keys.GSI2,
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": values(vals),
        "ScanIndexForward": not newest_first,
    }
    found: list[PulledRecord] = []
    for _ in range(max_reads):
        page = query_page({**params, "Limit": limit - len(found)}, start)
        records = [_pulled(item) for item in page.items]
        found.extend(r for r in records if keep is None or keep(r))
        start = page.last_key
        if not start or len(found) >= limit:
            break
    return found, cursors.seal(start, tenant_id=tenant_id, listing=scope)


def _pulled(item: Item) -> PulledRecord:
    return PulledRecord(
        vendor_id=str(item["vendor_id"]),
        updated_at=str(item["updated_at"]),
        data=json.loads(str(item["data"])),
        hash=str(item["hash"]),
        synced_at=str(item.get("synced_at", "")),
    )


def delete_records(tenant_id: str, connection_id: str, streams: Iterable[str]) -> int:
    """Delete every record of a connection's streams (purge); return how many."""
    count = 0
    for stream in streams:
        partition = keys.pulled_records(tenant_id, connection_id, stream)
        for items in query_pages(
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues=values({":p": partition}),
            ProjectionExpression="PK, SK",
        ):
            batch.delete_all([{"PK": str(i["PK"]), "SK": str(i["SK"])} for i in items])
            count += len(items)
    return count

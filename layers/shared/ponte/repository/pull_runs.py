"""Connector sync runs in the table: the run, its lease and its pages.

A run is a small item: per-stream state (cursor and counts) as of its last checkpoint, the
first errors and the worker's lease. Each stored page adds a page item (its cursor, counts and
errors: the run's log) in one transaction that checks the worker still holds the lease; the
run item is written at checkpoints (a handoff, the end, or to renew the lease), so a page
costs one small write whatever the size of the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import asdict
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
from ponte.repository import batch, keys
from ponte.repository import connections as connection_store
from ponte.repository.errors import ConditionFailed, conditional
from ponte.repository.table import (
    Item,
    assignments,
    deserialize,
    get_item,
    query_pages,
    query_responses,
    serialize,
    table_name,
    values,
)


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
        with conditional(run_id):
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
    except ConditionFailed:
        return None
    return _run(deserialize(response["Attributes"]))


def release_lease(tenant_id: str, run_id: str, lease_id: str) -> None:
    """Let the next worker in at once (a handed-off or failed invocation)."""
    with contextlib.suppress(ConditionFailed), conditional(run_id):
        aws.dynamodb().update_item(
            TableName=table_name(),
            Key=serialize(keys.sync_run(tenant_id, run_id)),
            UpdateExpression="SET lease_until = :zero",
            ConditionExpression="lease_id = :me",
            ExpressionAttributeValues=values({":zero": 0, ":me": lease_id}),
        )


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
    if not _update_run(tenant_id, run_id, _state(run) | dict(fields), lease=lease_id):
        raise ConditionFailed(run_id)


def _state(run: PullRun) -> dict[str, Any]:
    """What the worker holds of a run: its streams, the pages counted, its first errors."""
    return {
        "streams": {name: asdict(s) for name, s in run.streams.items()},
        "page_seq": run.page_seq,
        "errors": run.errors,
        "error_count": run.error_count,
    }


def _update(
    tenant_id: str, run_id: str, fields: Mapping[str, Any], *, lease: str | None
) -> dict[str, Any]:
    """The update that sets ``fields`` on the run: while the worker holds ``lease``, or,
    without one, while the run has not finished."""
    sets, names, vals = assignments(fields)
    if lease is not None:
        condition = "lease_id = :me"
        vals[":me"] = lease
    else:
        condition = "attribute_exists(PK) AND #st IN (:pending, :running)"
        names["#st"] = "status"
        vals |= {":pending": RunStatus.PENDING.value, ":running": RunStatus.IN_PROGRESS.value}
    return {
        "TableName": table_name(),
        "Key": serialize(keys.sync_run(tenant_id, run_id)),
        "UpdateExpression": f"SET {sets}",
        "ConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values(vals),
    }


def _update_run(
    tenant_id: str, run_id: str, fields: Mapping[str, Any], *, lease: str | None
) -> bool:
    """:func:`_update` on its own; False when its condition does not hold."""
    try:
        with conditional(run_id):
            aws.dynamodb().update_item(**_update(tenant_id, run_id, fields, lease=lease))
    except ConditionFailed:
        return False
    return True


def end(
    tenant_id: str,
    run: PullRun,
    fields: Mapping[str, Any],
    *,
    lease: str | None,
    release: Mapping[str, Any] | None,
    add: Mapping[str, int] | None = None,
) -> bool:
    """Finish the run with ``fields`` (with ``lease``: the worker's state of it too) and, with
    ``release``, let go of its connection recording those fields (and adding ``add``), in one
    transaction. The run is finished even when its connection has gone or moved on to another
    run. False when the run was not ``lease``'s, or had already finished."""
    state = _state(run) | dict(fields) if lease is not None else dict(fields)
    if release is None:
        return _update_run(tenant_id, run.id, state, lease=lease)
    let_go = connection_store.release(tenant_id, run.connection_id, run.id, release, add=add)
    try:
        batch.transact([{"Update": _update(tenant_id, run.id, state, lease=lease)},
                        {"Update": let_go}])  # fmt: skip
    except batch.TransactionCancelled as exc:
        if exc.reasons[:1] != ["None"]:  # the run's own condition did not hold
            return False
        return _update_run(tenant_id, run.id, state, lease=lease)
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

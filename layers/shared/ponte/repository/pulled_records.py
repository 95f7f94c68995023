"""The records connector runs pull, in the table.

A pulled record is keyed by connection, stream and vendor id, keeps the vendor's own update
time (also its index's sort key, for ``updatedSince``), a hash of its content, and which run
and page last wrote it: a page stored again after a crash is recognised and counted as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ponte.domain.records import PulledRecord, Version
from ponte.repository import batch, cursors, keys
from ponte.repository.table import Item, query_page, query_pages, values


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
    sealer: cursors.Sealer,
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
    start = cursors.open_start(sealer, cursor, tenant_id=tenant_id, listing=scope)
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
    return found, cursors.seal(sealer, start, tenant_id=tenant_id, listing=scope)


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

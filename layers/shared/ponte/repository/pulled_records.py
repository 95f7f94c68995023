"""The records connector runs pull, in the table.

A pulled record is keyed by connection, stream and vendor id, keeps the vendor's own update
time (also its index's sort key, for ``updatedSince``), a hash of its content, and which run
and page last wrote it: a page stored again after a crash is recognised and counted as it was.

A record's JSON is in ``data`` while it is small, gzip in ``data_gz`` when it is too large
for the item as it is, or in an object (``data_object``, written by the caller's ``offload``)
when even that is too large; ``data_bytes`` is then the JSON's size (domain/records.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ponte.domain.records import PulledRecord, StoredObject, Version, encode, unpack
from ponte.repository import batch, cursors, keys, people
from ponte.repository.table import Item, get_item, query_page, query_pages, serialize, values


def versions(
    tenant_id: str, connection_id: str, stream: str, vendor_ids: Iterable[str]
) -> dict[str, Version]:
    """The stored versions of a page's records (one BatchGetItem per 100, hashes only)."""
    found = batch.batch_get(
        (keys.pulled_record(tenant_id, connection_id, stream, v) for v in vendor_ids),
        projection=f"{people.LINK_PROJECTION}, #h, #r, #p, #a, #o, deleted_at",
        names={"#h": "hash", "#r": "run", "#p": "page", "#a": "action", "#o": "data_object"}
        | people.LINK_NAMES,
    )
    return {sk: _version(item) for (_, sk), item in found.items()}


def _version(item: Item) -> Version:
    return Version(
        str(item["hash"]), str(item["run"]), int(item["page"]), str(item["action"]),
        deleted="deleted_at" in item, object_key=str(item.get("data_object") or ""),
        links=people.parse_links(item),
    )  # fmt: skip


Offload = Callable[[PulledRecord, bytes], str]  # (record, its gzip JSON) -> the object's key


def put_records(
    tenant_id: str,
    connection_id: str,
    stream: str,
    records: Sequence[tuple[PulledRecord, str]],
    *,
    run_id: str,
    page: int,
    offload: Offload | None = None,
    linked: Mapping[str, Item] | None = None,
    also: Sequence[Item] = (),
) -> None:
    """Write records, each with its action ("created"/"updated"/"deleted"), 25 per
    BatchWriteItem. A record the vendor reported deleted keeps ``deleted_at``; one too large
    for its item goes to ``offload`` first (the item keeps the key). ``linked``: each record's
    link attributes (repository/people.py); ``also``: items written in the same batches (a
    record's links beyond its first person)."""
    linked = linked or {}
    items = [
        {
            **keys.pulled_record(tenant_id, connection_id, stream, record.vendor_id),
            **keys.pulled_record_index(
                tenant_id, connection_id, stream, record.updated_at, record.vendor_id
            ),
            "type": "pulled_record",
            "connection": connection_id,
            "stream": stream,
            "vendor_id": record.vendor_id,
            "updated_at": record.updated_at,
            **_data(record, offload),
            "hash": record.hash,
            "synced_at": record.synced_at,
            "run": run_id,
            "page": page,
            "action": action,
            **({"deleted_at": record.deleted_at} if record.deleted_at else {}),
            **linked.get(record.vendor_id, {}),
        }
        for record, action in records
    ]
    batch.put_all([*items, *also])


def _data(record: PulledRecord, offload: Offload | None) -> dict[str, Any]:
    encoded = encode(record.data)
    placement = encoded.placement
    if placement == "item":
        return {"data": encoded.text.decode()}
    assert encoded.packed is not None
    if placement == "packed":
        return {"data_gz": encoded.packed, "data_bytes": len(encoded.text)}
    if offload is None:
        raise ValueError(f"record {record.vendor_id} is too large for its item")
    return {"data_object": offload(record, encoded.packed), "data_bytes": len(encoded.text)}


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
    hide_deleted: bool = False,
    admit: Callable[[PulledRecord], PulledRecord | None] | None = None,
) -> tuple[list[PulledRecord], str]:
    """Records in the vendor's update order (``newest_first``: reversed) within
    [``updated_since``, ``updated_until``], those ``keep`` accepts; the next page's cursor
    ('' at the end). ``filters`` names what ``keep`` tests, so a cursor is bound to it. At
    most ``max_reads`` reads a page (a page may then hold fewer than ``limit``). ``admit``
    sees each record kept before it joins the page and gives what joins it; None ends the
    page before that record (the next page starts with it; never None for the first). A
    record kept in an object comes with ``stored`` set and empty ``data``. ``hide_deleted``
    leaves out records the vendor reported deleted (name it in ``filters`` when it varies).
    Raises cursors.InvalidCursor for a cursor not issued for this listing."""
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
    if hide_deleted:
        params["FilterExpression"] = "attribute_not_exists(deleted_at)"
    found: list[PulledRecord] = []
    for _ in range(max_reads):
        page = query_page({**params, "Limit": limit - len(found)}, start)
        for item in page.items:
            record = _pulled(item)
            if keep is None or keep(record):
                joined = record if admit is None else admit(record)
                if joined is None:  # the next page starts at this record
                    return found, cursors.seal(sealer, start, tenant_id=tenant_id, listing=scope)
                found.append(joined)
            start = _index_key(item)
        start = page.last_key
        if not start or len(found) >= limit:
            break
    return found, cursors.seal(sealer, start, tenant_id=tenant_id, listing=scope)


def get_record(
    tenant_id: str, connection_id: str, stream: str, vendor_id: str
) -> PulledRecord | None:
    """One stored record by its vendor id (``stored`` set, ``data`` empty, when it is kept
    in an object)."""
    item = get_item(keys.pulled_record(tenant_id, connection_id, stream, vendor_id))
    return _pulled(item) if item else None


def _index_key(item: Item) -> dict[str, Any]:
    """The key a Query of the by-update-time index resumes after ``item``."""
    return serialize({k: item[k] for k in ("PK", "SK", "GSI2PK", "GSI2SK")})


def _pulled(item: Item) -> PulledRecord:
    stored = None
    if "data_object" in item:
        stored = StoredObject(str(item["data_object"]), int(item.get("data_bytes") or 0))
        data: dict[str, Any] = {}
    elif "data_gz" in item:
        data = unpack(bytes(item["data_gz"]))
    else:
        data = json.loads(str(item["data"]))
    return PulledRecord(
        vendor_id=str(item["vendor_id"]),
        updated_at=str(item["updated_at"]),
        data=data,
        hash=str(item["hash"]),
        synced_at=str(item.get("synced_at", "")),
        deleted_at=item.get("deleted_at"),
        stored=stored,
        links=people.parse_links(item),
    )


def delete_written(
    tenant_id: str, connection_id: str, stream: str, vendor_ids: Iterable[str]
) -> None:
    """Delete the records a page wrote (a page whose run a purge ended meanwhile)."""
    batch.delete_all([keys.pulled_record(tenant_id, connection_id, stream, v) for v in vendor_ids])


def delete_records(tenant_id: str, connection_id: str, streams: Iterable[str]) -> int:
    """Delete every record of a connection's streams (purge), with what goes with each (its
    links to people beyond the first, a person's decision on it); return how many records."""
    count = 0
    for stream in streams:
        partition = keys.pulled_records(tenant_id, connection_id, stream)
        for items in query_pages(
            KeyConditionExpression="PK = :p",
            ExpressionAttributeValues=values({":p": partition}),
            ProjectionExpression=people.LINK_PROJECTION,
            ExpressionAttributeNames=people.LINK_NAMES,
            ConsistentRead=True,  # every record a page wrote before its run was ended
        ):
            doomed = [{"PK": str(i["PK"]), "SK": str(i["SK"])} for i in items]
            for item in items:
                ref = (connection_id, stream, str(item["SK"]))
                doomed += people.forget_record(tenant_id, ref, item)
            batch.delete_all(doomed)
            count += len(items)
    return count


def stored_records(
    tenant_id: str, connection_id: str, stream: str, vendor_ids: Iterable[str]
) -> dict[str, PulledRecord]:
    """Stored records with their links, by vendor id (one BatchGetItem per 100; a record kept
    in an object comes with ``stored`` set and empty ``data``)."""
    found = batch.batch_get(
        keys.pulled_record(tenant_id, connection_id, stream, v) for v in vendor_ids
    )
    return {sk: _pulled(item) for (_, sk), item in found.items()}


def partition_page(
    tenant_id: str, connection_id: str, stream: str, *, after: str, limit: int
) -> tuple[list[str], str]:
    """A stream's vendor ids in key order after ``after`` (keys only), and the last one read
    ('' at the end): how a relink walks what is stored without a scan."""
    params: dict[str, Any] = {
        "KeyConditionExpression": "PK = :p" + (" AND SK > :a" if after else ""),
        "ExpressionAttributeValues": values(
            {":p": keys.pulled_records(tenant_id, connection_id, stream)}
            | ({":a": after} if after else {})
        ),
        "ProjectionExpression": "SK",
        "Limit": limit,
    }
    page = query_page(params)
    ids = [str(i["SK"]) for i in page.items]
    return ids, (ids[-1] if page.last_key and ids else "")

"""Listings of academic records: filtered, page-numbered or cursor-paged, counted, and the
hierarchy's placements (records under a parent, records under their responsible)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ponte.domain.academic import Entity
from ponte.repository import cursors, keys
from ponte.repository.academic.records import RecordKey, StoredRecord, get_records, stored
from ponte.repository.batch import BATCH_GET_LIMIT
from ponte.repository.errors import error_code
from ponte.repository.table import query_page, query_pages, query_responses, values

_KEYS_ONLY = "PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK"


@dataclass(frozen=True, slots=True)
class Listing:
    """Filters of a record listing (all optional)."""

    search: str = ""  # already normalised with domain.academic.search_text
    status: str = ""
    updated_since: str = ""  # ISO timestamp

    def cursor_scope(self, entity: Entity) -> str:
        """What a cursor is bound to: the entity and every filter."""
        return json.dumps([entity.value, self.search, self.status, self.updated_since])


Path = tuple[str, ...]  # an attribute, or a nested one: ("data", "subject_code")


def _filtered(
    params: dict[str, Any],
    vals: dict[str, Any],
    *,
    equal: Mapping[Path, str] | None = None,
    contains: Mapping[Path, str] | None = None,
) -> dict[str, Any]:
    """Add the filters whose value is given (all must hold) and the expression values."""
    names: dict[str, str] = {}
    clauses: list[str] = []
    for test, wanted in (("=", equal or {}), ("contains", contains or {})):
        for path, value in wanted.items():
            if not value:
                continue
            n = len(clauses)
            ref = ".".join(f"#a{n}_{j}" for j in range(len(path)))
            names |= {f"#a{n}_{j}": part for j, part in enumerate(path)}
            vals[f":a{n}"] = value
            clauses.append(f"{ref} = :a{n}" if test == "=" else f"contains({ref}, :a{n})")
    if clauses:
        params["FilterExpression"] = " AND ".join(clauses)
        params["ExpressionAttributeNames"] = names
    params["ExpressionAttributeValues"] = values(vals)
    return params


def _listing_query(tenant_id: str, entity: Entity, listing: Listing) -> dict[str, Any]:
    vals: dict[str, Any] = {":p": keys.record_listing(tenant_id, entity)}
    if listing.updated_since:
        params: dict[str, Any] = {
            "IndexName": keys.GSI2,
            "KeyConditionExpression": "GSI2PK = :p AND GSI2SK >= :since",
        }
        vals[":since"] = listing.updated_since
    else:
        params = {"IndexName": keys.GSI1, "KeyConditionExpression": "GSI1PK = :p"}
    return _filtered(
        params,
        vals,
        equal={("status",): listing.status},
        contains={("search",): listing.search},
    )


def list_records(
    tenant_id: str,
    entity: Entity,
    listing: Listing,
    *,
    limit: int,
    sealer: cursors.Sealer,
    cursor: str = "",
    skip: int = 0,
) -> tuple[list[StoredRecord], str]:
    """One page of records and the cursor of the next page ('' at the end).

    ``skip`` matching records are passed over first (page numbers); a cursor continues
    where the previous page ended, so a page costs requests in proportion to its own size.
    """
    from botocore.exceptions import ClientError  # loaded with the DynamoDB client

    query = _listing_query(tenant_id, entity, listing)
    scope = listing.cursor_scope(entity)
    start = cursors.open_start(sealer, cursor, tenant_id=tenant_id, listing=scope)
    found: list[StoredRecord] = []
    while True:
        wanted = skip if skip else limit - len(found)
        params = {**query, "Limit": max(1, wanted)}
        if skip:
            params["ProjectionExpression"] = _KEYS_ONLY
        try:
            page = query_page(params, start)
        except ClientError as exc:
            if cursor and error_code(exc) == "ValidationException":
                raise cursors.InvalidCursor(cursor) from exc
            raise
        if skip:
            skip = max(0, skip - page.count)
        else:
            found.extend(stored(item) for item in page.items)
        start = page.last_key
        if not start or (not skip and len(found) >= limit):
            break
    return found, cursors.seal(sealer, start, tenant_id=tenant_id, listing=scope)


def count_records(tenant_id: str, entity: Entity, listing: Listing) -> int:
    """How many records match the filters (a COUNT query over the entity's listing)."""
    params = {**_listing_query(tenant_id, entity, listing), "Select": "COUNT"}
    return sum(page.count for page in query_responses(params))


def _records(**params: Any) -> list[StoredRecord]:
    return [stored(item) for page in query_pages(**params) for item in page]


def all_records(tenant_id: str, entity: Entity) -> list[StoredRecord]:
    """Every record of an entity, in code order (one Query page per MB)."""
    return _records(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues=values({":p": keys.record_listing(tenant_id, entity)}),
    )


def placed_records(
    tenant_id: str, entity: Entity, parent: str, *, via: str = "", subject: str = ""
) -> list[StoredRecord]:
    """Records placed under ``parent`` (units of an institution, turmas of a unit), optionally
    only those placed through course ``via`` and/or of turma subject ``subject``."""
    params: dict[str, Any] = {"IndexName": keys.GSI3, "KeyConditionExpression": "GSI3PK = :p"}
    vals: dict[str, Any] = {":p": keys.placement(tenant_id, entity, parent)["GSI3PK"]}
    return _records(
        **_filtered(params, vals, equal={("via",): via, ("data", "subject_code"): subject})
    )


def records_by_code(
    tenant_id: str, wanted: Mapping[Entity, set[str]]
) -> dict[RecordKey, StoredRecord]:
    """Records of many codes: by key while they fit in one BatchGetItem, else by paging the
    entity's listing (cheaper than many batches), so requests follow the answer's size."""
    found: dict[RecordKey, StoredRecord] = {}
    by_key: list[RecordKey] = []
    for entity, codes in wanted.items():
        if len(codes) > BATCH_GET_LIMIT:
            found |= {
                (entity, r.code): r for r in all_records(tenant_id, entity) if r.code in codes
            }
        else:
            by_key.extend((entity, c) for c in codes)
    if by_key:
        found |= get_records(tenant_id, by_key)
    return found


def responsible_records(tenant_id: str, responsible: str) -> list[StoredRecord]:
    """Areas and courses naming ``responsible`` (an email, or "code:X")."""
    pk = keys.responsibility(tenant_id, responsible)["GSI3PK"]
    return _records(
        IndexName=keys.GSI3,
        KeyConditionExpression="GSI3PK = :p",
        ExpressionAttributeValues=values({":p": pk}),
    )


def records_after(
    tenant_id: str, entity: Entity, after: str, limit: int
) -> tuple[list[StoredRecord], str]:
    """Up to ``limit`` records in code order after ``after``, and the last code read ('' at
    the end): a resumable walk of an entity."""
    condition = "GSI1PK = :p" + (" AND GSI1SK > :a" if after else "")
    page = query_page(
        {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values(
                {":p": keys.record_listing(tenant_id, entity)} | ({":a": after} if after else {})
            ),
            "Limit": limit,
        }
    )
    found = [stored(item) for item in page.items]
    return found, (found[-1].code if page.last_key and found else "")

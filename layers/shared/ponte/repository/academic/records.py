"""Academic records read by key: records by (entity, code) and owners of unique values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ponte.domain.academic import Entity
from ponte.repository import batch, keys
from ponte.repository.table import Item


@dataclass(frozen=True, slots=True)
class StoredRecord:
    entity: Entity
    code: str
    data: dict[str, Any]
    version: int
    created_at: str
    updated_at: str
    parent: str = ""  # where the hierarchy places it: a unit's institution, a turma's unit
    via: str = ""  # a turma's course (its subject's), which decides its unit

    @property
    def status(self) -> str:
        return str(self.data.get("status", "active"))


RecordKey = tuple[Entity, str]  # (entity, code)
ClaimKey = tuple[Entity, str, str]  # (entity, unique field, value)


def stored(item: Item) -> StoredRecord:
    return StoredRecord(
        entity=Entity(item["entity"]),
        code=str(item["code"]),
        data=dict(item["data"]),
        version=int(item["version"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        parent=str(item.get("parent", "")),
        via=str(item.get("via", "")),
    )


def get_records(tenant_id: str, wanted: Iterable[RecordKey]) -> dict[RecordKey, StoredRecord]:
    """Records by (entity, code), read in batches of 100 keys."""
    return lookup(tenant_id, wanted, [])[0]


def get_claims(tenant_id: str, wanted: Iterable[ClaimKey]) -> dict[ClaimKey, str]:
    """Owner codes of unique values, by (entity, field, value)."""
    return lookup(tenant_id, [], wanted)[1]


def lookup(
    tenant_id: str, records: Iterable[RecordKey], claims: Iterable[ClaimKey]
) -> tuple[dict[RecordKey, StoredRecord], dict[ClaimKey, str]]:
    """Records by (entity, code) and owners of unique values by (entity, field, value), read
    together (one BatchGetItem when they fit in one)."""
    claims = list(claims)
    by_key = {keys.claim(tenant_id, e, f, v)["PK"]: (e, f, v) for e, f, v in claims}
    wanted = [keys.record(tenant_id, e, c) for e, c in records]
    wanted += [keys.claim(tenant_id, e, f, v) for e, f, v in claims]
    found = batch.batch_get(wanted)
    owners = {by_key[pk]: str(item["owner"]) for (pk, _), item in found.items() if pk in by_key}
    records_found = [stored(item) for (pk, _), item in found.items() if pk not in by_key]
    return {(r.entity, r.code): r for r in records_found}, owners

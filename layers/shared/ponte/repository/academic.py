"""Academic records in the table: reading them in batches, writing them transactionally.

Services describe writes as plain operations (:class:`PutRecord`, :class:`Claim`, ...) grouped
in :class:`Plan` s, one per record; :func:`commit` packs plans into as few transactions as the
100-item limit allows, each with one counters update, so a record is written whole or not
at all, and reports the plans whose conditions failed.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ponte import aws
from ponte.repository import batch, counters, keys
from ponte.repository.table import (
    Item,
    deserialize,
    query_pages,
    serialize,
    table_name,
    values,
)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    entity: str
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


@dataclass(frozen=True, slots=True)
class PutRecord:
    entity: str
    code: str
    data: dict[str, Any]
    search: str
    created_at: str
    updated_at: str
    expected_version: int | None  # None: the record must not exist yet
    parent: str = ""
    via: str = ""
    responsible: str = ""  # an area's/course's responsible (email, or "code:X")


@dataclass(frozen=True, slots=True)
class Claim:
    """Take ``value`` of a unique ``field`` for ``owner`` (fails if another record holds it)."""

    entity: str
    field: str
    value: str
    owner: str


@dataclass(frozen=True, slots=True)
class Release:
    entity: str
    field: str
    value: str
    owner: str


@dataclass(frozen=True, slots=True)
class StudentLink:
    enrollment: str
    student: str
    present: bool = True  # False: remove the link


@dataclass(frozen=True, slots=True)
class MemberLink:
    """Someone with a role beyond Aluno/Professor in a turma (findable by their code)."""

    enrollment: str
    code: str
    role: str = ""
    present: bool = True


@dataclass(frozen=True, slots=True)
class GuardianLink:
    email: str
    student: str
    present: bool = True


@dataclass(frozen=True, slots=True)
class Move:
    """Place a stored record under another parent (a turma whose course changed unit)."""

    entity: str
    code: str
    version: int
    parent: str
    via: str


@dataclass(frozen=True, slots=True)
class ProfessorLink:
    professor: str
    enrollment: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    present: bool = True


Operation = (
    PutRecord | Claim | Release | StudentLink | MemberLink | GuardianLink | ProfessorLink | Move
)


@dataclass(slots=True)
class Plan:
    ref: int  # the caller's handle (the record's index in the request)
    operations: list[Operation]
    counts: dict[str, int] = field(default_factory=dict)  # counter deltas, by counter name


@dataclass(frozen=True, slots=True)
class Failure:
    ref: int
    operation: Operation


# -- reads ---------------------------------------------------------------------------------
def _stored(item: Item) -> StoredRecord:
    return StoredRecord(
        entity=str(item["entity"]),
        code=str(item["code"]),
        data=dict(item["data"]),
        version=int(item["version"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        parent=str(item.get("parent", "")),
        via=str(item.get("via", "")),
    )


def get_records(
    tenant_id: str, wanted: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], StoredRecord]:
    """Records by (entity, code), read in batches of 100 keys."""
    found = batch.batch_get(keys.record(tenant_id, e, c) for e, c in wanted)
    return {(r.entity, r.code): r for r in map(_stored, found.values())}


def get_claims(
    tenant_id: str, wanted: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], str]:
    """Owner codes of unique values, by (entity, field, value)."""
    return lookup(tenant_id, [], wanted)[1]


def lookup(
    tenant_id: str,
    records: Iterable[tuple[str, str]],
    claims: Iterable[tuple[str, str, str]],
) -> tuple[dict[tuple[str, str], StoredRecord], dict[tuple[str, str, str], str]]:
    """Records by (entity, code) and owners of unique values by (entity, field, value), read
    together (one BatchGetItem when they fit in one)."""
    claims = list(claims)
    by_key = {keys.claim(tenant_id, e, f, v)["PK"]: (e, f, v) for e, f, v in claims}
    wanted = [keys.record(tenant_id, e, c) for e, c in records]
    wanted += [keys.claim(tenant_id, e, f, v) for e, f, v in claims]
    found = batch.batch_get(wanted)
    owners = {by_key[pk]: str(item["owner"]) for (pk, _), item in found.items() if pk in by_key}
    stored = [_stored(item) for (pk, _), item in found.items() if pk not in by_key]
    return {(r.entity, r.code): r for r in stored}, owners


# -- writes --------------------------------------------------------------------------------
def _conditional(
    body: dict[str, Any], condition: str, vals: Mapping[str, Any] | None
) -> dict[str, Any]:
    if condition:
        body["ConditionExpression"] = condition
    if vals:
        body["ExpressionAttributeValues"] = values(vals)
    return body


def _put(
    item: Mapping[str, Any], condition: str = "", vals: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    body = {"TableName": table_name(), "Item": serialize(item)}
    return {"Put": _conditional(body, condition, vals)}


def _delete(
    key: Mapping[str, str], condition: str = "", vals: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    body = {"TableName": table_name(), "Key": serialize(key)}
    return {"Delete": _conditional(body, condition, vals)}


def _record_item(tenant_id: str, op: PutRecord) -> dict[str, Any]:
    version = 1 if op.expected_version is None else op.expected_version + 1
    item = {
        **keys.record(tenant_id, op.entity, op.code),
        **keys.record_indexes(tenant_id, op.entity, op.code, op.updated_at),
        "type": "record",
        "tenant_id": tenant_id,
        "entity": op.entity,
        "code": op.code,
        "data": op.data,
        "status": op.data.get("status", "active"),
        "search": op.search,
        "version": version,
        "created_at": op.created_at,
        "updated_at": op.updated_at,
    }
    if op.parent:
        item |= {"parent": op.parent, **keys.placement(tenant_id, op.entity, op.parent, op.code)}
    elif op.responsible:
        item |= keys.responsibility(tenant_id, op.responsible, op.entity, op.code)
    if op.via:
        item["via"] = op.via
    if op.expected_version is None:
        return _put(item, "attribute_not_exists(PK)")
    return _put(item, "version = :v", {":v": op.expected_version})


def _claim_item(tenant_id: str, op: Claim) -> dict[str, Any]:
    item = {
        **keys.claim(tenant_id, op.entity, op.field, op.value),
        "type": "claim",
        "owner": op.owner,
    }
    return _put(item, "attribute_not_exists(PK) OR #o = :owner", {":owner": op.owner})


def _release_item(tenant_id: str, op: Release) -> dict[str, Any]:
    key = keys.claim(tenant_id, op.entity, op.field, op.value)
    return _delete(key, "attribute_not_exists(PK) OR #o = :owner", {":owner": op.owner})


def _link(key: Mapping[str, str], present: bool, **attributes: Any) -> dict[str, Any]:
    """Put a link item (its attributes) or delete it."""
    return _put({**key, **attributes}) if present else _delete(key)


def _student_link_item(tenant_id: str, op: StudentLink) -> dict[str, Any]:
    return _link(
        keys.enrollment_student(tenant_id, op.enrollment, op.student),
        op.present,
        GSI1PK=keys.student_enrollments(tenant_id, op.student),
        GSI1SK=op.enrollment,
        type="enrollment_student",
        enrollment_code=op.enrollment,
        student_code=op.student,
    )


def _member_link_item(tenant_id: str, op: MemberLink) -> dict[str, Any]:
    return _link(
        keys.enrollment_member(tenant_id, op.enrollment, op.code),
        op.present,
        GSI1PK=keys.member_enrollments(tenant_id, op.code),
        GSI1SK=op.enrollment,
        type="enrollment_member",
        enrollment_code=op.enrollment,
        member_code=op.code,
        role=op.role,
    )


def _guardian_link_item(tenant_id: str, op: GuardianLink) -> dict[str, Any]:
    key = keys.guardian_student(tenant_id, op.email, op.student)
    return _link(key, op.present, type="guardian_student", student_code=op.student)


def _move_item(tenant_id: str, op: Move) -> dict[str, Any]:
    placement = keys.placement(tenant_id, op.entity, op.parent)
    return {
        "Update": {
            "TableName": table_name(),
            "Key": serialize(keys.record(tenant_id, op.entity, op.code)),
            "UpdateExpression": "SET #p = :p, #via = :via, GSI3PK = :g",
            "ConditionExpression": "#ver = :v",
            "ExpressionAttributeNames": {"#p": "parent", "#via": "via", "#ver": "version"},
            "ExpressionAttributeValues": values(
                {":p": op.parent, ":via": op.via, ":g": placement["GSI3PK"], ":v": op.version}
            ),
        }
    }


def _professor_link_item(tenant_id: str, op: ProfessorLink) -> dict[str, Any]:
    return _link(
        keys.professor_enrollment(tenant_id, op.professor, op.enrollment),
        op.present,
        type="professor_enrollment",
        enrollment_code=op.enrollment,
        **op.attributes,
    )


_BUILDERS: dict[type, Any] = {
    PutRecord: _record_item,
    Claim: _claim_item,
    Release: _release_item,
    StudentLink: _student_link_item,
    MemberLink: _member_link_item,
    GuardianLink: _guardian_link_item,
    ProfessorLink: _professor_link_item,
    Move: _move_item,
}


def _transact_item(tenant_id: str, op: Operation) -> dict[str, Any]:
    item: dict[str, Any] = _BUILDERS[type(op)](tenant_id, op)
    return item


def _with_owner_name(item: dict[str, Any]) -> dict[str, Any]:
    """`owner` is a reserved word in DynamoDB expressions."""
    body = item.get("Put") or item.get("Delete") or {}
    if "#o" in body.get("ConditionExpression", ""):
        body["ExpressionAttributeNames"] = {"#o": "owner"}
    return item


def commit(tenant_id: str, plans: Sequence[Plan], synced_at: datetime) -> list[Failure]:
    """Write every plan atomically (packed into shared transactions); return the plans whose
    conditions failed, each with the operation that failed. The others are written."""
    failures: list[Failure] = []
    budget = batch.TRANSACTION_LIMIT - 1  # one slot for the counters update
    group: list[Plan] = []
    size = 0
    for plan in plans:
        if len(plan.operations) > budget:
            _flush(tenant_id, group, synced_at, failures)
            group, size = [], 0
            _commit_oversized(tenant_id, plan, synced_at, failures)
            continue
        if size + len(plan.operations) > budget:
            _flush(tenant_id, group, synced_at, failures)
            group, size = [], 0
        group.append(plan)
        size += len(plan.operations)
    _flush(tenant_id, group, synced_at, failures)
    return failures


def _flush(tenant_id: str, group: list[Plan], synced_at: datetime, failures: list[Failure]) -> None:
    pending = list(group)
    while pending:
        owners: list[tuple[Plan, Operation]] = [(p, op) for p in pending for op in p.operations]
        items = [_with_owner_name(_transact_item(tenant_id, op)) for _, op in owners]
        deltas: dict[str, int] = {}
        for plan in pending:
            for counter, n in plan.counts.items():
                deltas[counter] = deltas.get(counter, 0) + n
        items.append({"Update": counters.update_operation(tenant_id, deltas, synced_at)})
        try:
            batch.transact(items)
            return
        except batch.TransactionCancelled as cancelled:
            failed: dict[int, Operation] = {}
            for (plan, op), reason in zip(owners, cancelled.reasons, strict=False):
                if reason == "ConditionalCheckFailed" and id(plan) not in failed:
                    failed[id(plan)] = op
            if not failed:
                raise
            failures.extend(Failure(p.ref, failed[id(p)]) for p in pending if id(p) in failed)
            pending = [p for p in pending if id(p) not in failed]


def _commit_oversized(
    tenant_id: str, plan: Plan, synced_at: datetime, failures: list[Failure]
) -> None:
    """A record whose write set exceeds one transaction (a very large turma): links first, in
    chunks (idempotent), then the record and its claims together, so a failure leaves the
    stored record as it was and a retry converges."""
    core: list[Operation] = [
        op for op in plan.operations if isinstance(op, PutRecord | Claim | Release)
    ]
    links: list[Operation] = [op for op in plan.operations if op not in core]
    budget = batch.TRANSACTION_LIMIT - 1
    for start in range(0, len(links), budget):
        chunk = Plan(plan.ref, list(links[start : start + budget]))
        _flush(tenant_id, [chunk], synced_at, failures)
    _flush(tenant_id, [Plan(plan.ref, core, plan.counts)], synced_at, failures)


# -- listings ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Listing:
    """Filters of a record listing (all optional)."""

    search: str = ""  # already normalised with domain.academic.search_text
    status: str = ""
    updated_since: str = ""  # ISO timestamp


class InvalidCursor(Exception):
    pass


def _encode_cursor(key: Mapping[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor(cursor) from exc
    if not isinstance(key, dict):
        raise InvalidCursor(cursor)
    return key


def _listing_query(tenant_id: str, entity: str, listing: Listing) -> dict[str, Any]:
    partition = keys.record_listing(tenant_id, entity)
    names: dict[str, str] = {}
    vals: dict[str, Any] = {":p": partition}
    if listing.updated_since:
        params: dict[str, Any] = {
            "IndexName": keys.GSI2,
            "KeyConditionExpression": "GSI2PK = :p AND GSI2SK >= :since",
        }
        vals[":since"] = listing.updated_since
    else:
        params = {"IndexName": keys.GSI1, "KeyConditionExpression": "GSI1PK = :p"}
    filters = []
    if listing.status:
        filters.append("#st = :st")
        names["#st"] = "status"
        vals[":st"] = listing.status
    if listing.search:
        filters.append("contains(#se, :q)")
        names["#se"] = "search"
        vals[":q"] = listing.search
    if filters:
        params["FilterExpression"] = " AND ".join(filters)
        params["ExpressionAttributeNames"] = names
    params["ExpressionAttributeValues"] = values(vals)
    return {"TableName": table_name(), **params}


def list_records(
    tenant_id: str, entity: str, listing: Listing, *, limit: int, cursor: str = "", skip: int = 0
) -> tuple[list[StoredRecord], str]:
    """One page of records and the cursor of the next page ('' at the end).

    ``skip`` matching records are passed over first (page numbers); a cursor continues
    where the previous page ended, so a page costs requests in proportion to its own size.
    """
    client = aws.dynamodb()
    query = _listing_query(tenant_id, entity, listing)
    start = _decode_cursor(cursor) if cursor else None
    found: list[StoredRecord] = []
    while True:
        wanted = skip if skip else limit - len(found)
        params = {**query, "Limit": max(1, wanted)}
        if skip:
            params["ProjectionExpression"] = "PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK"
        if start:
            params["ExclusiveStartKey"] = start
        try:
            response: dict[str, Any] = client.query(**params)  # type: ignore[assignment]
        except Exception as exc:
            if start and "ValidationException" in str(getattr(exc, "response", "")):
                raise InvalidCursor(cursor) from exc
            raise
        items = response.get("Items", [])
        if skip:
            skip = max(0, skip - len(items))
        else:
            found.extend(_stored(deserialize(raw)) for raw in items)
        start = response.get("LastEvaluatedKey")
        if not start or (not skip and len(found) >= limit):
            break
    return found, _encode_cursor(start) if start else ""


def count_records(tenant_id: str, entity: str, listing: Listing) -> int:
    """How many records match the filters (a COUNT query over the entity's listing)."""
    client = aws.dynamodb()
    params: dict[str, Any] = {**_listing_query(tenant_id, entity, listing), "Select": "COUNT"}
    total = 0
    while True:
        response: dict[str, Any] = client.query(**params)  # type: ignore[assignment]
        total += int(response.get("Count", 0))
        if not response.get("LastEvaluatedKey"):
            return total
        params["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def professor_enrollments(tenant_id: str, professor: str) -> list[dict[str, Any]]:
    """The professor's turmas: code, subject_code, semester, status (one Query)."""
    pk = keys.professor_enrollment(tenant_id, professor, "")["PK"]
    links: list[dict[str, Any]] = []
    for page in query_pages(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :e)",
        ExpressionAttributeValues=values({":pk": pk, ":e": keys.PROFESSOR_LINK_PREFIX}),
    ):
        links.extend(page)
    return links


def all_records(tenant_id: str, entity: str) -> list[StoredRecord]:
    """Every record of an entity, in code order (one Query page per MB)."""
    return _records(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues=values({":p": keys.record_listing(tenant_id, entity)}),
    )


def placed_records(
    tenant_id: str, entity: str, parent: str, *, via: str = "", subject: str = ""
) -> list[StoredRecord]:
    """Records placed under ``parent`` (units of an institution, turmas of a unit), optionally
    only those placed through course ``via`` or of turma subject ``subject``."""
    params: dict[str, Any] = {
        "IndexName": keys.GSI3,
        "KeyConditionExpression": "GSI3PK = :p",
    }
    vals: dict[str, Any] = {":p": keys.placement(tenant_id, entity, parent)["GSI3PK"]}
    if via:
        params["FilterExpression"] = "#via = :via"
        params["ExpressionAttributeNames"] = {"#via": "via"}
        vals[":via"] = via
    if subject:
        params["FilterExpression"] = "#d.subject_code = :s"
        params["ExpressionAttributeNames"] = {"#d": "data"}
        vals[":s"] = subject
    return _records(**params, ExpressionAttributeValues=values(vals))


def responsible_records(tenant_id: str, responsible: str) -> list[StoredRecord]:
    """Areas and courses naming ``responsible`` (an email, or "code:X")."""
    pk = keys.responsibility(tenant_id, responsible)["GSI3PK"]
    return _records(
        IndexName=keys.GSI3,
        KeyConditionExpression="GSI3PK = :p",
        ExpressionAttributeValues=values({":p": pk}),
    )


def _records(**params: Any) -> list[StoredRecord]:
    records: list[StoredRecord] = []
    for page in query_pages(**params):
        records.extend(_stored(item) for item in page)
    return records


def _link_codes(field_name: str, **params: Any) -> list[str]:
    return [str(item[field_name]) for page in query_pages(**params) for item in page]


def student_turmas(tenant_id: str, student: str) -> list[str]:
    """Codes of the turmas listing ``student`` in ``student_codes`` (one Query)."""
    return _link_codes(
        "enrollment_code",
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues=values({":p": keys.student_enrollments(tenant_id, student)}),
    )


def member_turmas(tenant_id: str, code: str) -> list[tuple[str, str]]:
    """(turma, role) of the turmas where ``code`` has a role beyond Aluno/Professor."""
    found: list[tuple[str, str]] = []
    for page in query_pages(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues=values({":p": keys.member_enrollments(tenant_id, code)}),
    ):
        found.extend((str(i["enrollment_code"]), str(i.get("role", ""))) for i in page)
    return found


def guardian_students(tenant_id: str, email: str) -> list[str]:
    """Codes of the students naming ``email`` among their guardians (one Query)."""
    return _link_codes(
        "student_code",
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues=values({":pk": keys.guardian_student(tenant_id, email)["PK"]}),
    )

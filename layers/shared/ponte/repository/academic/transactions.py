"""Plans written atomically: :func:`commit` packs plans into as few transactions as the
100-item limit allows, each with one counters update, so a record is written whole or not at
all, and reports the plans whose conditions failed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ponte.repository import batch, counters, keys
from ponte.repository.academic.operations import (
    Claim,
    Failure,
    GuardianLink,
    MemberLink,
    Move,
    Operation,
    Plan,
    ProfessorLink,
    PutRecord,
    Release,
    StudentLink,
)
from ponte.repository.errors import CONDITION_FAILED
from ponte.repository.table import serialize, table_name, values

TransactItem = dict[str, Any]
# A plan gives up its slot to the counters update of the transaction it shares.
_BUDGET = batch.TRANSACTION_LIMIT - 1
_CONDITION_FAILED = CONDITION_FAILED.removesuffix("Exception")  # as cancellation reasons say


def _conditional(
    body: dict[str, Any],
    condition: str,
    vals: Mapping[str, Any] | None,
    names: Mapping[str, str] | None,
) -> dict[str, Any]:
    if condition:
        body["ConditionExpression"] = condition
    if vals:
        body["ExpressionAttributeValues"] = values(vals)
    if names:
        body["ExpressionAttributeNames"] = dict(names)
    return body


def _put(
    item: Mapping[str, Any],
    condition: str = "",
    vals: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> TransactItem:
    body = {"TableName": table_name(), "Item": serialize(item)}
    return {"Put": _conditional(body, condition, vals, names)}


def _delete(
    key: Mapping[str, str],
    condition: str = "",
    vals: Mapping[str, Any] | None = None,
    names: Mapping[str, str] | None = None,
) -> TransactItem:
    body = {"TableName": table_name(), "Key": serialize(key)}
    return {"Delete": _conditional(body, condition, vals, names)}


def _record_item(tenant_id: str, op: PutRecord) -> TransactItem:
    version = 1 if op.expected_version is None else op.expected_version + 1
    item = {
        **keys.record(tenant_id, op.entity, op.code),
        **keys.record_indexes(tenant_id, op.entity, op.code, op.updated_at),
        "type": "record",
        "tenant_id": tenant_id,
        "entity": op.entity.value,
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


# ``owner`` is a reserved word in DynamoDB expressions.
_OWNED = "attribute_not_exists(PK) OR #o = :owner"
_OWNER_NAME = {"#o": "owner"}


def _claim_item(tenant_id: str, op: Claim) -> TransactItem:
    item = {
        **keys.claim(tenant_id, op.entity, op.field, op.value),
        "type": "claim",
        "owner": op.owner,
    }
    return _put(item, _OWNED, {":owner": op.owner}, _OWNER_NAME)


def _release_item(tenant_id: str, op: Release) -> TransactItem:
    key = keys.claim(tenant_id, op.entity, op.field, op.value)
    return _delete(key, _OWNED, {":owner": op.owner}, _OWNER_NAME)


def _link(key: Mapping[str, str], present: bool, **attributes: Any) -> TransactItem:
    """Put a link item (its attributes) or delete it."""
    return _put({**key, **attributes}) if present else _delete(key)


def _turma_link(
    key: Mapping[str, str], present: bool, listing: str, enrollment: str, **attributes: Any
) -> TransactItem:
    """A link from a turma to a person, also listed under the person (their turmas)."""
    return _link(
        key, present, GSI1PK=listing, GSI1SK=enrollment, enrollment_code=enrollment, **attributes
    )


def _student_link_item(tenant_id: str, op: StudentLink) -> TransactItem:
    return _turma_link(
        keys.enrollment_student(tenant_id, op.enrollment, op.student),
        op.present,
        keys.student_enrollments(tenant_id, op.student),
        op.enrollment,
        type="enrollment_student",
        student_code=op.student,
    )


def _member_link_item(tenant_id: str, op: MemberLink) -> TransactItem:
    return _turma_link(
        keys.enrollment_member(tenant_id, op.enrollment, op.code),
        op.present,
        keys.member_enrollments(tenant_id, op.code),
        op.enrollment,
        type="enrollment_member",
        member_code=op.code,
        role=op.role,
    )


def _guardian_link_item(tenant_id: str, op: GuardianLink) -> TransactItem:
    key = keys.guardian_student(tenant_id, op.email, op.student)
    return _link(key, op.present, type="guardian_student", student_code=op.student)


def _move_item(tenant_id: str, op: Move) -> TransactItem:
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


def _professor_link_item(tenant_id: str, op: ProfessorLink) -> TransactItem:
    return _link(
        keys.professor_enrollment(tenant_id, op.professor, op.enrollment),
        op.present,
        type="professor_enrollment",
        enrollment_code=op.enrollment,
        **op.attributes,
    )


_BUILDERS: dict[type, Callable[[str, Any], TransactItem]] = {
    PutRecord: _record_item,
    Claim: _claim_item,
    Release: _release_item,
    StudentLink: _student_link_item,
    MemberLink: _member_link_item,
    GuardianLink: _guardian_link_item,
    ProfessorLink: _professor_link_item,
    Move: _move_item,
}


def _transact_item(tenant_id: str, op: Operation) -> TransactItem:
    return _BUILDERS[type(op)](tenant_id, op)


def commit(tenant_id: str, plans: Sequence[Plan], synced_at: datetime) -> list[Failure]:
    """Write every plan atomically (packed into shared transactions); return the plans whose
    conditions failed, each with the operation that failed. The others are written."""
    failures: list[Failure] = []
    group: list[Plan] = []
    size = 0
    for plan in plans:
        if len(plan.operations) > _BUDGET:
            _flush(tenant_id, group, synced_at, failures)
            group, size = [], 0
            _commit_oversized(tenant_id, plan, synced_at, failures)
            continue
        if size + len(plan.operations) > _BUDGET:
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
        items = [_transact_item(tenant_id, op) for _, op in owners]
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
                if reason == _CONDITION_FAILED and id(plan) not in failed:
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
    for start in range(0, len(links), _BUDGET):
        chunk = Plan(plan.ref, list(links[start : start + _BUDGET]))
        _flush(tenant_id, [chunk], synced_at, failures)
    _flush(tenant_id, [Plan(plan.ref, core, plan.counts)], synced_at, failures)

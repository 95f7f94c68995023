"""Batch upsert of the ERP's records: validate, compare, write what changed.

Per request: one batched read of the records, one batched read of what changed records refer
to and the unique values they take, then transactions packing many records each. A record
is applied whole (record, uniqueness claims, links, counters) or reported with its errors;
an identical record is ``unchanged`` and costs no write.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ponte.clock import get_clock, utcnow
from ponte.domain import cpf as cpf_rules
from ponte.domain import links
from ponte.domain.academic import (
    SPECS,
    Enrollment,
    Entity,
    Record,
    Spec,
    Student,
    Unit,
    search_text,
)
from ponte.observability import logger
from ponte.repository import academic, counters
from ponte.services import placement
from ponte.services.people import directory
from ponte.validation import field_errors

CPF_CHECK_DIGIT = "CPF com dígito verificador inválido"
DUPLICATE_CODE = "Código duplicado na requisição"
_MAX_ROUNDS = 6  # re-reads after a concurrent writer changed a record under us
_ROUND_PAUSE = 0.02  # seconds, doubled each round, full jitter: concurrent writers spread out
CONFLICT = "Registro alterado simultaneamente; reenvie"
# `sync-status` shows the last sync to the minute: a call that writes nothing stamps it at
# most once a minute per container (a call that writes stamps it in its transactions).
_TOUCH_EVERY = timedelta(minutes=1)
_last_touch: dict[str, datetime] = {}

Errors = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class RecordIssue:
    index: int
    code: str | None
    messages: Errors


@dataclass(slots=True)
class SyncResult:
    entity: Entity
    total: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RecordIssue] = field(default_factory=list)
    warnings: list[RecordIssue] = field(default_factory=list)
    linked: int = 0
    unlinked: int = 0
    conflicts: int = 0  # records still changed under us after every round: worth resending

    @property
    def failed(self) -> int:
        return len(self.errors)


@dataclass(slots=True)
class _Candidate:
    index: int
    record: Record
    stored: academic.StoredRecord | None = None

    @property
    def code(self) -> str:
        return self.record.code

    @property
    def data(self) -> dict[str, Any]:
        return self.record.data()


def parse(spec: Spec, raw: Sequence[Any], result: SyncResult) -> list[_Candidate]:
    """Validate each record; the first occurrence of a code wins, later ones fail."""
    candidates: list[_Candidate] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        code = item.get("code") if isinstance(item, dict) else None
        code = code.strip() if isinstance(code, str) else None
        if not isinstance(item, dict):
            result.errors.append(RecordIssue(index, None, {"record": ["Deve ser um objeto"]}))
            continue
        try:
            record = spec.model.model_validate(item)
        except ValidationError as exc:
            result.errors.append(RecordIssue(index, code, field_errors(exc.errors())))
            continue
        if record.code in seen:
            result.errors.append(RecordIssue(index, record.code, {"code": [DUPLICATE_CODE]}))
            continue
        seen.add(record.code)
        candidates.append(_Candidate(index, record))
    return candidates


class SyncService:
    def __init__(self, tenant_id: str, strict_cpf: Callable[[], bool]) -> None:
        self._tenant = tenant_id
        self._strict_cpf = strict_cpf  # read lazily: only a wrong check digit needs it
        self._written: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []

    def sync(self, entity: Entity, raw: Sequence[Any]) -> SyncResult:
        try:
            return self._sync(entity, raw)
        finally:  # what reached the table, even when a later write failed
            self._people_changed(entity)

    def _sync(self, entity: Entity, raw: Sequence[Any]) -> SyncResult:
        spec = SPECS[entity]
        result = SyncResult(entity=entity, total=len(raw))
        pending = parse(spec, raw, result)
        now = utcnow()
        wrote = False
        for round_number in range(_MAX_ROUNDS):
            if not pending:
                break
            if round_number:
                get_clock().sleep(random.uniform(0, _ROUND_PAUSE * 2**round_number))  # noqa: S311
            plans, by_index = self._plan(spec, pending, result)
            if not plans:
                break
            # The identity index hears of every record about to be written: a message for one
            # a failure left unwritten only has the worker read it as it is.
            self._written += [(c.code, _stored_data(c), c.data) for c in by_index.values()]
            failures = academic.commit(self._tenant, plans, now)
            wrote = True
            failed = {f.ref for f in failures}
            placement.follow(
                self._tenant,
                spec.entity,
                [
                    (stored, by_index[p.ref].data)
                    for p in plans
                    if p.ref not in failed and (stored := by_index[p.ref].stored) is not None
                ],
                now,
            )
            retry = self._settle(spec, plans, by_index, failures, result)
            pending = [by_index[i] for i in retry]
        else:
            for candidate in pending:
                result.errors.append(
                    RecordIssue(candidate.index, candidate.code, {"code": [CONFLICT]})
                )
            result.conflicts = len(pending)
        if not (result.total and result.failed == result.total):  # a refused sync stores nothing
            self._stamp(now, wrote)
        result.errors.sort(key=lambda issue: issue.index)
        result.warnings.sort(key=lambda issue: issue.index)
        return result

    def _people_changed(self, entity: Entity) -> None:
        """The people this call changed go to the identity index's worker."""
        written, self._written = self._written, []
        changes = directory.changes_of(entity, written)
        if not changes:
            return
        try:
            directory.publish(self._tenant, changes)
        except Exception:  # the records are stored: the answer says so; a relink catches up
            logger.exception("people changes not queued: run POST /api/v1/people/relink",
                             extra={"people": len(changes)})  # fmt: skip

    def _stamp(self, now: datetime, wrote: bool) -> None:
        last = _last_touch.get(self._tenant)
        if not wrote and (last is None or not timedelta(0) <= now - last < _TOUCH_EVERY):
            counters.add(self._tenant, {}, now)  # the sync happened, even with nothing to write
            wrote = True
        if wrote:
            _last_touch[self._tenant] = now

    # -- planning --------------------------------------------------------------------------
    def _plan(
        self, spec: Spec, candidates: list[_Candidate], result: SyncResult
    ) -> tuple[list[academic.Plan], dict[int, _Candidate]]:
        entity = spec.entity
        stored = academic.get_records(self._tenant, ((entity, c.code) for c in candidates))
        changed: list[_Candidate] = []
        for candidate in candidates:
            candidate.stored = stored.get((entity, candidate.code))
            if candidate.stored is not None and candidate.stored.data == candidate.data:
                result.unchanged += 1
            else:
                changed.append(candidate)
        if not changed:
            return [], {}
        problems, existing = self._check(spec, changed)
        places: dict[str, placement.Place] = {}
        if spec.entity is Entity.ENROLLMENTS:
            subjects = {c.data["subject_code"] for c in changed}
            places = placement.of_subjects(self._tenant, subjects, existing)
        plans: list[academic.Plan] = []
        by_index: dict[int, _Candidate] = {}
        for candidate in changed:
            issues = problems.get(candidate.index)
            if issues:
                result.errors.append(RecordIssue(candidate.index, candidate.code, issues))
                continue
            place = places.get(str(candidate.data.get("subject_code")), placement.NOWHERE)
            plans.append(self._plan_record(spec, candidate, place))
            by_index[candidate.index] = candidate
        return plans, by_index

    def _check(
        self, spec: Spec, changed: list[_Candidate]
    ) -> tuple[dict[int, Errors], dict[academic.RecordKey, academic.StoredRecord]]:
        """References that must exist and unique values that must be free, read in one go."""
        problems: dict[int, Errors] = {}
        refs: set[academic.RecordKey] = set()
        claims: set[academic.ClaimKey] = set()
        first_taker: dict[tuple[str, str], int] = {}
        for candidate in changed:
            refs.update(_references(spec, candidate))
            for unique_field, value in _new_unique_values(spec, candidate):
                claims.add((spec.entity, unique_field, value))
                first = first_taker.setdefault((unique_field, value), candidate.index)
                if first != candidate.index:  # two records of this request want the value
                    problems.setdefault(candidate.index, {})[unique_field] = [
                        _unique_message(spec, unique_field)
                    ]
            self._check_cpf(candidate, problems)
        existing = academic.get_records(self._tenant, refs) if refs else {}
        owners = academic.get_claims(self._tenant, claims) if claims else {}
        for candidate in changed:
            errors = problems.setdefault(candidate.index, {})
            for ref in spec.references:
                target = candidate.data.get(ref.field)
                if _needs_record(ref, target) and (ref.entity, target) not in existing:
                    errors.setdefault(ref.field, []).append(ref.message)
            students = Entity.STUDENTS
            missing = [s for s in _added_students(candidate) if (students, s) not in existing]
            if missing:
                errors["student_codes"] = [f"O aluno {s} não existe" for s in missing]
            unknown = [
                m
                for m in _added_members(candidate)
                if (students, m) not in existing and (Entity.PROFESSORS, m) not in existing
            ]
            if unknown:
                errors["members"] = [f"O membro {m} não existe" for m in unknown]
            for unique_field, value in _new_unique_values(spec, candidate):
                owner = owners.get((spec.entity, unique_field, value))
                if owner is not None and owner != candidate.code:
                    errors[unique_field] = [_unique_message(spec, unique_field)]
        return {i: e for i, e in problems.items() if e}, existing

    def _check_cpf(self, candidate: _Candidate, problems: dict[int, Errors]) -> None:
        value = candidate.data.get("cpf")
        if not value or cpf_rules.has_valid_check_digits(value):
            return
        if self._strict_cpf():
            problems.setdefault(candidate.index, {}).setdefault("cpf", []).append(CPF_CHECK_DIGIT)

    def _plan_record(
        self, spec: Spec, candidate: _Candidate, place: placement.Place
    ) -> academic.Plan:
        entity = spec.entity
        data = candidate.data
        stored = candidate.stored
        now = utcnow().isoformat()
        record = candidate.record
        if isinstance(record, Unit):
            place = placement.Place(record.institution)
        ops: list[academic.Operation] = [
            academic.PutRecord(
                entity=entity,
                code=candidate.code,
                data=data,
                search=search_text(candidate.code, str(data.get("name", ""))),
                created_at=stored.created_at if stored else now,
                updated_at=now,
                expected_version=stored.version if stored else None,
                parent=place.parent,
                via=place.via,
                responsible=placement.responsible(data),
            )
        ]
        old_data = stored.data if stored else {}
        for unique in spec.unique:
            values = links.diff(
                unique.values(data, unique.field), unique.values(old_data, unique.field)
            )
            ops.extend(
                academic.Claim(entity, unique.field, v, candidate.code) for v in values.added
            )
            ops.extend(
                academic.Release(entity, unique.field, v, candidate.code) for v in values.removed
            )
        if isinstance(record, Enrollment):
            ops.extend(_enrollment_links(candidate))
        if isinstance(record, Student):
            ops.extend(_guardian_links(candidate))
        counts = placement.counter_deltas(spec.entity, data, stored, place.parent)
        return academic.Plan(candidate.index, ops, counts)

    # -- outcome ---------------------------------------------------------------------------
    def _settle(
        self,
        spec: Spec,
        plans: list[academic.Plan],
        by_index: dict[int, _Candidate],
        failures: list[academic.Failure],
        result: SyncResult,
    ) -> list[int]:
        """Count what was written, report lost uniqueness races, return records to re-read."""
        failed = {f.ref: f.operation for f in failures}
        retry: list[int] = []
        for plan in plans:
            candidate = by_index[plan.ref]
            operation = failed.get(plan.ref)
            if isinstance(operation, academic.Claim):
                message = _unique_message(spec, operation.field)
                result.errors.append(
                    RecordIssue(plan.ref, candidate.code, {operation.field: [message]})
                )
            elif operation is not None:
                retry.append(plan.ref)  # a concurrent write changed the record: plan again
            else:
                self._count(candidate, plan, result)
        return retry

    def _count(self, candidate: _Candidate, plan: academic.Plan, result: SyncResult) -> None:
        if candidate.stored is None:
            result.created += 1
        else:
            result.updated += 1
        for op in plan.operations:
            if isinstance(op, academic.StudentLink):
                if op.present:
                    result.linked += 1
                else:
                    result.unlinked += 1
        cpf = candidate.data.get("cpf")
        if cpf and not cpf_rules.has_valid_check_digits(cpf):
            result.warnings.append(
                RecordIssue(candidate.index, candidate.code, {"cpf": [CPF_CHECK_DIGIT]})
            )


def _references(spec: Spec, candidate: _Candidate) -> set[academic.RecordKey]:
    data = candidate.data
    refs = {
        (r.entity, data[r.field]) for r in spec.references if _needs_record(r, data.get(r.field))
    }
    refs.update((Entity.STUDENTS, s) for s in _added_students(candidate))
    for member in _added_members(candidate):  # a member is a student or a professor
        refs.update({(Entity.STUDENTS, member), (Entity.PROFESSORS, member)})
    return refs


def _needs_record(ref: Any, target: Any) -> bool:
    return bool(target) and target != ref.implicit


def _new_unique_values(spec: Spec, candidate: _Candidate) -> list[tuple[str, str]]:
    """Unique values the record takes that it does not hold already."""
    held = _stored_data(candidate) or {}
    return [
        (u.field, value)
        for u in spec.unique
        for value in links.diff(u.values(candidate.data, u.field), u.values(held, u.field)).added
    ]


def _unique_message(spec: Spec, unique_field: str) -> str:
    return next(u.message for u in spec.unique if u.field == unique_field)


def _stored_data(candidate: _Candidate) -> dict[str, Any] | None:
    return candidate.stored.data if candidate.stored else None


def _added_students(candidate: _Candidate) -> list[str]:
    if not isinstance(candidate.record, Enrollment):
        return []
    return links.diff(links.students(candidate.data), links.students(_stored_data(candidate))).added


def _added_members(candidate: _Candidate) -> list[str]:
    if not isinstance(candidate.record, Enrollment):
        return []
    old = links.members(_stored_data(candidate))
    return sorted(set(links.members(candidate.data)) - set(old))


def _guardian_links(candidate: _Candidate) -> list[academic.Operation]:
    change = links.diff(links.guardians(candidate.data), links.guardians(_stored_data(candidate)))
    ops: list[academic.Operation] = [academic.GuardianLink(e, candidate.code) for e in change.added]
    ops.extend(academic.GuardianLink(e, candidate.code, present=False) for e in change.removed)
    return ops


def _enrollment_links(candidate: _Candidate) -> list[academic.Operation]:
    code, data, old = candidate.code, candidate.data, _stored_data(candidate)
    students = links.diff(links.students(data), links.students(old))
    ops: list[academic.Operation] = [academic.StudentLink(code, s) for s in students.added]
    ops.extend(academic.StudentLink(code, s, present=False) for s in students.removed)
    members = links.member_change(data, old)
    ops.extend(academic.MemberLink(code, m, role) for m, role in members.placed)
    ops.extend(academic.MemberLink(code, m, present=False) for m in members.removed)
    teaching = links.teaching_change(data, old)
    if teaching.dropped:
        ops.append(academic.ProfessorLink(teaching.dropped, code, present=False))
    if teaching.teaching is not None:
        ops.append(academic.ProfessorLink(data["professor_code"], code, teaching.teaching))
    return ops

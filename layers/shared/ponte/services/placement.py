"""Where the hierarchy finds records: a unit under its institution, a turma under
the unit of its subject's course, an area or course under its responsible.

A turma's unit is not something the ERP sends: it follows from subject → course → unit. It is
worked out when the turma is written and kept on the record (and indexed), so "turmas of a
unit" is one Query; when a course changes unit, or a subject changes course, :func:`follow`
moves the turmas placed through it in the same sync call, so the hierarchy shows it at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ponte.domain.academic import Entity
from ponte.repository import academic, counters


@dataclass(frozen=True, slots=True)
class Place:
    parent: str = ""  # the unit of a turma, the institution of a unit
    via: str = ""  # the course that placed a turma


NOWHERE = Place()
Known = Mapping[academic.RecordKey, academic.StoredRecord]


def of_subjects(tenant_id: str, subjects: Iterable[str], known: Known) -> dict[str, Place]:
    """The place of turmas of each subject: its course's unit (one batched read of courses;
    subjects come from the reference check that already read them)."""
    subjects = set(subjects)
    found = dict(known)
    missing = {(Entity.SUBJECTS, s) for s in subjects if (Entity.SUBJECTS, s) not in found}
    if missing:
        found |= academic.get_records(tenant_id, missing)
    course_of = {
        s: str(record.data["course_code"])
        for s in subjects
        if (record := found.get((Entity.SUBJECTS, s))) is not None
    }
    wanted = {(Entity.COURSES, c) for c in course_of.values() if (Entity.COURSES, c) not in found}
    if wanted:
        found |= academic.get_records(tenant_id, wanted)
    places: dict[str, Place] = {}
    for subject, course_code in course_of.items():
        course = found.get((Entity.COURSES, course_code))
        if course is not None:
            places[subject] = Place(str(course.data["unit_code"]), course_code)
    return places


def responsible(data: Mapping[str, Any]) -> str:
    """Who an area or course names responsible: their email, else their professor code."""
    email = data.get("responsible_email")
    if email:
        return str(email)
    code = data.get("responsible_code")
    return f"code:{code}" if code else ""


def counter_deltas(
    entity: Entity, data: Mapping[str, Any], stored: academic.StoredRecord | None, parent: str
) -> dict[str, int]:
    """How writing ``data`` over ``stored`` changes the tenant's counters."""
    deltas: dict[str, int] = {}

    def add(name: str, n: int) -> None:
        deltas[name] = deltas.get(name, 0) + n

    name = entity.value
    was_active = stored is not None and stored.status != "inactive"
    is_active = data.get("status") != "inactive"
    if stored is None:
        add(counters.total(name), 1)
    add(counters.active(name), int(is_active) - int(was_active))
    if entity is Entity.UNITS:  # active units per institution
        if was_active and stored is not None and stored.parent:
            add(counters.placed(name, stored.parent), -1)
        if is_active:
            add(counters.placed(name, parent), 1)
    if entity is Entity.ENROLLMENTS:  # every turma per unit, whatever its status
        if stored is not None and stored.parent:
            add(counters.placed(name, stored.parent), -1)
        if parent:
            add(counters.placed(name, parent), 1)
        old = stored.data if stored else {}
        add(counters.MEMBERSHIPS, _people(data) - (_people(old) if stored else 0))
        add(counters.SCHEDULES, len(data.get("schedules") or []) - len(old.get("schedules") or []))
    return {k: v for k, v in deltas.items() if v}


def _people(data: Mapping[str, Any]) -> int:
    """People in a turma: its students, its professor and its other members."""
    return len(data.get("student_codes") or []) + 1 + len(data.get("members") or [])


def follow(
    tenant_id: str,
    entity: Entity,
    changes: list[tuple[academic.StoredRecord, dict[str, Any]]],
    synced_at: datetime,
) -> int:
    """Move the turmas of courses that changed unit and of subjects that changed course;
    return how many moved. A turma rewritten meanwhile placed itself and is left alone."""
    moves: list[tuple[academic.StoredRecord, Place]] = []
    if entity is Entity.COURSES:
        for stored, data in changes:
            old_unit, new_unit = stored.data.get("unit_code"), data.get("unit_code")
            if old_unit != new_unit:
                turmas = academic.placed_records(
                    tenant_id, Entity.ENROLLMENTS, str(old_unit), via=stored.code
                )
                moves.extend((t, Place(str(new_unit), stored.code)) for t in turmas)
    elif entity is Entity.SUBJECTS:
        moved = [(s, d) for s, d in changes if s.data.get("course_code") != d.get("course_code")]
        wanted = {(Entity.COURSES, str(s.data["course_code"])) for s, _ in moved}
        wanted |= {(Entity.COURSES, str(d["course_code"])) for _, d in moved}
        courses = academic.get_records(tenant_id, wanted) if wanted else {}
        for stored, data in moved:
            old = courses.get((Entity.COURSES, str(stored.data["course_code"])))
            new = courses.get((Entity.COURSES, str(data["course_code"])))
            if old is None or new is None:
                continue
            turmas = academic.placed_records(
                tenant_id, Entity.ENROLLMENTS, str(old.data["unit_code"]), subject=stored.code
            )
            place = Place(str(new.data["unit_code"]), new.code)
            moves.extend((t, place) for t in turmas)
    plans = [
        academic.Plan(
            i,
            [academic.Move(Entity.ENROLLMENTS, turma.code, turma.version, place.parent, place.via)],
            {
                k: v
                for k, v in (
                    (counters.placed(Entity.ENROLLMENTS, turma.parent), -1),
                    (counters.placed(Entity.ENROLLMENTS, place.parent), 1),
                )
                if turma.parent != place.parent
            },
        )
        for i, (turma, place) in enumerate(moves)
    ]
    if plans:
        failures = academic.commit(tenant_id, plans, synced_at)
        return len(plans) - len(failures)
    return 0

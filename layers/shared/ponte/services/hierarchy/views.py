"""What the hierarchy queries answer, before it is shaped into the API's rows
(``ponte.http.hierarchy``): records, people and places, in the order the API lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ponte.domain.academic import Entity
from ponte.domain.hierarchy import PapelNaTurma
from ponte.services.hierarchy.catalog import Institution, Person, Record

Schedule = dict[str, Any]  # a horário as the ERP sent it: code, description


@dataclass(frozen=True, slots=True)
class Place:
    """Where a turma sits: its unit and that unit's institution (None when deactivated)."""

    unit: Record | None
    institution: Institution | None


@dataclass(frozen=True, slots=True)
class InstitutionItem:
    institution: Institution
    units: int


@dataclass(frozen=True, slots=True)
class UnitItem:
    unit: Record
    institution: Institution
    turmas: int


@dataclass(frozen=True, slots=True)
class TurmaItem:
    turma: Record
    unit: Record
    professor_name: str | None


@dataclass(frozen=True, slots=True)
class ScheduleItem:
    turma: Record
    schedule: Schedule
    people: list[Person]


@dataclass(frozen=True, slots=True)
class TurmaPeople:
    turma: Record
    schedules: list[Schedule]
    people: list[Person]


@dataclass(frozen=True, slots=True)
class UnitTree:
    unit: Record
    turmas: list[TurmaPeople]


@dataclass(frozen=True, slots=True)
class InstitutionTree:
    institution: Institution
    units: list[UnitTree]


@dataclass(frozen=True, slots=True)
class PlacedSchedule:
    item: ScheduleItem
    place: Place


@dataclass(frozen=True, slots=True)
class UserSchedule:
    turma: Record
    schedule: Schedule
    role: PapelNaTurma
    place: Place


@dataclass(frozen=True, slots=True)
class UserSchedules:
    entity: Entity
    person: Record
    schedules: list[UserSchedule]


@dataclass(frozen=True, slots=True)
class PersonInTurma:
    person: Person
    turma: Record
    place: Place


@dataclass(frozen=True, slots=True)
class Recipients:
    """How many of each the caller could reach (the tenant's maintained counts for an admin)."""

    institutions: int
    units: int
    turmas: int
    people: int  # distinct people
    memberships: int  # people in turmas, one per turma they are in
    schedules: int

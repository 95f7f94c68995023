"""What hierarchy answers are made of, read in bulk: the tenant's institutions and units, the
people of turmas, and each turma's people with their role.

People are read in bulk (by key when they are few, else by paging the entity's listing): the
request count follows the size of the answer, never one per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ponte.domain.academic import DEFAULT_INSTITUTION, Entity, search_text
from ponte.domain.hierarchy import PapelNaTurma
from ponte.repository import academic

Record = academic.StoredRecord


@dataclass(frozen=True, slots=True)
class Institution:
    code: str
    name: str
    address: str | None
    type: str


class Catalog:
    """The tenant's active institutions and units (two Queries, read on first use)."""

    def __init__(self, tenant_id: str, tenant_name: Callable[[], str]) -> None:
        self._tenant = tenant_id
        self._tenant_name = tenant_name

    @cached_property
    def units(self) -> dict[str, Record]:
        records = academic.all_records(self._tenant, Entity.UNITS)
        return {r.code: r for r in records if r.status != "inactive"}

    @cached_property
    def institutions(self) -> dict[str, Institution]:
        found = {
            r.code: Institution(
                r.code, str(r.data["name"]), r.data.get("address"), str(r.data["type"])
            )
            for r in academic.all_records(self._tenant, Entity.INSTITUTIONS)
            if r.status != "inactive"
        }
        in_use = any(u.parent == DEFAULT_INSTITUTION for u in self.units.values())
        if in_use and DEFAULT_INSTITUTION not in found:  # units the ERP did not place
            found[DEFAULT_INSTITUTION] = Institution(
                DEFAULT_INSTITUTION, self._tenant_name(), None, "Matriz"
            )
        return found

    def units_of(self, institution: str) -> list[Record]:
        return [u for u in self.units.values() if u.parent == institution]

    def unit_name(self, code: str) -> str | None:
        unit = self.units.get(code)
        return str(unit.data["name"]) if unit else None

    def institution_of(self, unit_code: str) -> Institution | None:
        unit = self.units.get(unit_code)
        return self.institutions.get(unit.parent) if unit else None


@dataclass(frozen=True, slots=True)
class Person:
    code: str
    name: str | None
    phone: str | None
    role: PapelNaTurma


def people_of(tenant_id: str, turmas: Iterable[Record]) -> dict[academic.RecordKey, Record]:
    """The student and professor records of everyone in ``turmas``."""
    students: set[str] = set()
    professors: set[str] = set()
    for turma in turmas:
        students.update(turma.data.get("student_codes") or [])
        professors.add(str(turma.data["professor_code"]))
        for member in turma.data.get("members") or []:  # a student's or a professor's code
            students.add(str(member["code"]))
            professors.add(str(member["code"]))
    return academic.records_by_code(
        tenant_id, {Entity.STUDENTS: students, Entity.PROFESSORS: professors}
    )


def members(turma: Record, people: Mapping[academic.RecordKey, Record]) -> list[Person]:
    """Everyone in a turma with their role: students (Aluno), its professor (Professor) and
    its other members (a member's code is a student's, else a professor's)."""

    def person(entity: Entity, code: str, role: PapelNaTurma) -> Person:
        record = people.get((entity, code))
        data: dict[str, Any] = record.data if record else {}
        return Person(code, data.get("name"), data.get("phone"), role)

    found = [
        person(Entity.STUDENTS, str(code), PapelNaTurma.Aluno)
        for code in turma.data.get("student_codes") or []
    ]
    found.append(
        person(Entity.PROFESSORS, str(turma.data["professor_code"]), PapelNaTurma.Professor)
    )
    for member in turma.data.get("members") or []:
        code = str(member["code"])
        entity = Entity.STUDENTS if (Entity.STUDENTS, code) in people else Entity.PROFESSORS
        found.append(person(entity, code, PapelNaTurma[str(member["role"])]))
    return sorted(found, key=lambda p: (sort_key(p.name or p.code), p.code, p.role))


def turma_name(turma: Record) -> str:
    return str(turma.data.get("name") or turma.code)


def sort_key(name: str) -> str:
    """Alphabetical order as people read it: case- and accent-insensitive."""
    return search_text(name)

"""The eleven hierarchy queries, each answering views (``views``) that ``ponte.http.hierarchy``
shapes into the API's rows.

Ids in paths are the ERP's codes. Results are ordered by name (case- and accent-insensitive).
Soft-deleted institutions, units and people are left out; a turma keeps showing with its own
status (Ativa/Inativa/Suspensa).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from ponte import errors
from ponte.domain import cpf as cpf_rules
from ponte.domain.academic import Entity
from ponte.domain.hierarchy import PapelNaTurma
from ponte.repository import academic, counters
from ponte.services.hierarchy.catalog import (
    Catalog,
    Institution,
    Person,
    Record,
    members,
    people_of,
    sort_key,
    turma_name,
)
from ponte.services.hierarchy.views import (
    InstitutionItem,
    InstitutionTree,
    PersonInTurma,
    Place,
    PlacedSchedule,
    Recipients,
    Schedule,
    ScheduleItem,
    TurmaItem,
    TurmaPeople,
    UnitItem,
    UnitTree,
    UserSchedule,
    UserSchedules,
)
from ponte.services.hierarchy.visibility import Visibility

INSTITUTION_NOT_FOUND = "Instituição não encontrada"
UNIT_NOT_FOUND = "Unidade não encontrada"
TURMA_NOT_FOUND = "Turma não encontrada"
SCHEDULE_NOT_FOUND = "Horário não encontrado"
USER_NOT_FOUND = "Usuário não encontrado"


@dataclass(frozen=True, slots=True)
class Filters:
    """``buscar-usuarios`` filters, already checked for shape."""

    institution: str = ""
    unit: str = ""
    turma: str = ""
    role: PapelNaTurma | None = None


def _denied(what: str) -> errors.DomainError:
    return errors.forbidden(details=f"Fora do seu escopo: {what}")


def _by_name[T](items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: sort_key(name(item)))


class HierarchyService:
    def __init__(self, tenant_id: str, visibility: Visibility, catalog: Catalog) -> None:
        self._tenant = tenant_id
        self._visibility = visibility
        self._catalog = catalog

    # -- navigation ------------------------------------------------------------------------
    def institutions(self) -> list[InstitutionItem]:
        units = self._visible_units()
        answer = []
        for institution in self._catalog.institutions.values():
            count = sum(1 for u in units if u.parent == institution.code)
            if count or self._visibility.everything:
                answer.append(InstitutionItem(institution, count))
        return _by_name(answer, lambda i: i.institution.name)

    def units(self, institution_code: str) -> list[UnitItem]:
        institution = self._institution_or_404(institution_code)
        units = [u for u in self._visible_units() if u.parent == institution.code]
        if not units and not self._visibility.everything:
            raise _denied(f"instituição {institution_code}")
        totals = (
            counters.get(self._tenant)
            if any(self._visibility.sees_whole_unit(u.code) for u in units)
            else {}
        )
        mine = self._single_turmas
        answer = []
        for unit in units:
            if self._visibility.sees_whole_unit(unit.code):
                count = int(totals.get(counters.placed(Entity.ENROLLMENTS, unit.code), 0))
            else:
                count = sum(1 for t in mine if t.parent == unit.code)
            answer.append(UnitItem(unit, institution, count))
        return _by_name(answer, lambda u: str(u.unit.data["name"]))

    def turmas(self, unit_code: str) -> list[TurmaItem]:
        unit = self._unit_or_404(unit_code)
        turmas = academic.placed_records(self._tenant, Entity.ENROLLMENTS, unit.code)
        visible = [t for t in turmas if self._visibility.sees_turma(t)]
        if not visible and not self._visibility.sees_whole_unit(unit.code):
            raise _denied(f"unidade {unit_code}")
        professors = {str(t.data["professor_code"]) for t in visible}
        people = academic.get_records(self._tenant, ((Entity.PROFESSORS, p) for p in professors))
        answer = []
        for turma in visible:
            professor = people.get((Entity.PROFESSORS, str(turma.data["professor_code"])))
            name = professor.data.get("name") if professor else None
            answer.append(TurmaItem(turma, unit, name))
        return _by_name(answer, lambda t: turma_name(t.turma))

    def schedules(self, turma_code: str) -> list[ScheduleItem]:
        turma = self._turma_or_404(turma_code)
        people = self._people([turma])[turma.code]
        return [ScheduleItem(turma, s, people) for s in _schedules_of(turma)]

    def students(self, turma_code: str) -> TurmaPeople:
        turma = self._turma_or_404(turma_code)
        return TurmaPeople(turma, _schedules_of(turma), self._people([turma])[turma.code])

    def complete(self, institution_code: str) -> InstitutionTree:
        institution = self._institution_or_404(institution_code)
        units = [u for u in self._visible_units() if u.parent == institution.code]
        if not units and not self._visibility.everything:
            raise _denied(f"instituição {institution_code}")
        placed = {u.code for u in units}
        turmas = [
            t
            for t in academic.all_records(self._tenant, Entity.ENROLLMENTS)
            if t.parent in placed and self._visibility.sees_turma(t)
        ]
        people = self._people(turmas)
        by_unit: dict[str, list[Record]] = {}
        for turma in turmas:
            by_unit.setdefault(turma.parent, []).append(turma)
        tree = [
            UnitTree(
                unit,
                [
                    TurmaPeople(turma, [], people[turma.code])
                    for turma in _by_name(by_unit.get(unit.code, []), turma_name)
                ],
            )
            for unit in _by_name(units, lambda u: str(u.data["name"]))
        ]
        return InstitutionTree(institution, tree)

    # -- horários and people ---------------------------------------------------------------
    def complete_schedule(self, schedule_code: str) -> PlacedSchedule:
        owners = academic.get_claims(
            self._tenant, [(Entity.ENROLLMENTS, "schedule", schedule_code)]
        )
        turma_code = owners.get((Entity.ENROLLMENTS, "schedule", schedule_code))
        turma = self._turma(turma_code) if turma_code else None
        schedules = _schedules_of(turma) if turma else []
        schedule = next((s for s in schedules if s["code"] == schedule_code), None)
        if turma is None or schedule is None:
            raise errors.not_found(SCHEDULE_NOT_FOUND)
        if not self._visibility.sees_turma(turma):
            raise _denied(f"horário {schedule_code}")
        item = ScheduleItem(turma, schedule, self._people([turma])[turma.code])
        return PlacedSchedule(item, self._place(turma))

    def user_schedules(self, identification: str) -> UserSchedules:
        entity, person = self._identify(identification)
        roles: dict[str, PapelNaTurma] = {}
        if entity == Entity.STUDENTS:
            turma_codes = academic.student_turmas(self._tenant, person.code)
            roles |= dict.fromkeys(turma_codes, PapelNaTurma.Aluno)
        else:
            links = academic.professor_enrollments(self._tenant, person.code)
            roles |= {str(x["enrollment_code"]): PapelNaTurma.Professor for x in links}
        for turma_code, role in academic.member_turmas(self._tenant, person.code):
            roles.setdefault(turma_code, PapelNaTurma[role])
        found = academic.get_records(self._tenant, ((Entity.ENROLLMENTS, t) for t in roles))
        turmas = [t for t in found.values() if self._visibility.sees_turma(t)]
        if not self._sees_user(entity, person.code, bool(turmas)):
            raise _denied(f"usuário {identification}")
        schedules = [
            UserSchedule(turma, schedule, roles[turma.code], self._place(turma))
            for turma in turmas
            for schedule in _schedules_of(turma)
        ]
        schedules.sort(
            key=lambda s: (
                sort_key(turma_name(s.turma)),
                sort_key(str(s.schedule["description"])),
            )
        )
        return UserSchedules(entity, person, schedules)

    def all_schedules(self) -> list[ScheduleItem]:
        """Every horário of the tenant with everyone in its turma (names not read)."""
        turmas = _by_name(academic.all_records(self._tenant, Entity.ENROLLMENTS), turma_name)
        return [
            ScheduleItem(turma, schedule, members(turma, {}))
            for turma in turmas
            for schedule in _schedules_of(turma)
        ]

    def search_users(self, filters: Filters) -> list[PersonInTurma]:
        turmas = self._search_turmas(filters)
        people = self._people(turmas)
        rows = [
            PersonInTurma(p, turma, self._place(turma))
            for turma in turmas
            for p in people[turma.code]
            if filters.role is None or p.role is filters.role
        ]
        rows.sort(key=lambda r: (sort_key(r.person.name or ""), sort_key(turma_name(r.turma))))
        return rows

    def recipients(self) -> Recipients:
        if self._visibility.everything:
            totals = counters.get(self._tenant)

            def active(entity: Entity) -> int:
                return int(totals.get(counters.active(entity), 0))

            return Recipients(
                institutions=len(self._catalog.institutions),
                units=active(Entity.UNITS),
                turmas=active(Entity.ENROLLMENTS),
                people=active(Entity.STUDENTS) + active(Entity.PROFESSORS),
                memberships=int(totals.get(counters.MEMBERSHIPS, 0)),
                schedules=int(totals.get(counters.SCHEDULES, 0)),
            )
        turmas = self._own_turmas()
        units = {t.parent for t in turmas if t.parent in self._catalog.units}
        rows = [
            (t.code, p.code)
            for t in turmas
            for p in members(t, {})
            if self._visibility.sees_person(p.code, p.role)
        ]
        return Recipients(
            institutions=len({self._catalog.units[u].parent for u in units}),
            units=len(units),
            turmas=sum(1 for t in turmas if t.status != "inactive"),
            people=len({code for _, code in rows}),
            memberships=len(rows),
            schedules=sum(len(_schedules_of(t)) for t in turmas),
        )

    # -- helpers ---------------------------------------------------------------------------
    def _sees_user(self, entity: str, code: str, shares_a_turma: bool) -> bool:
        seen = self._visibility
        if seen.everything:
            return True
        if seen.students is not None:  # a guardian: their own students only
            return entity == Entity.STUDENTS and code in seen.students
        return shares_a_turma or (
            entity == Entity.PROFESSORS and seen.identity.get("professor") == code
        )

    def _institution_or_404(self, code: str) -> Institution:
        institution = self._catalog.institutions.get(code)
        if institution is None:
            raise errors.not_found(INSTITUTION_NOT_FOUND)
        return institution

    def _unit_or_404(self, code: str) -> Record:
        unit = self._catalog.units.get(code)
        if unit is None:
            raise errors.not_found(UNIT_NOT_FOUND)
        return unit

    def _turma(self, code: str) -> Record | None:
        return academic.get_records(self._tenant, [(Entity.ENROLLMENTS, code)]).get(
            (Entity.ENROLLMENTS, code)
        )

    def _turma_or_404(self, code: str) -> Record:
        turma = self._turma(code)
        if turma is None:
            raise errors.not_found(TURMA_NOT_FOUND)
        if not self._visibility.sees_turma(turma):
            raise _denied(f"turma {code}")
        return turma

    def _visible_units(self) -> list[Record]:
        """Units the caller can navigate: whole units, or units holding one of their turmas."""
        units = self._catalog.units
        if self._visibility.everything:
            return list(units.values())
        codes = set(self._visibility.units) | {t.parent for t in self._single_turmas}
        return [units[c] for c in sorted(codes) if c in units]

    @cached_property
    def _single_turmas(self) -> list[Record]:
        """The turmas a professor or guardian sees one by one (one batched read)."""
        wanted = ((Entity.ENROLLMENTS, t) for t in self._visibility.turmas)
        return (
            list(academic.get_records(self._tenant, wanted).values())
            if self._visibility.turmas
            else []
        )

    def _own_turmas(self) -> list[Record]:
        """The caller's turmas: those of their whole units (a Query each), and single ones."""
        found = {
            t.code: t
            for unit in sorted(self._visibility.units)
            for t in academic.placed_records(self._tenant, Entity.ENROLLMENTS, unit)
        }
        return list(found.values()) + [t for t in self._single_turmas if t.code not in found]

    def _people(self, turmas: list[Record]) -> dict[str, list[Person]]:
        """Each turma's people the caller may see, named (people read in bulk)."""
        found = people_of(self._tenant, turmas)
        return {
            t.code: [p for p in members(t, found) if self._visibility.sees_person(p.code, p.role)]
            for t in turmas
        }

    def _place(self, turma: Record) -> Place:
        return Place(
            self._catalog.units.get(turma.parent), self._catalog.institution_of(turma.parent)
        )

    def _identify(self, identification: str) -> tuple[Entity, Record]:
        """A student or professor by code, email, CPF or username (one batched read, and one
        more for the record a unique value points at)."""
        value = identification.strip()
        lookups: list[academic.ClaimKey] = []
        for entity in (Entity.STUDENTS, Entity.PROFESSORS):
            if "@" in value:
                lookups.append((entity, "email", value.lower()))
            digits = cpf_rules.normalize(value)
            if cpf_rules.is_digits(digits):
                lookups.append((entity, "cpf", digits))
            lookups.append((entity, "username", value))
        by_code, owners = academic.lookup(
            self._tenant, [(Entity.STUDENTS, value), (Entity.PROFESSORS, value)], lookups
        )
        for entity in (Entity.STUDENTS, Entity.PROFESSORS):
            record = by_code.get((entity, value))
            if record is not None and record.status != "inactive":
                return entity, record
        pointed = [(e, owner) for e, f, v in lookups if (owner := owners.get((e, f, v)))]
        found = academic.get_records(self._tenant, pointed) if pointed else {}
        for key in pointed:  # in lookup order: email, CPF, then username
            record = found.get(key)
            if record is not None and record.status != "inactive":
                return key[0], record
        raise errors.not_found(USER_NOT_FOUND)

    def _search_turmas(self, filters: Filters) -> list[Record]:
        if filters.institution:
            institution = self._institution_or_404(filters.institution)
        if filters.unit:
            unit = self._unit_or_404(filters.unit)
            if filters.institution and unit.parent != institution.code:
                raise errors.bad_request(
                    f"A unidade {filters.unit} não pertence à instituição {filters.institution}"
                )
        if filters.turma:
            turma = self._turma(filters.turma)
            if turma is None:
                raise errors.not_found(TURMA_NOT_FOUND)
            if filters.unit and turma.parent != filters.unit:
                raise errors.bad_request(
                    f"A turma {filters.turma} não pertence à unidade {filters.unit}"
                )
            if filters.institution and turma.parent not in {
                u.code for u in self._catalog.units_of(institution.code)
            }:
                raise errors.bad_request(
                    f"A turma {filters.turma} não pertence à instituição {filters.institution}"
                )
            turmas = [turma]
        elif filters.unit:
            turmas = academic.placed_records(self._tenant, Entity.ENROLLMENTS, filters.unit)
        else:
            turmas = academic.all_records(self._tenant, Entity.ENROLLMENTS)
            if filters.institution:
                units = {u.code for u in self._catalog.units_of(institution.code)}
                turmas = [t for t in turmas if t.parent in units]
        active = self._catalog.units  # turmas of a deactivated unit are out of the hierarchy
        visible = [t for t in turmas if t.parent in active and self._visibility.sees_turma(t)]
        target = filters.turma or filters.unit or filters.institution
        if target and turmas and not visible:
            raise _denied(target)
        return visible


def _schedules_of(turma: Record) -> list[Schedule]:
    return _by_name(list(turma.data.get("schedules") or []), lambda s: str(s["description"]))

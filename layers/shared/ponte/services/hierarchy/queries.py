"""The eleven hierarchy queries (seed 002), each answering the seed's JSON structures.

Ids in paths are the ERP's codes and every ``id`` in an answer carries a code. Results are
ordered by name (case- and accent-insensitive); enums carry the seed's number, with the name
beside it (``tipoNome``, ``statusNome``, ``papelNome``). Soft-deleted institutions, units and
people are left out; a turma keeps showing with its own status (Ativa/Inativa/Suspensa).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ponte import errors
from ponte.domain import cpf as cpf_rules
from ponte.domain.academic import Entity
from ponte.domain.hierarchy import PapelNaTurma, StatusTurma, TipoInstituicao
from ponte.repository import academic as repo
from ponte.repository import counters
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
from ponte.services.hierarchy.scope import Visibility

_TURMAS, _STUDENTS, _PROFESSORS = (
    Entity.ENROLLMENTS.value,
    Entity.STUDENTS.value,
    Entity.PROFESSORS.value,
)
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


def _denied(what: str) -> errors.ApiError:
    return errors.ApiError(
        403, "FORBIDDEN", "Acesso negado", "Access denied", details=f"Fora do seu escopo: {what}"
    )


def _kind(name: str | None) -> dict[str, Any]:
    kind = TipoInstituicao[name] if name else None
    return {"tipo": int(kind) if kind else None, "tipoNome": kind.name if kind else None}


def _status(turma: Record) -> dict[str, Any]:
    status = StatusTurma.of(turma.status)
    return {"status": int(status), "statusNome": status.name}


def _by_name[T](items: Iterable[T], name: Callable[[T], str]) -> list[T]:
    return sorted(items, key=lambda item: sort_key(name(item)))


class HierarchyService:
    def __init__(self, tenant_id: str, visibility: Visibility, catalog: Catalog) -> None:
        self._tenant = tenant_id
        self._scope = visibility
        self._catalog = catalog

    # -- navigation ------------------------------------------------------------------------
    def institutions(self) -> list[dict[str, Any]]:
        units = self._visible_units()
        answer = []
        for institution in self._catalog.institutions.values():
            count = sum(1 for u in units if u.parent == institution.code)
            if count or self._scope.everything:
                answer.append(self._institution(institution) | {"unidadesCount": count})
        return _by_name(answer, lambda i: str(i["nome"]))

    def units(self, institution_code: str) -> list[dict[str, Any]]:
        institution = self._institution_or_404(institution_code)
        units = [u for u in self._visible_units() if u.parent == institution.code]
        if not units and not self._scope.everything:
            raise _denied(f"instituição {institution_code}")
        totals = (
            counters.get(self._tenant)
            if any(self._scope.sees_whole_unit(u.code) for u in units)
            else {}
        )
        mine = self._single_turmas
        answer = []
        for unit in units:
            if self._scope.sees_whole_unit(unit.code):
                count = int(totals.get(counters.placed(_TURMAS, unit.code), 0))
            else:
                count = sum(1 for t in mine if t.parent == unit.code)
            answer.append(
                {
                    "id": unit.code,
                    "nome": unit.data["name"],
                    "local": unit.data.get("address"),
                    **_kind(unit.data.get("type")),
                    "instituicaoId": institution.code,
                    "instituicaoNome": institution.name,
                    "turmasCount": count,
                }
            )
        return _by_name(answer, lambda u: str(u["nome"]))

    def turmas(self, unit_code: str) -> list[dict[str, Any]]:
        unit = self._unit_or_404(unit_code)
        turmas = repo.placed_records(self._tenant, _TURMAS, unit.code)
        visible = [t for t in turmas if self._scope.sees_turma(t)]
        if not visible and not self._scope.sees_whole_unit(unit.code):
            raise _denied(f"unidade {unit_code}")
        professors = {str(t.data["professor_code"]) for t in visible}
        people = repo.get_records(self._tenant, ((_PROFESSORS, p) for p in professors))
        answer = []
        for turma in visible:
            professor = people.get((_PROFESSORS, str(turma.data["professor_code"])))
            answer.append(
                {
                    "id": turma.code,
                    "nome": turma_name(turma),
                    **_status(turma),
                    "unidadeId": unit.code,
                    "unidadeNome": unit.data["name"],
                    "responsavelNome": professor.data.get("name") if professor else None,
                    "alunosCount": len(turma.data.get("student_codes") or []),
                }
            )
        return _by_name(answer, lambda t: str(t["nome"]))

    def schedules(self, turma_code: str) -> list[dict[str, Any]]:
        turma = self._turma_or_404(turma_code)
        people = self._people([turma])
        return [self._schedule(turma, s, people) for s in _schedules_of(turma)]

    def students(self, turma_code: str) -> list[dict[str, Any]]:
        turma = self._turma_or_404(turma_code)
        descriptions = [str(s["description"]) for s in _schedules_of(turma)]
        return [
            {
                "turmaId": turma.code,
                "turmaNome": turma_name(turma),
                "usuarioNome": p.name,
                "usuarioId": p.code,
                "papelId": int(p.role),
                "papelNome": p.role.name,
                "horarioDescricao": "; ".join(descriptions) or None,
            }
            for p in self._people([turma])[turma.code]
        ]

    def complete(self, institution_code: str) -> dict[str, Any]:
        institution = self._institution_or_404(institution_code)
        units = [u for u in self._visible_units() if u.parent == institution.code]
        if not units and not self._scope.everything:
            raise _denied(f"instituição {institution_code}")
        placed = {u.code for u in units}
        turmas = [
            t
            for t in repo.all_records(self._tenant, _TURMAS)
            if t.parent in placed and self._scope.sees_turma(t)
        ]
        people = self._people(turmas)
        by_unit: dict[str, list[Record]] = {}
        for turma in turmas:
            by_unit.setdefault(turma.parent, []).append(turma)
        tree_units = []
        for unit in _by_name(units, lambda u: str(u.data["name"])):
            tree_turmas = [
                {
                    "id": turma.code,
                    "nome": turma_name(turma),
                    **_status(turma),
                    "alunos": [
                        {
                            "usuarioId": p.code,
                            "usuarioNome": p.name,
                            "papelNaTurma": int(p.role),
                            "papelNome": p.role.name,
                        }
                        for p in people[turma.code]
                    ],
                }
                for turma in _by_name(by_unit.get(unit.code, []), turma_name)
            ]
            tree_units.append(
                {
                    "id": unit.code,
                    "nome": unit.data["name"],
                    "local": unit.data.get("address"),
                    **_kind(unit.data.get("type")),
                    "turmas": tree_turmas,
                }
            )
        return self._institution(institution) | {"unidades": tree_units}

    # -- horários and people ---------------------------------------------------------------
    def complete_schedule(self, schedule_code: str) -> dict[str, Any]:
        owners = repo.get_claims(self._tenant, [(_TURMAS, "schedule", schedule_code)])
        turma_code = owners.get((_TURMAS, "schedule", schedule_code))
        turma = self._turma(turma_code) if turma_code else None
        schedules = _schedules_of(turma) if turma else []
        schedule = next((s for s in schedules if s["code"] == schedule_code), None)
        if turma is None or schedule is None:
            raise errors.not_found(SCHEDULE_NOT_FOUND)
        if not self._scope.sees_turma(turma):
            raise _denied(f"horário {schedule_code}")
        answer = self._schedule(turma, schedule, self._people([turma]))
        return (
            answer | _status(turma) | {"turmaStatus": _status(turma)["status"]} | self._place(turma)
        )

    def user_schedules(self, identification: str) -> dict[str, Any]:
        entity, person = self._identify(identification)
        roles: dict[str, PapelNaTurma] = {}
        if entity == _STUDENTS:
            turma_codes = repo.student_turmas(self._tenant, person.code)
            roles |= dict.fromkeys(turma_codes, PapelNaTurma.Aluno)
        else:
            links = repo.professor_enrollments(self._tenant, person.code)
            roles |= {str(x["enrollment_code"]): PapelNaTurma.Professor for x in links}
        for turma_code, role in repo.member_turmas(self._tenant, person.code):
            roles.setdefault(turma_code, PapelNaTurma[role])
        found = repo.get_records(self._tenant, ((_TURMAS, t) for t in roles))
        turmas = [t for t in found.values() if self._scope.sees_turma(t)]
        if not self._sees_user(entity, person.code, bool(turmas)):
            raise _denied(f"usuário {identification}")
        schedules = []
        for turma in turmas:
            papel = roles[turma.code]
            for schedule in _schedules_of(turma):
                schedules.append(
                    {
                        "id": schedule["code"],
                        "turmaId": turma.code,
                        "turmaNome": turma_name(turma),
                        "descHorario": schedule["description"],
                        "papelId": int(papel),
                        "papelNome": papel.name,
                        **_status(turma),
                        **self._place(turma),
                    }
                )
        schedules.sort(
            key=lambda s: (sort_key(str(s["turmaNome"])), sort_key(str(s["descHorario"])))
        )
        return {
            "usuario": {
                "id": person.code,
                "nome": person.data.get("name"),
                "email": person.data.get("email"),
                "tipo": "aluno" if entity == _STUDENTS else "professor",
            },
            "horarios": schedules,
        }

    def all_schedules(self) -> dict[str, Any]:
        turmas = _by_name(repo.all_records(self._tenant, _TURMAS), turma_name)
        by_turma: list[dict[str, Any]] = []
        by_user: list[dict[str, Any]] = []
        for turma in turmas:
            people = members(turma, {})
            for schedule in _schedules_of(turma):
                by_turma.append(
                    {
                        "id": schedule["code"],
                        "turmaId": turma.code,
                        "turmaNome": turma_name(turma),
                        "descHorario": schedule["description"],
                    }
                )
                by_user.extend(
                    {
                        "id": f"{schedule['code']}:{p.code}",
                        "horarioId": schedule["code"],
                        "usuarioId": p.code,
                        "papelId": int(p.role),
                        "papelNome": p.role.name,
                    }
                    for p in people
                )
        return {"horarioTurmas": by_turma, "horarioUsuarios": by_user}

    def search_users(self, filters: Filters) -> list[dict[str, Any]]:
        turmas = self._search_turmas(filters)
        people = self._people(turmas)
        rows = []
        for turma in turmas:
            place = self._place(turma)
            for p in people[turma.code]:
                if filters.role is not None and p.role is not filters.role:
                    continue
                rows.append(
                    {
                        "usuarioId": p.code,
                        "usuarioNome": p.name,
                        "usuarioCelular": p.phone,
                        "papelNaTurma": int(p.role),
                        "papelNome": p.role.name,
                        "turmaId": turma.code,
                        "turmaNome": turma_name(turma),
                        **place,
                    }
                )
        rows.sort(
            key=lambda r: (sort_key(str(r["usuarioNome"] or "")), sort_key(str(r["turmaNome"])))
        )
        return rows

    def recipients(self) -> dict[str, int]:
        if self._scope.everything:
            totals = counters.get(self._tenant)

            def active(entity: Entity) -> int:
                return int(totals.get(counters.active(entity.value), 0))

            return {
                "instituicoes": len(self._catalog.institutions),
                "unidades": active(Entity.UNITS),
                "turmas": active(Entity.ENROLLMENTS),
                "usuarios": active(Entity.STUDENTS) + active(Entity.PROFESSORS),
                "cadastros": int(totals.get(counters.MEMBERSHIPS, 0)),
                "horarios": int(totals.get(counters.SCHEDULES, 0)),
            }
        turmas = self._own_turmas()
        units = {t.parent for t in turmas if t.parent in self._catalog.units}
        rows = [
            (t.code, p.code)
            for t in turmas
            for p in members(t, {})
            if self._scope.sees_person(p.code, p.role)
        ]
        return {
            "instituicoes": len({self._catalog.units[u].parent for u in units}),
            "unidades": len(units),
            "turmas": sum(1 for t in turmas if t.status != "inactive"),
            "usuarios": len({code for _, code in rows}),
            "cadastros": len(rows),
            "horarios": sum(len(_schedules_of(t)) for t in turmas),
        }

    # -- helpers ---------------------------------------------------------------------------
    def _sees_user(self, entity: str, code: str, shares_a_turma: bool) -> bool:
        scope = self._scope
        if scope.everything:
            return True
        if scope.students is not None:  # a guardian: their own students only
            return entity == _STUDENTS and code in scope.students
        return shares_a_turma or (entity == _PROFESSORS and scope.identity.get("professor") == code)

    def _institution(self, institution: Institution) -> dict[str, Any]:
        return {
            "id": institution.code,
            "nome": institution.name,
            "local": institution.address,
            **_kind(institution.type),
        }

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
        return repo.get_records(self._tenant, [(_TURMAS, code)]).get((_TURMAS, code))

    def _turma_or_404(self, code: str) -> Record:
        turma = self._turma(code)
        if turma is None:
            raise errors.not_found(TURMA_NOT_FOUND)
        if not self._scope.sees_turma(turma):
            raise _denied(f"turma {code}")
        return turma

    def _visible_units(self) -> list[Record]:
        """Units the caller can navigate: whole units, or units holding one of their turmas."""
        units = self._catalog.units
        if self._scope.everything:
            return list(units.values())
        codes = set(self._scope.units) | {t.parent for t in self._single_turmas}
        return [units[c] for c in sorted(codes) if c in units]

    @cached_property
    def _single_turmas(self) -> list[Record]:
        """The turmas a professor or guardian sees one by one (one batched read)."""
        wanted = ((_TURMAS, t) for t in self._scope.turmas)
        return list(repo.get_records(self._tenant, wanted).values()) if self._scope.turmas else []

    def _own_turmas(self) -> list[Record]:
        """The caller's turmas: those of their whole units (a Query each), and single ones."""
        found = {
            t.code: t
            for unit in sorted(self._scope.units)
            for t in repo.placed_records(self._tenant, _TURMAS, unit)
        }
        return list(found.values()) + [t for t in self._single_turmas if t.code not in found]

    def _people(self, turmas: list[Record]) -> dict[str, list[Person]]:
        """Each turma's people the caller may see, named (people read in bulk)."""
        found = people_of(self._tenant, turmas)
        return {
            t.code: [p for p in members(t, found) if self._scope.sees_person(p.code, p.role)]
            for t in turmas
        }

    def _schedule(
        self, turma: Record, schedule: dict[str, Any], people: dict[str, list[Person]]
    ) -> dict[str, Any]:
        return {
            "id": schedule["code"],
            "turmaId": turma.code,
            "turmaNome": turma_name(turma),
            "descHorario": schedule["description"],
            "usuarios": [
                {
                    "id": f"{schedule['code']}:{p.code}",
                    "usuarioId": p.code,
                    "usuarioNome": p.name,
                    "papelId": int(p.role),
                    "papelNome": p.role.name,
                }
                for p in people[turma.code]
            ],
        }

    def _place(self, turma: Record) -> dict[str, Any]:
        unit = self._catalog.units.get(turma.parent)
        institution = self._catalog.institution_of(turma.parent)
        return {
            "unidadeId": unit.code if unit else None,
            "unidadeNome": unit.data["name"] if unit else None,
            "instituicaoId": institution.code if institution else None,
            "instituicaoNome": institution.name if institution else None,
        }

    def _identify(self, identification: str) -> tuple[str, Record]:
        """A student or professor by code, email, CPF or username (one batched read, and one
        more for the record a unique value points at)."""
        value = identification.strip()
        lookups: list[tuple[str, str, str]] = []
        for entity in (_STUDENTS, _PROFESSORS):
            if "@" in value:
                lookups.append((entity, "email", value.lower()))
            digits = cpf_rules.normalize(value)
            if len(digits) == 11 and digits.isdigit():
                lookups.append((entity, "cpf", digits))
            lookups.append((entity, "username", value))
        by_code, owners = repo.lookup(
            self._tenant, [(_STUDENTS, value), (_PROFESSORS, value)], lookups
        )
        for entity in (_STUDENTS, _PROFESSORS):
            record = by_code.get((entity, value))
            if record is not None and record.status != "inactive":
                return entity, record
        pointed = [(e, owner) for e, f, v in lookups if (owner := owners.get((e, f, v)))]
        found = repo.get_records(self._tenant, pointed) if pointed else {}
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
            turmas = repo.placed_records(self._tenant, _TURMAS, filters.unit)
        else:
            turmas = repo.all_records(self._tenant, _TURMAS)
            if filters.institution:
                units = {u.code for u in self._catalog.units_of(institution.code)}
                turmas = [t for t in turmas if t.parent in units]
        active = self._catalog.units  # turmas of a deactivated unit are out of the hierarchy
        visible = [t for t in turmas if t.parent in active and self._scope.sees_turma(t)]
        target = filters.turma or filters.unit or filters.institution
        if target and turmas and not visible:
            raise _denied(target)
        return visible


def _schedules_of(turma: Record) -> list[dict[str, Any]]:
    return _by_name(list(turma.data.get("schedules") or []), lambda s: str(s["description"]))

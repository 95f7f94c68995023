"""Response shapes of the hierarchy API: its documented JSON rows, built from the queries' views.

Every ``id`` carries an ERP code; enums carry the documented number with the name beside it
(``tipoNome``, ``statusNome``, ``papelNome``, additive).
"""

from __future__ import annotations

from typing import Any

from ponte.domain.academic import Entity
from ponte.domain.hierarchy import StatusTurma, TipoInstituicao
from ponte.services.hierarchy.catalog import Institution, Person, Record, turma_name
from ponte.services.hierarchy.views import (
    InstitutionItem,
    InstitutionTree,
    PersonInTurma,
    Place,
    PlacedSchedule,
    Recipients,
    ScheduleItem,
    TurmaItem,
    TurmaPeople,
    UnitItem,
    UserSchedules,
)

Row = dict[str, Any]


def _kind(name: str | None) -> Row:
    kind = TipoInstituicao[name] if name else None
    return {"tipo": int(kind) if kind else None, "tipoNome": kind.name if kind else None}


def _status(turma: Record) -> Row:
    status = StatusTurma.of(turma.status)
    return {"status": int(status), "statusNome": status.name}


def _institution(institution: Institution) -> Row:
    return {
        "id": institution.code,
        "nome": institution.name,
        "local": institution.address,
        **_kind(institution.type),
    }


def _unit(unit: Record) -> Row:
    return {
        "id": unit.code,
        "nome": unit.data["name"],
        "local": unit.data.get("address"),
        **_kind(unit.data.get("type")),
    }


def _turma(turma: Record) -> Row:
    return {"turmaId": turma.code, "turmaNome": turma_name(turma)}


def _person(person: Person, role_field: str = "papelId", *, named: bool = True) -> Row:
    """A person in a turma; the API names the role's number ``papelId`` or ``papelNaTurma``
    depending on the endpoint."""
    row: Row = {"usuarioId": person.code}
    if named:
        row["usuarioNome"] = person.name
    return row | {role_field: int(person.role), "papelNome": person.role.name}


def _place(place: Place) -> Row:
    unit, institution = place.unit, place.institution
    return {
        "unidadeId": unit.code if unit else None,
        "unidadeNome": unit.data["name"] if unit else None,
        "instituicaoId": institution.code if institution else None,
        "instituicaoNome": institution.name if institution else None,
    }


def _schedule(item: ScheduleItem) -> Row:
    code = item.schedule["code"]
    return {
        "id": code,
        **_turma(item.turma),
        "descHorario": item.schedule["description"],
        "usuarios": [{"id": f"{code}:{p.code}", **_person(p)} for p in item.people],
    }


def institutions(items: list[InstitutionItem]) -> list[Row]:
    return [_institution(i.institution) | {"unidadesCount": i.units} for i in items]


def units(items: list[UnitItem]) -> list[Row]:
    return [
        _unit(i.unit)
        | {
            "instituicaoId": i.institution.code,
            "instituicaoNome": i.institution.name,
            "turmasCount": i.turmas,
        }
        for i in items
    ]


def turmas(items: list[TurmaItem]) -> list[Row]:
    return [
        {
            "id": i.turma.code,
            "nome": turma_name(i.turma),
            **_status(i.turma),
            "unidadeId": i.unit.code,
            "unidadeNome": i.unit.data["name"],
            "responsavelNome": i.professor_name,
            "alunosCount": len(i.turma.data.get("student_codes") or []),
        }
        for i in items
    ]


def schedules(items: list[ScheduleItem]) -> list[Row]:
    return [_schedule(i) for i in items]


def students(view: TurmaPeople) -> list[Row]:
    descriptions = "; ".join(str(s["description"]) for s in view.schedules) or None
    return [
        _turma(view.turma) | _person(p) | {"horarioDescricao": descriptions} for p in view.people
    ]


def complete(tree: InstitutionTree) -> Row:
    return _institution(tree.institution) | {
        "unidades": [
            _unit(branch.unit)
            | {
                "turmas": [
                    {
                        "id": leaf.turma.code,
                        "nome": turma_name(leaf.turma),
                        **_status(leaf.turma),
                        "alunos": [_person(p, "papelNaTurma") for p in leaf.people],
                    }
                    for leaf in branch.turmas
                ]
            }
            for branch in tree.units
        ]
    }


def complete_schedule(view: PlacedSchedule) -> Row:
    status = _status(view.item.turma)
    return _schedule(view.item) | status | {"turmaStatus": status["status"]} | _place(view.place)


def user_schedules(view: UserSchedules) -> Row:
    person = view.person
    return {
        "usuario": {
            "id": person.code,
            "nome": person.data.get("name"),
            "email": person.data.get("email"),
            "tipo": "aluno" if view.entity is Entity.STUDENTS else "professor",
        },
        "horarios": [
            {
                "id": s.schedule["code"],
                **_turma(s.turma),
                "descHorario": s.schedule["description"],
                "papelId": int(s.role),
                "papelNome": s.role.name,
                **_status(s.turma),
                **_place(s.place),
            }
            for s in view.schedules
        ],
    }


def all_schedules(items: list[ScheduleItem]) -> Row:
    by_turma = [
        {"id": i.schedule["code"], **_turma(i.turma), "descHorario": i.schedule["description"]}
        for i in items
    ]
    by_user = [
        {
            "id": f"{i.schedule['code']}:{p.code}",
            "horarioId": i.schedule["code"],
            **_person(p, named=False),
        }
        for i in items
        for p in i.people
    ]
    return {"horarioTurmas": by_turma, "horarioUsuarios": by_user}


def people(rows: list[PersonInTurma]) -> list[Row]:
    return [
        {
            "usuarioId": r.person.code,
            "usuarioNome": r.person.name,
            "usuarioCelular": r.person.phone,
            **_person(r.person, "papelNaTurma"),
            **_turma(r.turma),
            **_place(r.place),
        }
        for r in rows
    ]


def recipients(counts: Recipients) -> dict[str, int]:
    return {
        "instituicoes": counts.institutions,
        "unidades": counts.units,
        "turmas": counts.turmas,
        "usuarios": counts.people,
        "cadastros": counts.memberships,
        "horarios": counts.schedules,
    }

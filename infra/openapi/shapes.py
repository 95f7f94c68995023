"""Response shapes of the APIs whose presenters still render plain dicts (``ponte/http/*``,
``services/*/api.py``): these mirror them and allow additional fields, since the APIs only
ever add. The other APIs are documented from the models their handlers render
(``ponte.http.responses``). The contract tests validate real answers of the local stack
against the documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


# -- ERP integration API -----------------------------------------------------------------------
class Health(Shape):
    """The API and its database answer"""

    success: bool
    status: str
    message: str
    data: dict[str, Any]


class SyncStatus(Shape):
    """The tenant's last sync and totals per entity"""

    success: bool
    data: dict[str, Any]


# -- hierarchy API -----------------------------------------------------------------------------
class InstitutionRow(Shape):
    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    unidadesCount: int


class Institutions(RootModel[list[InstitutionRow]]):
    """The institutions the caller sees, sorted by name"""


class UnitRow(Shape):
    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    instituicaoId: str
    instituicaoNome: str
    turmasCount: int


class Units(RootModel[list[UnitRow]]):
    """The institution's units the caller sees, sorted by name"""


class TurmaRow(Shape):
    id: str
    nome: str | None
    status: int
    statusNome: str
    unidadeId: str
    unidadeNome: str
    responsavelNome: str | None
    alunosCount: int


class Turmas(RootModel[list[TurmaRow]]):
    """The unit's turmas the caller sees, sorted by name"""


class InTurma(Shape):
    """A person in a turma: the role's number (`papelId`) and name (`papelNome`)"""

    usuarioId: str
    usuarioNome: str | None = None
    papelId: int
    papelNome: str


class ScheduledPerson(InTurma):
    id: str


class ScheduleRow(Shape):
    id: str
    turmaId: str
    turmaNome: str | None
    descHorario: str | None
    usuarios: list[ScheduledPerson]


class Schedules(RootModel[list[ScheduleRow]]):
    """The turma's horários, each with its people"""


class TurmaStudent(InTurma):
    turmaId: str
    turmaNome: str | None
    horarioDescricao: str | None


class TurmaStudents(RootModel[list[TurmaStudent]]):
    """The turma's people the caller sees"""


class Member(Shape):
    usuarioId: str
    usuarioNome: str | None = None
    papelNaTurma: int
    papelNome: str


class CompleteTurma(Shape):
    id: str
    nome: str | None
    status: int
    statusNome: str
    alunos: list[Member]


class CompleteUnit(Shape):
    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    turmas: list[CompleteTurma]


class CompleteInstitution(Shape):
    """The institution with its units, their turmas and their people"""

    id: str
    nome: str
    local: str | None
    tipo: int | None
    tipoNome: str | None
    unidades: list[CompleteUnit]


class Placed(Shape):
    unidadeId: str | None
    unidadeNome: str | None
    instituicaoId: str | None
    instituicaoNome: str | None


class CompleteSchedule(ScheduleRow, Placed):
    """The horário with its people, its turma's status and where the turma is"""

    status: int
    statusNome: str
    turmaStatus: int


class PersonSchedule(Placed):
    id: str
    turmaId: str
    turmaNome: str | None
    descHorario: str | None
    papelId: int
    papelNome: str
    status: int
    statusNome: str


class Usuario(Shape):
    id: str
    nome: str | None
    email: str | None
    tipo: str


class UserSchedules(Shape):
    """The person (`tipo` aluno or professor) and their horários"""

    usuario: Usuario
    horarios: list[PersonSchedule]


class TurmaSchedule(Shape):
    id: str
    turmaId: str
    turmaNome: str | None
    descHorario: str | None


class ScheduleMember(Shape):
    id: str
    horarioId: str
    usuarioId: str
    papelId: int
    papelNome: str


class AllSchedules(Shape):
    """Every horário of the tenant (`horarioTurmas`) and who is in each (`horarioUsuarios`)"""

    horarioTurmas: list[TurmaSchedule]
    horarioUsuarios: list[ScheduleMember]


class FoundPerson(Placed):
    usuarioId: str
    usuarioNome: str | None
    usuarioCelular: str | None
    papelNaTurma: int
    papelNome: str
    turmaId: str
    turmaNome: str | None


class FoundPeople(RootModel[list[FoundPerson]]):
    """People matching the filters, with their turma, unit and institution"""


class Recipients(Shape):
    """How many of each the caller can reach"""

    instituicoes: int
    unidades: int
    turmas: int
    usuarios: int
    cadastros: int
    horarios: int


# -- Movidesk's admin page ---------------------------------------------------------------------
class Page(RootModel[str]):
    """The admin page (HTML)"""

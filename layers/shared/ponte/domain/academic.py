"""The ERP's academic records as validated input, and what each entity depends on.

Messages are Portuguese, as the API's clients expect; text is trimmed; unknown fields are
ignored so an ERP sending more than we know is not refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from ponte.domain import cpf as cpf_rules
from ponte.domain import identities

_SEMESTER = re.compile(r"^[0-9]{4}\.[1-9]$")


class Entity(StrEnum):
    INSTITUTIONS = "institutions"
    UNITS = "units"
    AREAS = "areas"
    COURSES = "courses"
    SUBJECTS = "subjects"
    PROFESSORS = "professors"
    STUDENTS = "students"
    ENROLLMENTS = "enrollments"


def _text(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_to_none(value: Any) -> Any:
    value = _text(value)
    return None if value == "" else value


Code = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=100)]
Name = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=255)]
OptionalText = Annotated[
    Annotated[str, Field(max_length=2000)] | None, BeforeValidator(_blank_to_none)
]
OptionalCode = Annotated[
    Annotated[str, Field(max_length=100)] | None, BeforeValidator(_blank_to_none)
]
Status = Literal["active", "inactive"]
Kind = Literal["Matriz", "Filial"]
# A unit without `institution_code` belongs to the tenant's default institution.
DEFAULT_INSTITUTION = "default"


def _choice(
    options: tuple[str, ...] | dict[str, str], message: str, default: str | None = None
) -> Any:
    """A case-insensitive choice among ``options`` (or among a mapping's keys, answered as its
    values), answered in its canonical spelling."""
    pairs = options.items() if isinstance(options, dict) else ((o, o) for o in options)
    canonical = {alias.casefold(): value for alias, value in pairs}

    def parse(value: Any) -> Any:
        if value is None or value == "":
            return default
        found = canonical.get(str(value).strip().casefold())
        if found is None:
            raise ValueError(message)
        return found

    return BeforeValidator(parse)


_KIND_MESSAGE = "Tipo deve ser Matriz ou Filial"
OptionalKind = Annotated[Kind | None, _choice(("Matriz", "Filial"), _KIND_MESSAGE)]


def _empty_to_none(value: Any) -> Any:
    """Absent and empty lists are the same thing, so records synced before a list field
    existed still compare equal."""
    return None if value == [] else value


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    normalized = identities.email(value)
    if normalized is None:
        raise ValueError("Email inválido")
    return normalized


def _cpf(value: str | None) -> str | None:
    if value is None:
        return None
    digits = cpf_rules.normalize(str(value))
    if len(digits) != 11 or not digits.isdigit():
        raise ValueError("CPF deve conter 11 dígitos")
    if not cpf_rules.is_digits(digits):  # full-width or superscript digits: not a CPF's
        raise ValueError("CPF deve conter apenas os algarismos de 0 a 9")
    return digits


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    status: Status = "active"

    def data(self) -> dict[str, Any]:
        """What is stored and compared: the record's fields, without empty optionals."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Institution(Record):
    name: Name
    address: OptionalText = None
    type: Annotated[Kind, _choice(("Matriz", "Filial"), _KIND_MESSAGE, "Matriz")] = "Matriz"


class Unit(Record):
    name: Name
    address: OptionalText = None
    institution_code: OptionalCode = None
    type: OptionalKind = None

    @property
    def institution(self) -> str:
        return self.institution_code or DEFAULT_INSTITUTION


class Area(Record):
    name: Name
    unit_code: Code
    responsible_email: OptionalText = None

    _email = field_validator("responsible_email")(_email)


class Course(Record):
    name: Name
    area_code: Code
    unit_code: Code
    description: OptionalText = None
    responsible_email: OptionalText = None
    responsible_code: Annotated[OptionalCode, Field(validate_default=True)] = None

    _email = field_validator("responsible_email")(_email)

    @field_validator("responsible_code")
    @classmethod
    def _responsible(cls, value: str | None, info: ValidationInfo) -> str | None:
        if not value and not info.data.get("responsible_email"):
            raise ValueError("Informe responsible_email ou responsible_code")
        return value


class Subject(Record):
    name: Name
    course_code: Code
    description: OptionalText = None
    type: Literal["obrigatoria", "optativa", "eletiva"] = "obrigatoria"

    @field_validator("type", mode="before")
    @classmethod
    def _type(cls, value: Any) -> Any:
        if value is None or value == "":
            return "obrigatoria"
        if value not in ("obrigatoria", "optativa", "eletiva"):
            raise ValueError("Tipo deve ser obrigatoria, optativa ou eletiva")
        return value


class Professor(Record):
    name: Name
    email: Annotated[str, BeforeValidator(_text)]
    cpf: Annotated[str, BeforeValidator(_text)]
    phone: OptionalText = None
    area_code: OptionalCode = None
    username: OptionalCode = None

    _email = field_validator("email")(_email)
    _cpf = field_validator("cpf", mode="before")(_cpf)


class Guardian(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Name
    email: Annotated[str, BeforeValidator(_text)]
    cpf: Annotated[str | None, BeforeValidator(_blank_to_none)] = None

    _email = field_validator("email")(_email)
    _cpf = field_validator("cpf", mode="before")(_cpf)


class Student(Record):
    name: Name
    email: Annotated[str, BeforeValidator(_text)]
    course_code: Code
    cpf: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    phone: OptionalText = None
    username: OptionalCode = None
    guardians: Annotated[
        Annotated[list[Guardian], Field(max_length=10)] | None, BeforeValidator(_empty_to_none)
    ] = None

    _email = field_validator("email")(_email)
    _cpf = field_validator("cpf", mode="before")(_cpf)

    @field_validator("guardians")
    @classmethod
    def _guardians(cls, value: list[Guardian] | None) -> list[Guardian] | None:
        if value and len({g.email for g in value}) != len(value):
            raise ValueError("Responsável duplicado (mesmo email)")
        return value


MEMBER_ROLES = ("Atleta", "Treinador", "Coordenador", "Monitor")


class Schedule(BaseModel):
    """A horário of a turma; its code is unique in the tenant (``horario-completo/{code}``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    description: Name


class Member(BaseModel):
    """Someone with a role beyond Aluno/Professor: a student's or a professor's code."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    role: Annotated[
        str,
        _choice(MEMBER_ROLES, "Papel deve ser Atleta, Treinador, Coordenador ou Monitor"),
    ]


_TURMA_STATUS = {
    "active": "active",
    "inactive": "inactive",
    "suspended": "suspended",
    "Ativa": "active",
    "Inativa": "inactive",
    "Suspensa": "suspended",
}


TurmaStatus = Annotated[
    Literal["active", "inactive", "suspended"],
    _choice(_TURMA_STATUS, "Status deve ser Ativa, Inativa ou Suspensa", "active"),
]


class Enrollment(Record):
    subject_code: Code
    professor_code: Code
    semester: Annotated[str, BeforeValidator(_text)]
    student_codes: list[Code]
    # Additive, for the hierarchy API: the turma's own status, name, horários and other roles.
    status: TurmaStatus = "active"  # type: ignore[assignment]
    name: Annotated[Name | None, BeforeValidator(_blank_to_none)] = None
    schedules: Annotated[
        Annotated[list[Schedule], Field(max_length=50)] | None, BeforeValidator(_empty_to_none)
    ] = None
    members: Annotated[
        Annotated[list[Member], Field(max_length=200)] | None, BeforeValidator(_empty_to_none)
    ] = None

    @field_validator("schedules")
    @classmethod
    def _schedules(cls, value: list[Schedule] | None) -> list[Schedule] | None:
        if value and len({s.code for s in value}) != len(value):
            raise ValueError("Código de horário duplicado na turma")
        return value

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[Member] | None) -> list[Member] | None:
        if value and len({m.code for m in value}) != len(value):
            raise ValueError("Membro duplicado na turma")
        return sorted(value, key=lambda m: m.code) if value else value

    @field_validator("semester")
    @classmethod
    def _semester(cls, value: str) -> str:
        if not _SEMESTER.match(value):
            raise ValueError('Semestre deve estar no formato "YYYY.N" (ex: 2025.1)')
        return value

    @field_validator("student_codes")
    @classmethod
    def _students(cls, value: list[str]) -> list[str]:
        unique = sorted(set(value))
        if len(unique) > 2000:
            raise ValueError("Máximo de 2000 alunos por turma")
        return unique


@dataclass(frozen=True, slots=True)
class Reference:
    field: str
    entity: Entity
    message: str
    implicit: str = ""  # a value that needs no record (the default institution)


def _one(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name)
    return [str(value)] if value else []


@dataclass(frozen=True, slots=True)
class Unique:
    """Values of ``field`` that no other record of the entity may hold."""

    field: str
    message: str
    values: Callable[[dict[str, Any], str], list[str]] = _one


def _schedule_codes(data: dict[str, Any], _: str) -> list[str]:
    return [str(s["code"]) for s in data.get("schedules") or []]


@dataclass(frozen=True, slots=True)
class Spec:
    entity: Entity
    model: type[Record]
    label: str  # for "Sincronização de {label} concluída."
    references: tuple[Reference, ...] = ()
    unique: tuple[Unique, ...] = ()


_UNIT = Reference("unit_code", Entity.UNITS, "A unidade selecionada não existe")
_AREA = Reference("area_code", Entity.AREAS, "A área selecionada não existe")
_COURSE = Reference("course_code", Entity.COURSES, "O curso selecionado não existe")
_EMAIL_TAKEN = Unique("email", "Email já cadastrado")
_CPF_TAKEN = Unique("cpf", "CPF já cadastrado")

_USERNAME_TAKEN = Unique("username", "Username já cadastrado")

SPECS: dict[Entity, Spec] = {
    Entity.INSTITUTIONS: Spec(Entity.INSTITUTIONS, Institution, "instituições"),
    Entity.UNITS: Spec(
        Entity.UNITS,
        Unit,
        "unidades",
        (
            Reference(
                "institution_code",
                Entity.INSTITUTIONS,
                "A instituição selecionada não existe",
                implicit=DEFAULT_INSTITUTION,
            ),
        ),
    ),
    Entity.AREAS: Spec(Entity.AREAS, Area, "áreas", (_UNIT,)),
    Entity.COURSES: Spec(Entity.COURSES, Course, "cursos", (_AREA, _UNIT)),
    Entity.SUBJECTS: Spec(Entity.SUBJECTS, Subject, "disciplinas", (_COURSE,)),
    Entity.PROFESSORS: Spec(
        Entity.PROFESSORS,
        Professor,
        "professores",
        (_AREA,),
        (_EMAIL_TAKEN, _CPF_TAKEN, _USERNAME_TAKEN),
    ),
    Entity.STUDENTS: Spec(
        Entity.STUDENTS,
        Student,
        "alunos",
        (_COURSE,),
        (_EMAIL_TAKEN, _CPF_TAKEN, _USERNAME_TAKEN),
    ),
    Entity.ENROLLMENTS: Spec(
        Entity.ENROLLMENTS,
        Enrollment,
        "turmas",
        (
            Reference("subject_code", Entity.SUBJECTS, "A disciplina selecionada não existe"),
            Reference("professor_code", Entity.PROFESSORS, "O professor selecionado não existe"),
        ),
        (Unique("schedule", "Horário já cadastrado em outra turma", _schedule_codes),),
    ),
}

MAX_BATCH = 100


def search_text(*parts: str) -> str:
    """Case- and accent-insensitive form used by list ``search``."""
    joined = " ".join(p for p in parts if p)
    decomposed = unicodedata.normalize("NFKD", joined)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

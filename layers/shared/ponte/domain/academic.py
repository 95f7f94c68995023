"""The ERP's academic records (seed 000) as validated input, and what each entity depends on.

Messages are the seed's Portuguese; text is trimmed; unknown fields are ignored so an ERP
sending more than we know is not refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from ponte.domain import cpf as cpf_rules

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_SEMESTER = re.compile(r"^\d{4}\.[1-9]$")


class Entity(StrEnum):
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


def _email(value: str | None) -> str | None:
    if value is None:
        return None
    if not _EMAIL.match(value):
        raise ValueError("Email inválido")
    return value.lower()


def _cpf(value: str | None) -> str | None:
    if value is None:
        return None
    digits = cpf_rules.normalize(str(value))
    if len(digits) != 11 or not digits.isdigit():
        raise ValueError("CPF deve conter 11 dígitos")
    return digits


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    code: Code
    status: Status = "active"

    def data(self) -> dict[str, Any]:
        """What is stored and compared: the record's fields, without empty optionals."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class Unit(Record):
    name: Name
    address: OptionalText = None


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

    _email = field_validator("email")(_email)
    _cpf = field_validator("cpf", mode="before")(_cpf)


class Student(Record):
    name: Name
    email: Annotated[str, BeforeValidator(_text)]
    course_code: Code
    cpf: Annotated[str | None, BeforeValidator(_blank_to_none)] = None
    phone: OptionalText = None

    _email = field_validator("email")(_email)
    _cpf = field_validator("cpf", mode="before")(_cpf)


class Enrollment(Record):
    subject_code: Code
    professor_code: Code
    semester: Annotated[str, BeforeValidator(_text)]
    student_codes: list[Code]

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
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Unique:
    field: str
    message: str


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

SPECS: dict[Entity, Spec] = {
    Entity.UNITS: Spec(Entity.UNITS, Unit, "unidades"),
    Entity.AREAS: Spec(Entity.AREAS, Area, "áreas", (_UNIT,)),
    Entity.COURSES: Spec(Entity.COURSES, Course, "cursos", (_AREA, _UNIT)),
    Entity.SUBJECTS: Spec(Entity.SUBJECTS, Subject, "disciplinas", (_COURSE,)),
    Entity.PROFESSORS: Spec(
        Entity.PROFESSORS,
        Professor,
        "professores",
        (Reference("area_code", Entity.AREAS, "A área selecionada não existe", optional=True),),
        (_EMAIL_TAKEN, _CPF_TAKEN),
    ),
    Entity.STUDENTS: Spec(
        Entity.STUDENTS, Student, "alunos", (_COURSE,), (_EMAIL_TAKEN, _CPF_TAKEN)
    ),
    Entity.ENROLLMENTS: Spec(
        Entity.ENROLLMENTS,
        Enrollment,
        "turmas",
        (
            Reference("subject_code", Entity.SUBJECTS, "A disciplina selecionada não existe"),
            Reference("professor_code", Entity.PROFESSORS, "O professor selecionado não existe"),
        ),
    ),
}

MAX_BATCH = 100


def search_text(*parts: str) -> str:
    """Case- and accent-insensitive form used by list ``search``."""
    joined = " ".join(p for p in parts if p)
    decomposed = unicodedata.normalize("NFKD", joined)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()

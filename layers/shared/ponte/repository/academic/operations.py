"""The writes a service can ask for, as plain operations grouped in one :class:`Plan` per
record; ``transactions.commit`` turns them into DynamoDB transactions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ponte.domain.academic import Entity


@dataclass(frozen=True, slots=True)
class PutRecord:
    entity: Entity
    code: str
    data: dict[str, Any]
    search: str
    created_at: str
    updated_at: str
    expected_version: int | None  # None: the record must not exist yet
    parent: str = ""
    via: str = ""
    responsible: str = ""  # an area's/course's responsible (email, or "code:X")


@dataclass(frozen=True, slots=True)
class Claim:
    """Take ``value`` of a unique ``field`` for ``owner`` (fails if another record holds it)."""

    entity: Entity
    field: str
    value: str
    owner: str


@dataclass(frozen=True, slots=True)
class Release:
    entity: Entity
    field: str
    value: str
    owner: str


@dataclass(frozen=True, slots=True)
class StudentLink:
    enrollment: str
    student: str
    present: bool = True  # False: remove the link


@dataclass(frozen=True, slots=True)
class MemberLink:
    """Someone with a role beyond Aluno/Professor in a turma (findable by their code)."""

    enrollment: str
    code: str
    role: str = ""
    present: bool = True


@dataclass(frozen=True, slots=True)
class GuardianLink:
    email: str
    student: str
    present: bool = True


@dataclass(frozen=True, slots=True)
class Move:
    """Place a stored record under another parent (a turma whose course changed unit)."""

    entity: Entity
    code: str
    version: int
    parent: str
    via: str


@dataclass(frozen=True, slots=True)
class ProfessorLink:
    professor: str
    enrollment: str
    attributes: Mapping[str, Any] = field(default_factory=dict)
    present: bool = True


Operation = (
    PutRecord | Claim | Release | StudentLink | MemberLink | GuardianLink | ProfessorLink | Move
)


@dataclass(slots=True)
class Plan:
    ref: int  # the caller's handle (the record's index in the request)
    operations: list[Operation]
    counts: dict[str, int] = field(default_factory=dict)  # counter deltas, by counter name


@dataclass(frozen=True, slots=True)
class Failure:
    ref: int
    operation: Operation

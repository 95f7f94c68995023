"""The people API's answers (``/api/v1/people…``), in the connectors API's envelope."""

from __future__ import annotations

from typing import Literal

from ponte.http.responses import CursorMeta, ResponseModel, Success, absent_when_none
from ponte.http.responses.connectors import MatchedBy, RecordPerson

Kind = Literal["students", "professors", "guardians"]
Status = Literal["linked", "conflict", "confirmed", "rejected"]


class PersonRow(ResponseModel):
    kind: Kind
    id: str  # the ERP's code; a guardian's email
    name: str
    email: str | None
    cpf: str | None  # masked (***.456.789-**) except to admins
    units: list[str]
    links: int  # records linked to them, across every connection


class PersonList(Success):
    """People whose email or CPF is the query, or whose name holds it"""

    data: list[PersonRow]


class StudentOf(ResponseModel):
    id: str  # the student's code
    name: str


class GuardianOf(ResponseModel):
    id: str  # the guardian's email
    name: str


class TimelineEntry(ResponseModel):
    platform: str | None
    connectionId: str
    connectionName: str | None
    stream: str
    recordId: str
    matchedBy: list[MatchedBy]
    status: Status
    title: str
    vendorStatus: str | None
    updatedAt: str
    url: str | None  # opens the record in the vendor's own web app, where one is known


class PersonCard(PersonRow):
    phone: str | None
    students: list[StudentOf]  # a guardian's students
    guardians: list[GuardianOf]  # a student's guardians
    turmas: list[str]
    timeline: list[TimelineEntry]  # newest first, one page (meta.nextCursor: the next)


class TimelinePage(Success):
    """A page of a person's records across systems, newest first"""

    data: list[TimelineEntry]
    meta: CursorMeta


class PersonAnswer(Success):
    """A person, their relatives and places, and a page of their records across systems"""

    data: PersonCard
    meta: CursorMeta


class LinkRow(ResponseModel):
    linkId: str
    status: Status
    platform: str | None
    connectionId: str
    stream: str
    recordId: str
    title: str
    updatedAt: str
    candidates: list[RecordPerson]  # who the identifiers named (a confirmed link: the one)
    url: str | None = absent_when_none()


class LinkList(Success):
    """Records whose link a person must settle (conflict) or has rejected"""

    data: list[LinkRow]
    meta: CursorMeta


class LinkAnswer(Success):
    """The link as the decision left it"""

    data: LinkRow


class RelinkQueued(Success):
    """A relink of everything stored was queued"""

    message: str

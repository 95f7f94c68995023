"""Reads of the ERP API: lists with filters and cursors, lookups by code, a
professor's turmas and a turma with its people — names resolved in batches, never one
request per row."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ponte import errors
from ponte.clock import isoformat
from ponte.domain.academic import Entity, search_text
from ponte.repository import academic, counters, cursors
from ponte.services import paging

_NOT_FOUND = {
    Entity.INSTITUTIONS: "Instituição não encontrada",
    Entity.UNITS: "Unidade não encontrada",
    Entity.AREAS: "Área não encontrada",
    Entity.COURSES: "Curso não encontrado",
    Entity.SUBJECTS: "Disciplina não encontrada",
    Entity.PROFESSORS: "Professor não encontrado",
    Entity.STUDENTS: "Aluno não encontrado",
    Entity.ENROLLMENTS: "Turma não encontrada",
}
_PERSON_FIELDS = ("code", "name", "email", "status")


@dataclass(frozen=True, slots=True)
class ListQuery:
    per_page: int = 15
    page: int = 1
    search: str = ""
    status: str = ""
    updated_since: datetime | None = None
    cursor: str = ""

    @property
    def filtered(self) -> bool:
        return bool(self.search or self.status or self.updated_since)


@dataclass(frozen=True, slots=True)
class Page:
    data: list[dict[str, Any]]
    current_page: int
    per_page: int
    total: int
    next_cursor: str

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _timestamp(raw: str) -> str:
    return isoformat(datetime.fromisoformat(raw))


def render(record: academic.StoredRecord) -> dict[str, Any]:
    return {
        **record.data,
        "created_at": _timestamp(record.created_at),
        "updated_at": _timestamp(record.updated_at),
    }


def _person(record: academic.StoredRecord | None, code: str) -> dict[str, Any]:
    if record is None:
        return {"code": code, "name": None, "status": "missing"}
    return {f: record.data.get(f) for f in _PERSON_FIELDS}


class ReadService:
    def __init__(self, tenant_id: str) -> None:
        self._tenant = tenant_id

    def page(self, entity: Entity, query: ListQuery) -> Page:
        listing = academic.Listing(
            search=search_text(query.search) if query.search else "",
            status=query.status,
            updated_since=query.updated_since.isoformat() if query.updated_since else "",
        )
        try:
            records, next_cursor = academic.list_records(
                self._tenant,
                entity,
                listing,
                limit=query.per_page,
                sealer=paging.sealer(),
                cursor=query.cursor,
                skip=0 if query.cursor else (query.page - 1) * query.per_page,
            )
        except cursors.InvalidCursor as exc:
            raise errors.bad_request("Cursor inválido", message_en="Invalid cursor") from exc
        if query.filtered:
            total = academic.count_records(self._tenant, entity, listing)
        else:
            total = int(counters.get(self._tenant).get(counters.total(entity.value), 0))
        data = [render(r) for r in records]
        if entity is Entity.COURSES:
            self._resolve_responsibles(records, data)
        return Page(data, query.page, query.per_page, total, next_cursor)

    def get(self, entity: Entity, code: str) -> dict[str, Any]:
        record = self._require(entity, code)
        data = render(record)
        if entity is Entity.COURSES:
            self._resolve_responsibles([record], [data])
        if entity is Entity.ENROLLMENTS:
            data |= self._enrollment_people(record)
        return data

    def professor_subjects(self, code: str) -> list[dict[str, Any]]:
        self._require(Entity.PROFESSORS, code)
        links = academic.professor_enrollments(self._tenant, code)
        wanted = {(Entity.SUBJECTS, str(link["subject_code"])) for link in links}
        wanted |= {(Entity.ENROLLMENTS, str(link["enrollment_code"])) for link in links}
        found = academic.get_records(self._tenant, wanted) if wanted else {}
        turmas = []
        for link in sorted(links, key=lambda x: (str(x["semester"]), str(x["enrollment_code"]))):
            subject = found.get((Entity.SUBJECTS, str(link["subject_code"])))
            turma = found.get((Entity.ENROLLMENTS, str(link["enrollment_code"])))
            turmas.append(
                {
                    "code": link["enrollment_code"],
                    "semester": link["semester"],
                    "status": link.get("status", "active"),
                    "subject": {
                        "code": link["subject_code"],
                        "name": subject.data.get("name") if subject else None,
                        "type": subject.data.get("type") if subject else None,
                    },
                    "students_count": len(turma.data.get("student_codes", [])) if turma else 0,
                }
            )
        return turmas

    # -- helpers ---------------------------------------------------------------------------
    def _require(self, entity: Entity, code: str) -> academic.StoredRecord:
        found = academic.get_records(self._tenant, [(entity, code)]).get((entity, code))
        if found is None:
            raise errors.not_found(_NOT_FOUND[entity])
        return found

    def _enrollment_people(self, record: academic.StoredRecord) -> dict[str, Any]:
        students = list(record.data.get("student_codes", []))
        professor = str(record.data["professor_code"])
        subject = str(record.data["subject_code"])
        wanted = [(Entity.STUDENTS, s) for s in students]
        wanted += [(Entity.PROFESSORS, professor), (Entity.SUBJECTS, subject)]
        found = academic.get_records(self._tenant, wanted)
        subject_record = found.get((Entity.SUBJECTS, subject))
        return {
            "subject": {
                "code": subject,
                "name": subject_record.data.get("name") if subject_record else None,
            },
            "professor": _person(found.get((Entity.PROFESSORS, professor)), professor),
            "students": [_person(found.get((Entity.STUDENTS, s)), s) for s in students],
            "students_count": len(students),
        }

    def _resolve_responsibles(
        self, records: Iterable[academic.StoredRecord], rendered: list[dict[str, Any]]
    ) -> None:
        """A course's responsible may be synced after the course: show it once it exists."""
        pairs = list(zip(records, rendered, strict=True))
        emails = {
            str(r.data["responsible_email"])
            for r, _ in pairs
            if not r.data.get("responsible_code") and r.data.get("responsible_email")
        }
        owners = (
            academic.get_claims(self._tenant, ((Entity.PROFESSORS, "email", e) for e in emails))
            if emails
            else {}
        )
        by_email = {value: owner for (_, _, value), owner in owners.items()}
        codes = {
            str(r.data["responsible_code"]) for r, _ in pairs if r.data.get("responsible_code")
        }
        codes |= set(by_email.values())
        professors = (
            academic.get_records(self._tenant, ((Entity.PROFESSORS, c) for c in codes))
            if codes
            else {}
        )
        for record, data in pairs:
            code = record.data.get("responsible_code") or by_email.get(
                str(record.data.get("responsible_email"))
            )
            professor = professors.get((Entity.PROFESSORS, str(code))) if code else None
            data["responsible"] = {
                "code": record.data.get("responsible_code") or code,
                "email": record.data.get("responsible_email")
                or (professor.data.get("email") if professor else None),
                "name": professor.data.get("name") if professor else None,
                "status": "resolved" if professor else "pending",
            }

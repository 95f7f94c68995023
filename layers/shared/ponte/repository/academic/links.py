"""Reads of the link items between records: a professor's turmas, a student's turmas, the
turmas where someone has another role, a guardian's students (one Query each)."""

from __future__ import annotations

from typing import Any

from ponte.repository import keys
from ponte.repository.table import query_pages, values, without_keys


def _link_items(**params: Any) -> list[dict[str, Any]]:
    return [without_keys(item) for page in query_pages(**params) for item in page]


def professor_enrollments(tenant_id: str, professor: str) -> list[dict[str, Any]]:
    """The professor's turmas: enrollment_code, subject_code, semester, status."""
    pk = keys.professor_enrollment(tenant_id, professor, "")["PK"]
    return _link_items(
        KeyConditionExpression="PK = :pk AND begins_with(SK, :e)",
        ExpressionAttributeValues=values({":pk": pk, ":e": keys.PROFESSOR_LINK_PREFIX}),
    )


def student_turmas(tenant_id: str, student: str) -> list[str]:
    """Codes of the turmas listing ``student`` in ``student_codes``."""
    items = _link_items(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues=values({":p": keys.student_enrollments(tenant_id, student)}),
    )
    return [str(item["enrollment_code"]) for item in items]


def member_turmas(tenant_id: str, code: str) -> list[tuple[str, str]]:
    """(turma, role) of the turmas where ``code`` has a role beyond Aluno/Professor."""
    items = _link_items(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues=values({":p": keys.member_enrollments(tenant_id, code)}),
    )
    return [(str(i["enrollment_code"]), str(i.get("role", ""))) for i in items]


def guardian_students(tenant_id: str, email: str) -> list[str]:
    """Codes of the students naming ``email`` among their guardians."""
    items = _link_items(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues=values({":pk": keys.guardian_student(tenant_id, email)["PK"]}),
    )
    return [str(item["student_code"]) for item in items]

"""What a user of the hierarchy API may see.

- admin: the whole tenant;
- coordinator: the units they coordinate — a ``units`` claim, or units whose areas/courses
  name them responsible (their email, or their professor ``code`` claim);
- professor: their turmas (they teach them or have a role in them) and those turmas' people;
- guardian: their students' turmas and horários (students from a ``students`` claim, or the
  students listing the guardian's email), and of those turmas' people only their students and
  the staff.

A professor or guardian is identified by a ``code``/``students`` claim when the issuer sends
one, else by the token's email.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ponte.auth.principals import Principal, Role
from ponte.domain.academic import Entity
from ponte.domain.hierarchy import STAFF, PapelNaTurma
from ponte.repository import academic


@dataclass(frozen=True, slots=True)
class Visibility:
    role: Role
    everything: bool = False
    units: frozenset[str] = frozenset()  # whole units (coordinator)
    turmas: frozenset[str] = frozenset()  # single turmas (professor, guardian)
    students: frozenset[str] | None = None  # a guardian sees only these students
    identity: Mapping[str, Any] = field(default_factory=dict)  # for the audit line

    def sees_turma(self, turma: academic.StoredRecord) -> bool:
        return self.everything or turma.parent in self.units or turma.code in self.turmas

    def sees_whole_unit(self, unit: str) -> bool:
        return self.everything or unit in self.units

    def sees_person(self, code: str, role: PapelNaTurma) -> bool:
        return self.students is None or role in STAFF or code in self.students

    def describe(self) -> dict[str, Any]:
        """What the caller may see, as the audit line records it."""
        if self.everything:
            return {"role": self.role.value, "tenant": True}
        described: dict[str, Any] = {"role": self.role.value, **self.identity}
        if self.units:
            described["units"] = sorted(self.units)
        if self.turmas:
            described["turmas"] = len(self.turmas)
        return described


def claim_codes(raw: Any) -> frozenset[str]:
    """A list claim; issuers that only carry strings (Cognito custom attributes) send CSV."""
    if isinstance(raw, str):
        raw = raw.split(",")
    if not isinstance(raw, Iterable):
        return frozenset()
    return frozenset(str(c).strip() for c in raw if str(c).strip())


def resolve(principal: Principal) -> Visibility:
    """The caller's visibility: a few Queries on link partitions, never a Scan."""
    tenant, role = principal.tenant_id, principal.role
    attributes = principal.attributes
    email = principal.email.strip().lower()
    if role is Role.ADMIN:
        return Visibility(Role.ADMIN, everything=True)
    if role is Role.COORDINATOR:
        units = set(claim_codes(attributes.get("units")))
        names = [email] if email else []
        names += [f"code:{c}" for c in claim_codes([attributes.get("code") or ""])]
        for responsible in names:
            units.update(
                str(r.data["unit_code"]) for r in academic.responsible_records(tenant, responsible)
            )
        return Visibility(role, units=frozenset(units), identity={"email": email})
    if role is Role.PROFESSOR:
        code = str(attributes.get("code") or "") or _professor_by_email(tenant, email)
        turmas: set[str] = set()
        if code:
            turmas.update(
                str(x["enrollment_code"]) for x in academic.professor_enrollments(tenant, code)
            )
            turmas.update(t for t, _ in academic.member_turmas(tenant, code))
        return Visibility(role, turmas=frozenset(turmas), identity={"professor": code})
    if role is Role.GUARDIAN:
        students = claim_codes(attributes.get("students"))
        if not students and email:
            students = frozenset(academic.guardian_students(tenant, email))
        turmas = set()
        for student in sorted(students):  # a guardian has a handful of students
            turmas.update(academic.student_turmas(tenant, student))
            turmas.update(t for t, _ in academic.member_turmas(tenant, student))
        return Visibility(
            role, turmas=frozenset(turmas), students=students, identity={"students": len(students)}
        )
    return Visibility(Role.GUARDIAN, students=frozenset())  # an unknown role sees nothing


def _professor_by_email(tenant: str, email: str) -> str:
    if not email:
        return ""
    owners = academic.get_claims(tenant, [(Entity.PROFESSORS, "email", email)])
    return owners.get((Entity.PROFESSORS, "email", email), "")

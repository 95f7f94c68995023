"""How a record's new version changes what it links to: a turma's students, members and
professor, a student's guardians, any record's unique values. Pure set differences over the
stored and the new data (``None`` for a record not stored yet)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Data = Mapping[str, Any]
TEACHING_FIELDS = ("subject_code", "semester", "status")  # copied onto the professor's link


@dataclass(frozen=True, slots=True)
class Change:
    added: list[str]
    removed: list[str]


def diff(new: Iterable[str], old: Iterable[str]) -> Change:
    """What ``new`` adds to ``old`` and what it drops, each sorted."""
    new_set, old_set = set(new), set(old)
    return Change(sorted(new_set - old_set), sorted(old_set - new_set))


def students(data: Data | None) -> set[str]:
    return {str(s) for s in (data or {}).get("student_codes") or []}


def guardians(data: Data | None) -> set[str]:
    """The guardians' emails of a student."""
    return {str(g["email"]) for g in (data or {}).get("guardians") or []}


def members(data: Data | None) -> dict[str, str]:
    """A turma's members beyond its students and professor: code -> role."""
    return {str(m["code"]): str(m["role"]) for m in (data or {}).get("members") or []}


@dataclass(frozen=True, slots=True)
class MemberChange:
    placed: list[tuple[str, str]]  # (code, role) added, or whose role changed
    removed: list[str]


def member_change(new: Data, old: Data | None) -> MemberChange:
    now, before = members(new), members(old)
    placed = [(code, role) for code, role in sorted(now.items()) if before.get(code) != role]
    return MemberChange(placed, sorted(set(before) - set(now)))


@dataclass(frozen=True, slots=True)
class TeachingChange:
    dropped: str | None  # the professor who no longer teaches the turma
    teaching: dict[str, Any] | None  # the link to (re)write for the turma's professor


def teaching_change(new: Data, old: Data | None) -> TeachingChange:
    """A turma's professor link: dropped when the professor changes, rewritten when the
    professor or a field the link carries changes."""
    teaching = {f: new.get(f) for f in TEACHING_FIELDS}
    if old is None:
        return TeachingChange(None, teaching)
    professor, before = new["professor_code"], old.get("professor_code")
    dropped = before if before and before != professor else None
    changed = before != professor or any(old.get(f) != new.get(f) for f in TEACHING_FIELDS)
    return TeachingChange(dropped, teaching if changed else None)

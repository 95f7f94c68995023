"""Deterministic generated institutions for tests and benchmarks (valid CPFs included)."""

from __future__ import annotations

from typing import Any


def cpf(n: int) -> str:
    """The n-th valid CPF: 9 digits from n, then its two check digits."""
    digits = [int(c) for c in f"{n % 10**9:09d}"]
    if len(set(digits)) == 1:
        digits[-1] = (digits[-1] + 1) % 10
    for position in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(position + 1, 1, -1), strict=False))
        digits.append((total * 10) % 11 % 10)
    return "".join(map(str, digits))


def units(n: int) -> list[dict[str, Any]]:
    return [
        {"code": f"UN{i:03}", "name": f"Unidade {i:03}", "address": f"Rua {i}"} for i in range(n)
    ]


def areas(n: int, units_n: int) -> list[dict[str, Any]]:
    return [
        {"code": f"AR{i:03}", "name": f"Área {i:03}", "unit_code": f"UN{i % units_n:03}"}
        for i in range(n)
    ]


def courses(n: int, areas_n: int, units_n: int) -> list[dict[str, Any]]:
    return [
        {
            "code": f"CO{i:03}",
            "name": f"Curso {i:03}",
            "area_code": f"AR{i % areas_n:03}",
            "unit_code": f"UN{i % units_n:03}",
            "responsible_code": f"PR{i:04}",
        }
        for i in range(n)
    ]


def subjects(n: int, courses_n: int) -> list[dict[str, Any]]:
    return [
        {"code": f"SU{i:04}", "name": f"Disciplina {i:04}", "course_code": f"CO{i % courses_n:03}"}
        for i in range(n)
    ]


def professors(n: int, areas_n: int, *, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "code": f"PR{i:04}",
            "name": f"Professor {i:04}",
            "email": f"pr{i}@inst.edu.br",
            "cpf": cpf(1_000_000 + i),
            "phone": f"1199{i:07d}",
            "area_code": f"AR{i % areas_n:03}",
        }
        for i in range(start, start + n)
    ]


def students(n: int, courses_n: int, *, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "code": f"AL{i:05}",
            "name": f"Aluno {i:05}",
            "email": f"al{i}@aluno.edu.br",
            "cpf": cpf(2_000_000 + i),
            "course_code": f"CO{i % courses_n:03}",
        }
        for i in range(start, start + n)
    ]


_DAYS = ("Segunda", "Terça", "Quarta", "Quinta", "Sexta", "Sábado")


def enrollments(
    n: int,
    per_class: int,
    *,
    subjects_n: int,
    professors_n: int,
    students_n: int,
    schedules: int = 0,
) -> list[dict[str, Any]]:
    turmas: list[dict[str, Any]] = []
    for i in range(n):
        turma: dict[str, Any] = {
            "code": f"TU{i:04}",
            "subject_code": f"SU{i % subjects_n:04}",
            "professor_code": f"PR{i % professors_n:04}",
            "semester": "2025.1",
            "student_codes": [f"AL{(i * per_class + j) % students_n:05}" for j in range(per_class)],
        }
        if schedules:
            turma["name"] = f"Turma {i:04}"
            turma["schedules"] = [
                {"code": f"HO{i:04}-{k}", "description": f"{_DAYS[(i + k) % 6]} {8 + 2 * k}:00"}
                for k in range(schedules)
            ]
        turmas.append(turma)
    return turmas


def chunks(records: list[dict[str, Any]], size: int = 100) -> list[list[dict[str, Any]]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def institution(
    *,
    units_n: int = 20,
    subjects_n: int = 300,
    professors_n: int = 200,
    students_n: int = 2000,
    turmas_n: int = 300,
    per_class: int = 30,
    schedules: int = 0,
) -> dict[str, list[dict[str, Any]]]:
    """A whole institution as one full-sync bundle (deterministic)."""
    return {
        "units": units(units_n),
        "areas": areas(units_n, units_n),
        "courses": courses(units_n, units_n, units_n),
        "subjects": subjects(subjects_n, units_n),
        "professors": professors(professors_n, units_n),
        "students": students(students_n, units_n),
        "enrollments": enrollments(
            turmas_n,
            per_class,
            subjects_n=subjects_n,
            professors_n=professors_n,
            students_n=students_n,
            schedules=schedules,
        ),
    }

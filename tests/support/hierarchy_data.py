"""A small tenant for the hierarchy API, pushed through the ERP sync endpoints.

Two institutions and a unit left to the default one; coordinators named by an area (by email)
and a course (by professor code); a turma with other roles (Atleta, Treinador) and a guardian
with two students in different units.
"""

from __future__ import annotations

from typing import Any

from tests.support.generate import cpf

INSTITUTIONS = [
    {"code": "INST1", "name": "Instituto Alfa", "address": "Av. Alfa, 1", "type": "Matriz"},
    {"code": "INST2", "name": "Beta Educação", "address": "Rua Beta, 2", "type": "filial"},
]
UNITS = [
    {"code": "U1", "name": "Campus Centro", "address": "Centro", "institution_code": "INST1"},
    {
        "code": "U2",
        "name": "Campus Norte",
        "address": "Norte",
        "institution_code": "INST1",
        "type": "Filial",
    },
    {"code": "U3", "name": "Unidade Sul", "institution_code": "INST2", "type": "Matriz"},
    {"code": "U4", "name": "Polo Remoto"},  # the tenant's default institution
]
AREAS = [
    {"code": "A1", "name": "Exatas", "unit_code": "U1", "responsible_email": "coord1@alfa.edu"},
    {"code": "A2", "name": "Saúde", "unit_code": "U2"},
    {"code": "A3", "name": "Esportes", "unit_code": "U3"},
    {"code": "A4", "name": "EAD", "unit_code": "U4"},
]
COURSES = [
    {
        "code": "C1",
        "name": "Computação",
        "area_code": "A1",
        "unit_code": "U1",
        "responsible_code": "P1",
    },
    {
        "code": "C2",
        "name": "Enfermagem",
        "area_code": "A2",
        "unit_code": "U2",
        "responsible_code": "P3",
    },
    {
        "code": "C3",
        "name": "Futebol",
        "area_code": "A3",
        "unit_code": "U3",
        "responsible_email": "coord3@beta.edu",
    },
    {
        "code": "C4",
        "name": "Gestão EAD",
        "area_code": "A4",
        "unit_code": "U4",
        "responsible_code": "P1",
    },
]
SUBJECTS = [
    {"code": "S1", "name": "Algoritmos", "course_code": "C1"},
    {"code": "S2", "name": "Anatomia", "course_code": "C2"},
    {"code": "S3", "name": "Tática", "course_code": "C3"},
    {"code": "S4", "name": "Gestão", "course_code": "C4"},
]
PROFESSORS = [
    {
        "code": "P1",
        "name": "Ana Souza",
        "email": "ana@alfa.edu",
        "cpf": cpf(11),
        "phone": "11911110001",
    },
    {
        "code": "P2",
        "name": "Bruno Lima",
        "email": "bruno@alfa.edu",
        "cpf": cpf(12),
        "username": "bruno.lima",
    },
    {"code": "P3", "name": "Carla Dias", "email": "carla@beta.edu", "cpf": cpf(13)},
]
STUDENTS = [
    {
        "code": "AL1",
        "name": "Édson Arantes",
        "email": "edson@aluno.edu",
        "cpf": cpf(21),
        "course_code": "C1",
        "phone": "11922220001",
        "guardians": [{"name": "Maria Arantes", "email": "maria@familia.com"}],
    },
    {
        "code": "AL2",
        "name": "beatriz Costa",
        "email": "bia@aluno.edu",
        "cpf": cpf(22),
        "course_code": "C1",
    },
    {
        "code": "AL3",
        "name": "Caio Prado",
        "email": "caio@aluno.edu",
        "course_code": "C1",
        "username": "caio.prado",
    },
    {
        "code": "AL4",
        "name": "Davi Rocha",
        "email": "davi@aluno.edu",
        "course_code": "C2",
        "guardians": [{"name": "Maria Arantes", "email": "MARIA@familia.com"}],
    },
    {"code": "AL5", "name": "Eva Nunes", "email": "eva@aluno.edu", "course_code": "C2"},
    {"code": "AL6", "name": "Fábio Reis", "email": "fabio@aluno.edu", "course_code": "C3"},
]
ENROLLMENTS = [
    {
        "code": "T1",
        "name": "Algoritmos - Turma A",
        "subject_code": "S1",
        "professor_code": "P1",
        "semester": "2025.1",
        "student_codes": ["AL1", "AL2", "AL3"],
        "schedules": [
            {"code": "H1", "description": "Segunda 08:00-10:00"},
            {"code": "H2", "description": "Quarta 10:00-12:00"},
        ],
        "members": [{"code": "AL6", "role": "Atleta"}, {"code": "P2", "role": "Treinador"}],
    },
    {
        "code": "T2",
        "name": "Anatomia - Noite",
        "subject_code": "S2",
        "professor_code": "P3",
        "semester": "2025.1",
        "student_codes": ["AL4", "AL5"],
        "status": "Suspensa",
        "schedules": [{"code": "H3", "description": "Terça 19:00-21:00"}],
    },
    {
        "code": "T3",
        "name": "Tática Sub-17",
        "subject_code": "S3",
        "professor_code": "P2",
        "semester": "2025.1",
        "student_codes": ["AL6"],
        "schedules": [{"code": "H4", "description": "Sábado 09:00-11:00"}],
        "members": [{"code": "P3", "role": "Monitor"}],
    },
    {
        "code": "T4",
        "subject_code": "S4",
        "professor_code": "P1",
        "semester": "2025.2",
        "student_codes": ["AL1"],
        "status": "Inativa",
    },
    {
        "code": "T5",
        "name": "algoritmos - Turma B",
        "subject_code": "S1",
        "professor_code": "P2",
        "semester": "2025.1",
        "student_codes": ["AL2"],
        "schedules": [{"code": "H5", "description": "Sexta 14:00-16:00"}],
    },
]
FLOW: list[tuple[str, list[dict[str, Any]]]] = [
    ("institutions", INSTITUTIONS),
    ("units", UNITS),
    ("areas", AREAS),
    ("courses", COURSES),
    ("subjects", SUBJECTS),
    ("professors", PROFESSORS),
    ("students", STUDENTS),
    ("enrollments", ENROLLMENTS),
]

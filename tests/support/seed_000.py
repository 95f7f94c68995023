"""The example requests of seed 000 ("Fluxo de Sincronização"), in the seed's order."""

from __future__ import annotations

from typing import Any

UNITS = [
    {
        "code": "CAMPUS_CENTRO",
        "name": "Campus Centro",
        "address": "Rua Principal, 123 - Centro, São Paulo - SP",
    },
    {
        "code": "CAMPUS_NORTE",
        "name": "Campus Zona Norte",
        "address": "Av. Norte, 456 - Zona Norte, São Paulo - SP",
    },
]
AREAS = [
    {
        "code": "TECH",
        "name": "Tecnologia da Informação",
        "unit_code": "CAMPUS_CENTRO",
        "responsible_email": "coord.tech@faculdade.edu.br",
    },
    {"code": "HEALTH", "name": "Ciências da Saúde", "unit_code": "CAMPUS_NORTE"},
]
COURSES = [
    {
        "code": "CC001",
        "name": "Ciência da Computação",
        "description": "Bacharelado em Ciência da Computação - Duração 4 anos",
        "area_code": "TECH",
        "unit_code": "CAMPUS_CENTRO",
        "responsible_code": "PROF001",
    },
    {
        "code": "ENF001",
        "name": "Enfermagem",
        "description": "Bacharelado em Enfermagem - Duração 5 anos",
        "area_code": "HEALTH",
        "unit_code": "CAMPUS_NORTE",
        "responsible_email": "coord.enf@faculdade.edu.br",
    },
]
SUBJECTS = [
    {
        "code": "ALG001",
        "name": "Algoritmos e Programação I",
        "description": "Introdução a algoritmos e lógica de programação",
        "course_code": "CC001",
    },
    {
        "code": "BD001",
        "name": "Banco de Dados I",
        "description": "Fundamentos de banco de dados relacionais",
        "course_code": "CC001",
    },
    {
        "code": "LIBRAS",
        "name": "Língua Brasileira de Sinais",
        "course_code": "CC001",
        "type": "optativa",
    },
]
PROFESSORS = [
    {
        "code": "PROF001",
        "name": "Dr. João Silva",
        "email": "joao.silva@faculdade.edu.br",
        "cpf": "12345678901",
        "phone": "11999999999",
        "area_code": "TECH",
    },
    {
        "code": "PROF002",
        "name": "Dra. Maria Santos",
        "email": "maria.santos@faculdade.edu.br",
        "cpf": "98765432100",
        "area_code": "TECH",
    },
]
STUDENTS = [
    {
        "code": "ALU2024001",
        "name": "Pedro Oliveira Santos",
        "email": "pedro.oliveira@aluno.edu.br",
        "cpf": "11122233344",
        "phone": "11977777777",
        "course_code": "CC001",
    },
    {
        "code": "12345678901",
        "name": "Ana Costa Ferreira",
        "email": "ana.costa@aluno.edu.br",
        "cpf": "12345678901",
        "course_code": "ENF001",
    },
]
ENROLLMENTS = [
    {
        "code": "ALG001-2025.1",
        "subject_code": "ALG001",
        "professor_code": "PROF001",
        "semester": "2025.1",
        "student_codes": ["ALU2024001", "ALU2024002"],
    },
    {
        "code": "BD001-2025.1",
        "subject_code": "BD001",
        "professor_code": "PROF002",
        "semester": "2025.1",
        "student_codes": ["ALU2024001"],
    },
]

FLOW: list[tuple[str, list[dict[str, Any]]]] = [
    ("units", UNITS),
    ("areas", AREAS),
    ("courses", COURSES),
    ("subjects", SUBJECTS),
    ("professors", PROFESSORS),
    ("students", STUDENTS),
    ("enrollments", ENROLLMENTS),
]

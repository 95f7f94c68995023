"""Hierarchy API (seed 002): structures, order, counts and enums over a tenant the ERP built."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.conftest import TenantFixture
from tests.integration.hierarchy_helpers import Hierarchy
from tests.support.generate import cpf


def names(items: list[dict[str, Any]], field: str = "nome") -> list[Any]:
    return [i[field] for i in items]


def test_institutions_with_unit_counts_enums_and_the_default_institution(
    hier: Hierarchy,
) -> None:
    tenant = hier.tenant
    body = hier.ok("instituicoes")

    assert body == [
        {"id": "INST2", "nome": "Beta Educação", "local": "Rua Beta, 2", "tipo": 2,
         "tipoNome": "Filial", "unidadesCount": 1},
        {"id": "INST1", "nome": "Instituto Alfa", "local": "Av. Alfa, 1", "tipo": 1,
         "tipoNome": "Matriz", "unidadesCount": 2},
        {"id": "default", "nome": f"Tenant {tenant.id}", "local": None, "tipo": 1,
         "tipoNome": "Matriz", "unidadesCount": 1},
    ]  # fmt: skip


def test_units_of_an_institution(hier: Hierarchy) -> None:
    body = hier.ok("unidades/INST1")

    assert body == [
        {"id": "U1", "nome": "Campus Centro", "local": "Centro", "tipo": None, "tipoNome": None,
         "instituicaoId": "INST1", "instituicaoNome": "Instituto Alfa", "turmasCount": 2},
        {"id": "U2", "nome": "Campus Norte", "local": "Norte", "tipo": 2, "tipoNome": "Filial",
         "instituicaoId": "INST1", "instituicaoNome": "Instituto Alfa", "turmasCount": 1},
    ]  # fmt: skip
    assert names(hier.ok("unidades/default")) == ["Polo Remoto"]


def test_turmas_of_a_unit_ordered_by_name_whatever_the_case(hier: Hierarchy) -> None:
    body = hier.ok("turmas/U1")

    assert body == [
        {"id": "T1", "nome": "Algoritmos - Turma A", "status": 1, "statusNome": "Ativa",
         "unidadeId": "U1", "unidadeNome": "Campus Centro", "responsavelNome": "Ana Souza",
         "alunosCount": 3},
        {"id": "T5", "nome": "algoritmos - Turma B", "status": 1, "statusNome": "Ativa",
         "unidadeId": "U1", "unidadeNome": "Campus Centro", "responsavelNome": "Bruno Lima",
         "alunosCount": 1},
    ]  # fmt: skip
    suspended = hier.ok("turmas/U2")[0]
    assert (suspended["status"], suspended["statusNome"]) == (3, "Suspensa")
    unnamed = hier.ok("turmas/U4")[0]
    assert (unnamed["nome"], unnamed["status"], unnamed["statusNome"]) == ("T4", 2, "Inativa")


def test_schedules_of_a_turma_with_everyone_and_their_role(hier: Hierarchy) -> None:
    body = hier.ok("horarios/T1")

    assert names(body, "descHorario") == ["Quarta 10:00-12:00", "Segunda 08:00-10:00"]
    first = body[0]
    assert {k: first[k] for k in ("id", "turmaId", "turmaNome")} == {
        "id": "H2",
        "turmaId": "T1",
        "turmaNome": "Algoritmos - Turma A",
    }
    assert [(u["usuarioNome"], u["papelId"], u["papelNome"]) for u in first["usuarios"]] == [
        ("Ana Souza", 3, "Professor"),
        ("beatriz Costa", 1, "Aluno"),
        ("Bruno Lima", 4, "Treinador"),
        ("Caio Prado", 1, "Aluno"),
        ("Édson Arantes", 1, "Aluno"),
        ("Fábio Reis", 2, "Atleta"),
    ]
    assert first["usuarios"][0] == {
        "id": "H2:P1",
        "usuarioId": "P1",
        "usuarioNome": "Ana Souza",
        "papelId": 3,
        "papelNome": "Professor",
    }
    assert hier.ok("horarios/T4") == []  # a turma without horários


def test_students_of_a_turma(hier: Hierarchy) -> None:
    body = hier.ok("turma/T1/alunos")

    assert len(body) == 6
    assert body[1] == {
        "turmaId": "T1",
        "turmaNome": "Algoritmos - Turma A",
        "usuarioNome": "beatriz Costa",
        "usuarioId": "AL2",
        "papelId": 1,
        "papelNome": "Aluno",
        "horarioDescricao": "Quarta 10:00-12:00; Segunda 08:00-10:00",
    }
    assert hier.ok("turma/T4/alunos")[0]["horarioDescricao"] is None


def test_complete_institution_tree(hier: Hierarchy) -> None:
    body = hier.ok("instituicao/INST1/completa")

    assert {k: body[k] for k in ("id", "nome", "local", "tipo")} == {
        "id": "INST1",
        "nome": "Instituto Alfa",
        "local": "Av. Alfa, 1",
        "tipo": 1,
    }
    assert [(u["id"], [t["id"] for t in u["turmas"]]) for u in body["unidades"]] == [
        ("U1", ["T1", "T5"]),
        ("U2", ["T2"]),
    ]
    turma = body["unidades"][1]["turmas"][0]
    assert (turma["nome"], turma["status"]) == ("Anatomia - Noite", 3)
    assert turma["alunos"] == [
        {"usuarioId": "P3", "usuarioNome": "Carla Dias", "papelNaTurma": 3,
         "papelNome": "Professor"},
        {"usuarioId": "AL4", "usuarioNome": "Davi Rocha", "papelNaTurma": 1,
         "papelNome": "Aluno"},
        {"usuarioId": "AL5", "usuarioNome": "Eva Nunes", "papelNaTurma": 1,
         "papelNome": "Aluno"},
    ]  # fmt: skip


def test_complete_schedule_with_its_hierarchy(hier: Hierarchy) -> None:
    body = hier.ok("horario-completo/H3")

    assert {k: v for k, v in body.items() if k != "usuarios"} == {
        "id": "H3",
        "turmaId": "T2",
        "turmaNome": "Anatomia - Noite",
        "descHorario": "Terça 19:00-21:00",
        "status": 3,
        "statusNome": "Suspensa",
        "turmaStatus": 3,
        "unidadeId": "U2",
        "unidadeNome": "Campus Norte",
        "instituicaoId": "INST1",
        "instituicaoNome": "Instituto Alfa",
    }
    assert names(body["usuarios"], "usuarioNome") == ["Carla Dias", "Davi Rocha", "Eva Nunes"]


EDSON_CPF = cpf(21)


@pytest.mark.parametrize(
    "identification",
    [
        "AL1",
        "edson@aluno.edu",
        "EDSON@aluno.edu",
        EDSON_CPF,
        f"{EDSON_CPF[:3]}.{EDSON_CPF[3:6]}.{EDSON_CPF[6:9]}-{EDSON_CPF[9:]}",
    ],
    ids=["code", "email", "email-case", "cpf-digits", "cpf-formatted"],
)
def test_user_schedules_resolve_by_code_email_and_cpf(hier: Hierarchy, identification: str) -> None:
    body = hier.ok(f"horarios-usuario/{identification}")

    assert body["usuario"] == {
        "id": "AL1",
        "nome": "Édson Arantes",
        "email": "edson@aluno.edu",
        "tipo": "aluno",
    }
    assert [(h["id"], h["turmaId"], h["papelNome"]) for h in body["horarios"]] == [
        ("H2", "T1", "Aluno"),
        ("H1", "T1", "Aluno"),
    ]
    assert body["horarios"][0]["unidadeNome"] == "Campus Centro"
    assert body["horarios"][0]["instituicaoNome"] == "Instituto Alfa"


def test_user_schedules_by_username_and_roles_beyond_professor(hier: Hierarchy) -> None:
    body = hier.ok("horarios-usuario/bruno.lima")

    assert body["usuario"]["tipo"] == "professor"
    assert [(h["turmaId"], h["id"], h["papelNome"]) for h in body["horarios"]] == [
        ("T1", "H2", "Treinador"),
        ("T1", "H1", "Treinador"),
        ("T5", "H5", "Professor"),
        ("T3", "H4", "Professor"),
    ]
    assert hier.ok("horarios-usuario/caio.prado")["usuario"]["id"] == "AL3"


def test_debug_schedules_lists_every_horario_and_its_people(hier: Hierarchy) -> None:
    body = hier.ok("debug-horarios")

    assert body["horarioTurmas"][0] == {
        "id": "H2",
        "turmaId": "T1",
        "turmaNome": "Algoritmos - Turma A",
        "descHorario": "Quarta 10:00-12:00",
    }
    assert sorted(names(body["horarioTurmas"], "id")) == ["H1", "H2", "H3", "H4", "H5"]
    assert len(body["horarioUsuarios"]) == 6 + 6 + 3 + 3 + 2
    assert {"id": "H4:P3", "horarioId": "H4", "usuarioId": "P3", "papelId": 6,
            "papelNome": "Monitor"} in body["horarioUsuarios"]  # fmt: skip


def test_search_users_by_hierarchy_filters_and_role(hier: Hierarchy) -> None:
    students = hier.ok("buscar-usuarios", params={"instituicaoId": "INST1", "papel": "aluno"})

    assert [(r["usuarioId"], r["turmaId"]) for r in students] == [
        ("AL2", "T1"),
        ("AL2", "T5"),
        ("AL3", "T1"),
        ("AL4", "T2"),
        ("AL1", "T1"),
        ("AL5", "T2"),
    ]
    assert students[-2] == {
        "usuarioId": "AL1",
        "usuarioNome": "Édson Arantes",
        "usuarioCelular": "11922220001",
        "papelNaTurma": 1,
        "papelNome": "Aluno",
        "turmaId": "T1",
        "turmaNome": "Algoritmos - Turma A",
        "unidadeId": "U1",
        "unidadeNome": "Campus Centro",
        "instituicaoId": "INST1",
        "instituicaoNome": "Instituto Alfa",
    }
    by_number = hier.ok("buscar-usuarios", params={"unidadeId": "U3", "papel": "6"})
    assert [(r["usuarioNome"], r["papelNome"]) for r in by_number] == [("Carla Dias", "Monitor")]
    one_turma = hier.ok("buscar-usuarios", params={"turmaId": "T3"})
    assert len(one_turma) == 3
    everyone = hier.ok("buscar-usuarios")
    assert len(everyone) == 6 + 3 + 3 + 2 + 2


@pytest.mark.parametrize("papel", ["\u00b2", "\uff13", "\u0663", "9" * 5000, "1_0"])
def test_a_role_number_in_other_digits_is_a_400(hier: Hierarchy, papel: str) -> None:
    answer = hier.get("buscar-usuarios", params={"papel": papel})
    assert answer.status_code == 400, answer.text
    assert answer.json()["message"] == "Papel inválido"


def test_recipients_from_counters(hier: Hierarchy) -> None:
    assert hier.ok("destinatarios") == {
        "instituicoes": 3,
        "unidades": 4,
        "turmas": 4,  # T4 is Inativa
        "usuarios": 9,
        "cadastros": 6 + 3 + 3 + 2 + 2,
        "horarios": 5,
    }


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("unidades/NOPE", 404, "Instituição não encontrada"),
        ("turmas/NOPE", 404, "Unidade não encontrada"),
        ("horarios/NOPE", 404, "Turma não encontrada"),
        ("turma/NOPE/alunos", 404, "Turma não encontrada"),
        ("instituicao/NOPE/completa", 404, "Instituição não encontrada"),
        ("horario-completo/NOPE", 404, "Horário não encontrado"),
        ("horarios-usuario/ninguem@x.com", 404, "Usuário não encontrado"),
        ("buscar-usuarios?turmaId=NOPE", 404, "Turma não encontrada"),
        ("buscar-usuarios?unidadeId=NOPE", 404, "Unidade não encontrada"),
        ("buscar-usuarios?papel=Diretor", 400, "Papel inválido"),
        ("buscar-usuarios?papel=9", 400, "Papel inválido"),
        (
            "buscar-usuarios?instituicaoId=INST2&unidadeId=U1",
            400,
            "A unidade U1 não pertence à instituição INST2",
        ),
        ("buscar-usuarios?unidadeId=U2&turmaId=T1", 400, "A turma T1 não pertence à unidade U2"),
        ("turmas/%01bad", 400, "Parâmetro inválido"),
    ],
)
def test_errors_in_the_seed_format(hier: Hierarchy, path: str, status: int, message: str) -> None:
    response = hier.get(path)

    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "details", "timestamp"}
    assert body["message"] == message
    assert body["timestamp"].endswith("Z") or "+00:00" in body["timestamp"]


def test_a_bad_token_is_401_in_the_seed_format(api: httpx.Client) -> None:
    response = api.get("/api/hierarquia/instituicoes", headers={"Authorization": "Bearer a.b.c"})

    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "Unauthorized"
    assert body["message"] == "Token inválido ou expirado"
    assert body["timestamp"]


def test_api_keys_are_not_accepted(api: httpx.Client, tenant: TenantFixture) -> None:
    response = api.get("/api/hierarquia/instituicoes", headers=tenant.headers(tenant.api_key()))

    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"

"""The hierarchy API's real answers, on the test institution, validate against the schemas
its OpenAPI document publishes (field names, types and nullability of the seed's rows)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from openapi.apis import APIS
from openapi.spec import document
from tests.integration.hierarchy_helpers import Hierarchy

DOC = document(next(api for api in APIS if api.name == "hierarchy"))
CALLS = [
    ("instituicoes", "/api/hierarquia/instituicoes"),
    ("unidades/INST1", "/api/hierarquia/unidades/{code}"),
    ("turmas/U1", "/api/hierarquia/turmas/{code}"),
    ("horarios/T1", "/api/hierarquia/horarios/{code}"),
    ("turma/T1/alunos", "/api/hierarquia/turma/{code}/alunos"),
    ("instituicao/INST1/completa", "/api/hierarquia/instituicao/{code}/completa"),
    ("horario-completo/H3", "/api/hierarquia/horario-completo/{code}"),
    ("horarios-usuario/bruno.lima", "/api/hierarquia/horarios-usuario/{identification}"),
    ("debug-horarios", "/api/hierarquia/debug-horarios"),
    ("buscar-usuarios?instituicaoId=INST1", "/api/hierarquia/buscar-usuarios"),
    ("destinatarios", "/api/hierarquia/destinatarios"),
]


def _schema(path: str) -> dict[str, Any]:
    media = DOC["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return {**media["schema"], "components": DOC["components"]}


def test_every_hierarchy_route_is_checked_here() -> None:
    assert sorted(path for _, path in CALLS) == sorted(DOC["paths"])


@pytest.mark.parametrize(("call", "path"), CALLS, ids=[c for c, _ in CALLS])
def test_the_answer_validates_against_the_documented_schema(
    hier: Hierarchy, call: str, path: str
) -> None:
    target, _, query = call.partition("?")
    params = dict(kv.split("=") for kv in query.split("&")) if query else None
    body = hier.ok(target, params=params)

    assert body, "an empty answer would check nothing"
    problems = [e.message for e in Draft202012Validator(_schema(path)).iter_errors(body)]
    assert problems == []

"""Seed 000's example requests in the seed's order, as the ERP would send them."""

from __future__ import annotations

import httpx

from ponte.domain.tenancy import Scope
from tests.integration.conftest import TenantFixture
from tests.support.seed_000 import FLOW

BASE = "/api/integration/v1"
LABELS = {
    "units": "unidades",
    "areas": "áreas",
    "courses": "cursos",
    "subjects": "disciplinas",
    "professors": "professores",
    "students": "alunos",
    "enrollments": "turmas",
}


def test_seed_flow_then_everything_unchanged(api: httpx.Client, tenant: TenantFixture) -> None:
    headers = tenant.headers(tenant.api_key(Scope.FULL))
    assert api.get(f"{BASE}/health").json()["status"] == "healthy"

    answers = {}
    for entity, records in FLOW:
        response = api.post(f"{BASE}/{entity}/sync", headers=headers, json={entity: records})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["success"] is True
        assert body["message"] == f"Sincronização de {LABELS[entity]} concluída."
        answers[entity] = body["data"]

    # The seed shows this answer for units.
    assert {k: answers["units"][k] for k in ("created", "updated", "failed")} == {
        "created": 2,
        "updated": 0,
        "failed": 0,
    }
    for entity in ("areas", "courses", "subjects", "professors", "students"):
        assert answers[entity]["created"] == len(dict(FLOW)[entity]), entity
        assert answers[entity]["failed"] == 0, answers[entity]
    # The seed's CPFs 12345678901 and 11122233344 have wrong check digits: accepted, warned.
    assert [w["code"] for w in answers["professors"]["warnings"]] == ["PROF001"]
    assert [w["code"] for w in answers["students"]["warnings"]] == ["ALU2024001", "12345678901"]
    # The seed's first turma names ALU2024002, which the seed never syncs.
    turmas = answers["enrollments"]
    assert (turmas["created"], turmas["failed"]) == (1, 1)
    assert turmas["errors"] == [
        {
            "index": 0,
            "code": "ALG001-2025.1",
            "errors": {"student_codes": ["O aluno ALU2024002 não existe"]},
        }
    ]
    assert turmas["students"] == {"linked": 1, "unlinked": 0}

    status = api.get(f"{BASE}/sync-status", headers=headers).json()["data"]
    assert status["last_sync"]["minutes_ago"] == 0
    assert {e: v["total"] for e, v in status["entities"].items()} == {
        "units": 2,
        "areas": 2,
        "courses": 2,
        "subjects": 3,
        "professors": 2,
        "students": 2,
        "enrollments": 1,
    }

    for entity, records in FLOW:
        again = api.post(f"{BASE}/{entity}/sync", headers=headers, json={entity: records})
        data = again.json()["data"]
        valid = len(records) - (1 if entity == "enrollments" else 0)
        assert (data["created"], data["updated"], data["unchanged"]) == (0, 0, valid), entity

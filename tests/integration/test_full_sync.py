"""Ordered full sync: the real full_sync.asl.json executed by moto's engine, tasks in-process."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import Erp
from tests.integration.full_sync_helpers import BASE, wait
from tests.support import seed_000


@pytest.fixture
def erp(api: httpx.Client, tenant: TenantFixture) -> Erp:
    return Erp(api, tenant)


def _bundle() -> dict[str, object]:
    return dict(seed_000.FLOW)


def test_seed_bundle_in_one_call(erp: Erp, api: httpx.Client) -> None:
    response = api.post(BASE, headers=erp.headers, json=_bundle())

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["status"] == "queued"
    assert data["status_url"] == f"{BASE}/{data['run_id']}"
    run = wait(api, erp.headers, data["run_id"])

    assert run["status"] == "completed_with_errors"  # the seed's turma naming ALU2024002
    assert run["progress"]["units"] == {
        "total": 2,
        "processed": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    assert run["progress"]["enrollments"]["failed"] == 1
    assert run["errors"] == [
        {
            "entity": "enrollments",
            "index": 0,
            "code": "ALG001-2025.1",
            "errors": {"student_codes": ["O aluno ALU2024002 não existe"]},
        }
    ]
    assert run["ended_at"] is not None
    assert erp.get("professors/PROF001").status_code == 200
    status = erp.get("sync-status").json()["data"]
    assert status["entities"]["students"] == {"total": 2}
    history = api.get(BASE, headers=erp.headers).json()["data"]
    assert [r["run_id"] for r in history] == [data["run_id"]]

"""Kommo role sync (seed 001) through the real role_sync.asl.json on moto, against the fake."""

from __future__ import annotations

import time
from typing import Any

import httpx

from ponte.repository import kommo as kommo_store
from tests.integration.kommo.conftest import MASTER_ROLES, Kommo, rights
from tests.support.virtual_time import VirtualClock


def divergent_roles() -> list[dict[str, Any]]:
    """Ten of the master's twelve roles, one with other rights, an extra role and `admin`."""
    roles = [dict(r) for r in MASTER_ROLES[:10]]
    roles[0] = {"name": "Vendedor", "rights": rights("A")}  # the master's is "M"
    roles.append({"name": "Estagiário", "rights": rights("D")})
    roles.append({"name": "admin", "rights": rights("A")})
    return roles


def school_of_accounts(kommo: Kommo) -> dict[str, Any]:
    master, _ = kommo.account("master", "master", MASTER_ROLES)
    same, _ = kommo.account("slave1", "slave", MASTER_ROLES)
    diverging, fake = kommo.account("slave2", "slave", divergent_roles())
    failing, broken = kommo.account("slave3", "slave", [], down=True)
    return {"master": master, "ids": (same, diverging, failing), "fake": fake, "broken": broken}


def test_the_seeds_results_are_exact(kommo: Kommo, real_now_clock: VirtualClock) -> None:
    accounts = school_of_accounts(kommo)
    same, diverging, failing = accounts["ids"]
    accounts["fake"].fail_next = [429]  # Kommo's rate limit answer, with an HTML body

    response = kommo.sync({"batch_config": {"batch_size": 2, "batch_delay": 2.0}})

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["success"], body["message"]) == (True, "Sincronização de roles concluída")
    results = body["results"]
    details = results.pop("account_details")
    assert results == {
        "total_accounts": 3,
        "success_accounts": 2,
        "failed_accounts": 1,
        "total_roles_created": 2,
        "total_roles_updated": 1,
        "total_roles_deleted": 1,
        "total_roles_skipped": 12 + 10,
    }
    prefix = kommo.prefix
    assert details[:2] == [
        {"account_id": same, "subdomain": f"{prefix}-slave1", "status": "success",
         "results": {"created": 0, "updated": 0, "deleted": 0, "skipped": 12, "errors": []}},
        {"account_id": diverging, "subdomain": f"{prefix}-slave2", "status": "success",
         "results": {"created": 2, "updated": 1, "deleted": 1, "skipped": 10, "errors": []}},
    ]  # fmt: skip
    assert details[2]["account_id"] == failing
    assert details[2]["status"] == "failed"
    assert details[2]["error"].startswith("Falha na conexão")
    assert details[2]["partial_results"] is None

    fake = accounts["fake"]
    names = sorted(r["name"] for r in fake.roles.values())
    assert names == sorted([r["name"] for r in MASTER_ROLES] + ["admin"])  # system role kept
    vendedor = next(r for r in fake.roles.values() if r["name"] == "Vendedor")
    assert vendedor["rights"] == MASTER_ROLES[0]["rights"]
    # Nothing was written to the identical slave, nor to any slave before every check.
    assert kommo.fake.writes(f"{prefix}-slave1") == []
    # Batches of two with a two-second Wait between them: POST (2 creates) | PATCH, DELETE.
    writes = kommo.fake.writes(f"{prefix}-slave2")
    assert [w.method for w in writes] == ["POST", "PATCH", "DELETE"]
    assert writes[1].at - writes[0].at >= 2.0
    assert 2 in real_now_clock.slept
    # Never more than 7 requests a second to an account; the 429 was retried.
    for subdomain in {r.subdomain for r in kommo.fake.requests if r.subdomain.startswith(prefix)}:
        times = [r.at for r in kommo.fake.requests if r.subdomain == subdomain]
        assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 7
    assert 429 in [r.status for r in kommo.fake.requests if r.subdomain == f"{prefix}-slave2"]


def test_a_second_run_changes_nothing(kommo: Kommo, real_now_clock: VirtualClock) -> None:
    accounts = school_of_accounts(kommo)
    assert kommo.sync().status_code == 200
    writes = len(kommo.fake.writes(accounts["fake"].subdomain))

    again = kommo.sync().json()["results"]

    assert again["total_roles_created"] == again["total_roles_updated"] == 0
    assert again["total_roles_deleted"] == 0
    assert again["total_roles_skipped"] == 12 + 13  # slave2 now has the 12 roles and `admin`
    assert len(kommo.fake.writes(accounts["fake"].subdomain)) == writes


def test_status_and_logs_after_a_run(kommo: Kommo, real_now_clock: VirtualClock) -> None:
    accounts = school_of_accounts(kommo)
    sync_id = kommo.sync().json()["sync_id"]

    status = kommo.api.get("/sync/status", headers=kommo.headers).json()["data"]
    logs = kommo.api.get("/sync/logs", headers=kommo.headers).json()["data"]

    assert status["running"] is False
    assert status["last"]["sync_id"] == sync_id
    assert status["last"]["results"]["success_accounts"] == 2
    assert sorted((entry["slave_id"], entry["status"]) for entry in logs) == sorted(
        zip(accounts["ids"], ("success", "success", "failed"), strict=True)
    )
    entry = next(e for e in logs if e["slave_id"] == accounts["ids"][1])
    assert entry["master_id"] == accounts["master"]
    assert entry["type"] == "roles_only"
    assert entry["details"]["created"] == 2


def test_a_slave_failing_mid_run_keeps_its_partial_results(
    kommo: Kommo, real_now_clock: VirtualClock
) -> None:
    kommo.account("master", "master", MASTER_ROLES)
    slave, fake = kommo.account("slave", "slave", [])
    fake.failing_paths = {f"/api/v4/roles/{i}" for i in range(0, 10**5)}  # no PATCH/DELETE
    fake.roles[1] = {"id": 1, "name": "Sobra", "rights": {}}  # to be deleted: it will fail

    details = kommo.sync({"batch_config": {"batch_size": 20}}).json()["results"]

    entry = details["account_details"][0]
    assert entry["status"] == "failed"
    assert "HTTP 500" in entry["error"]
    assert entry["partial_results"]["skipped"] == 0
    assert entry["account_id"] == slave


def test_seed_errors(kommo: Kommo, real_now_clock: VirtualClock) -> None:
    assert kommo.sync().json() == {"success": False, "error": "Nenhuma conta master encontrada"}
    assert kommo.sync().status_code == 400
    kommo.account("master", "master", MASTER_ROLES)
    missing = kommo.sync({"master_account_id": 99})
    assert (missing.status_code, missing.json()) == (
        404,
        {"success": False, "error": "Conta master 99 não encontrada"},
    )
    bad = kommo.sync({"batch_config": {"batch_size": "cinco"}})
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("Parâmetros inválidos")
    assert kommo.sync({"slave_account_ids": "2"}).status_code == 400


def test_a_master_whose_roles_cannot_be_read_is_the_seeds_500(
    kommo: Kommo, real_now_clock: VirtualClock
) -> None:
    _, master = kommo.account("master", "master", MASTER_ROLES)
    kommo.account("slave", "slave", [])
    master.failing_paths = {"/api/v4/roles"}

    response = kommo.sync()

    assert response.status_code == 500
    body = response.json()
    assert body["success"] is False
    assert body["error"].startswith("Erro ao extrair roles da master: ")
    assert kommo.fake.writes(f"{kommo.prefix}-slave") == []  # nothing changed anywhere


def test_stop_mid_run_records_what_was_done_and_frees_the_lock(kommo: Kommo) -> None:
    """Real time: Waits of 2 s between batches of one role give the test time to stop."""
    kommo.account("master", "master", MASTER_ROLES)
    slave_id, fake = kommo.account("slave", "slave", [])

    started = kommo.sync({"batch_config": {"batch_size": 1, "batch_delay": 2}}, wait=False)
    assert started.status_code == 202, started.text
    sync_id = started.json()["sync_id"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        current = kommo.api.get("/sync/status", headers=kommo.headers).json()["data"]["current"]
        if current and current["accounts"] and current["accounts"][0]["roles_processed"] >= 1:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the run never got going")
    assert kommo.sync(wait=False).json() == {
        "success": False,
        "error": "Já existe uma sincronização em andamento",
    }

    stopped = kommo.api.post("/sync/stop", headers=kommo.headers)

    assert stopped.status_code == 200, stopped.text
    data = stopped.json()["data"]
    assert (data["sync_id"], data["status"]) == (sync_id, "stopped")
    detail = data["results"]["account_details"][0]
    assert detail["status"] == "failed"
    assert detail["error"] == "Sincronização interrompida"
    created = detail["partial_results"]["created"]
    assert 1 <= created < 12
    assert len(fake.roles) == created
    status = kommo.api.get("/sync/status", headers=kommo.headers).json()["data"]
    assert status["running"] is False
    # A task already under way writes "running" after the stop: still not listed as running.
    kommo_store.set_slave(kommo.tenant.id, sync_id, slave_id, {"status": "running"})
    last = kommo.api.get("/sync/status", headers=kommo.headers).json()["data"]["last"]
    late = last["results"]["account_details"][0]
    assert (late["status"], late["error"]) == ("failed", "Sincronização interrompida")
    assert kommo.sync(wait=False).status_code == 202  # the lock is free
    kommo.api.post("/sync/stop", headers=kommo.headers)


def test_accounts_are_registered_and_their_tokens_never_shown(
    kommo: Kommo, api: httpx.Client, real_now_clock: VirtualClock
) -> None:
    account_id, fake = kommo.account("master", "master", MASTER_ROLES)

    listed = api.get("/sync/accounts", headers=kommo.headers)
    changed = api.patch(
        f"/sync/accounts/{account_id}", headers=kommo.headers, json={"active": False}
    )
    refused = api.post(
        "/sync/accounts", headers=kommo.headers, json={"subdomain": "Bad Name!", "role": "boss"}
    )

    assert listed.json()["data"][0] | {"created_at": "", "updated_at": ""} == {
        "id": account_id,
        "subdomain": fake.subdomain,
        "role": "master",
        "active": True,
        "created_at": "",
        "updated_at": "",
    }
    assert fake.token not in listed.text + changed.text
    assert changed.json()["data"]["active"] is False
    assert refused.status_code == 400
    assert kommo.sync().json()["error"] == "Nenhuma conta master encontrada"  # inactive
    deleted = api.delete(f"/sync/accounts/{account_id}", headers=kommo.headers)
    assert deleted.status_code == 200
    assert api.get("/sync/accounts", headers=kommo.headers).json()["data"] == []
    assert api.delete("/sync/accounts/999", headers=kommo.headers).status_code == 404


def test_admins_only(kommo: Kommo, api: httpx.Client) -> None:
    token = kommo.tenant.token("coordinator")

    response = api.get("/sync/accounts", headers={"Authorization": f"Bearer {token}"})

    assert (response.status_code, response.json()["success"]) == (403, False)


def test_a_token_renewed_at_kommo_is_given_by_patch_and_used_by_the_next_sync(
    kommo: Kommo, real_now_clock: VirtualClock
) -> None:
    master_id, master = kommo.account("master", "master", MASTER_ROLES)
    _, slave = kommo.account("slave", "slave", [])
    master.token = f"token-{kommo.prefix}-renewed-0123456789"  # the old one is refused now
    assert kommo.sync().status_code == 500  # the master's roles cannot be read

    changed = kommo.api.patch(
        f"/sync/accounts/{master_id}", headers=kommo.headers, json={"token": master.token}
    )

    assert changed.status_code == 200
    assert master.token not in changed.text
    synced = kommo.sync()
    assert synced.status_code == 200, synced.text
    assert synced.json()["results"]["total_roles_created"] == len(MASTER_ROLES)
    assert kommo.fake.writes(slave.subdomain)  # the slave got them, read with the new token

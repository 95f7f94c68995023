"""Kommo API routes given what a client should not send: a 400 in the seed's envelope."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.kommo.conftest import Kommo


@pytest.mark.parametrize("limit", ["²", "-1", "0", "201", "abc", "1e2"])
def test_a_bad_logs_limit_is_a_400(kommo: Kommo, limit: str) -> None:
    response = kommo.api.get("/sync/logs", headers=kommo.headers, params={"limit": limit})

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert response.json()["error"].startswith("Parâmetros inválidos")


@pytest.mark.parametrize("account", ["²", "1.5", "9999999999", "x"])
def test_an_account_id_that_is_not_a_number_is_a_400(kommo: Kommo, account: str) -> None:
    response = kommo.api.patch(f"/sync/accounts/{account}", headers=kommo.headers, json={})

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": "O id da conta deve ser um número inteiro",
    }


def test_concurrent_creates_of_one_account_store_only_the_winners_token(kommo: Kommo) -> None:
    from ponte.services import kommo_accounts

    def create(i: int) -> tuple[int, str]:
        token = f"token-race{i}-0123456789"
        body = {"id": 4242, "subdomain": f"race{i}", "role": "slave", "token": token}
        response = kommo.api.post("/sync/accounts", headers=kommo.headers, json=body)
        return response.status_code, token

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(8)))

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 7
    winner = next(token for status, token in answers if status == 201)
    assert kommo_accounts.token(kommo.tenant.id, 4242) == winner


def test_a_second_master_is_refused_so_the_sync_never_picks_one_by_chance(kommo: Kommo) -> None:
    master, _ = kommo.account("master", "master", [])
    slave, _ = kommo.account("slave", "slave", [])
    second = kommo.api.post(
        "/sync/accounts", headers=kommo.headers,
        json={"subdomain": f"{kommo.prefix}-other", "role": "master", "token": "token-0123456789"},
    )  # fmt: skip
    promoted = kommo.api.patch(
        f"/sync/accounts/{slave}", headers=kommo.headers, json={"role": "master"}
    )

    assert second.status_code == 409
    assert second.json() == {
        "success": False,
        "error": f"Já existe uma conta master (id {master}): altere-a para slave antes",
    }
    assert promoted.status_code == 409
    demoted = kommo.api.patch(
        f"/sync/accounts/{master}", headers=kommo.headers, json={"role": "slave"}
    )
    assert demoted.status_code == 200  # then the other may become the master
    again = kommo.api.patch(
        f"/sync/accounts/{slave}", headers=kommo.headers, json={"role": "master"}
    )
    assert again.status_code == 200, again.text

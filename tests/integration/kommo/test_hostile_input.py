"""Kommo API routes given what a client should not send: a 400 in the seed's envelope."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ponte import tls
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


NON_ASCII_TOKEN = "m\u00e4ster-token-xx"


def test_a_token_a_header_cannot_carry_is_refused_and_never_echoed(kommo: Kommo) -> None:
    master, _ = kommo.account("master", "master", [])
    created = kommo.api.post(
        "/sync/accounts", headers=kommo.headers,
        json={"subdomain": f"{kommo.prefix}-s", "role": "slave", "token": NON_ASCII_TOKEN},
    )  # fmt: skip
    changed = kommo.api.patch(
        f"/sync/accounts/{master}", headers=kommo.headers, json={"token": NON_ASCII_TOKEN}
    )

    for answer in (created, changed):
        assert answer.status_code == 400, answer.text
        assert answer.json()["success"] is False
        assert answer.json()["error"].startswith("Parâmetros inválidos — token:")
        assert "\u00e4" not in answer.text
    from ponte.services import kommo_accounts

    assert (
        kommo_accounts.token(kommo.tenant.id, master) == f"token-{kommo.prefix}-master-0123456789"
    )


def test_a_stored_token_a_header_cannot_carry_fails_the_sync_without_echoing_it(
    kommo: Kommo,
) -> None:
    """A token stored before the rule (or by hand): the run fails saying what to do, and
    neither the answer nor /sync/status carries a character of it."""
    from ponte.adapters import secret_store

    master, _ = kommo.account("master", "master", [])
    kommo.account("slave", "slave", [])
    secret_store.put(secret_store.name(kommo.tenant.id, "kommo", str(master)), NON_ASCII_TOKEN)

    answer = kommo.sync()
    status = kommo.api.get("/sync/status", headers=kommo.headers)

    assert answer.json()["success"] is False
    error = answer.json()["error"]
    assert "tem caracteres que um cabeçalho HTTP não aceita" in error
    assert "\u00e4" not in answer.text
    assert "UnicodeEncodeError" not in answer.text
    assert status.status_code == 200
    assert "\u00e4" not in status.text
    assert "cabeçalho HTTP" in str(status.json()["data"]["last"]["error"])


def _at_once(kommo: Kommo, requests: list[tuple[str, str, dict[str, object]]]) -> list[int]:
    import threading

    import httpx

    barrier = threading.Barrier(len(requests))

    def send(request: tuple[str, str, dict[str, object]]) -> int:
        method, path, body = request
        with httpx.Client(
            base_url=str(kommo.api.base_url), timeout=60, verify=tls.context()
        ) as client:
            barrier.wait()
            return client.request(method, path, headers=kommo.headers, json=body).status_code

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _masters(kommo: Kommo) -> list[int]:
    listed = kommo.api.get("/sync/accounts", headers=kommo.headers).json()["data"]
    return [a["id"] for a in listed if a["role"] == "master"]


@pytest.mark.parametrize("round_", range(2))
def test_ten_concurrent_masters_make_one_master(kommo: Kommo, round_: int) -> None:
    """Check-then-write let all ten through; the tenant's master claim lets one."""
    creates = [
        ("POST", "/sync/accounts",
         {"subdomain": f"{kommo.prefix}-m{i}", "role": "master", "token": f"token-m{i}-0123456"})
        for i in range(10)
    ]  # fmt: skip

    statuses = _at_once(kommo, creates)

    assert sorted(statuses) == [201] + [409] * 9
    assert len(_masters(kommo)) == 1


def test_concurrent_promotions_make_one_master_and_a_demoted_one_frees_the_claim(
    kommo: Kommo,
) -> None:
    slaves = [kommo.account(f"s{i}", "slave", [])[0] for i in range(8)]
    promotions = [("PATCH", f"/sync/accounts/{s}", {"role": "master"}) for s in slaves]

    statuses = _at_once(kommo, promotions)

    assert sorted(statuses) == [200] + [409] * 7
    (master,) = _masters(kommo)
    demote = kommo.api.patch(
        f"/sync/accounts/{master}", headers=kommo.headers, json={"role": "slave"}
    )
    assert demote.status_code == 200
    other = next(s for s in slaves if s != master)
    promoted = kommo.api.patch(
        f"/sync/accounts/{other}", headers=kommo.headers, json={"role": "master"}
    )
    assert promoted.status_code == 200, promoted.text
    deleted = kommo.api.delete(f"/sync/accounts/{other}", headers=kommo.headers)
    assert deleted.status_code == 200
    created = kommo.api.post(
        "/sync/accounts", headers=kommo.headers,
        json={"subdomain": f"{kommo.prefix}-new", "role": "master", "token": "token-new-0123456"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert len(_masters(kommo)) == 1


def test_a_claim_no_master_backs_is_dropped_not_a_dead_end(kommo: Kommo) -> None:
    """A crash between deleting a master and its claim must not bar every future master."""
    from ponte import aws
    from ponte.repository import keys
    from ponte.repository.table import serialize, table_name

    slave, _ = kommo.account("s", "slave", [])
    for holder in (999, slave):  # an account that is gone; one that is no master
        claim = {**keys.kommo_master(kommo.tenant.id), "account_id": holder}
        aws.dynamodb().put_item(TableName=table_name(), Item=serialize(claim))
        created = kommo.api.post(
            "/sync/accounts", headers=kommo.headers,
            json={"subdomain": f"{kommo.prefix}-m{holder}", "role": "master",
                  "token": "token-m-0123456"},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        master = created.json()["data"]["id"]
        assert (
            kommo.api.delete(f"/sync/accounts/{master}", headers=kommo.headers).status_code == 200
        )

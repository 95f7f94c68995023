"""One stored ticket through the admin API (GET …/api/tickets/{id}): its fields, clients,
actions and status history, the link to Movidesk when the account's subdomain is set, a
ticket too large for one answer, and who may read it."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import requests

from tests.integration.conftest import TenantFixture
from tests.integration.movidesk.conftest import API, Movidesk

SP = timedelta(hours=-3)  # São Paulo's offset in October 2025
AT = datetime(2025, 10, 15, 9, tzinfo=UTC) - SP  # the 15th, 09:00 in São Paulo
HISTORY = [
    {"status": "Novo", "justification": None, "changedDate": "2025-10-15T12:00:00",
     "changedBy": {"id": "7", "businessName": "Agente"}},
    {"status": "Em atendimento", "justification": "Em análise",
     "changedDate": "2025-10-15T12:30:00", "changedBy": {"id": "7", "businessName": "Agente"}},
]  # fmt: skip


def test_a_synced_ticket_comes_with_its_parts_and_its_movidesk_link(movidesk: Movidesk) -> None:
    movidesk.configure()
    ids = movidesk.fake.add(movidesk.token, 2, at=AT, actions=3)
    movidesk.run_manual("2025-10-15", "2025-10-15")
    sent = movidesk.fake.accounts[movidesk.token].tickets[ids[0]]

    plain = movidesk.get(f"/tickets/{ids[0]}")
    assert movidesk.put_settings({"subdomain": "suporte-acme"}).status_code == 200
    linked = movidesk.get(f"/tickets/{ids[0]}").json()["data"]

    assert plain.status_code == 200, plain.text
    data = plain.json()["data"]
    assert data["id"] == str(ids[0])
    assert data["ticket"]["protocol"] == sent["protocol"]
    assert data["ticket"]["subject"] == sent["subject"]
    assert not {"actions", "clients", "statusHistories"} & set(data["ticket"])
    assert data["clients"] == sent["clients"]
    assert [a["description"] for a in data["actions"]] == [
        a["description"] for a in sent["actions"]
    ]
    assert data["actionsTotal"] == 3
    assert data["statusHistories"] is None  # the sync stores none yet
    assert data["syncedAt"]
    assert data["movideskUrl"] is None
    assert "dataUrl" not in data
    assert linked["movideskUrl"] == f"https://suporte-acme.movidesk.com/Ticket/Edit/{ids[0]}"


def test_a_stored_status_history_is_given(movidesk: Movidesk) -> None:
    ticket = {"id": 555001, "protocol": "2025555001", "subject": "Rede lenta",
              "status": "Em atendimento", "clients": [{"id": "9", "businessName": "Escola"}],
              "actions": [{"id": 1, "type": 2, "description": "Lenta desde ontem",
                           "createdDate": "2025-10-15T12:00:00"}],
              "statusHistories": HISTORY}  # fmt: skip
    movidesk.store_ticket(ticket, AT)

    data = movidesk.get("/tickets/555001").json()["data"]

    assert data["statusHistories"] == HISTORY
    assert data["ticket"]["subject"] == "Rede lenta"
    assert data["clients"] == ticket["clients"]


def test_a_missing_ticket_is_404_in_portuguese(movidesk: Movidesk) -> None:
    movidesk.configure()
    for missing in ("999999", "x" * 65, "um%20ticket"):
        answer = movidesk.get(f"/tickets/{missing}")
        assert answer.status_code == 404, answer.text
        body = answer.json()
        assert (body["success"], body["code"]) == (False, "TICKET_NOT_FOUND")
        assert body["error"] == "Ticket não encontrado"


def test_admins_only_and_each_tenant_its_own(
    movidesk: Movidesk, other_tenant: TenantFixture
) -> None:
    movidesk.store_ticket({"id": 555002, "subject": "Só deste tenant"}, AT)
    path = f"{API}/tickets/555002"

    anonymous = movidesk.api.get(path)
    professor = movidesk.api.get(path, headers=movidesk.headers("professor"))
    other = movidesk.api.get(path, headers=other_tenant.headers(other_tenant.token("admin")))

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED")
    assert professor.status_code == 403
    assert (other.status_code, other.json()["code"]) == (404, "TICKET_NOT_FOUND")
    assert movidesk.get("/tickets/555002").status_code == 200


def test_a_ticket_too_large_for_one_answer_keeps_its_newest_actions_and_links_the_whole(
    movidesk: Movidesk,
) -> None:
    movidesk.configure()
    huge = movidesk.fake.add(
        movidesk.token, 1, at=AT, actions=1000, action_text=secrets.token_urlsafe(7000)
    )
    movidesk.run_manual("2025-10-15", "2025-10-15")

    answer = movidesk.get(f"/tickets/{huge[0]}")

    assert answer.status_code == 200
    assert len(answer.content) < 6 * 1024 * 1024
    data = answer.json()["data"]
    assert data["actionsTotal"] == 1000
    shown = [a["id"] for a in data["actions"]]
    assert 0 < len(shown) < 1000
    assert shown == list(range(1001 - len(shown), 1001))  # the newest, oldest first
    assert data["clients"]
    assert data["ticket"]["subject"] == f"Chamado {huge[0]}"
    whole = requests.get(data["dataUrl"], timeout=60).json()
    assert (whole["id"], len(whole["actions"])) == (huge[0], 1000)
    expires = datetime.fromisoformat(data["dataUrlExpiresAt"].replace("Z", "+00:00"))
    assert timedelta(0) < expires - movidesk.clock.now() <= timedelta(minutes=15)

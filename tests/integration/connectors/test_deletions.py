"""Records deleted at the vendor, through the API, the worker and the fakes: HubSpot's
archived objects and Zendesk's deleted tickets and users get ``deletedAt``, runs count them
(``recordsDeleted``, in total and per stream), and the records endpoint leaves them out
unless ``includeDeleted=true``."""

from __future__ import annotations

from typing import Any

from tests.integration.connectors.conftest import CONNECTIONS, Connectors
from tests.support.virtual_time import VirtualClock


def _ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return sorted(r["id"] for r in answer.json()["data"])


def test_hubspot_archived_objects_are_deletions_hidden_unless_asked_for(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=10, deals=3)
    first = connectors.run(connection_id)
    clock.advance(600)
    contacts = sorted(connectors.hubspot.accounts[token].objects["contacts"])
    deal = sorted(connectors.hubspot.accounts[token].objects["deals"])[0]
    connectors.hubspot.archive(token, "contacts", contacts[:2])
    connectors.hubspot.archive(token, "deals", [deal])
    clock.advance(5)

    second = connectors.run(connection_id)
    clock.advance(60)
    third = connectors.run(connection_id)

    assert first["recordsDeleted"] == 0
    assert second["status"] == "success"
    assert second["recordsDeleted"] == 3
    assert (second["streams"]["contacts"]["deleted"], second["streams"]["deals"]["deleted"]) == (
        2,
        1,
    )
    assert second["recordsSynced"] == 0  # created + updated, as the seed counts
    assert third["recordsDeleted"] == 0  # read again within the lookback: unchanged
    live = connectors.records(connection_id, "contacts", limit=100)
    everything = connectors.records(connection_id, "contacts", limit=100, includeDeleted="true")
    assert _ids(live) == contacts[2:]
    assert _ids(everything) == contacts
    shown = {r["id"]: r for r in everything.json()["data"]}
    assert shown[contacts[0]]["deletedAt"] is not None
    assert shown[contacts[0]]["data"]["archived"] is True
    assert shown[contacts[5]]["deletedAt"] is None
    assert _ids(connectors.records(connection_id, "deals", limit=100)) == sorted(
        set(connectors.hubspot.accounts[token].objects["deals"]) - {deal}
    )


def test_zendesk_deleted_tickets_and_users_are_deletions(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, subdomain = connectors.zendesk_connection(tickets=5, users=3)
    connectors.run(connection_id)
    clock.advance(120)
    connectors.zendesk.delete(subdomain, "tickets", [101, 102])
    connectors.zendesk.delete(subdomain, "users", [107])
    connectors.zendesk.change(subdomain, "tickets", [103])

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert run["recordsDeleted"] == 3
    assert (run["streams"]["tickets"]["deleted"], run["streams"]["users"]["deleted"]) == (2, 1)
    assert run["streams"]["tickets"]["updated"] == 1
    assert _ids(connectors.records(connection_id, "tickets")) == ["103", "104", "105"]
    everything = connectors.records(connection_id, "tickets", includeDeleted="true")
    deleted = {r["id"]: r for r in everything.json()["data"] if r["deletedAt"]}
    assert sorted(deleted) == ["101", "102"]
    assert deleted["101"]["data"]["status"] == "deleted"
    assert deleted["101"]["deletedAt"] == deleted["101"]["updatedAt"]
    assert _ids(connectors.records(connection_id, "users")) == ["106", "108"]
    logs = connectors.api.get(run["logUrl"], headers=connectors.headers).json()["data"]
    assert any("2 deleted" in e["message"] for e in logs["entries"] if e["level"] == "info")


def test_a_cursor_opens_only_the_listing_it_was_issued_for(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, subdomain = connectors.zendesk_connection(tickets=5)
    connectors.run(connection_id)
    clock.advance(120)
    connectors.zendesk.delete(subdomain, "tickets", [101])
    connectors.run(connection_id)

    page = connectors.records(connection_id, "tickets", limit=2, includeDeleted="true").json()
    moved = connectors.records(connection_id, "tickets", limit=2, cursor=page["meta"]["nextCursor"])
    bad = connectors.api.get(
        f"{CONNECTIONS}/{connection_id}/records",
        headers=connectors.headers,
        params={"stream": "tickets", "includeDeleted": "maybe"},
    )

    assert len(page["data"]) == 2
    assert page["meta"]["nextCursor"]
    assert (moved.status_code, moved.json()["code"]) == (400, "VALIDATION_ERROR")
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_ERROR")

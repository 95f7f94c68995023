"""RD Station connections and runs through the API, the worker and the RD Station CRM fake:
contacts and leads (deals), increments by updated_at, the 10,000-row ceiling, limits."""

from __future__ import annotations

import pytest

from devstack import rdstation_fake
from ponte.repository import pulled_records
from ponte.settings import get_settings
from ponte.vendors import rdstation as rdstation_api
from tests.integration.connectors.conftest import CONNECTIONS, Connectors, counts
from tests.support.virtual_time import VirtualClock


def test_a_first_run_stores_contacts_and_leads(connectors: Connectors, clock: VirtualClock) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=250, deals=120)
    clock.advance(60)  # the records were updated a minute before the run
    before = len(connectors.rdstation.made(key[-6:]))

    run = connectors.run(connection_id)

    assert run["status"] == "success", run
    assert counts(run) == (370, 0, 0, 0)
    assert run["streams"]["contacts"]["created"] == 250
    assert run["streams"]["leads"]["created"] == 120
    # All 250 contacts share one update second: its three pages of 100 by number (nothing
    # changed meanwhile: none read again).
    contacts = [r for r in connectors.rdstation.made(key[-6:])[before:] if "/contacts" in r.path]
    assert len(contacts) == 3
    lead = connectors.records(connection_id, "leads", limit=1).json()["data"][0]
    assert lead["data"]["status"] == "ongoing"


def test_an_increment_brings_only_what_changed(connectors: Connectors, clock: VirtualClock) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=119, deals=10)
    clock.advance(1)
    newest = connectors.rdstation.add(key, "contacts", 1)
    first = connectors.run(connection_id)
    clock.advance(3600)
    contacts = sorted(connectors.rdstation.accounts[key].records["contacts"])
    changed = [c for c in contacts if c not in newest][::20]
    connectors.rdstation.change(key, "contacts", changed)
    connectors.rdstation.add(key, "deals", 2)
    before = len(connectors.rdstation.made(key[-6:]))

    second = connectors.run(connection_id)

    assert second["status"] == "success"
    assert second["streams"]["contacts"]["updated"] == len(changed) == 6
    # The filter sent only those, and the record of the previous run's last update second
    # (read again, unchanged, so a change landing in that second is never missed).
    assert second["streams"]["contacts"]["fetched"] == 6 + 1
    assert second["streams"]["contacts"]["unchanged"] == 1
    assert second["streams"]["leads"]["created"] == 2
    versions = pulled_records.versions(connectors.tenant.id, connection_id, "contacts", contacts)
    assert {i for i, v in versions.items() if v.run == second["id"]} == set(changed)
    assert all(v.run == first["id"] for i, v in versions.items() if i not in changed)
    assert len(connectors.rdstation.made(key[-6:])) - before == 2  # one page per stream


def test_a_list_larger_than_its_row_ceiling_is_paged_by_key(
    connectors: Connectors, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """RD Station lists only a query's first 10,000 rows; the same rule at 1,000 rows (in the
    fake and in the connector) keeps the test's table small. Each query starts from the last
    update second read: none pages near the ceiling."""
    monkeypatch.setattr(rdstation_fake, "CEILING", 1_000)
    monkeypatch.setattr(rdstation_api, "ROW_CEILING", 1_000)
    connection_id, key = connectors.rdstation_connection()
    for _ in range(21):  # 1,050 contacts, 50 per second of update time
        connectors.rdstation.add(key, "contacts", 50)
        clock.advance(1)

    run = connectors.run(connection_id)

    assert run["status"] == "success", run.get("errors")
    assert run["streams"]["contacts"]["created"] == 1_050
    assert connectors.rdstation.made(key[-6:], status=400) == []  # never past the ceiling
    assert run["streams"]["contacts"]["fetched"] == 1_050  # boundaries skipped by id


def test_429_with_retry_after_and_5xx_are_recovered_and_pacing_avoids_429(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=30)
    failures = connectors.rdstation.accounts[key].failures
    failures.fail_next(429, retry_after=4)
    failures.fail_next(500, 503)

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert counts(run)[0] == 30
    assert 4.0 in clock.slept
    assert [r.status for r in connectors.rdstation.made(key[-6:])][-5:-2] == [429, 500, 503]


def test_our_pacing_keeps_rd_station_from_answering_429(
    connectors: Connectors, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 requests against an account allowed 20 a minute (the setting and the fake agree)."""
    monkeypatch.setenv("RDSTATION_REQUESTS_PER_MINUTE", "20")
    get_settings.cache_clear()
    try:
        connection_id, key = connectors.rdstation_connection(per_minute=20, contacts=4_050)
        run = connectors.run(connection_id)
    finally:
        monkeypatch.delenv("RDSTATION_REQUESTS_PER_MINUTE")
        get_settings.cache_clear()

    assert counts(run)[0] == 4_050
    assert len(connectors.rdstation.made(key[-6:])) > 40
    assert connectors.rdstation.made(key[-6:], status=429) == []


def test_a_refused_refresh_token_is_invalid_credentials_and_the_workspace_is_shown(
    connectors: Connectors,
) -> None:
    key = f"rd-refused-{connectors.prefix}"
    connectors.rdstation.add_account(key)
    app = connectors.rdstation_app(key)
    refused = connectors.create({
        "name": "RD", "platform": "rdstation",
        "credentials": app | {"refreshToken": "not-a-token", "workspaceId": "ws-1"},
    })  # fmt: skip
    connection_id, _ = connectors.rdstation_connection(contacts=1)
    listed = connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["data"]

    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert "invalid_grant" in refused.json()["error"] + str(refused.json()["details"])
    shown = next(c for c in listed if c["id"] == connection_id)
    assert shown["workspaceId"] == f"ws-{connectors.prefix}"
    assert "refreshToken" not in str(listed)
    assert "clientSecret" not in str(listed)


@pytest.mark.parametrize(
    ("credentials", "field"),
    [
        ({"clientSecret": "s", "refreshToken": "r"}, "clientId"),
        ({"clientId": "c", "refreshToken": "r"}, "clientSecret"),
        ({"clientId": "c", "clientSecret": "s"}, "refreshToken"),  # or a code
        ({"clientId": "c", "clientSecret": "s", "code": "x"}, "redirectUri"),
        (
            {
                "clientId": "c",
                "clientSecret": "s",
                "code": "x",
                "refreshToken": "r",
                "redirectUri": "https://a.example/cb",
            },
            "code",
        ),
        ({"apiKey": "k", "workspaceId": "w"}, "apiKey"),  # the static key of before
    ],
)
def test_the_app_and_one_grant_are_required(
    connectors: Connectors, credentials: dict[str, str], field: str
) -> None:
    answer = connectors.create({"name": "RD", "platform": "rdstation", "credentials": credentials})
    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert f"credentials.{field}" in {d["field"] for d in answer.json()["details"]}


def test_a_run_continues_across_invocations(
    connectors: Connectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RDSTATION_REQUESTS_PER_MINUTE", "30")  # 2 s a request (virtual)
    monkeypatch.setenv("PULL_TIME_MARGIN_SECONDS", str(900 - 5))
    get_settings.cache_clear()
    connection_id, _ = connectors.rdstation_connection(contacts=1_000, deals=150)
    runtime = connectors.stack.provisioned.runtime
    before = runtime.invocations.count("PullWorkerFunction")
    try:
        run = connectors.run(connection_id)
    finally:
        monkeypatch.delenv("RDSTATION_REQUESTS_PER_MINUTE")
        monkeypatch.delenv("PULL_TIME_MARGIN_SECONDS")
        get_settings.cache_clear()

    assert run["status"] == "success"
    assert counts(run) == (1_150, 0, 0, 0)
    # 13 pages, about two per 5-second invocation: a chain of continuations.
    assert runtime.invocations.count("PullWorkerFunction") - before >= 5

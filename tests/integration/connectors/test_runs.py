"""Connector runs (seed 003) through the API, the SQS worker and the vendor fakes: exact
counts, increments, continuations, crashes, vendor failures, one run per connection."""

from __future__ import annotations

from typing import Any

import pytest

from ponte.repository import pull_runs as pull_store
from ponte.repository import pulled_records
from ponte.settings import get_settings
from tests.integration.connectors.conftest import CONNECTIONS, RUNS, Connectors
from tests.integration.connectors.conftest import counts as _counts
from tests.support.virtual_time import VirtualClock

# Among the longest modules: started first (conftest), not left for last.
pytestmark = pytest.mark.slow

HUBSPOT = {"contacts": 150, "companies": 30, "deals": 20}


def test_a_first_run_stores_every_record_with_exact_counts(connectors: Connectors) -> None:
    connection_id, _ = connectors.hubspot_connection(**HUBSPOT)

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert _counts(run) == (200, 0, 0, 0)
    assert run["recordsSynced"] == 200
    assert {n: s["created"] for n, s in run["streams"].items()} == HUBSPOT
    assert run["trigger"] == "manual"
    assert run["connection"] == {"name": "HubSpot", "platform": "hubspot"}
    assert run["duration"].endswith("s")
    assert run["logUrl"] == f"{RUNS}/{run['id']}/logs"
    listed = connectors.records(connection_id, "contacts", limit=100).json()
    assert len(listed["data"]) == 100
    assert listed["meta"]["nextCursor"]
    rest = connectors.records(connection_id, "contacts", cursor=listed["meta"]["nextCursor"],
                              limit=100).json()  # fmt: skip
    assert len(rest["data"]) == 50
    assert rest["meta"]["nextCursor"] is None
    # A cursor opens only for its own listing: not another stream, not other filters.
    cursor = listed["meta"]["nextCursor"]
    for params in ({"stream": "companies"}, {"updatedSince": "2020-01-01T00:00:00Z"}):
        moved = connectors.api.get(
            f"{CONNECTIONS}/{connection_id}/records", headers=connectors.headers,
            params={"stream": "contacts", "cursor": cursor, **params},
        )  # fmt: skip
        assert (moved.status_code, moved.json()["code"]) == (400, "VALIDATION_ERROR")
    connection = connectors.connection(connection_id)
    assert (connection["lastSyncStatus"], connection["syncedRecords"]) == ("success", 200)


def test_an_incremental_run_reports_exactly_what_changed(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, token = connectors.hubspot_connection(**HUBSPOT)
    first = connectors.run(connection_id)
    clock.advance(60)
    contacts = sorted(connectors.hubspot.accounts[token].objects["contacts"])
    changed = contacts[::10]  # 10 %
    connectors.hubspot.change(token, "contacts", changed)
    connectors.hubspot.add(token, "deals", 4)
    clock.advance(5)  # HubSpot's search shows a write a few moments after it

    second = connectors.run(connection_id)

    assert second["status"] == "success"
    assert second["streams"]["contacts"]["updated"] == len(changed) == 15
    assert second["streams"]["deals"]["created"] == 4
    assert second["recordsSynced"] == 19
    assert second["fullSync"] is False
    # The unchanged records were not written again: they still name the first run.
    versions = pulled_records.versions(connectors.tenant.id, connection_id, "contacts", contacts)
    rewritten = {i for i, v in versions.items() if v.run == second["id"]}
    assert rewritten == set(changed)
    assert all(v.run == first["id"] for i, v in versions.items() if i not in rewritten)


def test_a_full_sync_rereads_everything_and_writes_nothing_unchanged(
    connectors: Connectors,
) -> None:
    connection_id, _ = connectors.zendesk_connection(tickets=1500, users=40)
    connectors.run(connection_id)

    again = connectors.run(connection_id, full=True)

    assert again["fullSync"] is True
    assert _counts(again) == (0, 0, 1540, 0)
    assert again["streams"]["tickets"]["pages"] == 2  # 1000 per export page


def test_zendesk_increments_continue_from_the_saved_cursor(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, subdomain = connectors.zendesk_connection(tickets=120, users=10)
    assert _counts(connectors.run(connection_id)) == (130, 0, 0, 0)
    clock.advance(120)
    connectors.zendesk.change(subdomain, "tickets", [101, 102, 103])
    connectors.zendesk.add(subdomain, "users", 2)

    second = connectors.run(connection_id)

    assert (second["streams"]["tickets"]["updated"], second["streams"]["users"]["created"]) == (
        3,
        2,
    )
    assert second["streams"]["tickets"]["fetched"] == 3  # only what changed was exported


def test_a_run_cut_off_by_its_time_finishes_through_continuations(
    connectors: Connectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each invocation has 5 s (virtual) before its margin: one Zendesk export page (10 a
    minute), then a continuation on the queue."""
    monkeypatch.setenv("PULL_TIME_MARGIN_SECONDS", str(900 - 5))
    get_settings.cache_clear()
    connection_id, _ = connectors.zendesk_connection(tickets=2500, users=5)
    runtime = connectors.stack.provisioned.runtime
    before = runtime.invocations.count("PullWorkerFunction")
    try:
        run = connectors.run(connection_id)
    finally:
        monkeypatch.delenv("PULL_TIME_MARGIN_SECONDS")
        get_settings.cache_clear()

    assert run["status"] == "success"
    assert _counts(run) == (2505, 0, 0, 0)
    # 4 pages, two at most per invocation (the second waits past the budget): 3+ calls.
    assert runtime.invocations.count("PullWorkerFunction") - before >= 3


def test_a_worker_killed_between_a_page_and_its_cursor_loses_nothing(
    connectors: Connectors, monkeypatch: pytest.MonkeyPatch
) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=250)
    original = pull_store.put_page
    kills = {"left": 1}

    def killed(tenant_id: str, run_id: str, lease: str, page: Any) -> None:
        if page.seq == 2 and kills["left"]:
            kills["left"] -= 1
            raise RuntimeError("worker killed after storing page 2's records")
        original(tenant_id, run_id, lease, page)

    monkeypatch.setattr(pull_store, "put_page", killed)
    run = connectors.run(connection_id)

    assert kills["left"] == 0
    assert run["status"] == "success"
    assert _counts(run) == (250, 0, 0, 0)  # page 2 stored twice, counted once
    assert run["streams"]["contacts"]["pages"] == 4  # 3 listed, then the archived listing


def test_429_with_retry_after_and_5xx_are_retried(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=120)
    failures = connectors.hubspot.accounts[token].failures
    earlier = len(connectors.hubspot.made(token[-6:]))  # the credentials test
    failures.fail_next(429, retry_after=7)
    failures.fail_next(503, 502)

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert _counts(run)[0] == 120
    assert 7.0 in clock.slept  # the vendor's Retry-After was honoured
    statuses = [r.status for r in connectors.hubspot.made(token[-6:])][earlier:]
    assert statuses[:4] == [429, 503, 502, 200]


def test_our_pacing_keeps_hubspot_from_answering_429(connectors: Connectors) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=2500)

    run = connectors.run(connection_id)

    assert _counts(run)[0] == 2500
    assert connectors.hubspot.made(token[-6:], status=429) == []


def test_refused_credentials_fail_the_run_and_three_in_a_row_disable(
    connectors: Connectors,
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=5)
    del connectors.hubspot.accounts[token]  # the token was revoked at HubSpot

    runs = [connectors.run(connection_id) for _ in range(3)]

    for run in runs:
        assert (run["status"], run["errorCode"]) == ("error", "INVALID_CREDENTIALS")
        assert "credentials" in run["error"]
        assert token not in str(run)
    connection = connectors.connection(connection_id)
    assert connection["enabled"] is False
    assert "INVALID_CREDENTIALS" in connection["disabledReason"]
    again = connectors.start(connection_id)
    assert (again.status_code, again.json()["code"]) == (409, "CONNECTION_DISABLED")


def test_stored_credentials_of_an_older_form_fail_the_run_as_refused(
    connectors: Connectors,
) -> None:
    from ponte.adapters import secret_store
    from ponte.services import connections

    connection_id, _ = connectors.hubspot_connection(contacts=5)
    stored = connections.get(connectors.tenant.id, connection_id)
    secret_store.put(connections.secret_name(connectors.tenant.id, stored), '{"apiKey": "x"}')

    run = connectors.run(connection_id)

    assert (run["status"], run["errorCode"]) == ("error", "INVALID_CREDENTIALS")
    assert "update the connection's credentials" in run["error"]
    assert connectors.connection(connection_id)["enabled"] is True  # one refusal of three


def test_one_run_per_connection_and_the_start_answers_at_once(connectors: Connectors) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=5)
    poller = connectors.stack.poller
    assert poller is not None
    poller.pause()
    started = connectors.api.post(
        "/api/v1/sync/run", headers=connectors.headers, json={"connectionId": connection_id}
    )
    second = connectors.start(connection_id)
    pending = connectors.api.get(
        f"{RUNS}/{started.json()['data']['runId']}", headers=connectors.headers
    ).json()["data"]
    poller.resume()

    assert started.status_code == 200
    assert started.json()["data"]["status"] == "pending"
    assert set(started.json()["data"]) == {"runId", "connectionId", "status", "createdAt"}
    assert (second.status_code, second.json()["code"]) == (409, "SYNC_IN_PROGRESS")
    assert pending["status"] == "pending"
    assert connectors.wait(started.json()["data"]["runId"])["status"] == "success"


def test_a_run_with_no_heartbeat_is_taken_over(connectors: Connectors, clock: VirtualClock) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=5)
    poller = connectors.stack.poller
    assert poller is not None
    poller.pause()
    stuck = connectors.start(connection_id).json()["data"]["runId"]
    clock.advance(get_settings().pull_stale_seconds + 1)

    taken = connectors.start(connection_id)
    poller.resume()

    assert taken.status_code == 200, taken.text
    old = connectors.wait(stuck)
    assert (old["status"], old["errorCode"]) == ("error", "ABANDONED")
    assert connectors.wait(taken.json()["data"]["runId"])["status"] == "success"


def test_runs_are_listed_newest_first_with_filters(connectors: Connectors) -> None:
    hubspot_id, _ = connectors.hubspot_connection(contacts=2)
    zendesk_id, _ = connectors.zendesk_connection(tickets=2)
    first = connectors.run(hubspot_id)
    second = connectors.run(zendesk_id)
    h = connectors.headers

    listed = connectors.api.get(RUNS, headers=h).json()
    by_connection = connectors.api.get(RUNS, headers=h, params={"connectionId": hubspot_id})
    by_status = connectors.api.get(RUNS, headers=h, params={"status": "error"})
    bad = connectors.api.get(RUNS, headers=h, params={"status": "done"})

    assert [r["id"] for r in listed["data"]] == [second["id"], first["id"]]
    assert listed["meta"] == {"total": 2, "page": 1, "limit": 20, "totalPages": 1}
    assert set(listed["data"][0]) >= {
        "id", "connectionId", "status", "recordsSynced", "recordsCreated", "recordsUpdated",
        "recordsErrors", "startedAt", "completedAt", "duration",
    }  # fmt: skip
    assert [r["id"] for r in by_connection.json()["data"]] == [first["id"]]
    assert by_status.json()["meta"]["total"] == 0
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_ERROR")


def test_the_run_log_has_an_entry_per_page(connectors: Connectors) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=150, deals=1)
    run = connectors.run(connection_id)

    logs = connectors.api.get(run["logUrl"], headers=connectors.headers)

    assert logs.status_code == 200
    entries = logs.json()["data"]["entries"]
    pages = [(e["stream"], e["page"]) for e in entries if e["level"] == "info"]
    # Each stream ends with its archived listing (3, 5, 7: none archived); companies had
    # none: an empty page is counted on the run but not logged on its own.
    assert pages == [("contacts", 1), ("contacts", 2), ("deals", 6)]
    assert run["streams"]["companies"]["status"] == "done"
    assert all(e["timestamp"].endswith("Z") for e in entries)


def test_records_are_read_by_the_vendors_update_time(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=30)
    connectors.run(connection_id)
    clock.advance(3600)
    since = clock.now().replace(microsecond=0).isoformat()  # before the change, not after the run
    changed = sorted(connectors.hubspot.accounts[token].objects["contacts"])[:3]
    connectors.hubspot.change(token, "contacts", changed)
    clock.advance(5)  # HubSpot's search shows a write a few moments after it
    connectors.run(connection_id)

    recent = connectors.records(connection_id, "contacts", updatedSince=since)
    wrong_stream = connectors.records(connection_id, "tickets")
    bad_cursor = connectors.records(connection_id, "contacts", cursor="eyJQSyI6IngifQ==")
    too_many = connectors.records(connection_id, "contacts", limit=101)

    assert sorted(r["id"] for r in recent.json()["data"]) == changed
    assert recent.json()["data"][0]["data"]["properties"]["revision"] == "2"
    for refused in (wrong_stream, bad_cursor, too_many):
        assert (refused.status_code, refused.json()["code"]) == (400, "VALIDATION_ERROR")


def test_runs_and_records_are_the_tenants_own(connectors: Connectors, other_tenant: Any) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=2)
    run = connectors.run(connection_id)
    other = other_tenant.headers(other_tenant.token("admin"))

    assert connectors.api.get(f"{RUNS}/{run['id']}", headers=other).status_code == 404
    assert connectors.api.get(RUNS, headers=other).json()["data"] == []
    records = connectors.api.get(
        f"{CONNECTIONS}/{connection_id}/records", headers=other, params={"stream": "contacts"}
    )
    assert records.status_code == 404


def test_a_stream_that_keeps_failing_leaves_the_run_partial(connectors: Connectors) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=10, companies=3, deals=2)
    connectors.hubspot.accounts[token].down.add("deals")

    run = connectors.run(connection_id)

    assert run["status"] == "partial"
    assert (run["streams"]["contacts"]["created"], run["streams"]["companies"]["created"]) == (
        10,
        3,
    )
    assert run["streams"]["deals"]["status"] == "failed"
    assert "HTTP 500 after 5 attempts" in run["streams"]["deals"]["error"]
    logs = connectors.api.get(run["logUrl"], headers=connectors.headers).json()["data"]
    assert any(e["level"] == "error" and e.get("stream") == "deals" for e in logs["entries"])


@pytest.mark.parametrize("status", [302, 301, 307])
def test_a_redirect_is_an_error_naming_its_status_never_a_success(
    connectors: Connectors, status: int
) -> None:
    """A vendor answering 302 with no body was taken as success: the credentials test
    passed, and a run 'succeeded' with 0 records."""
    token = f"pat-{connectors.prefix}-{status}"
    connectors.hubspot.add_account(token, contacts=3)
    failures = connectors.hubspot.accounts[token].failures
    failures.fail_next(status)
    refused = connectors.create(
        {"name": "HubSpot", "platform": "hubspot", "credentials": {"accessToken": token}}
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
    assert f"HTTP {status}" in refused.json()["error"]
    assert connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["meta"]["total"] == 0

    connection_id = connectors.create(
        {"name": "HubSpot", "platform": "hubspot", "credentials": {"accessToken": token}}
    ).json()["data"]["id"]
    failures.fail_next(status)  # the run's first request: the contacts' first page
    run = connectors.run(connection_id)

    assert run["status"] == "partial"
    assert run["streams"]["contacts"]["status"] == "failed"
    assert f"HTTP {status}" in run["streams"]["contacts"]["error"]
    assert run["streams"]["contacts"]["created"] == 0


def test_an_increment_past_the_search_ceiling_misses_nothing(
    connectors: Connectors, clock: VirtualClock
) -> None:
    """More contacts changed since the last run than a search pages through (10,000 at
    HubSpot; 300 in this account, so the run stays small): paging by key never comes near it.
    The stream's unit tests page past the real 10,000."""
    connection_id, token = connectors.hubspot_connection(contacts=400)
    connectors.hubspot.accounts[token].search_ceiling = 300
    connectors.run(connection_id)
    clock.advance(60)
    ids = sorted(connectors.hubspot.accounts[token].objects["contacts"])
    base = int(clock.now().timestamp() * 1000)
    for i in range(0, len(ids), 10):  # 10 contacts per millisecond
        connectors.hubspot.change(token, "contacts", ids[i : i + 10], at_ms=base + i // 10)
    clock.advance(5)  # HubSpot's search shows a write a few moments after it

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert run["recordsUpdated"] == 400  # every one, each written once
    assert run["recordsUnchanged"] == 0  # none read twice
    assert connectors.hubspot.made(token[-6:], status=400) == []


def test_deleting_a_connection_ends_its_run(connectors: Connectors) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=5)
    poller = connectors.stack.poller
    assert poller is not None
    poller.pause()
    run_id = connectors.start(connection_id).json()["data"]["runId"]

    deleted = connectors.api.delete(f"{CONNECTIONS}/{connection_id}", headers=connectors.headers)
    poller.resume()

    assert deleted.status_code == 200
    run = connectors.wait(run_id)
    assert (run["status"], run["errorCode"]) == ("error", "CONNECTION_DELETED")
    assert run["recordsSynced"] == 0  # the worker found it ended and did nothing

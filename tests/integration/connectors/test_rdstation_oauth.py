"""RD Station's OAuth2 through the API, the worker and the fake's token endpoint: access
tokens that expire after 2 hours (virtual time), refresh tokens that rotate on every use and
die after 14 days unused, codes exchanged when a connection is created, the daily
keep-alive, and refreshes that never spend a refresh token twice."""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest

from devstack.rdstation_fake import TOKEN_PATH
from ponte.adapters import secret_store
from ponte.domain import run_queue
from ponte.repository import token_claims
from ponte.services.pulls import keepalive
from ponte.settings import get_settings
from tests.integration.connectors.conftest import CONNECTIONS, RUNS, Connectors, counts
from tests.support.sqs import sqs_event
from tests.support.virtual_time import VirtualClock

# Among the longest modules: started first (conftest), not left for last.
pytestmark = pytest.mark.slow

DAY = 86_400


def _token_requests(connectors: Connectors, key: str, status: int | None = 200) -> int:
    return sum(
        1
        for r in connectors.rdstation.made(key[-6:], status=status)
        if r.path == TOKEN_PATH and r.method == "POST"
    )


def _failed(connectors: Connectors, key: str, since: int) -> list[Any]:
    return [r for r in connectors.rdstation.made(key[-6:])[since:] if r.status != 200]


def _seconds(run: dict[str, Any]) -> float:
    started = datetime.fromisoformat(run["startedAt"].replace("Z", "+00:00"))
    return (
        datetime.fromisoformat(run["completedAt"].replace("Z", "+00:00")) - started
    ).total_seconds()


def _keepalive(connectors: Connectors) -> str:
    """The worker's answer to what the template's daily schedule puts on the run queue."""
    client = boto3.client("scheduler")
    group = get_settings().schedule_group
    names = [
        s["Name"]
        for page in client.get_paginator("list_schedules").paginate(GroupName=group)
        for s in page["Schedules"]
        if s["Name"].endswith("-keepalive")
    ]
    assert len(names) == 1, names
    target = client.get_schedule(Name=names[0], GroupName=group)["Target"]
    assert run_queue.KeepAliveMessage.model_validate_json(target["Input"]).kind == "keepalive"
    event = sqs_event(target["Input"], queue_arn=target["Arn"])
    runtime = connectors.stack.provisioned.runtime
    assert runtime.invoke("PullWorkerFunction", event) == {"batchItemFailures": []}
    return "ok"


def test_a_run_longer_than_two_hours_refreshes_its_token_and_completes(
    connectors: Connectors,
) -> None:
    """31 list pages that take 5 minutes each: 2 h 35 min of virtual time, past the access
    token's 2 hours."""
    connection_id, key = connectors.rdstation_connection(contacts=3_000, latency=300)
    before = _token_requests(connectors, key)
    since = len(connectors.rdstation.made(key[-6:]))

    run = connectors.run(connection_id)

    assert run["status"] == "success", run
    assert counts(run) == (3_000, 0, 0, 0)
    assert _seconds(run) > 2 * 3600
    assert _token_requests(connectors, key) - before >= 1  # refreshed before it expired
    assert _failed(connectors, key, since) == []  # not one request refused or failed
    assert connectors.rdstation.spent_again == 0


def test_a_401_gets_one_new_token_and_the_request_again(connectors: Connectors) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=150)
    connectors.rdstation.expire_access(key)  # revoked early at RD Station
    before = _token_requests(connectors, key)

    run = connectors.run(connection_id)

    assert run["status"] == "success", run
    assert counts(run)[0] == 150
    assert len(connectors.rdstation.made(key[-6:], status=401)) == 1
    assert _token_requests(connectors, key) - before == 1


def test_a_worker_killed_between_the_refresh_and_its_use_loses_nothing(
    connectors: Connectors, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The refresh rotated the refresh token and the worker died before it used the new
    access token: the new refresh token was stored first, so the retry and every later run
    work, and no refresh token is ever presented twice."""
    connection_id, key = connectors.rdstation_connection(contacts=120)
    clock.advance(7_000)  # less than 5 minutes of the access token left: refresh first
    kills = {"left": 1}
    original = token_claims.release

    def killed(*args: Any, **kwargs: Any) -> bool:
        if kills["left"]:
            kills["left"] -= 1
            raise RuntimeError("worker killed after the refresh, before the new token's use")
        return original(*args, **kwargs)

    monkeypatch.setattr(token_claims, "release", killed)
    before = _token_requests(connectors, key)

    run = connectors.run(connection_id)
    clock.advance(3 * 3600)  # the refreshed token has expired too
    later = connectors.run(connection_id, full=True)

    assert kills["left"] == 0
    assert (run["status"], counts(run)[0]) == ("success", 120)
    assert (later["status"], counts(later)[2]) == ("success", 120)
    assert _token_requests(connectors, key) - before == 2  # one refresh per run
    assert connectors.rdstation.spent_again == 0
    assert _token_requests(connectors, key, status=400) == 0


@pytest.mark.fresh_table  # the keep-alive reads every tenant's connections
def test_a_run_and_the_keepalive_refreshing_at_once_spend_the_refresh_token_once(
    connectors: Connectors, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's worker holds the claim while RD Station answers its refresh; the
    keep-alive, due for the same connection, loses the claim, waits, and uses the run's
    result."""
    connection_id, key = connectors.rdstation_connection(contacts=50)
    clock.advance(8 * DAY)  # the access token expired, the refresh token is 8 days old
    lost: list[str] = []
    original = token_claims.claim

    def recorded(*args: Any, **kwargs: Any) -> int | None:
        held = original(*args, **kwargs)
        if held is None:
            lost.append(kwargs["holder"])
        return held

    monkeypatch.setattr(token_claims, "claim", recorded)
    gate = threading.Event()
    connectors.rdstation.token_gate = gate
    before = _token_requests(connectors, key)
    outcome: dict[str, str] = {}
    try:
        run_id = connectors.start(connection_id).json()["data"]["runId"]
        assert connectors.rdstation.token_waiting.wait(10)  # the run's refresh is at RD

        def keep_alive() -> None:
            outcome["line"] = keepalive.work(run_queue.keepalive(), 900)

        other = threading.Thread(target=keep_alive)
        other.start()
        for _ in range(200):  # until the keep-alive has found the claim taken
            if lost:
                break
            connectors.pause(0.05)
        gate.set()
        other.join(30)
    finally:
        gate.set()
        connectors.rdstation.token_gate = None
    run = connectors.wait(run_id)

    assert lost  # the two met
    assert (run["status"], counts(run)[0]) == ("success", 50)
    assert "1 already current" in outcome["line"]
    assert _token_requests(connectors, key) - before == 1
    assert connectors.rdstation.spent_again == 0
    assert _token_requests(connectors, key, status=400) == 0


def test_a_refused_refresh_is_invalid_credentials_and_three_disable_with_the_reason(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, _ = connectors.rdstation_connection(contacts=5)
    clock.advance(15 * DAY)  # nothing refreshed it for 14 days: the refresh token died

    runs = [connectors.run(connection_id) for _ in range(3)]
    connection = connectors.connection(connection_id)

    for run in runs:
        assert (run["status"], run["errorCode"]) == ("error", "INVALID_CREDENTIALS")
        assert "invalid_grant" in run["error"]
    assert connection["enabled"] is False
    assert "INVALID_CREDENTIALS" in connection["disabledReason"]
    assert "invalid_grant" in connection["disabledReason"]
    assert "unused for 14 days" in connection["disabledReason"]
    again = connectors.start(connection_id)
    assert (again.status_code, again.json()["code"]) == (409, "CONNECTION_DISABLED")


@pytest.mark.fresh_table  # the keep-alive reads every tenant's connections
def test_the_keepalive_renews_refresh_tokens_older_than_seven_days_only(
    connectors: Connectors, clock: VirtualClock
) -> None:
    """A connection created now and synced a month later still works: the daily keep-alive
    renewed its refresh token every 7 days; a 1-day-old one is left alone."""
    old_id, old = connectors.rdstation_connection(contacts=10)
    clock.advance(7 * DAY)
    new_id, new = connectors.rdstation_connection(contacts=10)
    clock.advance(1 * DAY)
    before = {key: _token_requests(connectors, key) for key in (old, new)}

    _keepalive(connectors)
    renewed = {key: _token_requests(connectors, key) - before[key] for key in (old, new)}
    for _ in range(30):  # a month of daily keep-alives, no run
        clock.advance(DAY)
        _keepalive(connectors)
    runs = [connectors.run(old_id), connectors.run(new_id)]

    assert renewed == {old: 1, new: 0}
    assert [(r["status"], counts(r)[0]) for r in runs] == [("success", 10), ("success", 10)]
    # Renewed once a week, not daily: 31 days, every 7 -> 4 or 5 each.
    assert 4 <= _token_requests(connectors, old) - before[old] <= 6
    assert connectors.rdstation.spent_again == 0


@pytest.mark.fresh_table  # the keep-alive reads every tenant's connections
def test_the_keepalive_counts_a_refusal_towards_disabling(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=1)
    for token in connectors.rdstation.live_refresh_tokens(key):
        connectors.rdstation.age(token, 15 * DAY)  # died at RD Station
    clock.advance(8 * DAY)

    for _ in range(3):
        _keepalive(connectors)
    connection = connectors.connection(connection_id)

    assert connection["enabled"] is False
    assert "invalid_grant" in connection["disabledReason"]


@pytest.mark.fresh_table  # the keep-alive reads every tenant's connections
def test_a_keepalive_cut_short_by_its_time_is_continued_through_the_queue(
    connectors: Connectors, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = [connectors.rdstation_connection(contacts=1) for _ in range(3)]
    clock.advance(8 * DAY)
    before = {key: _token_requests(connectors, key) for _, key in made}
    original = token_claims.release

    def slow(*args: Any, **kwargs: Any) -> bool:
        clock.advance(60)  # each renewal takes a minute
        return original(*args, **kwargs)

    monkeypatch.setattr(token_claims, "release", slow)
    margin = get_settings().pull_time_margin_seconds

    line = keepalive.work(run_queue.keepalive(), margin + 100)  # time for two
    for _ in range(200):  # the continuation, delivered by the queue
        if all(_token_requests(connectors, key) > before[key] for _, key in made):
            break
        connectors.pause(0.05)

    assert line.startswith("continued: 2 renewed")
    assert {key: _token_requests(connectors, key) - before[key] for _, key in made} == {
        key: 1 for _, key in made
    }


def _authorize(connectors: Connectors, client_id: str, redirect: str) -> str:
    """The code the authorization redirect carries (step 2), from the fake's own URL."""
    base = get_settings().rdstation_base_url
    answer = httpx.get(
        f"{base}/oauth2/authorize",
        params={"response_type": "code", "client_id": client_id, "redirect_uri": redirect},
    )
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect
    return parse_qs(location.query)["code"][0]


def _secrets() -> int:
    client = boto3.client("secretsmanager")
    return sum(len(p["SecretList"]) for p in client.get_paginator("list_secrets").paginate())


def test_a_code_is_exchanged_when_the_connection_is_created_and_a_bad_one_stores_nothing(
    connectors: Connectors, clock: VirtualClock
) -> None:
    key = f"rd-code-{connectors.prefix}"
    connectors.rdstation.add_account(key, contacts=30)
    app = connectors.rdstation_app(key)
    client_id, redirect = app["clientId"], connectors.rdstation.apps[app["clientId"]].redirect_uri

    def create(code: str, redirect_uri: str = redirect) -> httpx.Response:
        grant = {"clientId": client_id, "clientSecret": app["clientSecret"], "code": code,
                 "redirectUri": redirect_uri}  # fmt: skip
        return connectors.create({"name": "RD", "platform": "rdstation", "credentials": grant})

    def listed() -> int:
        return len(connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["data"])

    code = _authorize(connectors, client_id, redirect)
    created = create(code)
    before = (listed(), _secrets())
    reused = create(code)
    stale = _authorize(connectors, client_id, redirect)
    clock.advance(301)
    late = create(stale)
    elsewhere = create(_authorize(connectors, client_id, redirect), "https://elsewhere.example/cb")

    assert created.status_code == 201, created.text
    run = connectors.run(created.json()["data"]["id"])
    assert (run["status"], counts(run)[0]) == ("success", 30)
    refusals = {"already used": reused, "expired": late, "redirect_uri": elsewhere}
    for reason, refused in refusals.items():
        assert (refused.status_code, refused.json()["code"]) == (400, "INVALID_CREDENTIALS")
        assert reason in str(refused.json())
    assert (listed(), _secrets()) == before  # nothing stored for the refused ones


def test_new_credentials_replace_the_tokens_and_the_connection_works(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=20)
    fresh = connectors.rdstation_app(key)  # the person authorized the app again

    changed = connectors.api.patch(
        f"{CONNECTIONS}/{connection_id}", headers=connectors.headers,
        json={"credentials": fresh | {"workspaceId": "ws-renamed"}},
    )  # fmt: skip
    clock.advance(3 * 3600)
    run = connectors.run(connection_id)

    assert changed.status_code == 200, changed.text
    assert connectors.connection(connection_id)["workspaceId"] == "ws-renamed"
    assert (run["status"], counts(run)[0]) == ("success", 20)
    assert connectors.rdstation.spent_again == 0


def test_a_connection_saved_with_the_static_key_of_before_asks_for_oauth2_credentials(
    connectors: Connectors,
) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=7)
    legacy = {"apiKey": "old-static-key", "workspaceId": "ws-old"}  # as stored before OAuth2
    secret_store.put(
        secret_store.name(connectors.tenant.id, "rdstation", connection_id), json.dumps(legacy)
    )
    token_claims.delete(connectors.tenant.id, connection_id)

    refused = connectors.run(connection_id)
    changed = connectors.api.patch(
        f"{CONNECTIONS}/{connection_id}", headers=connectors.headers,
        json={"credentials": connectors.rdstation_app(key)},
    )  # fmt: skip
    run = connectors.run(connection_id)

    assert (refused["status"], refused["errorCode"]) == ("error", "INVALID_CREDENTIALS")
    assert "no longer takes" in refused["error"]
    assert "old-static-key" not in str(refused)
    assert changed.status_code == 200, changed.text
    assert (run["status"], counts(run)[0]) == ("success", 7)


def test_tokens_and_the_client_secret_are_never_in_an_answer_or_a_log_line(
    connectors: Connectors,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    connection_id, key = connectors.rdstation_connection(contacts=120)
    clock.advance(7_200)  # the run refreshes
    run = connectors.run(connection_id)
    clock.advance(15 * DAY)
    refused = connectors.run(connection_id)  # invalid_grant
    answers = [
        connectors.api.get(CONNECTIONS, headers=connectors.headers).text,
        connectors.api.get(f"{CONNECTIONS}/{connection_id}", headers=connectors.headers).text,
        connectors.api.get(f"{RUNS}/{run['id']}", headers=connectors.headers).text,
        connectors.api.get(f"{RUNS}/{refused['id']}", headers=connectors.headers).text,
        connectors.api.get(f"{RUNS}/{refused['id']}/logs", headers=connectors.headers).text,
        connectors.records(connection_id, "contacts").text,
    ]
    printed = capfd.readouterr()
    app = next(a for a in connectors.rdstation.apps.values() if a.account == key)
    secrets = [app.client_secret, *connectors.rdstation.issued(key)]

    assert run["status"] == "success"
    assert refused["errorCode"] == "INVALID_CREDENTIALS"
    assert len(secrets) >= 5  # the client secret, two access and two refresh tokens
    for text in (*answers, caplog.text, printed.out, printed.err):
        for secret in secrets:
            assert secret not in text

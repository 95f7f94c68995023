"""A schedule per connection on EventBridge Scheduler: created, changed, disabled and
deleted with its connection in the same request; a fire runs an incremental sync through
the run queue, and a fire during a run is recorded as skipped."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest

from devstack.schedules import fire
from ponte.adapters.schedules import name as schedule_name
from tests.integration.connectors.conftest import CONNECTIONS, RUNS, Connectors, counts
from tests.support.sqs import sqs_event
from tests.support.virtual_time import VirtualClock


def _scheduled(connection_id: str) -> dict[str, Any] | None:
    from ponte.settings import get_settings

    client = boto3.client("scheduler")
    try:
        found: dict[str, Any] = client.get_schedule(
            Name=schedule_name(connection_id), GroupName=get_settings().schedule_group
        )
    except client.exceptions.ResourceNotFoundException:
        return None
    return found


def _fire(connection_id: str) -> dict[str, Any]:
    from ponte.settings import get_settings

    return fire(schedule_name(connection_id), get_settings().schedule_group)


def _runs(connectors: Connectors, connection_id: str) -> list[dict[str, Any]]:
    answer = connectors.api.get(
        RUNS, headers=connectors.headers, params={"connectionId": connection_id}
    )
    data: list[dict[str, Any]] = answer.json()["data"]
    return data


def _wait_for_runs(connectors: Connectors, connection_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = _runs(connectors, connection_id)
        if len(runs) >= count and all(
            r["status"] in ("success", "partial", "error", "skipped") for r in runs
        ):
            return runs
        connectors.pause(0.05)
    raise AssertionError(f"runs of {connection_id}: {_runs(connectors, connection_id)}")


def test_a_schedule_lives_and_dies_with_its_connection(connectors: Connectors) -> None:
    connection_id, _ = connectors.chatwoot_connection(conversations=1, schedule="rate(30 minutes)")
    from ponte.settings import get_settings

    created = _scheduled(connection_id)
    assert created is not None
    assert (created["ScheduleExpression"], created["ScheduleExpressionTimezone"]) == (
        "rate(30 minutes)", "America/Sao_Paulo",
    )  # fmt: skip
    assert created["State"] == "ENABLED"
    assert created["Target"]["Arn"] == get_settings().pull_queue_arn
    assert json.loads(created["Target"]["Input"]) == {
        "kind": "fire", "tenant_id": connectors.tenant.id, "connection_id": connection_id,
    }  # fmt: skip
    shown = connectors.connection(connection_id)
    assert (shown["schedule"], shown["timezone"]) == ("rate(30 minutes)", "America/Sao_Paulo")

    url = f"{CONNECTIONS}/{connection_id}"
    h = connectors.headers
    changed = connectors.api.patch(
        url, headers=h, json={"schedule": "cron(0 7 ? * MON-FRI *)", "timezone": "UTC"}
    )
    assert changed.status_code == 200, changed.text
    now = _scheduled(connection_id)
    assert now is not None
    assert (now["ScheduleExpression"], now["ScheduleExpressionTimezone"]) == (
        "cron(0 7 ? * MON-FRI *)", "UTC",
    )  # fmt: skip

    assert connectors.api.patch(url, headers=h, json={"enabled": False}).status_code == 200
    assert (_scheduled(connection_id) or {})["State"] == "DISABLED"
    assert _fire(connection_id)["fired"] is False  # a disabled schedule does not fire
    assert connectors.api.patch(url, headers=h, json={"enabled": True}).status_code == 200
    assert (_scheduled(connection_id) or {})["State"] == "ENABLED"

    assert connectors.api.delete(url, headers=h).status_code == 200
    assert _scheduled(connection_id) is None


def test_schedule_null_removes_the_schedule_and_keeps_the_connection(
    connectors: Connectors,
) -> None:
    connection_id, _ = connectors.rdstation_connection(contacts=1)
    url = f"{CONNECTIONS}/{connection_id}"
    added = connectors.api.patch(url, headers=connectors.headers, json={"schedule": "rate(1 day)"})
    assert added.status_code == 200, added.text
    assert _scheduled(connection_id) is not None

    removed = connectors.api.patch(url, headers=connectors.headers, json={"schedule": None})

    assert removed.status_code == 200
    assert removed.json()["data"]["schedule"] is None
    assert _scheduled(connection_id) is None
    assert connectors.connection(connection_id)["schedule"] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"schedule": "every hour"}, "schedule"),
        ({"schedule": "rate(1 minutes)"}, "schedule"),
        ({"schedule": "cron(0 8 * * * *)"}, "schedule"),
        ({"schedule": "rate(1 hour)", "timezone": "Mars/Olympus"}, "timezone"),
        ({"schedule": "rate(1 hour)", "timezone": "Factory"}, "timezone"),
        ({"schedule": "rate(1 hour)", "timezone": "posixrules"}, "timezone"),
        ({"schedule": "rate(1 hour)", "timezone": "right/UTC"}, "timezone"),
        ({"schedule": "rate(\uff11\uff15 minutes)"}, "schedule"),  # full-width digits
        ({"schedule": "cron(0\u00a08 * * ? *)"}, "schedule"),  # a no-break space
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_created(
    connectors: Connectors, fields: dict[str, str], field: str
) -> None:
    connectors.chatwoot.add_account(991, "token-991")
    before = connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["meta"]["total"]
    credentials = {"accountId": "991", "accessToken": "token-991"}
    answer = connectors.create(
        {"name": "C", "platform": "chatwoot", "credentials": credentials, **fields}
    )

    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert answer.json()["details"][0]["field"] == field
    after = connectors.api.get(CONNECTIONS, headers=connectors.headers).json()["meta"]["total"]
    assert after == before


@pytest.mark.parametrize("zone", ["Factory", "posixrules", "right/UTC", "posix/UTC"])
def test_a_zone_scheduler_does_not_take_is_refused_on_change(
    connectors: Connectors, zone: str
) -> None:
    connection_id, _ = connectors.chatwoot_connection(conversations=1, schedule="rate(30 minutes)")
    answer = connectors.api.patch(
        f"{CONNECTIONS}/{connection_id}", headers=connectors.headers, json={"timezone": zone}
    )

    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert answer.json()["details"][0]["field"] == "timezone"
    assert connectors.connection(connection_id)["timezone"] == "America/Sao_Paulo"
    assert _scheduled(connection_id)["ScheduleExpressionTimezone"] == "America/Sao_Paulo"


def test_a_schedule_in_other_digits_is_refused_on_change_and_scheduler_keeps_the_old(
    connectors: Connectors,
) -> None:
    connection_id, _ = connectors.chatwoot_connection(conversations=1, schedule="rate(30 minutes)")
    answer = connectors.api.patch(
        f"{CONNECTIONS}/{connection_id}", headers=connectors.headers,
        json={"schedule": "rate(\uff11\uff15 minutes)"},
    )  # fmt: skip

    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert connectors.connection(connection_id)["schedule"] == "rate(30 minutes)"
    assert _scheduled(connection_id)["ScheduleExpression"] == "rate(30 minutes)"


def test_a_fire_runs_an_incremental_sync_recorded_as_scheduled(
    connectors: Connectors, clock: VirtualClock
) -> None:
    connection_id, key = connectors.rdstation_connection(contacts=40, deals=5)
    connectors.api.patch(
        f"{CONNECTIONS}/{connection_id}", headers=connectors.headers,
        json={"schedule": "rate(1 hour)"},
    )  # fmt: skip
    first = connectors.run(connection_id)
    clock.advance(120)
    connectors.rdstation.add(key, "contacts", 3)

    assert _fire(connection_id)["fired"] is True
    runs = _wait_for_runs(connectors, connection_id, 2)

    scheduled = next(r for r in runs if r["id"] != first["id"])
    detail = connectors.wait(scheduled["id"])
    assert (detail["trigger"], detail["fullSync"], detail["status"]) == (
        "schedule", False, "success",
    )  # fmt: skip
    assert counts(detail)[0] == 3  # only what is new since the manual run


def test_a_fire_during_a_run_is_skipped_and_runs_nothing(connectors: Connectors) -> None:
    connection_id, _ = connectors.chatwoot_connection(
        conversations=3, contacts=2, schedule="rate(5 minutes)"
    )
    poller = connectors.stack.poller
    assert poller is not None
    poller.pause()
    manual = connectors.start(connection_id).json()["data"]["runId"]
    scheduled = _scheduled(connection_id)
    assert scheduled is not None
    event = sqs_event(scheduled["Target"]["Input"], queue_arn=scheduled["Target"]["Arn"])

    result = connectors.stack.provisioned.runtime.invoke("PullWorkerFunction", event)
    skipped = [r for r in _runs(connectors, connection_id) if r["id"] != manual]
    poller.resume()

    assert result == {"batchItemFailures": []}
    assert len(skipped) == 1
    detail = connectors.wait(skipped[0]["id"])
    assert (detail["status"], detail["trigger"], detail["errorCode"]) == (
        "skipped", "schedule", "SYNC_IN_PROGRESS",
    )  # fmt: skip
    assert manual in detail["error"]
    done = connectors.wait(manual)
    assert (done["status"], counts(done)[0]) == ("success", 3 + 3 + 2)  # ran once, whole


def test_a_fire_during_a_run_is_delivered_at_once_and_skipped(connectors: Connectors) -> None:
    """As on Lambda, the run queue's messages reach the worker concurrently: a schedule that
    fires while a run waits on its vendor is delivered then (not behind the run) and
    recorded as skipped, and the run goes on to its end."""
    connection_id, _ = connectors.chatwoot_connection(
        conversations=3, contacts=2, schedule="rate(5 minutes)"
    )
    fake = connectors.chatwoot
    fake.hold()
    try:
        manual = connectors.start(connection_id).json()["data"]["runId"]
        assert fake.holding.wait(30), "the run never reached the vendor"
        assert _fire(connection_id)["fired"] is True  # onto the queue, as Scheduler does
        runs = _wait_for_skip(connectors, connection_id, manual)
        still = connectors.api.get(f"{RUNS}/{manual}", headers=connectors.headers).json()
    finally:
        fake.release()

    skipped = next(r for r in runs if r["id"] != manual)
    assert (skipped["status"], skipped["trigger"]) == ("skipped", "schedule")
    assert still["data"]["status"] == "in_progress"  # the fire did not wait for the run
    done = connectors.wait(manual)
    assert (done["status"], counts(done)[0]) == ("success", 3 + 3 + 2)


def _wait_for_skip(connectors: Connectors, connection_id: str, manual: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = _runs(connectors, connection_id)
        if any(r["id"] != manual and r["status"] == "skipped" for r in runs):
            return runs
        connectors.pause(0.05)
    raise AssertionError(f"no skipped run while {manual} ran: {_runs(connectors, connection_id)}")


def test_a_connection_disabled_by_refused_credentials_stops_its_schedule(
    connectors: Connectors,
) -> None:
    """The worker that disables the connection (three refusals in a row) disables its
    schedule too, and every schedule names the dead-letter queue for fires that fail."""
    connection_id, account_id = connectors.chatwoot_connection(
        conversations=1, schedule="rate(30 minutes)"
    )
    from ponte.settings import get_settings

    created = _scheduled(connection_id) or {}
    dead_letters = {"Arn": get_settings().dead_letter_queue_arn}
    assert created["Target"].get("DeadLetterConfig") == dead_letters
    connectors.chatwoot.accounts[account_id].token = "revoked-at-chatwoot"

    runs = [connectors.run(connection_id) for _ in range(3)]

    assert [r["errorCode"] for r in runs] == ["INVALID_CREDENTIALS"] * 3
    assert connectors.connection(connection_id)["enabled"] is False
    assert (_scheduled(connection_id) or {})["State"] == "DISABLED"
    assert _fire(connection_id)["fired"] is False

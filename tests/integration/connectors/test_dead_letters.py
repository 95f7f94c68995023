"""A run whose message fails every attempt: it ends in `error` with the reason, its message
lands in the dead-letter queue, `ponte dlq list` shows it, and once the cause is fixed
`ponte dlq redrive` replays it as a run that completes."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from ponte.repository import pull_runs as pull_store
from ponte.services.pulls import dead_letters
from tests.integration.connectors.conftest import Connectors
from tests.integration.connectors.conftest import counts as _counts


def _dead_runs(tenant_id: str, seconds: float = 30) -> list[Any]:
    """The tenant's dead run messages, once the queue has moved one there (at its next
    receive after the last attempt)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [d for d in dead_letters.listing() if d.tenant_id == tenant_id]
        if found:
            return found
        Connectors.pause(0.1)
    return []


def test_a_poisoned_run_dies_is_listed_and_is_redriven_once_fixed(
    connectors: Connectors, monkeypatch: pytest.MonkeyPatch, cli: Any
) -> None:
    connection_id, _ = connectors.hubspot_connection(contacts=30)
    broken = {"on": True}
    original = pull_store.put_page

    def put_page(*args: Any, **kwargs: Any) -> None:
        if broken["on"]:
            raise RuntimeError("the table refused the page")
        original(*args, **kwargs)

    monkeypatch.setattr(pull_store, "put_page", put_page)

    dead = connectors.run(connection_id)

    assert (dead["status"], dead["errorCode"]) == ("error", "DEAD_LETTER")
    assert "each of its 5 attempts" in dead["error"]
    assert "RuntimeError: the table refused the page" in dead["error"]
    assert connectors.connection(connection_id)["lastSyncStatus"] == "error"  # let go of
    assert [d.run_id for d in _dead_runs(connectors.tenant.id)] == [dead["id"]]

    code, listed = cli("dlq", "list")
    assert code == 0
    ours = [d for d in listed if d.get("tenant") == connectors.tenant.id]  # type: ignore[union-attr]
    assert ours == [{
        "kind": "run", "tenant": connectors.tenant.id, "run": dead["id"],
        "connection": connection_id, "connectionName": "HubSpot", "firstError": dead["error"],
        "receives": ours[0]["receives"], "sentAt": ours[0]["sentAt"],
    }]  # fmt: skip
    assert ours[0]["receives"] >= 5

    broken["on"] = False  # the cause is fixed
    code, redriven = cli("dlq", "redrive", "--run", dead["id"])

    assert code == 0
    assert [(r["run"], r["redriven"]) for r in redriven] == [(dead["id"], True)]  # type: ignore[index]
    replay = connectors.wait(redriven[0]["newRun"])  # type: ignore[index]
    assert replay["status"] == "success"
    created, updated, unchanged, errors = _counts(replay)
    # The failed attempts wrote the records before their page: the replay finds them stored.
    assert (created + unchanged, updated, errors) == (30, 0, 0)
    assert (
        connectors.api.get(  # the dead run stays, the record of what failed
            f"/api/v1/sync/runs/{dead['id']}", headers=connectors.headers
        ).json()["data"]["status"]
        == "error"
    )
    assert [d for d in dead_letters.listing() if d.tenant_id == connectors.tenant.id] == []
    code, again = cli("dlq", "redrive", "--run", dead["id"])
    assert (code, again) == (0, [])
    assert "nothing in the dead-letter queue for run" in cli.stderr  # type: ignore[attr-defined]


def test_a_schedule_fire_that_died_is_listed_with_schedulers_reason_and_redriven(
    connectors: Connectors, cli: Any
) -> None:
    """What Scheduler puts in the dead letters when it cannot deliver a fire: the target's
    input, with its reason as message attributes."""
    from ponte.domain import run_queue
    from ponte.settings import get_settings

    connection_id, _ = connectors.chatwoot_connection(conversations=2)
    fire = run_queue.body(run_queue.fire(connectors.tenant.id, connection_id))
    reason = "Target is unreachable"
    boto3.client("sqs", region_name="us-east-1").send_message(
        QueueUrl=get_settings().dead_letter_queue_url,
        MessageBody=fire,
        MessageAttributes={"ERROR_MESSAGE": {"DataType": "String", "StringValue": reason}},
    )

    code, listed = cli("dlq", "list")
    ours = [d for d in listed if d.get("tenant") == connectors.tenant.id]  # type: ignore[union-attr]
    assert code == 0
    assert [(d["kind"], d["connection"], d["firstError"]) for d in ours] == [
        ("fire", connection_id, reason)
    ]

    code, redriven = cli("dlq", "redrive")
    assert code == 0
    assert ("fire", True) in [(r["kind"], r.get("redriven")) for r in redriven]  # type: ignore[union-attr]
    runs = []
    for _ in range(600):  # the worker fires it: an incremental run recorded as scheduled
        runs = connectors.api.get(
            "/api/v1/sync/runs", headers=connectors.headers, params={"connectionId": connection_id}
        ).json()["data"]
        if runs and runs[0]["status"] == "success":
            break
        Connectors.pause(0.1)
    assert [(r["trigger"], r["status"]) for r in runs] == [("schedule", "success")]

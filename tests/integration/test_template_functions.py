"""The template is the source of truth: every function resolves to a handler, has a sample
event that runs, and every authorized route refuses an anonymous caller."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from devstack.stack import LocalStack
from devstack.template import ROOT, Template
from ponte.adapters import bundles
from ponte.domain.runs import RunKind
from ponte.repository import runs
from ponte.services import tenancy
from tests.support import seed_000

TEMPLATE = Template.read()
FUNCTIONS = sorted(TEMPLATE.resources("AWS::Serverless::Function"))
ROUTES = TEMPLATE.routes()
EVENTS = ROOT / "events"


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_has_an_importable_handler(stack: LocalStack, logical_id: str) -> None:
    handler = stack.provisioned.runtime.handler(logical_id)
    assert callable(handler)


# Tasks of the full-sync workflow, in the order the state machine runs them.
WORKFLOW = [
    "FullSyncPrepareFunction",
    "FullSyncApplyChunkFunction",
    "FullSyncChunkFailedFunction",
    "FullSyncPhaseDoneFunction",
    "FullSyncMirrorFunction",
    "FullSyncFinalizeFunction",
]
# The role-sync workflow's tasks run in tests/integration/kommo through the real ASL.
ROLE_SYNC_TASKS = [
    f
    for f, resource in TEMPLATE.resources("AWS::Serverless::Function").items()
    if resource["Properties"]["CodeUri"].rstrip("/").endswith("role_sync_tasks")
]
ENTRY_POINTS = [f for f in FUNCTIONS if f not in WORKFLOW and f not in ROLE_SYNC_TASKS]
QUEUE_CONSUMERS = {function for _, function, _, _ in TEMPLATE.queue_consumers()}


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_has_a_sample_event(logical_id: str) -> None:
    path = EVENTS / f"{logical_id}.json"
    assert path.exists(), f"add a sample event for `sam local invoke`: {path.relative_to(ROOT)}"


@pytest.mark.fresh_table  # the sample events name tenant "demo", as on a new stack
@pytest.mark.parametrize("logical_id", ENTRY_POINTS)
def test_sample_event_runs(stack: LocalStack, logical_id: str) -> None:
    path = EVENTS / f"{logical_id}.json"
    tenancy.create_tenant("demo", "Demo")  # the tenant the sample events name

    result = stack.provisioned.runtime.invoke(logical_id, json.loads(path.read_text()))

    if logical_id == TEMPLATE.authorizer_function():
        assert result["isAuthorized"] is True
        assert result["context"]["failure"] == "INVALID_API_KEY"
    elif logical_id in QUEUE_CONSUMERS:
        assert result == {"batchItemFailures": []}  # a run that does not exist is skipped
    else:
        assert 200 <= result["statusCode"] < 500, result
        content_type = {k.lower(): v for k, v in (result.get("headers") or {}).items()}.get(
            "content-type", ""
        )
        if content_type.startswith("text/html"):  # a page (the Movidesk admin page)
            assert "<!doctype html>" in result["body"]
        else:
            json.loads(result["body"])


@pytest.mark.parametrize("route", [r for r in ROUTES if r.authorized], ids=lambda r: r.route_key)
def test_authorized_route_refuses_anonymous_callers(api: httpx.Client, route: object) -> None:
    path = route.path.replace("{", "").replace("}", "")  # type: ignore[attr-defined]
    response = api.request(route.method, path)  # type: ignore[attr-defined]
    assert response.status_code == 401, response.text


def test_every_route_is_served_by_its_own_function() -> None:
    functions = [r.function for r in ROUTES]
    assert len(functions) == len(set(functions))


def test_events_folder_has_no_orphans() -> None:
    names = {Path(p).stem for p in EVENTS.glob("*.json")}
    assert names <= set(FUNCTIONS)


@pytest.mark.fresh_table  # tenant "demo" and the run id of the sample events
def test_workflow_sample_events_run_in_order(stack: LocalStack) -> None:
    """The task events describe one run: prepare, a chunk, a failed chunk, mirror, finalize."""
    tenancy.create_tenant("demo", "Demo")
    events = {name: json.loads((EVENTS / f"{name}.json").read_text()) for name in WORKFLOW}
    prepared = events["FullSyncPrepareFunction"]
    bundles.put_json(prepared["bundle_key"], {"units": seed_000.UNITS})
    runs.create_run_locked(
        "demo",
        RunKind.FULL_SYNC,
        {
            "run_id": prepared["run_id"],
            "status": "queued",
            "created_at": "2026-01-05T12:00:00+00:00",
        },
    )
    runtime = stack.provisioned.runtime

    output = runtime.invoke("FullSyncPrepareFunction", prepared)
    assert output["chunks"]["units"] == [0]
    assert (
        runtime.invoke("FullSyncApplyChunkFunction", events["FullSyncApplyChunkFunction"])["failed"]
        == 0
    )
    assert (
        runtime.invoke("FullSyncChunkFailedFunction", events["FullSyncChunkFailedFunction"])[
            "failed"
        ]
        == 2
    )
    assert runtime.invoke("FullSyncMirrorFunction", events["FullSyncMirrorFunction"]) == {
        "mirror": None
    }
    final = runtime.invoke("FullSyncFinalizeFunction", events["FullSyncFinalizeFunction"])
    assert final["status"] == "completed_with_errors"

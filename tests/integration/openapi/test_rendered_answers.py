"""Answers with every optional field set, rendered as the handlers render them, validate
against the published documents read strictly: a field a presenter adds and the document
does not list fails here (the documents once described these answers with mirror classes
that allowed extras, and hid `workspaceId`, `syncing`, `schedule`, the run's `trigger`…)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from ponte.domain.academic import Entity
from ponte.domain.connectors import (
    Connection,
    PageRecord,
    Platform,
    PullRun,
    RunStatus,
    StreamState,
    Trigger,
)
from ponte.domain.kommo import Account
from ponte.domain.records import PulledRecord
from ponte.domain.runs import RunKind
from ponte.domain.runs import RunStatus as FullSyncStatus
from ponte.domain.tenancy import ApiClient, Scope
from ponte.http import admin, connectors, erp, full_sync, kommo, movidesk
from ponte.http.api import json_response
from ponte.http.responses import CursorMeta, PageMeta
from ponte.http.responses import admin as ar
from ponte.http.responses import connectors as cr
from ponte.http.responses import erp as er
from ponte.http.responses import full_sync as fr
from ponte.http.responses import kommo as kr
from ponte.http.responses import movidesk as mr
from ponte.repository.runs import StoredRun
from ponte.services.erp_sync import RecordIssue, SyncResult
from ponte.services.movidesk import Settings, StoredTicket
from ponte.services.pulls.answers import Link
from ponte.services.tenancy import IssuedKey
from tests.support.documents import published, undocumented

AT = "2025-01-15T10:30:00+00:00"
C = "/api/v1/sync/connections"
M = "/admin/integrations/movidesk/api"

CONNECTION = Connection(
    id="c1",
    name="RD",
    platform=Platform.RDSTATION,
    enabled=False,
    created_at=AT,
    updated_at=AT,
    last_sync_at=AT,
    last_sync_status=RunStatus.ERROR,
    synced_records=3,
    disabled_reason="INVALID_CREDENTIALS",
    active_run="r1",
    workspace_id="ws-1",
    schedule="cron(0 7 ? * MON-FRI *)",
    timezone="America/Sao_Paulo",
)
STREAM = StreamState(
    status="failed", cursor={"after": ["t", "1"]}, pages=2, fetched=5, created=3, updated=1,
    unchanged=1, errors=1, error="vendor answered 500",
)  # fmt: skip
PROBLEM = {"stream": "tickets", "record": "42", "page": 2, "message": "no lastUpdate"}
RUN = PullRun(
    id="r1",
    connection_id="c1",
    connection_name="Movidesk",
    platform=Platform.MOVIDESK,
    status=RunStatus.PARTIAL,
    trigger=Trigger.SCHEDULE,
    full_sync=True,
    created_at=AT,
    streams={"tickets": STREAM},
    started_at=AT,
    completed_at="2025-01-15T10:35:30+00:00",
    errors=[PROBLEM],
    error_count=1,
    error="stopped",
    error_code="RUN_FAILED",
    options={
        "start": AT,
        "end": AT,
        "period": "2025-01-13 até 2025-01-15",
        "first_day": "2025-01-13",
        "last_day": "2025-01-15",
    },
    result="Novos: 3, Atualizados: 1, Total: 4",
)
PAGE = PageRecord(
    seq=2, stream="tickets", cursor={}, done=True, at=AT, fetched=5, created=3, updated=1,
    unchanged=1, failed=1, errors=[PROBLEM],
)  # fmt: skip
RECORD = PulledRecord(vendor_id="42", updated_at=AT, data={"id": 42}, hash="h", synced_at=AT)
SETTINGS = Settings(
    ["08:00"], True, [datetime(2025, 1, 16, 11, tzinfo=UTC)], subdomain="minhaempresa"
)
TICKET = StoredTicket(
    PulledRecord(
        vendor_id="42", updated_at=AT, hash="h", synced_at=AT,
        data={"id": 42, "subject": "s", "clients": [{"id": "1"}],
              "actions": [{"id": n, "description": "d" * 100} for n in range(1, 4)],
              "statusHistories": [{"status": "Novo", "changedDate": AT}]},
    ),
    Link("https://records.example/42.json.gz", AT),
    "https://minhaempresa.movidesk.com/Ticket/Edit/42",
)  # fmt: skip
MOMENT = datetime(2025, 1, 15, 10, 30, tzinfo=UTC)
CLIENT = ApiClient(
    id="k1", tenant_id="t", name="ERP", scope=Scope.WRITE, rate_limit=60, key_hash="h",
    key_prefix="pex_abcdef", created_at=MOMENT, active=False, last_used_at=MOMENT,
    revoked_at=MOMENT,
)  # fmt: skip
A = "/api/admin/api-clients"
FULL_SYNC = StoredRun(
    kind=RunKind.FULL_SYNC, run_id="fs1", status=FullSyncStatus.COMPLETED_WITH_ERRORS,
    created_at=AT, started_at=AT, ended_at=AT, error="stopped",
    body={
        "source": "upload", "options": {"mode": "mirror", "force": False},
        "progress": {"units": {"total": 2, "failed": 1}, "_run": {"failed_chunks": 1}},
        "mirror": {
            "units": {"applied": True, "deactivated": 1},
            "courses": {"applied": False, "would_deactivate": 9, "active": 10, "reason": "r"},
        },
    },
)  # fmt: skip
FULL_SYNC_ERROR = {"entity": "units", "chunk": 0, "index": 3, "code": "U1",
                   "errors": {"name": ["Campo obrigatório"]}}  # fmt: skip
F = "/api/integration/v1/full-sync"
ENROLLED = SyncResult(
    Entity.ENROLLMENTS, total=2, created=1, linked=2, unlinked=1,
    errors=[RecordIssue(1, "E2", {"student_code": ["Aluno não encontrado"]})],
    warnings=[RecordIssue(0, "E1", {"cpf": ["Dígitos verificadores inválidos"]})],
)  # fmt: skip
E = "/api/integration/v1/enrollments/sync"
ACCOUNT = Account(7, "empresa", "master", True, AT, AT)

ANSWERS: list[tuple[str, str, str, int, BaseModel]] = [
    ("connectors", "GET", f"{C}/c1", 200, cr.ConnectionAnswer(
        data=connectors.connection(CONNECTION))),
    ("connectors", "GET", C, 200, cr.ConnectionList(
        data=[connectors.connection(CONNECTION)], meta=PageMeta.of(1, 1, 10))),
    ("connectors", "POST", C, 201, cr.ConnectionCreated(
        data=connectors.created_connection(CONNECTION))),
    ("connectors", "DELETE", f"{C}/c1", 200, cr.ConnectionDeleted(
        data=cr.Deleted(id="c1", deleted=True, purged=cr.Purged(runs=1, records=5)))),
    ("connectors", "GET", "/api/v1/sync/runs/r1", 200, cr.RunAnswer(
        data=connectors.run_detail(RUN))),
    ("connectors", "GET", "/api/v1/sync/runs", 200, cr.RunList(
        data=[connectors.run(RUN)], meta=PageMeta.of(1, 1, 20))),
    ("connectors", "GET", "/api/v1/sync/runs/r1/logs", 200, cr.RunLogAnswer(
        data=connectors.run_logs(RUN, [PAGE]))),
    ("connectors", "GET", f"{C}/c1/records", 200, cr.RecordPage(
        data=[connectors.record("tickets", RECORD)], meta=CursorMeta(limit=1, nextCursor="x"))),
    ("movidesk", "GET", f"{M}/settings", 200, mr.SettingsAnswer(
        data=movidesk.settings(SETTINGS))),
    ("movidesk", "GET", f"{M}/runs/r1", 200, mr.MovideskRunAnswer(data=movidesk.run(RUN))),
    ("movidesk", "GET", f"{M}/runs", 200, mr.MovideskRunList(
        data=[movidesk.run(RUN)], meta=PageMeta.of(1, 1, 20))),
    ("movidesk", "GET", f"{M}/tickets/42", 200, mr.TicketAnswer(
        data=movidesk.ticket_detail(TICKET, budget=650))),  # cut short: with dataUrl
    ("admin", "POST", A, 201, ar.ApiClientCreated(
        message="m", data=admin.issued(IssuedKey(CLIENT, "pex_secret")))),
    ("admin", "GET", A, 200, ar.ApiClientList(data=[admin.api_client(CLIENT)])),
    ("erp", "POST", E, 200, er.SyncResult(message="m", data=erp.counts(ENROLLED))),
    ("erp", "POST", E, 422, er.SyncRefused(
        success=False, message="m", errors={"enrollments.1.x": ["y"]}, code="VALIDATION_ERROR",
        data=erp.counts(ENROLLED))),
    ("kommo", "GET", "/sync/accounts", 200, kr.KommoAccountList(data=[kommo.account(ACCOUNT)])),
    ("kommo", "PATCH", "/sync/accounts/7", 200, kr.KommoAccountAnswer(
        data=kommo.account(ACCOUNT))),
    ("full-sync", "GET", F, 200, fr.FullSyncHistory(data=[full_sync.run(FULL_SYNC)])),
    ("full-sync", "GET", f"{F}/fs1", 200, fr.FullSyncRunAnswer(
        data=full_sync.run_detail(FULL_SYNC, [FULL_SYNC_ERROR]))),
    ("full-sync", "POST", f"{F}/fs1/stop", 200, fr.FullSyncStopped(
        message="m", data=full_sync.run_detail(FULL_SYNC, [FULL_SYNC_ERROR]))),
    ("admin", "DELETE", f"{A}/k1", 200, ar.ApiClientRevoked(
        message="m", data=admin.api_client(CLIENT))),
]  # fmt: skip


def _rendered(model: BaseModel) -> Any:
    return json.loads(json_response(200, model).body)


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


@pytest.mark.parametrize(
    ("api", "method", "path", "status", "model"), ANSWERS, ids=[f"{a[1]} {a[2]}" for a in ANSWERS]
)
def test_a_full_answer_validates_strictly(
    api: str, method: str, path: str, status: int, model: BaseModel
) -> None:
    assert undocumented(api, method, path, status, _rendered(model)) == []


def test_the_answers_carry_every_additive_field() -> None:
    """So that the strict validation above checks them (and the log all four entry kinds)."""
    keys = set().union(*(_keys(_rendered(model)) for *_, model in ANSWERS))
    additive = {"workspaceId", "syncing", "schedule", "timezone", "disabledReason", "updatedAt",
                "trigger", "fullSync", "recordsUnchanged", "error", "errorCode", "streams",
                "cursor", "record", "counts", "window", "result", "progress", "purged",
                "firstDay", "lastDay", "subdomain",
                "mirror", "would_deactivate", "reason", "errors", "students",
                "warnings"}  # fmt: skip
    assert additive <= keys
    entries = _rendered(cr.RunLogAnswer(data=connectors.run_logs(RUN, [PAGE])))["data"]["entries"]
    assert [(e["level"], "stream" in e, "record" in e) for e in entries] == [
        ("info", True, False),
        ("error", True, True),
        ("error", True, False),
        ("error", False, False),
    ]


def test_workspace_id_is_absent_unless_set() -> None:
    plain = _rendered(connectors.connection(Connection("c", "H", Platform.HUBSPOT, True, AT, AT)))
    assert "workspaceId" not in plain
    assert plain["schedule"] is None


@pytest.mark.parametrize("api", ["connectors", "movidesk", "admin", "full-sync", "kommo"])
def test_the_documented_answers_list_every_field(api: str) -> None:
    """Each success answer's schema, and every object in it, refuses keys it does not list."""
    doc = published(api)
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                media = answer.get("content", {}).get("application/json")
                if not status.startswith("2") or media is None:
                    continue
                name = media["schema"]["$ref"].rsplit("/", 1)[1]
                for model in _reachable(schemas, name):
                    schema = schemas[model]
                    if "properties" in schema:
                        assert schema.get("additionalProperties") is False, (method, path, model)


def _reachable(schemas: dict[str, Any], name: str) -> set[str]:
    """The component ``name`` and every component it refers to, at any depth."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schemas[current]))
    return seen


def test_a_ticket_too_large_for_its_budget_keeps_its_newest_actions() -> None:
    whole = movidesk.ticket_detail(TICKET)
    cut = movidesk.ticket_detail(TICKET, budget=650)

    assert ([a["id"] for a in whole.actions], whole.dataUrl) == ([1, 2, 3], None)
    assert 0 < len(cut.actions) < 3
    assert cut.actions[-1]["id"] == 3
    assert (cut.actionsTotal, cut.dataUrl) == (3, TICKET.link and TICKET.link.url)

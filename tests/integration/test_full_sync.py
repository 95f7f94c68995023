"""Ordered full sync: the real full_sync.asl.json executed by moto's engine, tasks in-process."""

from __future__ import annotations

import gzip
import json
import threading
from typing import Any

import httpx
import pytest
import requests
from botocore.exceptions import ClientError

from ponte import aws
from ponte.domain.academic import Entity
from ponte.domain.tenancy import Scope
from ponte.services.erp_sync import SyncService
from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import Erp
from tests.integration.full_sync_helpers import BASE, wait
from tests.support import generate as gen
from tests.support import seed_000
from tests.support.virtual_time import VirtualClock


@pytest.fixture
def erp(api: httpx.Client, tenant: TenantFixture) -> Erp:
    return Erp(api, tenant)


def _bundle() -> dict[str, object]:
    return dict(seed_000.FLOW)


def test_seed_bundle_in_one_call(erp: Erp, api: httpx.Client) -> None:
    response = api.post(BASE, headers=erp.headers, json=_bundle())

    assert response.status_code == 202, response.text
    data = response.json()["data"]
    assert data["status"] == "queued"
    assert data["status_url"] == f"{BASE}/{data['run_id']}"
    run = wait(api, erp.headers, data["run_id"])

    assert run["status"] == "completed_with_errors"  # the seed's turma naming ALU2024002
    assert run["progress"]["units"] == {
        "total": 2,
        "processed": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    assert run["progress"]["enrollments"]["failed"] == 1
    assert run["errors"] == [
        {
            "entity": "enrollments",
            "index": 0,
            "code": "ALG001-2025.1",
            "errors": {"student_codes": ["O aluno ALU2024002 não existe"]},
        }
    ]
    assert run["ended_at"] is not None
    assert erp.get("professors/PROF001").status_code == 200
    status = erp.get("sync-status").json()["data"]
    assert status["entities"]["students"] == {"total": 2}
    history = api.get(BASE, headers=erp.headers).json()["data"]
    assert [r["run_id"] for r in history] == [data["run_id"]]


@pytest.mark.slow
def test_generated_institution_then_unchanged(erp: Erp, api: httpx.Client) -> None:
    """Several chunks of every large entity, twice. The whole default institution (2,820
    records) is `make bench`'s, which prints its requests and speed."""
    bundle = gen.institution(
        units_n=5, subjects_n=120, professors_n=60, students_n=500, turmas_n=120
    )
    sizes = {entity: len(records) for entity, records in bundle.items()}

    first = wait(api, erp.headers, start(api, erp, bundle))

    assert first["status"] == "completed", first["errors"]
    for entity, size in sizes.items():
        assert first["progress"][entity] == {
            "total": size,
            "processed": size,
            "created": size,
            "updated": 0,
            "unchanged": 0,
            "failed": 0,
        }, entity
    totals = erp.get("sync-status").json()["data"]["entities"]
    assert {e: v["total"] for e, v in totals.items()} == sizes
    turma = erp.get("enrollments/TU0119").json()["data"]
    assert turma["students_count"] == 30
    assert all(s["name"] for s in turma["students"])

    second = wait(api, erp.headers, start(api, erp, bundle))

    assert second["status"] == "completed"
    for entity, size in sizes.items():
        assert second["progress"][entity]["unchanged"] == size, entity
        assert second["progress"][entity]["created"] == second["progress"][entity]["updated"] == 0


def start(api: httpx.Client, erp: Erp, bundle: dict[str, object]) -> str:
    response = api.post(BASE, headers=erp.headers, json=bundle)
    assert response.status_code == 202, response.text
    run_id: str = response.json()["data"]["run_id"]
    return run_id


def test_a_failing_chunk_is_recorded_and_the_run_goes_on(
    erp: Erp, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, clock: VirtualClock
) -> None:
    original = SyncService.sync

    def broken(self: SyncService, entity: Entity, raw: list[dict[str, object]]) -> object:
        if entity is Entity.SUBJECTS:
            raise RuntimeError("disk on fire")
        return original(self, entity, raw)

    monkeypatch.setattr(SyncService, "sync", broken)

    run = wait(api, erp.headers, start(api, erp, _bundle()))

    assert run["status"] == "completed_with_errors"
    assert run["failed_chunks"] == 1
    assert run["progress"]["subjects"]["failed"] == 3
    chunk_error = next(e for e in run["errors"] if e["entity"] == "subjects")
    assert "disk on fire" in chunk_error["errors"]["chunk"][0]
    # Its dependents fail validation with clear reasons; the rest is stored.
    turma_errors = [e for e in run["errors"] if e["entity"] == "enrollments"]
    assert {"A disciplina selecionada não existe"} <= {
        m for e in turma_errors for m in e["errors"].get("subject_code", [])
    }
    assert erp.get("students/ALU2024001").status_code == 200


def test_transient_errors_are_retried(
    erp: Erp, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, clock: VirtualClock
) -> None:
    """DynamoDB throttles the first two writes of the units chunk: the task fails with
    TransientSyncError and the state machine's Retry applies the chunk again."""
    client = aws.dynamodb()
    original = client.transact_write_items
    failures = {"left": 2}

    def throttled(**params: Any) -> object:
        writes_records = any(
            item.get("Put", {}).get("Item", {}).get("type") == {"S": "record"}
            for item in params["TransactItems"]
        )
        if writes_records and failures["left"]:
            failures["left"] -= 1
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}},
                "TransactWriteItems",
            )
        return original(**params)

    monkeypatch.setattr(client, "transact_write_items", throttled)

    run = wait(api, erp.headers, start(api, erp, {"units": seed_000.UNITS}))

    assert run["status"] == "completed"
    assert run["progress"]["units"]["created"] == 2
    assert clock.slept  # the Retry back-off ran in virtual time


def test_mirror_mode_deactivates_what_is_missing_within_the_guard(
    erp: Erp, api: httpx.Client
) -> None:
    units = [{"code": f"U{i}", "name": f"Unidade {i}"} for i in range(10)]
    erp.ok("units", units)

    kept = wait(
        api, erp.headers, start(api, erp, {"units": units[:8], "options": {"mode": "mirror"}})
    )
    assert kept["status"] == "completed"
    assert kept["mirror"]["units"] == {"applied": True, "deactivated": 2}
    assert erp.get("units/U9").json()["data"]["status"] == "inactive"

    guarded = wait(
        api, erp.headers, start(api, erp, {"units": units[:2], "options": {"mode": "mirror"}})
    )
    assert guarded["status"] == "completed_with_errors"
    assert guarded["mirror"]["units"]["applied"] is False
    assert guarded["mirror"]["units"]["would_deactivate"] == 6
    assert "limite de 50%" in guarded["mirror"]["units"]["reason"]
    assert erp.get("units/U5").json()["data"]["status"] == "active"

    forced = wait(
        api,
        erp.headers,
        start(api, erp, {"units": units[:2], "options": {"mode": "mirror", "force": True}}),
    )
    assert forced["mirror"]["units"] == {"applied": True, "deactivated": 6}
    active = erp.get("units", status="active").json()["meta"]["total"]
    assert active == 2


def test_stop_aborts_and_a_second_start_is_409(
    erp: Erp, api: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    original = SyncService.sync

    def slow(self: SyncService, entity: Entity, raw: list[dict[str, object]]) -> object:
        gate.wait(30)
        return original(self, entity, raw)

    monkeypatch.setattr(SyncService, "sync", slow)
    run_id = start(api, erp, _bundle())

    second = api.post(BASE, headers=erp.headers, json=_bundle())
    assert second.status_code == 409
    assert second.json()["message"] == "Já existe uma sincronização completa em andamento"

    stopped = api.post(f"{BASE}/{run_id}/stop", headers=erp.headers)
    gate.set()

    assert stopped.status_code == 200
    assert stopped.json()["data"]["status"] == "aborted"
    assert wait(api, erp.headers, run_id)["status"] == "aborted"
    assert api.post(f"{BASE}/{run_id}/stop", headers=erp.headers).status_code == 409
    # The lock is released: the next run starts.
    assert api.post(BASE, headers=erp.headers, json={"units": seed_000.UNITS}).status_code == 202


def test_upload_path_end_to_end(erp: Erp, api: httpx.Client) -> None:
    created = api.post(f"{BASE}/uploads", headers=erp.headers)
    assert created.status_code == 201
    upload = created.json()["data"]
    body = gzip.compress(json.dumps(_bundle()).encode())
    assert requests.put(upload["upload_url"], data=body, timeout=30).status_code == 200

    started = api.post(
        upload["start_url"], headers=erp.headers, json={"options": {"mode": "upsert"}}
    )

    assert started.status_code == 202, started.text
    run = wait(api, erp.headers, started.json()["data"]["run_id"])
    assert run["source"] == "upload"
    assert run["progress"]["subjects"]["created"] == 3


def test_upload_url_is_sigv4_and_signs_no_header_a_client_must_repeat(
    erp: Erp, api: httpx.Client
) -> None:
    url = api.post(f"{BASE}/uploads", headers=erp.headers).json()["data"]["upload_url"]
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url
    assert "X-Amz-SignedHeaders=host&" in url or url.endswith("X-Amz-SignedHeaders=host")
    # curl --data-binary sends a form content type: the upload is still the bundle's bytes.
    body = json.dumps(_bundle()).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert requests.put(url, data=body, headers=form, timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "O pacote enviado está vazio"),
        (b'{"units": [', "O pacote não é um JSON válido (linha 1, coluna 12)"),
        (
            gzip.compress(b'{"units": []}', mtime=0)[:12],
            "O pacote gzip está corrompido ou incompleto",
        ),
        (b"[1, 2]", "O pacote deve ser um objeto JSON com as entidades"),
    ],
)
def test_an_unreadable_upload_fails_the_run_saying_why(
    erp: Erp, api: httpx.Client, body: bytes, reason: str
) -> None:
    upload = api.post(f"{BASE}/uploads", headers=erp.headers).json()["data"]
    assert requests.put(upload["upload_url"], data=body, timeout=30).status_code == 200
    started = api.post(upload["start_url"], headers=erp.headers)
    assert started.status_code == 202, started.text

    run = wait(api, erp.headers, started.json()["data"]["run_id"])

    assert run["status"] == "failed"
    assert run["error"] == f"InvalidBundle: {reason}"


def test_a_ratio_too_small_for_dynamodb_is_taken_as_zero(erp: Erp, api: httpx.Client) -> None:
    """5e-324 is a valid ratio; storing it once failed with decimal.Underflow (a 500)."""
    body = {"units": seed_000.UNITS, "options": {"max_removal_ratio": 5e-324}}
    started = api.post(BASE, headers=erp.headers, json=body)
    assert started.status_code == 202, started.text
    run = wait(api, erp.headers, started.json()["data"]["run_id"])
    assert run["options"]["max_removal_ratio"] == 0


def test_start_of_a_missing_upload_is_404(erp: Erp, api: httpx.Client) -> None:
    response = api.post(f"{BASE}/uploads/nope/start", headers=erp.headers, json={})
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ([1, 2], 422),
        ({"options": {"mode": "replace"}}, 422),
        ({"options": {"max_removal_ratio": 2}}, 422),
    ],
)
def test_bad_requests(erp: Erp, api: httpx.Client, body: object, status: int) -> None:
    assert api.post(BASE, headers=erp.headers, json=body).status_code == status


def test_read_scope_cannot_start_and_other_tenants_cannot_see(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    writer = Erp(api, tenant)
    run_id = start(api, writer, {"units": seed_000.UNITS})
    wait(api, writer.headers, run_id)
    reader = Erp(api, tenant, Scope.READ)
    assert api.post(BASE, headers=reader.headers, json={}).status_code == 403
    stranger = Erp(api, other_tenant)
    assert api.get(f"{BASE}/{run_id}", headers=stranger.headers).status_code == 404
    assert api.get(BASE, headers=stranger.headers).json()["data"] == []


def test_a_lone_surrogate_is_refused_before_anything_is_stored(erp: Erp, api: httpx.Client) -> None:
    headers = {**erp.headers, "content-type": "application/json"}
    bundle = api.post(BASE, headers=headers, content=b'{"units": [], "x": "\\ud800"}')
    record = api.post(
        "/api/integration/v1/units/sync",
        headers=headers,
        content=b'{"units": [{"code": "U1", "name": "a\\udfff"}]}',
    )

    for refused in (bundle, record):
        assert refused.status_code == 400, refused.text
        assert refused.json()["message"] == "JSON inválido no corpo da requisição"
    assert api.get(BASE, headers=erp.headers).json()["data"] == []  # no run started
    assert erp.get("units/U1").status_code == 404
    paired = api.post(  # a surrogate pair is a character like any other
        "/api/integration/v1/units/sync",
        headers=headers,
        content=b'{"units": [{"code": "U1", "name": "Campus \\ud83c\\udf93"}]}',
    )
    assert paired.status_code == 200, paired.text
    assert erp.get("units/U1").json()["data"]["name"] == "Campus \U0001f393"


@pytest.mark.parametrize(
    ("compress", "reason"),
    [
        (True, "O pacote descompactado passa do limite de 1 MB (FullSyncMaxBundleMB): "
               "divida-o em sincronizações menores"),
        (False, "O pacote passa do limite de 1 MB"),
    ],
)  # fmt: skip
def test_a_bundle_past_the_size_limit_fails_the_run_saying_why(
    erp: Erp, api: httpx.Client, monkeypatch: pytest.MonkeyPatch, compress: bool, reason: str
) -> None:
    """A gzip of a few KB that inflates to 8 MB (a 306 KB one inflating to 300 MB was read
    whole, then parsed) is stopped at the limit as it streams; so is a plain one."""
    from ponte.settings import get_settings

    monkeypatch.setenv("FULL_SYNC_MAX_BUNDLE_MB", "1")
    get_settings.cache_clear()
    try:
        upload = api.post(f"{BASE}/uploads", headers=erp.headers).json()["data"]
        document = b'{"units": [' + b" " * (8 << 20) + b"]}"
        body = gzip.compress(document) if compress else document
        assert len(body) < 100_000 or not compress
        assert requests.put(upload["upload_url"], data=body, timeout=60).status_code == 200
        started = api.post(upload["start_url"], headers=erp.headers)
        assert started.status_code == 202, started.text

        run = wait(api, erp.headers, started.json()["data"]["run_id"])
    finally:
        monkeypatch.delenv("FULL_SYNC_MAX_BUNDLE_MB")
        get_settings.cache_clear()

    assert run["status"] == "failed"
    assert run["error"] == f"InvalidBundle: {reason}"


def test_a_gzip_bundle_of_several_members_under_the_limit_is_read(
    erp: Erp, api: httpx.Client
) -> None:
    """Streaming keeps what gzip.decompress did: concatenated members are one document."""
    document = json.dumps(_bundle()).encode()
    half = len(document) // 2
    body = gzip.compress(document[:half]) + gzip.compress(document[half:])
    upload = api.post(f"{BASE}/uploads", headers=erp.headers).json()["data"]
    assert requests.put(upload["upload_url"], data=body, timeout=30).status_code == 200
    started = api.post(upload["start_url"], headers=erp.headers)

    run = wait(api, erp.headers, started.json()["data"]["run_id"])
    assert run["status"] != "failed", run
    assert run["progress"]["subjects"]["created"] == 3

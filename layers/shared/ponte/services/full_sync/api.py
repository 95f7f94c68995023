"""The full-sync API's side: start (inline or from an upload), status, history, stop."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ponte import errors
from ponte.adapters import bundles, workflows
from ponte.clock import isoformat, utcnow
from ponte.domain.runs import RunKind, RunStatus
from ponte.repository import runs
from ponte.repository.runs import StoredRun
from ponte.services.full_sync.model import COUNTS, ORDER, RUN_PART, WORKFLOW, Options, StartEvent
from ponte.services.runs import lifecycle
from ponte.settings import get_settings

ERRORS_SHOWN = 20
HISTORY_SIZE = 50


@dataclass(frozen=True, slots=True)
class Started:
    run_id: str
    status: str


@dataclass(frozen=True, slots=True)
class Upload:
    upload_id: str
    url: str
    expires_in: int


def start_inline(tenant_id: str, bundle: dict[str, Any], options: Options) -> Started:
    """Keep the bundle (in S3: the workflow passes only chunk indices) and start the run."""
    key = bundles.bundle_key(tenant_id, uuid.uuid4().hex)
    bundles.put_json(key, bundle)
    return _start(tenant_id, key, options, source="inline")


def create_upload(tenant_id: str) -> Upload:
    upload_id = uuid.uuid4().hex
    url = bundles.presign_upload(tenant_id, upload_id)
    return Upload(upload_id, url, bundles.UPLOAD_TTL_SECONDS)


def start_upload(tenant_id: str, upload_id: str, options: Options) -> Started:
    key = bundles.upload_key(tenant_id, upload_id)
    if not bundles.exists(key):
        raise errors.not_found("Upload não encontrado: envie o pacote para upload_url primeiro")
    return _start(tenant_id, key, options, source="upload")


def _start(tenant_id: str, bundle_key: str, options: Options, source: str) -> Started:
    chosen = options.model_dump(exclude_none=True)
    fields = {
        "status": RunStatus.QUEUED.value,
        "source": source,
        "bundle_key": bundle_key,
        "options": chosen,
    }
    concurrency = options.max_concurrency or get_settings().full_sync_map_concurrency

    def payload(run_id: str) -> StartEvent:
        return {
            "tenant_id": tenant_id,
            "run_id": run_id,
            "bundle_key": bundle_key,
            "options": chosen | {"max_concurrency": concurrency},
        }

    run_id = lifecycle.start(tenant_id, WORKFLOW, fields, payload)
    return Started(run_id, RunStatus.QUEUED.value)


def stop(tenant_id: str, run_id: str) -> dict[str, Any]:
    run = require_run(tenant_id, run_id)
    if run.status.finished:
        raise errors.conflict(
            "FULL_SYNC_NOT_RUNNING", "A sincronização não está em andamento", "Run is not active"
        )
    if WORKFLOW.is_running(run_id):
        workflows.stop(WORKFLOW.execution_arn(run_id), "Interrompida pelo cliente")
    lifecycle.close(
        tenant_id, RunKind.FULL_SYNC, run_id, RunStatus.ABORTED, started=bool(run.started_at)
    )
    return describe(tenant_id, require_run(tenant_id, run_id))


def require_run(tenant_id: str, run_id: str) -> StoredRun:
    run = runs.get_run(tenant_id, RunKind.FULL_SYNC, run_id)
    if run is None:
        raise errors.not_found("Sincronização não encontrada")
    return run


def _moment(value: str | None) -> str | None:
    return isoformat(datetime.fromisoformat(value)) if value else None


def describe(tenant_id: str, run: StoredRun, *, with_errors: bool = True) -> dict[str, Any]:
    duration = None
    if run.started_at:
        end = datetime.fromisoformat(run.ended_at) if run.ended_at else utcnow()
        duration = round((end - datetime.fromisoformat(run.started_at)).total_seconds(), 1)
    progress = run.get("progress", {})
    body: dict[str, Any] = {
        "run_id": run.run_id,
        "status": run.status.value,
        "source": run.get("source"),
        "options": run.get("options", {}),
        "progress": {
            e.value: {c: int(progress.get(e.value, {}).get(c, 0)) for c in COUNTS} for e in ORDER
        },
        "failed_chunks": int(progress.get(RUN_PART, {}).get("failed_chunks", 0)),
        "mirror": run.get("mirror"),
        "error": run.error,
        "created_at": _moment(run.created_at),
        "started_at": _moment(run.started_at),
        "ended_at": _moment(run.ended_at),
        "duration_seconds": duration,
    }
    if with_errors:
        body["errors"] = [
            {k: e.get(k) for k in ("entity", "index", "code", "errors")}
            for e in runs.first_errors(tenant_id, run.run_id, ERRORS_SHOWN)
        ]
    return body


def history(tenant_id: str) -> list[dict[str, Any]]:
    listed = runs.list_runs(tenant_id, RunKind.FULL_SYNC, HISTORY_SIZE)
    return [describe(tenant_id, run, with_errors=False) for run in listed]

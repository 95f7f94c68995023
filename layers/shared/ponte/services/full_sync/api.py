"""The full-sync API's side: start (inline or from an upload), status, history, stop."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ponte import errors
from ponte.adapters import bundles, workflows
from ponte.domain.runs import RunKind, RunStatus
from ponte.repository import runs
from ponte.repository.runs import StoredRun
from ponte.services.full_sync.model import WORKFLOW, Options, StartEvent
from ponte.services.runs import lifecycle
from ponte.settings import get_settings

ERRORS_SHOWN = 20
HISTORY_SIZE = 50


@dataclass(frozen=True, slots=True)
class Started:
    run_id: str
    status: RunStatus


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
    return Started(run_id, RunStatus.QUEUED)


def stop(tenant_id: str, run_id: str) -> StoredRun:
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
    return require_run(tenant_id, run_id)


def require_run(tenant_id: str, run_id: str) -> StoredRun:
    run = runs.get_run(tenant_id, RunKind.FULL_SYNC, run_id)
    if run is None:
        raise errors.not_found("Sincronização não encontrada")
    return run


def first_errors(tenant_id: str, run_id: str) -> list[dict[str, Any]]:
    return runs.first_errors(tenant_id, run_id, ERRORS_SHOWN)


def history(tenant_id: str) -> list[StoredRun]:
    return runs.list_runs(tenant_id, RunKind.FULL_SYNC, HISTORY_SIZE)

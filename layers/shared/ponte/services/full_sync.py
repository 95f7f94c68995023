"""Ordered full sync (seed 000, "Sincronização Inicial") run by a Step Functions workflow.

The API stores the bundle in S3, takes the tenant's lock and starts the execution; the
workflow's tasks (prepare, apply a chunk, record a failed chunk, mirror, finalize) are the
functions below. Chunks are applied by the same SyncService as the sync endpoints.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ponte import errors
from ponte.adapters import bundles, workflows
from ponte.clock import isoformat, utcnow
from ponte.domain.academic import MAX_BATCH, Entity
from ponte.repository import academic, keys, runs
from ponte.services import run_lock
from ponte.services.erp_sync import SyncResult, SyncService
from ponte.services.tenancy import tenant_setting
from ponte.settings import get_settings

LOCK = "full-sync"
ORDER = tuple(Entity)
ACTIVE = ("queued", "running")
FINISHED = ("completed", "completed_with_errors", "failed", "aborted")
ERRORS_KEPT_PER_CHUNK = 10
ERRORS_SHOWN = 20
CONFLICT = "Já existe uma sincronização completa em andamento"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["upsert", "mirror"] = "upsert"
    max_removal_ratio: Annotated[float, Field(ge=0, le=1)] = 0.5
    force: bool = False
    max_concurrency: Annotated[int, Field(ge=1, le=40)] | None = None


@dataclass(frozen=True, slots=True)
class Started:
    run_id: str
    status: str


def _service(tenant_id: str) -> SyncService:
    return SyncService(
        tenant_id, strict_cpf=lambda: bool(tenant_setting(tenant_id, "strict_cpf_check_digits"))
    )


def new_run_id(now: datetime) -> str:
    """Sortable by start time, unguessable."""
    return f"{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"


# -- the API side --------------------------------------------------------------------------
def execution_arn(run_id: str) -> str:
    return run_lock.execution_arn(get_settings().full_sync_state_machine, run_id)


def start(tenant_id: str, bundle_key: str, options: Options, source: str) -> Started:
    settings = get_settings()
    now = utcnow()
    run_id = new_run_id(now)
    run = {
        "run_id": run_id,
        "status": "queued",
        "source": source,
        "bundle_key": bundle_key,
        "options": options.model_dump(exclude_none=True),
        "created_at": now.isoformat(),
    }
    _create_locked(tenant_id, run)
    payload = {
        "tenant_id": tenant_id,
        "run_id": run_id,
        "bundle_key": bundle_key,
        "options": options.model_dump(exclude_none=True)
        | {"max_concurrency": options.max_concurrency or settings.full_sync_map_concurrency},
    }
    try:
        workflows.start(settings.full_sync_state_machine, run_id, payload)
    except Exception:
        runs.close_run(
            tenant_id,
            LOCK,
            run_id,
            {"status": "failed", "ended_at": utcnow().isoformat()},
            FINISHED,
        )
        raise
    return Started(run_id, "queued")


def _create_locked(tenant_id: str, run: dict[str, Any]) -> None:
    run_lock.create_locked(
        tenant_id,
        LOCK,
        run,
        kind=keys.FULL_SYNC,
        execution_of=execution_arn,
        busy=errors.conflict("FULL_SYNC_RUNNING", CONFLICT, "A full sync is already running"),
    )


def stop(tenant_id: str, run_id: str) -> dict[str, Any]:
    run = require_run(tenant_id, run_id)
    if run["status"] not in ACTIVE:
        raise errors.conflict(
            "FULL_SYNC_NOT_RUNNING", "A sincronização não está em andamento", "Run is not active"
        )
    if workflows.status(execution_arn(run_id)) == "RUNNING":
        workflows.stop(execution_arn(run_id), "Interrompida pelo cliente")
    _close(tenant_id, run, "aborted")
    return describe(tenant_id, require_run(tenant_id, run_id))


def require_run(tenant_id: str, run_id: str) -> dict[str, Any]:
    run = runs.get_run(tenant_id, run_id)
    if run is None:
        raise errors.not_found("Sincronização não encontrada")
    return run


def describe(tenant_id: str, run: dict[str, Any], *, with_errors: bool = True) -> dict[str, Any]:
    started, ended = run.get("started_at"), run.get("ended_at")
    duration = None
    if started:
        end = datetime.fromisoformat(str(ended)) if ended else utcnow()
        duration = round((end - datetime.fromisoformat(str(started))).total_seconds(), 1)
    body: dict[str, Any] = {
        "run_id": run["run_id"],
        "status": run["status"],
        "source": run.get("source"),
        "options": run.get("options", {}),
        "progress": {
            e.value: {
                c: int(run.get("progress", {}).get(e.value, {}).get(c, 0)) for c in runs.COUNTS
            }
            for e in ORDER
        },
        "failed_chunks": int(run.get("progress", {}).get("_run", {}).get("failed_chunks", 0)),
        "mirror": run.get("mirror"),
        "error": run.get("error"),
        "created_at": isoformat(datetime.fromisoformat(str(run["created_at"]))),
        "started_at": isoformat(datetime.fromisoformat(str(started))) if started else None,
        "ended_at": isoformat(datetime.fromisoformat(str(ended))) if ended else None,
        "duration_seconds": duration,
    }
    if with_errors:
        body["errors"] = [
            {k: e.get(k) for k in ("entity", "index", "code", "errors")}
            for e in runs.first_errors(tenant_id, str(run["run_id"]), ERRORS_SHOWN)
        ]
    return body


def history(tenant_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return [describe(tenant_id, r, with_errors=False) for r in runs.list_runs(tenant_id, limit)]


# -- the workflow's tasks ------------------------------------------------------------------
def prepare(event: dict[str, Any]) -> dict[str, Any]:
    """Split the bundle into chunks of 100 stored in S3; the workflow passes only indices."""
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    bundle = bundles.read_json(event["bundle_key"])
    if not isinstance(bundle, dict):
        raise InvalidBundle("O pacote deve ser um objeto JSON com as entidades")
    chunks: dict[str, list[int]] = {}
    progress: dict[str, dict[str, int]] = {}
    for entity in ORDER:
        records = bundle.get(entity.value) or []
        if not isinstance(records, list):
            raise InvalidBundle(f"'{entity.value}' deve ser uma lista")
        count = (len(records) + MAX_BATCH - 1) // MAX_BATCH
        for index in range(count):
            part = records[index * MAX_BATCH : (index + 1) * MAX_BATCH]
            bundles.put_json(bundles.chunk_key(tenant_id, run_id, entity.value, index), part)
        codes = sorted({str(r.get("code", "")).strip() for r in records if isinstance(r, dict)})
        bundles.put_json(bundles.codes_key(tenant_id, run_id, entity.value), codes)
        chunks[entity.value] = list(range(count))
        progress[entity.value] = dict.fromkeys(runs.COUNTS, 0) | {"total": len(records)}
    progress["_run"] = {"failed_chunks": 0}
    runs.update_run(
        tenant_id,
        run_id,
        {"status": "running", "started_at": utcnow().isoformat(), "progress": progress},
        unless_status=FINISHED,
    )
    return {**event, "chunks": chunks}


class InvalidBundle(Exception):
    pass


class TransientSyncError(Exception):
    """Throttling or a transient AWS error: the workflow retries the chunk with back-off."""


_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflict",
}


def apply_chunk(event: dict[str, Any]) -> dict[str, Any]:
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    entity, chunk = Entity(event["entity"]), int(event["chunk"])
    records = bundles.read_json(bundles.chunk_key(tenant_id, run_id, entity.value, chunk))
    try:
        result = _service(tenant_id).sync(entity, records)
    except Exception as exc:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in _TRANSIENT or any(t in str(exc) for t in _TRANSIENT):
            raise TransientSyncError(f"{entity.value} chunk {chunk}: {code or exc}") from exc
        raise
    counts = {
        "processed": result.total,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "failed": result.failed,
    }
    if not (result.created or result.updated or result.failed):
        # Nothing written: the phase step adds these counts, sparing a write per chunk.
        return {"deferred": {k: v for k, v in counts.items() if v}}
    runs.add_progress(tenant_id, run_id, entity.value, counts)
    _record_errors(tenant_id, run_id, entity, chunk, result)
    return {"failed": result.failed}


def phase_done(event: dict[str, Any]) -> dict[str, Any]:
    """After a phase's Map(s): add up the counts unchanged chunks deferred, in one write.

    ``phases`` maps each entity of the phase to its Map's results."""
    deferred: dict[str, dict[str, int]] = {}
    for entity, results in (event.get("phases") or {}).items():
        totals: dict[str, int] = {}
        for outcome in _outcomes(results):
            for name, value in outcome.get("deferred", {}).items():
                totals[name] = totals.get(name, 0) + int(value)
        if totals:
            deferred[entity] = totals
    runs.add_progresses(event["tenant_id"], event["run_id"], deferred)
    return {"deferred": deferred}


def _outcomes(results: Any) -> Iterator[dict[str, Any]]:
    """Each chunk's outcome, however the Map results arrive nested."""
    if isinstance(results, dict):
        yield results
    elif isinstance(results, list):
        for item in results:
            yield from _outcomes(item)


def _record_errors(
    tenant_id: str, run_id: str, entity: Entity, chunk: int, result: SyncResult
) -> None:
    kept = [
        {
            "entity": entity.value,
            "chunk": chunk,
            "index": chunk * MAX_BATCH + issue.index,
            "code": issue.code,
            "errors": issue.messages,
        }
        for issue in result.errors[:ERRORS_KEPT_PER_CHUNK]
    ]
    if kept:
        runs.put_errors(tenant_id, run_id, kept)


def chunk_failed(event: dict[str, Any]) -> dict[str, Any]:
    """A chunk that failed after its retries: count its records as failed, keep the cause."""
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    entity, chunk = event["entity"], int(event["chunk"])
    error = event.get("error") or {}
    try:
        size = len(bundles.read_json(bundles.chunk_key(tenant_id, run_id, entity, chunk)))
    except Exception:
        size = 0
    runs.add_progress(tenant_id, run_id, entity, {"processed": size, "failed": size})
    cause = f"{error.get('Error', 'Error')}: {str(error.get('Cause', ''))[:500]}"
    runs.put_errors(
        tenant_id,
        run_id,
        [
            {
                "entity": entity,
                "chunk": chunk,
                "index": chunk * MAX_BATCH,
                "code": None,
                "errors": {"chunk": [f"Falha ao processar o lote {chunk} de {entity}: {cause}"]},
            }
        ],
    )
    runs.add_progress(tenant_id, run_id, "_run", {"failed_chunks": 1})
    return {"failed": size}


def mirror(event: dict[str, Any]) -> dict[str, Any]:
    """Mirror mode: deactivate the tenant's records absent from the bundle, within the guard."""
    options = Options.model_validate(
        {k: v for k, v in (event.get("options") or {}).items() if k != "max_concurrency"}
    )
    if options.mode != "mirror":
        return {"mirror": None}
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    report: dict[str, Any] = {}
    for entity in reversed(ORDER):
        wanted = set(bundles.read_json(bundles.codes_key(tenant_id, run_id, entity.value)))
        active = [r for r in academic.all_records(tenant_id, entity.value) if r.status == "active"]
        absent = [r for r in active if r.code not in wanted]
        ratio = len(absent) / len(active) if active else 0.0
        if absent and ratio > options.max_removal_ratio and not options.force:
            report[entity.value] = {
                "applied": False,
                "would_deactivate": len(absent),
                "active": len(active),
                "reason": (
                    f"Desativaria {ratio:.0%} dos registros ativos, acima do limite de "
                    f"{options.max_removal_ratio:.0%}; envie options.force=true para aplicar"
                ),
            }
            continue
        deactivated = 0
        for start_at in range(0, len(absent), MAX_BATCH):
            part = [
                r.data | {"status": "inactive"} for r in absent[start_at : start_at + MAX_BATCH]
            ]
            result = _service(tenant_id).sync(entity, part)
            deactivated += result.updated
        report[entity.value] = {"applied": True, "deactivated": deactivated}
    runs.update_run(tenant_id, run_id, {"mirror": report})
    return {"mirror": report}


def finalize(event: dict[str, Any]) -> dict[str, Any]:
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    run = require_run(tenant_id, run_id)
    if event.get("error"):
        status = "failed"
        error = event["error"]
        fields: dict[str, Any] = {
            "error": f"{error.get('Error', 'Error')}: {str(error.get('Cause', ''))[:1000]}"
        }
    else:
        progress = run.get("progress", {})
        failed = sum(int(v.get("failed", 0)) for k, v in progress.items() if k != "_run")
        chunks = int(progress.get("_run", {}).get("failed_chunks", 0))
        skipped = any(not m.get("applied", True) for m in (run.get("mirror") or {}).values())
        status = "completed_with_errors" if failed or chunks or skipped else "completed"
        fields = {"failed_chunks": chunks}
    _close(tenant_id, run, status, fields)
    return {"run_id": run_id, "status": status}


def _close(
    tenant_id: str, run: dict[str, Any], status: str, extra: dict[str, Any] | None = None
) -> None:
    run_id = str(run["run_id"])
    fields = {"status": status, "ended_at": utcnow().isoformat(), **(extra or {})}
    if not run.get("started_at"):
        fields["started_at"] = fields["ended_at"]
    runs.close_run(tenant_id, LOCK, run_id, fields, FINISHED)

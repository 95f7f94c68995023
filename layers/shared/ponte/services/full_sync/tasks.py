"""The full-sync workflow's states (full_sync.asl.json): prepare, apply a chunk, record a
failed chunk, add up a phase, mirror, finalize. Chunks are applied by the same SyncService as
the sync endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ponte.adapters import bundles
from ponte.clock import utcnow
from ponte.domain.academic import MAX_BATCH, Entity
from ponte.domain.runs import RunKind, RunStatus
from ponte.repository import academic, runs
from ponte.repository.errors import Transient
from ponte.services.erp_sync import SyncResult, SyncService
from ponte.services.full_sync.model import (
    COUNTS,
    ORDER,
    RUN_PART,
    ChunkEvent,
    ChunkFailedEvent,
    ChunkResult,
    FinalizeEvent,
    FinalizeResult,
    MirrorEvent,
    MirrorResult,
    Options,
    PhaseDoneEvent,
    PhaseDoneResult,
    PreparedEvent,
    StartEvent,
)
from ponte.services.runs import lifecycle
from ponte.services.tenancy import tenant_setting

ERRORS_KEPT_PER_CHUNK = 10
KIND = RunKind.FULL_SYNC


class InvalidBundle(Exception):
    """The bundle is not what the API accepts: the run fails with this message."""


class RunMissing(Exception):
    """The run record is gone (deleted while its workflow ran)."""


class TransientSyncError(Exception):
    """Throttling or a transient AWS error: the workflow retries the chunk with back-off."""


def _service(tenant_id: str) -> SyncService:
    return SyncService(
        tenant_id, strict_cpf=lambda: bool(tenant_setting(tenant_id, "strict_cpf_check_digits"))
    )


def prepare(event: StartEvent) -> PreparedEvent:
    """Split the bundle into chunks of 100 stored in S3; the workflow passes only indices."""
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    try:
        bundle = bundles.read_json(event["bundle_key"])
    except bundles.BundleUnreadable as exc:
        raise InvalidBundle(str(exc)) from exc
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
        progress[entity.value] = dict.fromkeys(COUNTS, 0) | {"total": len(records)}
    progress[RUN_PART] = {"failed_chunks": 0}
    runs.update_run(
        tenant_id,
        KIND,
        run_id,
        {
            "status": RunStatus.RUNNING.value,
            "started_at": utcnow().isoformat(),
            "progress": progress,
        },
        unless_finished=True,
    )
    return {**event, "chunks": chunks}


def apply_chunk(event: ChunkEvent) -> ChunkResult:
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    entity, chunk = Entity(event["entity"]), int(event["chunk"])
    records = bundles.read_json(bundles.chunk_key(tenant_id, run_id, entity.value, chunk))
    try:
        result = _service(tenant_id).sync(entity, records)
    except Transient as exc:
        raise TransientSyncError(f"{entity.value} chunk {chunk}: {exc}") from exc
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
    runs.add_progress(tenant_id, KIND, run_id, {entity.value: counts})
    _record_errors(tenant_id, run_id, entity, chunk, result)
    return {"failed": result.failed}


def phase_done(event: PhaseDoneEvent) -> PhaseDoneResult:
    """After a phase's Map(s): add up the counts unchanged chunks deferred, in one write."""
    deferred: dict[str, dict[str, int]] = {}
    for entity, results in (event.get("phases") or {}).items():
        totals: dict[str, int] = {}
        for outcome in _outcomes(results):
            for name, value in outcome.get("deferred", {}).items():
                totals[name] = totals.get(name, 0) + int(value)
        if totals:
            deferred[entity] = totals
    runs.add_progress(event["tenant_id"], KIND, event["run_id"], deferred)
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


def chunk_failed(event: ChunkFailedEvent) -> ChunkResult:
    """A chunk that failed after its retries: count its records as failed, keep the cause."""
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    entity, chunk = event["entity"], int(event["chunk"])
    try:
        size = len(bundles.read_json(bundles.chunk_key(tenant_id, run_id, entity, chunk)))
    except bundles.BundleMissing:
        size = 0
    runs.add_progress(tenant_id, KIND, run_id, {entity: {"processed": size, "failed": size}})
    cause = lifecycle.task_failure(event.get("error") or {}, limit=500)
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
    runs.add_progress(tenant_id, KIND, run_id, {RUN_PART: {"failed_chunks": 1}})
    return {"failed": size}


def mirror(event: MirrorEvent) -> MirrorResult:
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
        active = [r for r in academic.all_records(tenant_id, entity) if r.status == "active"]
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
            deactivated += _service(tenant_id).sync(entity, part).updated
        report[entity.value] = {"applied": True, "deactivated": deactivated}
    runs.update_run(tenant_id, KIND, run_id, {"mirror": report})
    return {"mirror": report}


def finalize(event: FinalizeEvent) -> FinalizeResult:
    tenant_id, run_id = event["tenant_id"], event["run_id"]
    run = runs.get_run(tenant_id, KIND, run_id)
    if run is None:
        raise RunMissing(run_id)
    fields: dict[str, Any]
    if "error" in event:
        status = RunStatus.FAILED
        fields = {"error": str(lifecycle.task_failure(event["error"]))}
    else:
        progress = run.get("progress", {})
        failed = sum(int(v.get("failed", 0)) for k, v in progress.items() if k != RUN_PART)
        chunks = int(progress.get(RUN_PART, {}).get("failed_chunks", 0))
        skipped = any(not m.get("applied", True) for m in (run.get("mirror") or {}).values())
        status = (
            RunStatus.COMPLETED_WITH_ERRORS
            if failed or chunks or skipped
            else (RunStatus.COMPLETED)
        )
        fields = {"failed_chunks": chunks}
    lifecycle.close(tenant_id, KIND, run_id, status, fields, started=bool(run.started_at))
    return {"run_id": run_id, "status": status.value}

"""The ERP integration API's presenters: a sync body's records, and a batch's outcome as
:mod:`ponte.http.responses.erp` shows it (or the 422 when every record failed)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from ponte import errors
from ponte.domain.academic import MAX_BATCH, SPECS, Entity
from ponte.http.api import json_response
from ponte.http.responses import erp as out
from ponte.services.erp_sync import CONFLICT, SyncResult


def sync_records(entity: Entity, payload: Any) -> list[Any]:
    """The records of a sync body ``{"<entity>": [...]}``: 1 to 100 of them, or a 422."""
    key = entity.value
    if not isinstance(payload, dict):
        raise errors.validation_error({"body": [f'Envie um objeto JSON {{"{key}": [...]}}']})
    if key not in payload:
        raise errors.validation_error({key: [f'Campo obrigatório: envie {{"{key}": [...]}}']})
    records = payload[key]
    if not isinstance(records, list):
        raise errors.validation_error({key: ["Deve ser uma lista"]})
    if not records:
        raise errors.validation_error({key: ["Envie ao menos 1 registro"]})
    if len(records) > MAX_BATCH:
        raise errors.validation_error(
            {key: [f"Máximo de {MAX_BATCH} registros por requisição (recebidos {len(records)})"]}
        )
    return records


def counts(result: SyncResult) -> out.SyncCounts:
    """The batch's counts; ``students`` (student links made and removed): enrollments only."""
    students = None
    if result.entity is Entity.ENROLLMENTS:
        students = out.StudentLinks(linked=result.linked, unlinked=result.unlinked)
    return out.SyncCounts(
        created=result.created,
        updated=result.updated,
        failed=result.failed,
        unchanged=result.unchanged,
        errors=[
            out.RecordErrors(index=e.index, code=e.code, errors=e.messages) for e in result.errors
        ],
        warnings=[
            out.RecordWarnings(index=w.index, code=w.code, warnings=w.messages)
            for w in result.warnings
        ],
        students=students,
    )


def sync_response(result: SyncResult) -> Response[Any]:
    data = counts(result)
    if result.total and result.failed == result.total:
        flat = {
            f"{result.entity.value}.{e.index}.{name}": messages
            for e in result.errors
            for name, messages in e.messages.items()
        }
        if result.conflicts == result.failed:  # nothing wrong with them: send them again
            raise errors.DomainError(
                errors.Kind.CONFLICT, "CONCURRENT_UPDATE", CONFLICT, "Concurrent update", flat,
                headers={"Retry-After": "1"},
            )  # fmt: skip
        refused = out.SyncRefused(
            success=False, message="Validation error", errors=flat, code="VALIDATION_ERROR",
            data=data,
        )  # fmt: skip
        return json_response(422, refused)
    message = f"Sincronização de {SPECS[result.entity].label} concluída."
    return json_response(200, out.SyncResult(message=message, data=data))

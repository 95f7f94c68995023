"""Response shapes of the ERP integration API."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from ponte import errors
from ponte.domain.academic import MAX_BATCH, SPECS, Entity
from ponte.http.api import json_response
from ponte.services.erp_sync import CONFLICT, RecordIssue, SyncResult


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


def _issue(issue: RecordIssue, kind: str) -> dict[str, Any]:
    return {"index": issue.index, "code": issue.code, kind: issue.messages}


def sync_response(result: SyncResult) -> Response[Any]:
    data: dict[str, Any] = {
        "created": result.created,
        "updated": result.updated,
        "failed": result.failed,
        "unchanged": result.unchanged,
        "errors": [_issue(e, "errors") for e in result.errors],
        "warnings": [_issue(w, "warnings") for w in result.warnings],
    }
    if result.entity is Entity.ENROLLMENTS:
        data["students"] = {"linked": result.linked, "unlinked": result.unlinked}
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
        # The error envelope (with its additive `code`), and the counts as on a 200.
        body = {
            "success": False,
            "message": "Validation error",
            "errors": flat,
            "code": "VALIDATION_ERROR",
            "data": data,
        }
        return json_response(422, body)
    label = SPECS[result.entity].label
    return json_response(
        200, {"success": True, "message": f"Sincronização de {label} concluída.", "data": data}
    )

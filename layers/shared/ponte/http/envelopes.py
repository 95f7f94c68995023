"""The four error envelopes the APIs document, rendered from one :class:`DomainError`, and
the HTTP status of each kind of error (the only place that knows them)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ponte.clock import isoformat, utcnow
from ponte.errors import DomainError, Kind


class Flavor(StrEnum):
    ERP = "erp"  # the ERP integration API: {success:false, message, errors}
    KOMMO = "kommo"  # the Kommo role sync API: {success:false, error}
    HIERARCHY = "hierarchy"  # the hierarchy API: {error, message, details, timestamp}
    CONNECTORS = "connectors"  # the connectors API: {success:false, error, code, details}
    MOVIDESK = "movidesk"  # none documented: the connectors' shape, Portuguese messages


STATUS: dict[Kind, int] = {
    Kind.INVALID: 400,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.TOO_LARGE: 413,
    Kind.UNPROCESSABLE: 422,
    Kind.RATE_LIMITED: 429,
    Kind.INTERNAL: 500,
}


def status_of(error: DomainError) -> int:
    return STATUS[error.kind]


_HIERARCHY_LABELS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Payload Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def error_body(error: DomainError, flavor: Flavor) -> dict[str, Any]:
    if flavor is Flavor.ERP:
        # `code` is additive; `errors` is always an object, as the API's documented examples show.
        return {
            "success": False,
            "message": error.message,
            "errors": {k: list(v) for k, v in error.errors.items()},
            "code": error.code,
        }
    if flavor is Flavor.KOMMO:
        return {"success": False, "error": error.message}
    if flavor is Flavor.HIERARCHY:
        return {
            "error": _HIERARCHY_LABELS.get(status_of(error), "Error"),
            "message": error.message,
            "details": error.details or error.code,
            "timestamp": isoformat(utcnow()),
        }
    details = [{"field": k, "messages": list(v)} for k, v in error.errors.items()]
    # The connectors API documents one code for every authentication failure.
    code = "UNAUTHORIZED" if error.kind is Kind.UNAUTHENTICATED else error.code
    text = error.message if flavor is Flavor.MOVIDESK else error.english
    return {"success": False, "error": text, "code": code, "details": details}

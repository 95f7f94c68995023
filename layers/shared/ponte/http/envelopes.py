"""The four error envelopes the seeds document, rendered from one :class:`ApiError`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from ponte.clock import isoformat, utcnow
from ponte.errors import ApiError


class Flavor(StrEnum):
    ERP = "erp"  # seed 000: {success:false, message, errors}
    KOMMO = "kommo"  # seed 001: {success:false, error}
    HIERARCHY = "hierarchy"  # seed 002: {error, message, details, timestamp}
    CONNECTORS = "connectors"  # seed 003: {success:false, error, code, details}


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


def error_body(error: ApiError, flavor: Flavor) -> dict[str, Any]:
    if flavor is Flavor.ERP:
        # `code` is additive; `errors` is always an object, as the seed's examples show.
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
            "error": _HIERARCHY_LABELS.get(error.status, "Error"),
            "message": error.message,
            "details": error.details or error.code,
            "timestamp": isoformat(utcnow()),
        }
    details = [{"field": k, "messages": list(v)} for k, v in error.errors.items()]
    return {"success": False, "error": error.english, "code": error.code, "details": details}

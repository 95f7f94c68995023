from datetime import UTC, datetime

from ponte import errors
from ponte.clock import use_clock
from ponte.http.envelopes import STATUS, Flavor, error_body, status_of
from tests.support.virtual_time import VirtualClock

ERROR = errors.validation_error({"email": ["Email já cadastrado"]})


def test_erp_envelope_seed_000() -> None:
    assert error_body(ERROR, Flavor.ERP) == {
        "success": False,
        "message": "Validation error",
        "errors": {"email": ["Email já cadastrado"]},
        "code": "VALIDATION_ERROR",
    }


def test_kommo_envelope_seed_001() -> None:
    error = errors.conflict("SYNC_RUNNING", "Já existe uma sincronização em andamento")
    assert error_body(error, Flavor.KOMMO) == {
        "success": False,
        "error": "Já existe uma sincronização em andamento",
    }


def test_hierarchy_envelope_seed_002() -> None:
    with use_clock(VirtualClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))):
        body = error_body(errors.not_found("Turma não encontrada"), Flavor.HIERARCHY)
    assert body == {
        "error": "Not Found",
        "message": "Turma não encontrada",
        "details": "NOT_FOUND",
        "timestamp": "2026-01-05T12:00:00Z",
    }


def test_connectors_envelope_seed_003_speaks_english() -> None:
    error = errors.not_found("Conexão não encontrada", "Connection not found")
    error.code = "CONNECTION_NOT_FOUND"
    assert error_body(error, Flavor.CONNECTORS) == {
        "success": False,
        "error": "Connection not found",
        "code": "CONNECTION_NOT_FOUND",
        "details": [],
    }


def test_rate_limited_carries_retry_after() -> None:
    assert errors.rate_limited(0).headers == {"Retry-After": "1"}
    assert status_of(errors.rate_limited(42)) == 429


def test_each_kind_of_error_has_its_http_status() -> None:
    """Only the HTTP layer knows statuses; every kind a service can raise has one."""
    assert {kind: STATUS[kind] for kind in errors.Kind} == {
        errors.Kind.INVALID: 400,
        errors.Kind.UNAUTHENTICATED: 401,
        errors.Kind.FORBIDDEN: 403,
        errors.Kind.NOT_FOUND: 404,
        errors.Kind.CONFLICT: 409,
        errors.Kind.TOO_LARGE: 413,
        errors.Kind.UNPROCESSABLE: 422,
        errors.Kind.RATE_LIMITED: 429,
        errors.Kind.INTERNAL: 500,
    }
    assert status_of(errors.forbidden(details="x")) == 403

"""One error model for every API and every workflow task.

Services raise a :class:`DomainError`: what went wrong (its :class:`Kind`), a stable machine
code, the message in the API's language (Portuguese for the ERP, hierarchy and Kommo APIs,
English for the connectors) and optional field errors. Only the HTTP layer turns a kind into
a status (``ponte.http.envelopes``), so a workflow task that meets one fails with a domain
error, never with an HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    INVALID = "invalid"  # the request itself is malformed
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the state of things forbids it now (a run in progress, ...)
    TOO_LARGE = "too_large"
    UNPROCESSABLE = "unprocessable"  # well-formed, but its fields break the rules
    RATE_LIMITED = "rate_limited"
    INTERNAL = "internal"


@dataclass(eq=False)
class DomainError(Exception):
    kind: Kind
    code: str
    message: str
    message_en: str = ""
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    details: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.code}: {self.message}")

    @property
    def english(self) -> str:
        return self.message_en or self.message


def bad_request(message: str, *, message_en: str = "", details: str = "") -> DomainError:
    return DomainError(
        Kind.INVALID, "BAD_REQUEST", message, message_en or "Bad request", details=details
    )


def unauthorized(code: str, message: str, message_en: str) -> DomainError:
    return DomainError(Kind.UNAUTHENTICATED, code, message, message_en)


def forbidden(
    message: str = "Acesso negado", message_en: str = "Access denied", *, details: str = ""
) -> DomainError:
    return DomainError(Kind.FORBIDDEN, "FORBIDDEN", message, message_en, details=details)


def not_found(message: str, message_en: str = "Not found") -> DomainError:
    return DomainError(Kind.NOT_FOUND, "NOT_FOUND", message, message_en)


def conflict(code: str, message: str, message_en: str = "Conflict") -> DomainError:
    return DomainError(Kind.CONFLICT, code, message, message_en)


def payload_too_large(message: str, message_en: str = "Payload too large") -> DomainError:
    return DomainError(Kind.TOO_LARGE, "PAYLOAD_TOO_LARGE", message, message_en)


def validation_error(errors: Mapping[str, list[str]]) -> DomainError:
    return DomainError(
        Kind.UNPROCESSABLE, "VALIDATION_ERROR", "Validation error", "Validation error", errors
    )


def invalid_fields(errors: Mapping[str, list[str]]) -> DomainError:
    """A body whose fields are wrong, where the API answers 400 (the connectors API)."""
    return DomainError(
        Kind.INVALID, "VALIDATION_ERROR", "Dados inválidos", "Validation failed", errors
    )


def rate_limited(retry_after: int) -> DomainError:
    return DomainError(
        Kind.RATE_LIMITED,
        "RATE_LIMITED",
        "Limite de requisições excedido. Tente novamente em alguns instantes.",
        "Rate limit exceeded",
        headers={"Retry-After": str(max(1, retry_after))},
    )


def internal_error() -> DomainError:
    return DomainError(
        Kind.INTERNAL, "INTERNAL_ERROR", "Erro interno do servidor", "Internal server error"
    )


# Authentication failures: one catalogue so every API says the same thing for the same cause.
AUTH_FAILURES: dict[str, tuple[str, str]] = {
    "MISSING_CREDENTIALS": ("Credenciais não informadas", "Missing credentials"),
    "MALFORMED_CREDENTIALS": ("Credenciais malformadas", "Malformed credentials"),
    "INVALID_API_KEY": ("Chave de API inválida", "Invalid API key"),
    "REVOKED_API_KEY": ("Chave de API revogada", "Revoked API key"),
    "INVALID_TOKEN": ("Token inválido ou expirado", "Invalid or expired token"),
    "INVALID_TENANT": ("Tenant desconhecido ou inativo", "Unknown or inactive tenant"),
}

WRONG_PRINCIPAL = (
    "Tipo de credencial não aceito neste endpoint",
    "Credential type not accepted by this endpoint",
)


def auth_failure(code: str) -> DomainError:
    message, message_en = AUTH_FAILURES.get(code, AUTH_FAILURES["INVALID_TOKEN"])
    return unauthorized(code, message, message_en)

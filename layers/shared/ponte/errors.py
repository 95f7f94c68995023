"""One error model for every API; ``ponte.http.envelopes`` renders it in each seed's shape.

An :class:`ApiError` carries the HTTP status, a stable machine code, the message in the API's
language (the seeds: Portuguese for 000/001/002, English for 003) and optional field errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(eq=False)
class ApiError(Exception):
    status: int
    code: str
    message: str
    message_en: str = ""
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    details: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code}: {self.message}")

    @property
    def english(self) -> str:
        return self.message_en or self.message


def bad_request(message: str, *, message_en: str = "", details: str = "") -> ApiError:
    return ApiError(400, "BAD_REQUEST", message, message_en or "Bad request", details=details)


def unauthorized(code: str, message: str, message_en: str) -> ApiError:
    return ApiError(401, code, message, message_en)


def forbidden(message: str = "Acesso negado", message_en: str = "Access denied") -> ApiError:
    return ApiError(403, "FORBIDDEN", message, message_en)


def not_found(message: str, message_en: str = "Not found") -> ApiError:
    return ApiError(404, "NOT_FOUND", message, message_en)


def conflict(code: str, message: str, message_en: str = "Conflict") -> ApiError:
    return ApiError(409, code, message, message_en)


def payload_too_large(message: str, message_en: str = "Payload too large") -> ApiError:
    return ApiError(413, "PAYLOAD_TOO_LARGE", message, message_en)


def validation_error(errors: Mapping[str, list[str]]) -> ApiError:
    return ApiError(422, "VALIDATION_ERROR", "Validation error", "Validation error", errors=errors)


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "RATE_LIMITED",
        "Limite de requisições excedido. Tente novamente em alguns instantes.",
        "Rate limit exceeded",
        headers={"Retry-After": str(max(1, retry_after))},
    )


def internal_error() -> ApiError:
    return ApiError(500, "INTERNAL_ERROR", "Erro interno do servidor", "Internal server error")


# Authentication failures: one catalogue so every API says the same thing for the same cause.
AUTH_FAILURES: dict[str, tuple[str, str]] = {
    "MISSING_CREDENTIALS": ("Credenciais não informadas", "Missing credentials"),
    "MALFORMED_CREDENTIALS": ("Credenciais malformadas", "Malformed credentials"),
    "INVALID_API_KEY": ("Chave de API inválida", "Invalid API key"),
    "REVOKED_API_KEY": ("Chave de API revogada", "Revoked API key"),
    "INVALID_TOKEN": ("Token inválido ou expirado", "Invalid or expired token"),
}

WRONG_PRINCIPAL = (
    "Tipo de credencial não aceito neste endpoint",
    "Credential type not accepted by this endpoint",
)


def auth_failure(code: str) -> ApiError:
    message, message_en = AUTH_FAILURES.get(code, AUTH_FAILURES["INVALID_TOKEN"])
    return unauthorized(code, message, message_en)

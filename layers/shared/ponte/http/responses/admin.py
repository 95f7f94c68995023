"""The admin API's answers: API clients (the ERP's keys), never their keys but once."""

from __future__ import annotations

from ponte.domain.tenancy import Scope
from ponte.http.responses import ResponseModel, Success


class ApiClient(ResponseModel):
    id: str
    name: str
    scope: Scope
    rate_limit: int  # requests a minute
    active: bool
    key_prefix: str  # enough to recognise a key, not to use it
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class IssuedApiClient(ApiClient):
    api_key: str  # shown this once


class ApiClientCreated(Success):
    """The client and its key: the key is shown this once"""

    message: str
    data: IssuedApiClient


class ApiClientList(Success):
    """The tenant's clients (never their keys)"""

    data: list[ApiClient]


class ApiClientRevoked(Success):
    """The client can no longer call the API"""

    message: str
    data: ApiClient

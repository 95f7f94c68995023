"""The resolver every HTTP function uses, and the auth checks routes declare.

``create_app(flavor)`` builds a Powertools HTTP API resolver whose errors render in that
API's documented envelope; ``lambda_handler(app)`` adds logging, the correlation id and the
``X-RateLimit-*`` headers to every answer. Routes declare who may call them with the
``api_client(...)`` / ``user(...)`` middlewares.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.metrics import MetricUnit

from ponte import errors
from ponte.auth.principals import AuthContext, Principal, PrincipalKind, Role
from ponte.domain.tenancy import Scope
from ponte.errors import DomainError
from ponte.http.envelopes import Flavor, error_body, status_of
from ponte.observability import Handler, Metric, correlation_id, count, instrument, logger
from ponte.validation import field_errors

if TYPE_CHECKING:  # pydantic costs ~100 ms to import; health and the reads never need it
    from pydantic import BaseModel

Middleware = Callable[[APIGatewayHttpResolver, NextMiddleware], Response[Any]]
JSON = "application/json; charset=utf-8"
# Lambda answers a synchronous invocation with at most 6 MB: the whole response object, the
# body inside it as a JSON string. An answer kept this far under leaves room for the
# envelope, the headers and a cursor.
RESPONSE_LIMIT = 6 * 1024 * 1024
ANSWER_BUDGET = RESPONSE_LIMIT - 64 * 1024


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)


def _plain(value: Any) -> Any:
    """A response model (``ponte.http.responses``) as its JSON values; anything else as is.
    A model exists only once pydantic is imported, so the check imports nothing."""
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    return value


def answer_bytes(value: Any) -> int:
    """What ``value`` adds to a response: its JSON escaped as a string inside Lambda's answer
    (Python 3.12+ runtimes keep non-ASCII as UTF-8), and a separating comma."""
    return len(json.dumps(_dumps(_plain(value)), ensure_ascii=False).encode()) - 1


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response[Any]:
    """``body`` a JSON value, or a response model (``ponte.http.responses``) rendered as is."""
    return Response(
        status_code=status, content_type=JSON, body=_dumps(_plain(body)), headers=headers
    )


def cacheable_response(app: APIGatewayHttpResolver, body: Any, max_age: int = 300) -> Response[Any]:
    """A 200 the client may keep for ``max_age`` seconds, with an ``ETag`` of its content:
    a matching ``If-None-Match`` answers 304 with no body; gzip when the client accepts it."""
    text = _dumps(body)
    etag = f'"{hashlib.sha256(text.encode()).hexdigest()[:32]}"'
    headers = {
        "Cache-Control": f"private, max-age={max_age}",
        "ETag": etag,
        "Vary": "Authorization, Accept-Encoding",
    }
    wanted = app.current_event.headers.get("if-none-match") or ""
    tags = {t.strip().removeprefix("W/") for t in wanted.split(",")}
    if etag in tags or "*" in tags:
        return Response(status_code=304, content_type=None, body=None, headers=headers)
    return Response(200, JSON, text, headers, compress=True)


def error_response(error: DomainError, flavor: Flavor) -> Response[Any]:
    return json_response(status_of(error), error_body(error, flavor), dict(error.headers))


def create_app(flavor: Flavor) -> APIGatewayHttpResolver:
    # Bodies are validated in the route by `parse_body`, after the auth middleware: Powertools'
    # own validation would run first and answer 422 to an unauthenticated caller.
    app = APIGatewayHttpResolver(serializer=_dumps)

    @app.exception_handler(DomainError)
    def _domain_error(exc: DomainError) -> Response[Any]:
        return error_response(exc, flavor)

    @app.exception_handler(json.JSONDecodeError)
    def _bad_json(exc: json.JSONDecodeError) -> Response[Any]:
        return error_response(
            errors.bad_request(INVALID_JSON, message_en="Invalid JSON"),
            flavor,
        )

    @app.not_found
    def _not_found(exc: NotFoundError) -> Response[Any]:
        return error_response(errors.not_found("Recurso não encontrado"), flavor)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response[Any]:
        logger.exception("unhandled error")
        return error_response(errors.internal_error(), flavor)

    return app


_REQUIRED: Any = object()
INVALID_JSON = "JSON inválido no corpo da requisição"
MAX_BODY_BYTES = 1 << 20  # far above any body these APIs take; ERP batches pass their own
MAX_DEPTH = 32  # the deepest body an API takes is 4 levels
# Python's own limit on turning digits into an int (sys.get_int_max_str_digits()): past it,
# json.loads raises a bare ValueError. No API takes a number anywhere near this long.
MAX_INTEGER_DIGITS = 4300
TOO_MANY_DIGITS = "Número inteiro com dígitos demais no corpo da requisição"


class _TooManyDigits(ValueError):
    pass


def _integer(text: str) -> int:
    """json's parse_int: an integer literal, refused past MAX_INTEGER_DIGITS digits."""
    if len(text) - text.startswith("-") > MAX_INTEGER_DIGITS:
        raise _TooManyDigits(text[:20])
    return int(text)


def json_body(
    app: APIGatewayHttpResolver,
    *,
    default: Any = _REQUIRED,
    max_bytes: int = MAX_BODY_BYTES,
    too_large: str = "Corpo da requisição grande demais",
) -> Any:
    """The request's JSON body: 413 past ``max_bytes`` (checked before parsing); 400 when it
    is not JSON, nests deeper than MAX_DEPTH, holds an integer of more than
    MAX_INTEGER_DIGITS digits, or is absent (unless a ``default`` is given)."""
    try:
        raw = app.current_event.decoded_body or ""
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.bad_request(INVALID_JSON, message_en="Invalid JSON") from exc
    if len(raw) > max_bytes or len(raw.encode(errors="surrogatepass")) > max_bytes:
        raise errors.payload_too_large(too_large)
    if not raw.strip():
        if default is _REQUIRED:
            raise errors.bad_request("Corpo da requisição vazio", message_en="Empty body")
        return default
    try:
        payload = json.loads(raw, parse_int=_integer)
        if "\\u" in raw:  # an escaped lone surrogate parses, but is no text: refuse it here
            json.dumps(payload, ensure_ascii=False).encode()
    except _TooManyDigits as exc:
        raise errors.bad_request(TOO_MANY_DIGITS, message_en="Integer too long") from exc
    except (json.JSONDecodeError, UnicodeError, RecursionError) as exc:
        # RecursionError: nesting deeper than the parser goes is no JSON we accept either.
        raise errors.bad_request(INVALID_JSON, message_en="Invalid JSON") from exc
    if _deeper_than(payload, MAX_DEPTH):
        raise errors.bad_request(
            "JSON aninhado demais no corpo da requisição", message_en="JSON nested too deeply"
        )
    return payload


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than ``limit`` levels (walked without recursion)."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def validated[M: BaseModel](
    model: type[M],
    payload: Any,
    prefix: str = "",
    *,
    refusal: Callable[[dict[str, list[str]]], DomainError] = errors.validation_error,
) -> M:
    """``payload`` as ``model``; else the API's ``refusal`` (a 422 unless told) naming each
    bad field under ``prefix``."""
    from pydantic import ValidationError

    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = field_errors(exc.errors())
        raise refusal({f"{prefix}{k}": v for k, v in problems.items()}) from exc


def parse_body[M: BaseModel](
    app: APIGatewayHttpResolver,
    model: type[M],
    *,
    refusal: Callable[[dict[str, list[str]]], DomainError] = errors.validation_error,
    default: Any = _REQUIRED,
) -> M:
    """The JSON body validated as ``model``: 400 when it is not JSON (or absent without a
    ``default``), else the API's ``refusal`` (a 422 unless told) with field errors."""
    return validated(model, json_body(app, default=default), refusal=refusal)


def parse_query[M: BaseModel](
    app: APIGatewayHttpResolver,
    model: type[M],
    *,
    refusal: Callable[[dict[str, list[str]]], DomainError] = errors.validation_error,
) -> M:
    """The query string validated as ``model``, else the API's ``refusal``."""
    return validated(model, app.current_event.query_string_parameters or {}, refusal=refusal)


def auth_context(app: APIGatewayHttpResolver) -> AuthContext:
    authorizer = app.current_event.request_context.authorizer
    raw = authorizer.get_lambda if authorizer else None
    return AuthContext.from_context(raw)


def _authenticated(app: APIGatewayHttpResolver, kind: PrincipalKind) -> Principal:
    ctx = auth_context(app)
    if ctx.principal is None:
        raise errors.auth_failure(ctx.failure or "MISSING_CREDENTIALS")
    if ctx.rate is not None and ctx.rate.exceeded:
        raise errors.rate_limited(ctx.rate.retry_after)
    if ctx.principal.kind is not kind:
        raise errors.forbidden(*errors.WRONG_PRINCIPAL)
    app.context["principal"] = ctx.principal
    return ctx.principal


def api_client(scope: Scope) -> Middleware:
    """Route middleware: an API client (``pex_`` key) whose scope allows ``scope``."""

    def check(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        principal = _authenticated(app, PrincipalKind.API_CLIENT)
        if principal.scope is None or not principal.scope.allows(scope):
            raise errors.forbidden(
                f"Escopo '{principal.scope}' não permite esta operação (requer '{scope}')",
                "Scope does not allow this operation",
            )
        return next_middleware(app)

    return check


def user(*roles: Role) -> Middleware:
    """Route middleware: a JWT user with one of ``roles``."""

    def check(app: APIGatewayHttpResolver, next_middleware: NextMiddleware) -> Response[Any]:
        principal = _authenticated(app, PrincipalKind.USER)
        if principal.role not in roles:
            raise errors.forbidden()
        return next_middleware(app)

    return check


def principal(app: APIGatewayHttpResolver) -> Principal:
    """The caller that the route's middleware authenticated."""
    found = app.context.get("principal")
    if not isinstance(found, Principal):
        raise errors.auth_failure("MISSING_CREDENTIALS")
    return found


# Which API a path belongs to: the dimension `api` of the HTTP metrics (the dashboard).
_APIS = (
    ("/api/integration/", "integration"),
    ("/api/hierarquia/", "hierarchy"),
    ("/api/admin/", "admin"),
    ("/api/v1/sync/", "connectors"),
    ("/api/v1/people", "people"),
    ("/admin/people", "people"),
    ("/sync/", "kommo"),
    ("/admin/integrations/movidesk", "movidesk"),
)


def api_name(path: str) -> str:
    return next((name for prefix, name in _APIS if path.startswith(prefix)), "other")


def lambda_handler(app: APIGatewayHttpResolver) -> Handler:
    """The function entry point: resolve, then stamp correlation id and rate-limit headers."""

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        started = time.monotonic()
        response = app.resolve(event, context)
        headers = response.setdefault("headers", {})
        headers["X-Correlation-Id"] = correlation_id(event)
        rate = AuthContext.from_context(
            ((event.get("requestContext") or {}).get("authorizer") or {}).get("lambda")
        ).rate
        if rate is not None:
            headers.update(rate.headers())
        status = int(response.get("statusCode", 200))
        api = api_name(str(event.get("rawPath", "")))
        count(Metric(f"Http{status // 100}xx"), by=[{"api": api}])
        elapsed = (time.monotonic() - started) * 1000
        count(Metric.HTTP_LATENCY, elapsed, unit=MetricUnit.Milliseconds, by=[{"api": api}])
        return response

    return instrument(handle, correlation=correlation_id)

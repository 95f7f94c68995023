"""OpenAPI 3.1 documents generated from the code: Powertools' event handler gives each
function's routes (paths, methods, path parameters, operation ids) without turning on its
request validation; the route descriptions of ``apis.py`` add the pydantic models the
handlers validate with, the response shapes, the error envelope of each API, the security
schemes and examples. Nothing here is written as JSON by hand."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from devstack.template import Template
from openapi import function_modules
from ponte import errors
from ponte.clock import use_clock
from ponte.errors import DomainError
from ponte.http.envelopes import Flavor, error_body, status_of

REF = "#/components/schemas/{model}"
JSON = "application/json"
VERSION = "1.0.0"

SECURITY_SCHEMES: dict[str, Any] = {
    "apiKey": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "pex_ API key",
        "description": (
            "An API client's key, `Authorization: Bearer pex_…` (shown once when the client is "
            "created). The scopes a route lists are the key scopes it accepts: `read` for "
            "reads, `write` for syncs; `full` is both. 60 requests a minute unless the client "
            "says otherwise; every answer carries `X-RateLimit-*`."
        ),
    },
    "jwt": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "A user's OIDC token (RS256/ES256; the stack's Cognito pool unless `JwtIssuer` "
            "names another issuer). The tenant and role come from `custom:tenant_id` and "
            "`custom:role`; the scopes a route lists are the roles it accepts (`admin`, "
            "`coordinator`, `professor`, `guardian`). 1000 requests an hour per user."
        ),
    },
}


@dataclass(frozen=True)
class Doc:
    """What a route takes and answers, beside what Powertools reads from the route itself."""

    summary: str
    response: type[BaseModel] | None = None
    status: int = 200
    example: Any = None
    body: type[BaseModel] | None = None
    body_example: Any = None
    query: type[BaseModel] | None = None
    security: Mapping[str, list[str]] | None = None  # None: a public route
    errors: tuple[int, ...] = ()  # statuses beyond those of the route's security
    description: str = ""
    content_type: str = JSON
    other: Mapping[int, tuple[type[BaseModel], str]] = field(default_factory=dict)
    # Operations the success answer leads to: name -> (METHOD, path, {parameter: expression}),
    # e.g. ("GET", "/x/{id}", {"id": "$response.body#/data/id"}) (OpenAPI links).
    links: Mapping[str, tuple[str, str, Mapping[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Api:
    name: str  # the file name: docs/openapi/<name>.json
    title: str
    description: str
    flavor: Flavor
    prefixes: tuple[str, ...]
    docs: Mapping[tuple[str, str], Doc]  # (METHOD, Powertools path) -> Doc
    exclude: tuple[str, ...] = ()  # prefixes of another API under one of ours

    def owns(self, path: str) -> bool:
        return path.startswith(self.prefixes) and not path.startswith(self.exclude or ("\0",))


# -- the error envelopes ---------------------------------------------------------------------
class ErpError(BaseModel):
    """The ERP integration API's error: bad fields' messages in `errors`; `code` is additive."""

    success: bool
    message: str
    errors: dict[str, list[str]]
    code: str


class KommoError(BaseModel):
    """The Kommo role sync API's error."""

    success: bool
    error: str


class HierarchyError(BaseModel):
    """The hierarchy API's error."""

    error: str
    message: str
    details: str
    timestamp: str


class FieldProblem(BaseModel):
    field: str
    messages: list[str]


class ConnectorsError(BaseModel):
    """The connectors API's error (the Movidesk admin API's too, with Portuguese messages)."""

    success: bool
    error: str
    code: str
    details: list[FieldProblem]


ERROR_MODELS: dict[Flavor, type[BaseModel]] = {
    Flavor.ERP: ErpError,
    Flavor.KOMMO: KommoError,
    Flavor.HIERARCHY: HierarchyError,
    Flavor.CONNECTORS: ConnectorsError,
    Flavor.MOVIDESK: ConnectorsError,
}

# One real error of each status, rendered by the code that renders every error.
SAMPLE_ERRORS: dict[int, DomainError] = {
    400: errors.invalid_fields({"name": ["Campo obrigatório"]}),
    401: errors.auth_failure("MISSING_CREDENTIALS"),
    403: errors.forbidden(),
    404: errors.not_found("Recurso não encontrado"),
    409: errors.conflict("SYNC_IN_PROGRESS", "Já existe uma sincronização em andamento"),
    413: errors.payload_too_large("Corpo da requisição grande demais"),
    422: errors.validation_error({"units.0.name": ["Campo obrigatório"]}),
    429: errors.rate_limited(30),
}
DESCRIPTIONS = {
    400: "Bad request: the body or a parameter is not what the route takes",
    401: "No credential, or one that is not valid",
    403: "The credential may not call this route",
    404: "Not found",
    409: "Conflict with the current state (a run in progress, a duplicate)",
    413: "The body is too large",
    422: "Validation error, field by field",
    429: "Over the rate limit; `Retry-After` says when to try again",
    500: "Internal error",
    503: "Unhealthy",
}


class _ExampleClock:
    """The moment every example shows, so that the documents are the same on each build."""

    def now(self) -> datetime:
        return datetime(2025, 1, 15, 10, 30, tzinfo=UTC)

    def sleep(self, seconds: float) -> None:
        raise NotImplementedError


def error_example(status: int, flavor: Flavor) -> dict[str, Any]:
    sample = SAMPLE_ERRORS[status]
    assert status_of(sample) == status
    with use_clock(_ExampleClock()):
        return error_body(sample, flavor)


# -- the document ------------------------------------------------------------------------------
@cache
def template() -> Template:
    return Template.read()


def template_routes(api: Api) -> list[tuple[str, str, str]]:
    """(METHOD, path as the template writes it, function module) of the API's routes."""
    functions = template().resources("AWS::Serverless::Function")

    def module(logical_id: str) -> str:
        props = functions[logical_id]["Properties"]
        handler = str(props["Handler"]).rsplit(".", 1)[0]
        return str(props["CodeUri"]).strip("/").replace("/", ".") + "." + handler

    return [(r.method, r.path, module(r.function)) for r in template().routes() if api.owns(r.path)]


def shape(path: str) -> str:
    """A path with its parameter names blanked, to compare the template's and Powertools'."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def _apps(api: Api) -> list[Any]:
    modules = sorted({module for _, _, module in template_routes(api)})
    return [module.app for module in function_modules(*modules)]


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema["properties"].items()
    ]


def _media(model: type[BaseModel], example: Any, content_type: str = JSON) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": {"$ref": REF.format(model=model.__name__)}}
    if example is not None:
        media["example"] = example
    return {content_type: media}


def _operation(api: Api, generated: dict[str, Any], doc: Doc) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": generated["operationId"],
        "summary": doc.summary,
        "tags": [api.title],
    }
    if doc.description:
        op["description"] = doc.description
    parameters = list(generated.get("parameters", []))
    if doc.query is not None:
        parameters += _query_parameters(doc.query)
    if parameters:
        op["parameters"] = parameters
    if doc.body is not None:
        op["requestBody"] = {"required": True, "content": _media(doc.body, doc.body_example)}
    responses: dict[str, Any] = {}
    if doc.response is not None:
        responses[str(doc.status)] = {
            "description": doc.response.__doc__ or "Success",
            "content": _media(doc.response, doc.example, doc.content_type),
        }
    for status, (model, description) in doc.other.items():
        responses[str(status)] = {"description": description, "content": _media(model, None)}
    statuses = set(doc.errors)
    if doc.security is not None:
        op["security"] = [dict(doc.security)]
        statuses |= {401, 403, 429}
    error_model = ERROR_MODELS[api.flavor]
    for status in sorted(statuses - set(doc.other)):  # `other` may say more than the envelope
        responses[str(status)] = {
            "description": DESCRIPTIONS[status],
            "content": _media(error_model, error_example(status, api.flavor)),
        }
    op["responses"] = responses
    return op


def _link(api: Api, paths: dict[str, dict[str, Any]]) -> None:
    """Each Doc's links, as OpenAPI links on its success answer (naming operation ids)."""
    ids = {(m.upper(), p): op["operationId"] for p, item in paths.items() for m, op in item.items()}
    for (method, path), doc in api.docs.items():
        if not doc.links:
            continue
        answer = paths[path][method.lower()]["responses"][str(doc.status)]
        answer["links"] = {
            name: {"operationId": ids[(target_method, target)], "parameters": dict(parameters)}
            for name, (target_method, target, parameters) in doc.links.items()
        }


def _models(api: Api) -> list[type[BaseModel]]:
    error = ERROR_MODELS[api.flavor]
    found: dict[str, type[BaseModel]] = {error.__name__: error}
    for doc in api.docs.values():
        for model in (doc.response, doc.body, *(m for m, _ in doc.other.values())):
            if model is not None:
                previous = found.setdefault(model.__name__, model)
                if previous is not model:
                    raise ValueError(f"{api.name}: two models named {model.__name__}")
    return list(found.values())


def document(api: Api) -> dict[str, Any]:
    """The API's OpenAPI 3.1 document. A route of the template without a description, or a
    description of no route, is an error: the document says what the code serves."""
    paths: dict[str, dict[str, Any]] = {}
    described: set[tuple[str, str]] = set()
    for app in _apps(api):
        generated = app.get_openapi_schema(title=api.title, version=VERSION).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        for path, item in generated["paths"].items():
            if not api.owns(path):
                continue
            for method, op in item.items():
                key = (method.upper(), path)
                if key not in api.docs:
                    raise KeyError(f"{api.name}: no description for {method.upper()} {path}")
                described.add(key)
                paths.setdefault(path, {})[method] = _operation(api, op, api.docs[key])
    unknown = set(api.docs) - described
    if unknown:
        raise KeyError(f"{api.name}: described but not served: {sorted(unknown)}")
    _link(api, paths)
    models = _models(api)
    _, schemas = models_json_schema([(m, "validation") for m in models], ref_template=REF)
    return {
        "openapi": "3.1.0",
        "info": {"title": api.title, "version": VERSION, "description": api.description},
        "servers": [{"url": "/"}],
        "tags": [{"name": api.title, "description": api.description}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                name: scheme
                for name, scheme in SECURITY_SCHEMES.items()
                if any(doc.security and name in doc.security for doc in api.docs.values())
            },
        },
    }

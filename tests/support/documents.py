"""The published OpenAPI documents (``docs/openapi``) as a strict client reads them: an answer
must validate against its operation's schema with every object closed, so a key the handler
emits and the document does not list is a failure even where the document allows extras."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from ponte import tls

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi"
NAMES = tuple(sorted(p.stem for p in DOCS.glob("*.json")))


@cache
def published(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DOCS / f"{name}.json").read_text(encoding="utf-8"))
    return document


def _closed(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _closed(value) for key, value in schema.items()}
    if isinstance(schema.get("properties"), dict):
        out["additionalProperties"] = False
    return out


@cache
def strict(name: str) -> dict[str, Any]:
    """The document with ``additionalProperties: false`` on every object that lists its
    properties."""
    document: dict[str, Any] = _closed(published(name))
    return document


def answer_schema(doc: dict[str, Any], method: str, path: str, status: int) -> Any:
    """The JSON schema of the answer, ``path`` concrete (``/runs/r1``); None when the document
    describes no such JSON answer."""
    for template, item in doc["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            answer = item.get(method.lower(), {}).get("responses", {}).get(str(status), {})
            media = answer.get("content", {}).get("application/json")
            return media["schema"] if media else None
    return None


def undocumented(name: str, method: str, path: str, status: int, body: Any) -> list[str] | None:
    """Where ``body``, the answer to ``method path``, departs from the document ``name`` read
    strictly (unlisted keys included); None when the document describes no such answer."""
    doc = strict(name)
    schema = answer_schema(doc, method, path, status)
    if schema is None:
        return None
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


def check_answer(response: httpx.Response) -> None:
    """A JSON answer that a document describes must validate against it strictly."""
    if "json" not in response.headers.get("content-type", ""):
        return
    request, body = response.request, response.json()
    for name in NAMES:
        problems = undocumented(name, request.method, request.url.path, response.status_code, body)
        if problems is not None:
            where = f"{request.method} {request.url.path} -> {response.status_code}"
            assert problems == [], f"{where} departs from docs/openapi/{name}.json: {problems}"
            return


class CheckedClient(httpx.Client):
    """A client whose every answer read whole (streamed ones are the caller's) goes through
    :func:`check_answer`: a failure raises in the test's call. Clients share one TLS context
    (each would otherwise parse the CA bundle: a suite-wide cost)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("verify", tls.context())
        super().__init__(**kwargs)

    def send(self, request: httpx.Request, *, stream: bool = False, **kw: Any) -> httpx.Response:
        response = super().send(request, stream=stream, **kw)
        if not stream:
            check_answer(response)
        return response

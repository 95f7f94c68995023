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

DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi"


@cache
def published(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((DOCS / f"{name}.json").read_text(encoding="utf-8"))
    return document


def closed(schema: Any) -> Any:
    """The schema with ``additionalProperties: false`` on every object that lists properties."""
    if isinstance(schema, list):
        return [closed(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: closed(value) for key, value in schema.items()}
    if isinstance(schema.get("properties"), dict):
        out["additionalProperties"] = False
    return out


def answer_schema(doc: dict[str, Any], method: str, path: str, status: int) -> Any:
    """The JSON schema of the answer, ``path`` concrete (``/runs/r1``); None when the document
    describes no such JSON answer."""
    for template, item in doc["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            answer = item.get(method.lower(), {}).get("responses", {}).get(str(status), {})
            media = answer.get("content", {}).get("application/json")
            return media["schema"] if media else None
    return None


def undocumented(doc: dict[str, Any], schema: Any, body: Any) -> list[str]:
    """Where ``body`` departs from ``schema`` read strictly (unlisted keys included)."""
    strict = closed({**schema, "components": doc["components"]})
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in Draft202012Validator(strict).iter_errors(body)
    ]


def check_answers(name: str) -> Any:
    """An httpx response hook: each JSON answer of the API ``name`` that its document
    describes must validate against it strictly (a failure raises in the test's call)."""
    doc = published(name)

    def check(response: httpx.Response) -> None:
        if "json" not in response.headers.get("content-type", ""):
            return
        request = response.request
        schema = answer_schema(doc, request.method, request.url.path, response.status_code)
        if schema is None:
            return
        response.read()
        problems = undocumented(doc, schema, response.json())
        where = f"{request.method} {request.url.path} -> {response.status_code}"
        assert problems == [], f"{where} departs from docs/openapi/{name}.json: {problems[:5]}"

    return check

"""The OpenAPI documents: every route of the template described once, each document valid
OpenAPI 3.1, every example valid against its own schema, the committed copies current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from openapi.apis import APIS
from openapi.spec import Api, document, shape, template
from ponte.http.envelopes import Flavor
from tests.support.routes import flavor_of

ROOT = Path(__file__).resolve().parents[3]
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    return {api.name: document(api) for api in APIS}


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_every_route_of_the_template_is_documented_once(
    documents: dict[str, dict[str, Any]],
) -> None:
    routes = {(r.method, shape(r.path)) for r in template().routes()}
    documented = [
        (method, shape(path)) for doc in documents.values() for method, path, _ in _operations(doc)
    ]
    assert len(documented) == len(set(documented)), "a route is in two documents"
    assert routes - set(documented) == set(), "routes of template.yaml missing from the docs"
    assert set(documented) - routes == set(), "documented routes the template does not serve"


@pytest.mark.parametrize("api", APIS, ids=lambda a: a.name)
def test_each_document_is_valid_openapi_3_1(api: Api, documents: dict[str, Any]) -> None:
    doc = documents[api.name]
    assert doc["openapi"] == "3.1.0"
    validate(doc)


def _examples(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    found = []
    for method, path, op in _operations(doc):
        bodies = [("request", (op.get("requestBody") or {}).get("content", {}))]
        bodies += [(status, r.get("content", {})) for status, r in op["responses"].items()]
        for where, content in bodies:
            for media in content.values():
                if "example" in media:
                    found.append((f"{method} {path} {where}", media["schema"], media["example"]))
    return found


@pytest.mark.parametrize("api", APIS, ids=lambda a: a.name)
def test_every_example_validates_against_its_schema(api: Api, documents: dict[str, Any]) -> None:
    doc = documents[api.name]
    for where, schema, example in _examples(doc):
        validator = Draft202012Validator({**schema, "components": doc["components"]})
        problems = [e.message for e in validator.iter_errors(example)]
        assert problems == [], where


@pytest.mark.parametrize("api", APIS, ids=lambda a: a.name)
def test_errors_are_documented_in_the_apis_own_envelope(
    api: Api, documents: dict[str, Any]
) -> None:
    for method, path, op in _operations(documents[api.name]):
        assert flavor_of(path) is api.flavor or api.flavor is Flavor.ERP
        secured = "security" in op
        statuses = set(op["responses"])
        assert secured == ({"401", "403"} <= statuses), f"{method} {path}"
        if secured:
            scheme = "apiKey" if path.startswith("/api/integration/") else "jwt"
            assert list(op["security"][0]) == [scheme], f"{method} {path}"


def test_the_committed_documents_are_current(documents: dict[str, Any]) -> None:
    for name, doc in documents.items():
        committed = ROOT / "docs" / "openapi" / f"{name}.json"
        assert committed.exists(), f"{committed} is missing: run `make openapi`"
        assert json.loads(committed.read_text()) == doc, f"{committed} is stale: make openapi"

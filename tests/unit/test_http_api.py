"""The shared resolver: auth middlewares, body parsing, error rendering (real Powertools)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from ponte.auth.principals import AuthContext, Principal, PrincipalKind, RateStatus, Role
from ponte.domain.tenancy import Scope
from ponte.http.api import api_client, create_app, parse_body, user
from ponte.http.envelopes import Flavor
from ponte.validation import field_errors

app = create_app(Flavor.ERP)


class Body(BaseModel):
    name: str
    count: int


@app.post("/write", middlewares=[api_client(Scope.WRITE)])
def write() -> dict[str, Any]:
    return {"ok": parse_body(app, Body).name}


@app.get("/admin", middlewares=[user(Role.ADMIN)])
def admin() -> dict[str, Any]:
    return {"ok": True}


@app.get("/boom")
def boom() -> dict[str, Any]:
    raise RuntimeError("secret internals /var/task")


def call(method: str, path: str, ctx: AuthContext | None, body: str | None = None) -> Any:
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "1.1.1.1"},
            "requestId": "r",
            "stage": "$default",
            "authorizer": {"lambda": ctx.to_context()} if ctx else None,
        },
        "body": body,
        "isBase64Encoded": False,
    }
    response = app.resolve(event, {})
    return response["statusCode"], json.loads(response["body"])


def client(scope: Scope, exceeded: bool = False) -> AuthContext:
    principal = Principal(PrincipalKind.API_CLIENT, "t1", "c1", "ERP", scope=scope, rate_limit=5)
    rate = RateStatus(5, 0 if exceeded else 4, 100, 30, exceeded)
    return AuthContext(principal=principal, rate=rate)


def test_scope_checks() -> None:
    body = '{"name": "x", "count": 1}'
    assert call("POST", "/write", client(Scope.WRITE), body) == (200, {"ok": "x"})
    assert call("POST", "/write", client(Scope.FULL), body)[0] == 200
    assert call("POST", "/write", client(Scope.READ), body)[0] == 403


def test_auth_comes_before_body_validation() -> None:
    status, body = call("POST", "/write", None, "{bad")
    assert (status, body["code"]) == (401, "MISSING_CREDENTIALS")
    assert call("POST", "/write", client(Scope.READ), "{bad")[0] == 403


def test_rate_limited_before_scope() -> None:
    status, body = call("POST", "/write", client(Scope.READ, exceeded=True), "{}")
    assert (status, body["code"]) == (429, "RATE_LIMITED")


def test_body_errors() -> None:
    ctx = client(Scope.WRITE)
    assert call("POST", "/write", ctx, None)[0] == 400
    assert call("POST", "/write", ctx, "{bad")[0] == 400
    status, body = call("POST", "/write", ctx, '{"count": "many"}')
    assert status == 422
    assert body["errors"] == {
        "name": ["Campo obrigatório"],
        "count": ["Deve ser um número inteiro"],
    }


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000,  # deeper than the parser goes
        "[" * 33 + "]" * 33,  # parses, but deeper than any API takes
        '{"name": ' + '{"a": ' * 40 + "1" + "}" * 40 + ', "count": 1}',
    ],
)
def test_a_body_nested_too_deeply_is_a_400(body: str) -> None:
    status, answer = call("POST", "/write", client(Scope.WRITE), body)
    assert (status, answer["success"]) == (400, False)


def test_an_integer_past_pythons_digit_limit_is_a_400_not_a_500() -> None:
    ctx = client(Scope.WRITE)
    for digits in (4301, 100_000):
        for sign in ("", "-"):
            body = f'{{"name": "x", "count": {sign}1{"0" * (digits - 1)}}}'
            status, answer = call("POST", "/write", ctx, body)
            assert (status, answer["code"]) == (400, "BAD_REQUEST"), digits
            assert "dígitos" in answer["message"]
    status, _ = call("POST", "/write", ctx, f'{{"name": "x", "count": {"9" * 4300}}}')
    assert status == 200  # at the limit: read (this model takes any int)


def test_nesting_up_to_the_cap_is_read() -> None:
    status, _ = call("POST", "/write", client(Scope.WRITE), "[" * 32 + "]" * 32)
    assert status == 422  # parsed: it is only not the body this route takes


def test_a_body_past_the_size_cap_is_a_413_before_it_is_parsed() -> None:
    padding = "x" * (1 << 20)
    status, answer = call("POST", "/write", client(Scope.WRITE), f'{{"name": "{padding}"')
    assert (status, answer["code"]) == (413, "PAYLOAD_TOO_LARGE")  # no 400: never parsed


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.PROFESSOR, Role.GUARDIAN, None])
def test_roles(role: Role | None) -> None:
    principal = Principal(PrincipalKind.USER, "t1", "u1", "U", role=role, rate_limit=1000)
    assert call("GET", "/admin", AuthContext(principal=principal))[0] == 403
    admin_ctx = AuthContext(
        principal=Principal(PrincipalKind.USER, "t1", "u", "U", role=Role.ADMIN)
    )
    assert call("GET", "/admin", admin_ctx)[0] == 200


def test_unexpected_errors_are_a_500_without_internals() -> None:
    status, body = call("GET", "/boom", None)
    assert status == 500
    assert body["message"] == "Erro interno do servidor"
    assert "/var/task" not in json.dumps(body)


def test_unknown_route_is_a_404_envelope() -> None:
    status, body = call("GET", "/nowhere", None)
    assert (status, body["success"]) == (404, False)


def test_auth_context_round_trip() -> None:
    principal = Principal(
        PrincipalKind.USER,
        "t1",
        "u1",
        "Ana",
        role=Role.COORDINATOR,
        rate_limit=1000,
        email="a@x",
        attributes={"units": ["U1"]},
    )
    ctx = AuthContext(principal=principal, rate=RateStatus(1000, 10, 99, 5, False))
    assert AuthContext.from_context(ctx.to_context()) == ctx


def test_field_errors_pass_custom_messages() -> None:
    raw = [
        {
            "loc": ("cpf",),
            "type": "value_error",
            "msg": "Value error, x",
            "ctx": {"error": "CPF deve conter 11 dígitos"},
        }
    ]
    assert field_errors(raw) == {"cpf": ["CPF deve conter 11 dígitos"]}


def test_a_text_too_long_is_measured_in_characters_not_items() -> None:
    from pydantic import ValidationError

    from ponte.domain.academic import SPECS, Entity
    from ponte.validation import field_errors

    with pytest.raises(ValidationError) as raised:
        SPECS[Entity.UNITS].model.model_validate({"code": "U1", "name": "a" * 3_000_000})

    assert field_errors(raised.value.errors()) == {"name": ["Deve ter no máximo 255 caracteres"]}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("erp-batch-42", "erp-batch-42"),
        ("a" * 200, "a" * 128),
        ('x","status":"200', "req-1"),  # would forge a field of the JSON access log
        ("line\nbreak", "req-1"),
        ("", "req-1"),
    ],
)
def test_a_correlation_id_is_the_callers_only_when_safe_to_log(given: str, expected: str) -> None:
    from ponte.observability import correlation_id

    event = {"headers": {"X-Correlation-Id": given}, "requestContext": {"requestId": "req-1"}}
    assert correlation_id(event) == expected


def test_the_health_function_imports_without_pydantic() -> None:
    """pydantic costs about 100 ms of a cold start: the health check, which validates no
    body, must not pay it (`make bench` measures the cold start itself)."""
    import subprocess
    import sys

    code = "import sys, functions.health.app; print('pydantic' in sys.modules)"
    environment = {"TABLE_NAME": "t", "AWS_DEFAULT_REGION": "us-east-1", "PATH": ""}
    found = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env=environment | {"PYTHONPATH": ".:layers/shared"},
    )  # fmt: skip
    assert found.stdout.strip() == "False"

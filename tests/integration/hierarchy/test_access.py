"""Hierarchy API (seed 002): who sees what, caching, compression, rate limit, isolation, audit,
and moves pushed by the ERP showing up at once."""

from __future__ import annotations

import gzip
import logging
import time
from typing import Any

import httpx
import pytest

from ponte import aws
from ponte.observability import logger
from ponte.repository import keys, rate_limits
from ponte.repository.table import serialize, table_name, values
from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import Erp
from tests.integration.hierarchy_helpers import Hierarchy
from tests.support import hierarchy_data

ROLES = ("admin", "coordinator", "professor", "guardian")
# Per endpoint and role: a path inside the caller's scope, and one outside it (403).
MATRIX: dict[str, dict[str, tuple[str, str | None]]] = {
    "instituicoes": dict.fromkeys(ROLES, ("instituicoes", None)),
    "unidades": {
        "admin": ("unidades/INST2", None),
        "coordinator": ("unidades/INST1", "unidades/INST2"),
        "professor": ("unidades/INST1", "unidades/default"),
        "guardian": ("unidades/INST1", "unidades/INST2"),
    },
    "turmas": {
        "admin": ("turmas/U4", None),
        "coordinator": ("turmas/U1", "turmas/U2"),
        "professor": ("turmas/U1", "turmas/U2"),
        "guardian": ("turmas/U1", "turmas/U3"),
    },
    "horarios": {
        "admin": ("horarios/T2", None),
        "coordinator": ("horarios/T1", "horarios/T2"),
        "professor": ("horarios/T3", "horarios/T2"),
        "guardian": ("horarios/T1", "horarios/T5"),
    },
    "turma-alunos": {
        "admin": ("turma/T3/alunos", None),
        "coordinator": ("turma/T5/alunos", "turma/T3/alunos"),
        "professor": ("turma/T1/alunos", "turma/T4/alunos"),
        "guardian": ("turma/T2/alunos", "turma/T3/alunos"),
    },
    "completa": {
        "admin": ("instituicao/INST2/completa", None),
        "coordinator": ("instituicao/INST1/completa", "instituicao/INST2/completa"),
        "professor": ("instituicao/INST2/completa", "instituicao/default/completa"),
        "guardian": ("instituicao/default/completa", "instituicao/INST2/completa"),
    },
    "horario-completo": {
        "admin": ("horario-completo/H4", None),
        "coordinator": ("horario-completo/H1", "horario-completo/H3"),
        "professor": ("horario-completo/H4", "horario-completo/H3"),
        "guardian": ("horario-completo/H3", "horario-completo/H4"),
    },
    "horarios-usuario": {
        "admin": ("horarios-usuario/AL5", None),
        "coordinator": ("horarios-usuario/AL2", "horarios-usuario/AL4"),
        "professor": ("horarios-usuario/AL6", "horarios-usuario/AL4"),
        "guardian": ("horarios-usuario/AL4", "horarios-usuario/AL2"),
    },
    "debug-horarios": {
        "admin": ("debug-horarios", None),
        "coordinator": ("", "debug-horarios"),
        "professor": ("", "debug-horarios"),
        "guardian": ("", "debug-horarios"),
    },
    "buscar-usuarios": {
        "admin": ("buscar-usuarios?unidadeId=U3", None),
        "coordinator": ("buscar-usuarios?unidadeId=U1", "buscar-usuarios?unidadeId=U2"),
        "professor": ("buscar-usuarios?turmaId=T3", "buscar-usuarios?turmaId=T2"),
        "guardian": ("buscar-usuarios?unidadeId=U1", "buscar-usuarios?unidadeId=U3"),
    },
    "destinatarios": dict.fromkeys(ROLES, ("destinatarios", None)),
}
CASES = [(e, r) for e, roles in MATRIX.items() for r in roles]


@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e}-{r}" for e, r in CASES])
def test_scoping_matrix(hier: Hierarchy, endpoint: str, role: str) -> None:
    inside, outside = MATRIX[endpoint][role]
    if inside:
        assert hier.get(inside, role).status_code == 200, inside
    if outside:
        refused = hier.get(outside, role)
        assert refused.status_code == 403, (outside, refused.text)
        body = refused.json()
        assert (body["error"], body["message"]) == ("Forbidden", "Acesso negado")
        assert body["timestamp"]


def ids(items: list[dict[str, Any]], field: str = "id") -> list[Any]:
    return [i[field] for i in items]


def test_a_coordinator_sees_only_the_units_they_coordinate(hier: Hierarchy) -> None:
    assert [(i["id"], i["unidadesCount"]) for i in hier.ok("instituicoes", "coordinator")] == [
        ("INST1", 1)
    ]
    assert [(u["id"], u["turmasCount"]) for u in hier.ok("unidades/INST1", "coordinator")] == [
        ("U1", 2)
    ]
    assert ids(hier.ok("turmas/U1", "coordinator")) == ["T1", "T5"]
    tree = hier.ok("instituicao/INST1/completa", "coordinator")
    assert ids(tree["unidades"]) == ["U1"]
    assert hier.ok("destinatarios", "coordinator") == {
        "instituicoes": 1,
        "unidades": 1,
        "turmas": 2,
        "usuarios": 6,  # AL1-3, P1 (T1, prof), P2 (Treinador, T5 prof), AL6 (Atleta)
        "cadastros": 6 + 2,
        "horarios": 3,
    }


def test_a_coordinator_named_by_a_units_claim_or_by_their_professor_code(
    api: httpx.Client, hier: Hierarchy
) -> None:
    tenant = hier.tenant
    by_claim = tenant.token("coordinator", claims={"units": ["U3"]})
    by_code = tenant.token("coordinator", claims={"code": "P3"})  # responsible for course C2
    cognito = tenant.token("coordinator", claims={"custom:units": "U3,U4"})

    def units(token: str) -> list[str]:
        response = api.get(
            "/api/hierarquia/instituicoes", headers={"Authorization": f"Bearer {token}"}
        )
        return ids(response.json())

    assert units(by_claim) == ["INST2"]
    assert units(by_code) == ["INST1"]
    assert units(cognito) == ["INST2", "default"]


def test_a_professor_sees_their_turmas_and_their_people(hier: Hierarchy) -> None:
    assert [(i["id"], i["unidadesCount"]) for i in hier.ok("instituicoes", "professor")] == [
        ("INST2", 1),
        ("INST1", 1),
    ]
    assert [(u["id"], u["turmasCount"]) for u in hier.ok("unidades/INST1", "professor")] == [
        ("U1", 2)
    ]
    people = hier.ok("turma/T1/alunos", "professor")
    assert len(people) == 6  # every person of a turma they have a role in
    assert hier.ok("horarios-usuario/bruno.lima", "professor")["usuario"]["id"] == "P2"


def test_a_guardian_sees_their_students_turmas_and_only_their_students(hier: Hierarchy) -> None:
    assert [(i["id"], i["unidadesCount"]) for i in hier.ok("instituicoes", "guardian")] == [
        ("INST1", 2),
        ("default", 1),
    ]
    assert ids(hier.ok("turmas/U1", "guardian")) == ["T1"]
    schedule = hier.ok("horarios/T1", "guardian")[0]
    assert [(u["usuarioId"], u["papelNome"]) for u in schedule["usuarios"]] == [
        ("P1", "Professor"),
        ("P2", "Treinador"),
        ("AL1", "Aluno"),
    ]
    rows = hier.ok("buscar-usuarios", "guardian", params={"papel": "Aluno"})
    assert sorted({r["usuarioId"] for r in rows}) == ["AL1", "AL4"]
    assert hier.ok("horarios-usuario/AL4", "guardian")["horarios"][0]["id"] == "H3"


def test_a_guardian_named_by_a_students_claim(api: httpx.Client, hier: Hierarchy) -> None:
    token = hier.tenant.token("guardian", claims={"students": ["AL6"]})

    response = api.get("/api/hierarquia/turmas/U3", headers={"Authorization": f"Bearer {token}"})

    assert ids(response.json()) == ["T3"]


def test_etag_answers_304_until_the_data_changes(
    school: tuple[Erp, Hierarchy],
) -> None:
    erp, hier = school
    first = hier.get("instituicoes")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=300"

    again = hier.get("instituicoes", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag

    erp.ok("institutions", [{**hierarchy_data.INSTITUTIONS[0], "name": "Instituto Alfa Novo"}])
    changed = hier.get("instituicoes", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert "Instituto Alfa Novo" in changed.text


def test_gzip_when_the_client_accepts_it(api: httpx.Client, hier: Hierarchy) -> None:
    headers = {"Authorization": f"Bearer {hier.token('admin')}", "Accept-Encoding": "gzip"}
    with api.stream("GET", "/api/hierarquia/instituicao/INST1/completa", headers=headers) as raw:
        compressed = b"".join(raw.iter_raw())
        assert raw.headers["content-encoding"] == "gzip"
    assert gzip.decompress(compressed).decode().startswith('{"id":"INST1"')

    plain = hier.get("instituicao/INST1/completa", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json()["id"] == "INST1"


def test_1000_requests_per_hour_per_user(hier: Hierarchy) -> None:
    tenant = hier.tenant
    token = tenant.token("admin", subject="busy-user")
    headers = {"Authorization": f"Bearer {token}"}
    now = int(time.time())
    for window in (now - now % 3600, now - now % 3600 + 3600):  # this hour and the next
        # 999 requests counted at once, the 1000th through the limiter's own write
        aws.dynamodb().update_item(
            TableName=table_name(),
            Key=serialize(keys.rate_window(f"user#{tenant.id}#busy-user", window)),
            UpdateExpression="ADD hits :n",
            ExpressionAttributeValues=values({":n": 999}),
        )
        assert rate_limits.hit(f"user#{tenant.id}#busy-user", window, window + 7200) == 1000

    limited = hier.api.get("/api/hierarquia/destinatarios", headers=headers)

    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["x-ratelimit-limit"] == "1000"
    body = limited.json()
    assert (body["error"], body["timestamp"] != "") == ("Too Many Requests", True)


def test_tenants_are_isolated(hier: Hierarchy, other_tenant: TenantFixture) -> None:
    stranger = Hierarchy(hier.api, other_tenant)

    assert stranger.ok("instituicoes") == []
    assert stranger.get("unidades/INST1").status_code == 404
    assert stranger.get("horarios/T1").status_code == 404
    assert stranger.get("horarios-usuario/AL1").status_code == 404
    assert stranger.ok("destinatarios")["turmas"] == 0


def test_moves_pushed_by_the_erp_show_at_once(school: tuple[Erp, Hierarchy]) -> None:
    erp, hier = school
    moved_unit = {**hierarchy_data.UNITS[1], "institution_code": "INST2"}
    erp.ok("units", [moved_unit])

    assert ids(hier.ok("unidades/INST2")) == ["U2", "U3"]
    assert ids(hier.ok("unidades/INST1")) == ["U1"]

    course = {**hierarchy_data.COURSES[1], "unit_code": "U3"}  # C2 (T2's course) → U3
    erp.ok("courses", [course])

    assert ids(hier.ok("turmas/U3")) == ["T2", "T3"]
    assert hier.ok("turmas/U2") == []
    assert [(u["id"], u["turmasCount"]) for u in hier.ok("unidades/INST2")] == [
        ("U2", 0),
        ("U3", 2),
    ]
    assert hier.ok("horario-completo/H3")["unidadeId"] == "U3"

    subject = {**hierarchy_data.SUBJECTS[0], "course_code": "C4"}  # S1 (T1, T5) → C4 → U4
    erp.ok("subjects", [subject])

    assert ids(hier.ok("turmas/U4")) == ["T1", "T5", "T4"]
    assert hier.ok("turmas/U1") == []
    tree = hier.ok("instituicao/default/completa")
    assert [t["id"] for t in tree["unidades"][0]["turmas"]] == ["T1", "T5", "T4"]


def test_one_audit_line_per_query(hier: Hierarchy) -> None:
    lines: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage() == "hierarchy query":
                lines.append(record)

    capture = Capture(level=logging.INFO)
    logger.addHandler(capture)
    level = logger.log_level
    logger.setLevel(logging.INFO)
    try:
        hier.ok("turmas/U1", "coordinator")
        hier.get("turmas/U2", "coordinator")
    finally:
        logger.removeHandler(capture)
        logger.setLevel(level)

    assert len(lines) == 2
    ok, refused = (getattr(line, "audit") for line in lines)  # noqa: B009
    assert ok["what"] == "turmas"
    assert ok["params"] == {"idUnidade": "U1"}
    assert ok["scope"] == {"role": "coordinator", "email": "coord1@alfa.edu", "units": ["U1"]}
    assert (ok["status"], ok["result_size"]) == (200, 2)
    assert ok["who"]
    assert refused["status"] == 403


def test_a_unit_the_erp_deactivates_leaves_the_hierarchy(school: tuple[Erp, Hierarchy]) -> None:
    erp, hier = school
    erp.ok("units", [{**hierarchy_data.UNITS[3], "status": "inactive"}])  # U4, default's only

    assert "default" not in ids(hier.ok("instituicoes"))
    assert hier.get("turmas/U4").status_code == 404
    assert "T4" not in {r["turmaId"] for r in hier.ok("buscar-usuarios")}
    assert hier.ok("destinatarios")["unidades"] == 3


@pytest.mark.parametrize("verified", [False, "false", None])
def test_an_unverified_email_scopes_nothing(
    api: httpx.Client, hier: Hierarchy, verified: object
) -> None:
    """A guardian found by email is trusted only when the issuer verified that email: anyone
    who could set their own email to a guardian's would otherwise read that family's data."""
    claims: dict[str, object] = {"email": "maria@familia.com"}
    if verified is not None:
        claims["email_verified"] = verified
    token = hier.tenant.token("guardian", claims=claims)

    answer = api.get("/api/hierarquia/turmas/U1", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 403
    assert hier.get("turmas/U1", "guardian").status_code == 200  # the verified one sees

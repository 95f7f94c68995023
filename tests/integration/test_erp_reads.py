"""Reads of the ERP API: lists (page, cursor, filters), lookups, 404s, and never a Scan."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from tests.benchmarks.dynamodb_counter import count_dynamodb
from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import Erp
from tests.support import seed_000
from tests.support.virtual_time import VirtualClock

UNITS = [{"code": f"U{i:02}", "name": f"Unidade {i:02}"} for i in range(23)]


@pytest.fixture
def erp(api: httpx.Client, tenant: TenantFixture) -> Erp:
    return Erp(api, tenant)


def test_pages_and_meta(erp: Erp) -> None:
    erp.ok("units", UNITS)

    first = erp.get("units", per_page=10).json()
    third = erp.get("units", per_page=10, page=3).json()

    assert first["success"] is True
    assert [u["code"] for u in first["data"]] == [f"U{i:02}" for i in range(10)]
    assert first["meta"] == {"current_page": 1, "per_page": 10, "total": 23, "last_page": 3}
    assert [u["code"] for u in third["data"]] == ["U20", "U21", "U22"]
    assert third["next_cursor"] is None


def test_cursor_walks_every_record_once(erp: Erp) -> None:
    erp.ok("units", UNITS)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"per_page": 7, **({"cursor": cursor} if cursor else {})}
        body = erp.get("units", **params).json()
        seen.extend(u["code"] for u in body["data"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [u["code"] for u in UNITS]


def test_search_is_case_and_accent_insensitive(erp: Erp) -> None:
    erp.seed("subjects")
    found = erp.get("subjects", search="LINGUA brasileira").json()
    assert [s["code"] for s in found["data"]] == ["LIBRAS"]
    assert found["meta"]["total"] == 1
    by_code = erp.get("units", search="centro").json()  # the seed's own example
    assert [u["code"] for u in by_code["data"]] == ["CAMPUS_CENTRO"]


def test_updated_since(erp: Erp, clock: VirtualClock) -> None:
    erp.ok("units", seed_000.UNITS)
    stamp = erp.get("units/CAMPUS_NORTE").json()["data"]["updated_at"]
    clock.advance(3600)
    erp.ok("units", [dict(seed_000.UNITS[0], name="Campus Central")])
    changed = erp.get("units/CAMPUS_CENTRO").json()["data"]["updated_at"]

    found = erp.get("units", updated_since=changed).json()

    assert [u["code"] for u in found["data"]] == ["CAMPUS_CENTRO"]
    assert len(erp.get("units", updated_since=stamp).json()["data"]) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": 101},
        {"per_page": 0},
        {"page": "x"},
        {"status": "gone"},
        {"updated_since": "yesterday"},
    ],
)
def test_bad_parameters(erp: Erp, params: dict[str, object]) -> None:
    response = erp.get("units", **params)
    assert response.status_code == 422
    assert response.json()["success"] is False


def _refused_cursor(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert (body["success"], body["code"]) == (False, "BAD_REQUEST")
    assert body["message"] == "Cursor inválido"


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "eyJQSyI6IngifQ==",  # a raw DynamoDB key: {"PK": "x"}
        "eyJHU0kxUEsiOnsiUyI6IlQjeCJ9fQ",  # a raw key naming another partition
        "AQ" + "A" * 60,  # the cursor format with a forged body
        "%%%",
    ],
)
def test_a_forged_cursor_is_400_on_every_list(erp: Erp, cursor: str) -> None:
    for entity in ("units", "areas", "courses", "subjects", "professors", "students"):
        _refused_cursor(erp.get(entity, cursor=cursor))


def test_a_cursor_is_opaque_and_opens_only_where_it_was_issued(
    api: httpx.Client, erp: Erp, other_tenant: TenantFixture
) -> None:
    erp.ok("units", UNITS)
    other = Erp(api, other_tenant)
    other.ok("units", UNITS)
    cursor = erp.get("units", per_page=5).json()["next_cursor"]
    # No key format shows through, even decoded.
    assert all(part not in base64_text(cursor) for part in ("T#", "U04", "GSI1"))

    assert [u["code"] for u in erp.get("units", cursor=cursor).json()["data"]][:1] == ["U05"]
    _refused_cursor(other.get("units", cursor=cursor))  # another tenant
    _refused_cursor(erp.get("areas", cursor=cursor))  # another listing
    _refused_cursor(erp.get("units", cursor=cursor, search="unidade"))  # other filters
    tampered = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    _refused_cursor(erp.get("units", cursor=tampered))


def base64_text(cursor: str) -> str:
    """The cursor decoded as far as base64 goes (what a curious client would read)."""
    import base64

    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    return raw.decode("latin-1")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("units/NOPE", "Unidade não encontrada"),
        ("enrollments/NOPE", "Turma não encontrada"),
        ("professors/NOPE/subjects", "Professor não encontrado"),
    ],
)
def test_not_found(erp: Erp, path: str, message: str) -> None:
    response = erp.get(path)
    assert response.status_code == 404
    assert response.json() == {
        "success": False,
        "message": message,
        "errors": {},
        "code": "NOT_FOUND",
    }


def test_the_seed_lookups(erp: Erp) -> None:
    erp.seed()
    unit = erp.get("units/CAMPUS_CENTRO").json()["data"]
    assert {k: unit[k] for k in ("code", "name", "address", "status")} == {
        **seed_000.UNITS[0],
        "status": "active",
    }
    assert unit["created_at"].endswith("Z")
    professor = erp.get("professors/PROF001").json()["data"]
    assert professor["email"] == "joao.silva@faculdade.edu.br"
    turma = erp.get("enrollments/BD001-2025.1").json()["data"]
    assert turma["professor"]["name"] == "Dra. Maria Santos"
    assert [s["name"] for s in turma["students"]] == ["Pedro Oliveira Santos"]


@pytest.mark.parametrize(
    "path",
    [
        "units?per_page=50",
        "courses",
        "enrollments/BD001-2025.1",
        "professors/PROF002/subjects",
        "units?search=unidade",
    ],
)
def test_reads_never_scan_nor_loop_per_row(erp: Erp, path: str) -> None:
    erp.seed()
    erp.ok("units", UNITS)

    with count_dynamodb() as tally:
        assert erp.api.get(f"/api/integration/v1/{path}", headers=erp.headers).status_code == 200

    assert "Scan" not in tally.requests
    # The authorizer's GetItem + UpdateItem aside, a handful of requests whatever the rows.
    assert tally.total - 2 <= 4, tally.requests


@pytest.mark.parametrize("code", ["CAMPUS NORTE", "SÃO-JOÃO", "A/B", "A#1", "50%", "QUEM?"])
def test_a_code_with_any_character_is_found_by_its_url(erp: Erp, code: str) -> None:
    erp.ok("units", [{"code": code, "name": "Unidade"}])

    found = erp.get(f"units/{quote(code, safe='')}")

    assert found.status_code == 200, found.text
    assert found.json()["data"]["code"] == code

"""Sync endpoints: validation rules, dependencies, uniqueness, partial batches, envelopes."""

from __future__ import annotations

import json
import threading
import uuid

import httpx
import pytest

from ponte import tls
from ponte.domain.tenancy import Scope
from ponte.services import tenancy
from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import BASE, Erp
from tests.support import seed_000
from tests.support.virtual_time import VirtualClock


@pytest.fixture
def erp(api: httpx.Client, tenant: TenantFixture) -> Erp:
    return Erp(api, tenant)


def _only_error(data: dict[str, object]) -> dict[str, list[str]]:
    (error,) = data["errors"]  # type: ignore[misc]
    return error["errors"]  # type: ignore[no-any-return]


# -- the request envelope -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"unit": [{"code": "X", "name": "X"}]}, "units"),  # wrong top-level key
        ({"units": []}, "units"),
        ({"units": {"code": "X"}}, "units"),
        ([{"code": "X", "name": "X"}], "body"),
        ({"units": [{"code": f"U{i}", "name": "n"} for i in range(101)]}, "units"),
    ],
    ids=["wrong-key", "empty", "not-a-list", "not-an-object", "101-records"],
)
def test_bad_envelopes_write_nothing(erp: Erp, api: httpx.Client, body: object, field: str) -> None:
    response = api.post(f"{BASE}/units/sync", headers=erp.headers, json=body)

    assert response.status_code == 422
    payload = response.json()
    assert payload["success"] is False
    assert payload["message"] == "Validation error"
    assert list(payload["errors"]) == [field]
    assert erp.get("units").json()["meta"]["total"] == 0


def test_malformed_json_is_400(erp: Erp, api: httpx.Client) -> None:
    response = api.post(
        f"{BASE}/units/sync",
        headers={**erp.headers, "content-type": "application/json"},
        content=b'{"units": [',
    )
    assert response.status_code == 400
    assert response.json()["message"] == "JSON inválido no corpo da requisição"


def test_a_batch_past_4_mb_is_a_413_and_writes_nothing(erp: Erp) -> None:
    units = [{"code": f"U{i}", "name": "n" * 250, "pad": "x" * 60_000} for i in range(70)]
    response = erp.sync("units", units)

    assert response.status_code == 413
    body = response.json()
    assert (body["success"], body["code"]) == (False, "PAYLOAD_TOO_LARGE")
    assert body["message"].startswith("Lote acima de 4 MB")
    assert erp.get("units").json()["meta"]["total"] == 0


def test_100_records_are_accepted(erp: Erp) -> None:
    data = erp.ok("units", [{"code": f"U{i:03}", "name": f"Unidade {i}"} for i in range(100)])
    assert data["created"] == 100


def test_read_scope_cannot_sync(api: httpx.Client, tenant: TenantFixture) -> None:
    reader = Erp(api, tenant, Scope.READ)
    response = reader.sync("units", seed_000.UNITS)
    assert response.status_code == 403
    assert Erp(api, tenant, Scope.WRITE).get("units").status_code == 403


# -- field rules -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("entity", "record", "expected"),
    [
        ("units", {"code": "U1"}, {"name": ["Campo obrigatório"]}),
        ("units", {"code": "  ", "name": "x"}, {"code": ["Campo obrigatório"]}),
        (
            "areas",
            {"code": "A", "name": "A", "unit_code": "U1", "responsible_email": "x@"},
            {"responsible_email": ["Email inválido"]},
        ),
        (
            "courses",
            {"code": "C", "name": "C", "area_code": "A", "unit_code": "U1"},
            {"responsible_code": ["Informe responsible_email ou responsible_code"]},
        ),
        (
            "subjects",
            {"code": "S", "name": "S", "course_code": "C", "type": "livre"},
            {"type": ["Tipo deve ser obrigatoria, optativa ou eletiva"]},
        ),
        (
            "professors",
            {"code": "P", "name": "P", "email": "p@x.edu.br", "cpf": "123"},
            {"cpf": ["CPF deve conter 11 dígitos"]},
        ),
        (
            "professors",
            {"code": "P", "name": "P", "email": "not-an-email", "cpf": "52998224725"},
            {"email": ["Email inválido"]},
        ),
        (
            "students",
            {
                "code": "S",
                "name": "S",
                "email": "s@x.edu.br",
                "course_code": "C",
                "cpf": "abc.def.ghi-jk",
            },
            {"cpf": ["CPF deve conter 11 dígitos"]},
        ),
        (
            "enrollments",
            {
                "code": "E",
                "subject_code": "S",
                "professor_code": "P",
                "semester": "2025-1",
                "student_codes": [],
            },
            {"semester": ['Semestre deve estar no formato "YYYY.N" (ex: 2025.1)']},
        ),
        (
            "enrollments",
            {"code": "E", "subject_code": "S", "professor_code": "P", "semester": "2025.1"},
            {"student_codes": ["Campo obrigatório"]},
        ),
    ],
)
def test_field_rules(
    erp: Erp, entity: str, record: dict[str, object], expected: dict[str, list[str]]
) -> None:
    erp.ok("units", [{"code": "U1", "name": "U1"}])
    response = erp.sync(entity, [record])

    assert response.status_code == 422
    body = response.json()
    for field_name, messages in expected.items():
        assert body["errors"][f"{entity}.0.{field_name}"] == messages
    assert body["data"]["errors"][0]["index"] == 0


def test_text_is_trimmed_and_cpf_email_normalised(erp: Erp) -> None:
    erp.seed("areas")
    erp.ok(
        "professors",
        [
            {
                "code": " P9 ",
                "name": "  Dra. Ana  ",
                "email": " Ana@X.EDU.BR ",
                "cpf": "529.982.247-25",
            }
        ],
    )
    professor = erp.get("professors/P9").json()["data"]
    assert (professor["name"], professor["email"], professor["cpf"]) == (
        "Dra. Ana",
        "ana@x.edu.br",
        "52998224725",
    )


def test_subject_type_defaults_to_obrigatoria(erp: Erp) -> None:
    erp.seed("subjects")
    assert erp.get("subjects/ALG001").json()["data"]["type"] == "obrigatoria"
    assert erp.get("subjects/LIBRAS").json()["data"]["type"] == "optativa"


# -- dependencies -----------------------------------------------------------------------------
def test_course_before_area_fails_with_the_seed_message(erp: Erp) -> None:
    erp.ok("units", seed_000.UNITS)
    response = erp.sync("courses", [seed_000.COURSES[0]])

    assert response.status_code == 422
    assert response.json()["errors"] == {"courses.0.area_code": ["A área selecionada não existe"]}


@pytest.mark.parametrize(
    ("entity", "record", "field", "message"),
    [
        (
            "areas",
            {"code": "A", "name": "A", "unit_code": "NOPE"},
            "unit_code",
            "A unidade selecionada não existe",
        ),
        (
            "subjects",
            {"code": "S", "name": "S", "course_code": "NOPE"},
            "course_code",
            "O curso selecionado não existe",
        ),
        (
            "professors",
            {
                "code": "P",
                "name": "P",
                "email": "p@x.edu.br",
                "cpf": "52998224725",
                "area_code": "NOPE",
            },
            "area_code",
            "A área selecionada não existe",
        ),
        (
            "students",
            {"code": "S", "name": "S", "email": "s@x.edu.br", "course_code": "NOPE"},
            "course_code",
            "O curso selecionado não existe",
        ),
        (
            "enrollments",
            {
                "code": "E",
                "subject_code": "NOPE",
                "professor_code": "PROF001",
                "semester": "2025.1",
                "student_codes": ["ALU2024001"],
            },
            "subject_code",
            "A disciplina selecionada não existe",
        ),
        (
            "enrollments",
            {
                "code": "E",
                "subject_code": "ALG001",
                "professor_code": "NOPE",
                "semester": "2025.1",
                "student_codes": ["ALU2024001"],
            },
            "professor_code",
            "O professor selecionado não existe",
        ),
    ],
)
def test_references_must_exist(
    erp: Erp, entity: str, record: dict[str, object], field: str, message: str
) -> None:
    erp.seed("students")
    assert erp.sync(entity, [record]).json()["errors"] == {f"{entity}.0.{field}": [message]}


def test_references_of_another_tenant_do_not_count(
    api: httpx.Client, tenant: TenantFixture, other_tenant: TenantFixture
) -> None:
    Erp(api, other_tenant).ok("units", seed_000.UNITS)
    response = Erp(api, tenant).sync("areas", seed_000.AREAS)
    assert response.status_code == 422
    assert Erp(api, tenant).get("units").json()["meta"]["total"] == 0


def test_course_responsible_resolves_once_the_professor_exists(erp: Erp) -> None:
    erp.seed("courses")
    course = erp.get("courses/CC001").json()["data"]
    assert course["responsible"] == {
        "code": "PROF001",
        "email": None,
        "name": None,
        "status": "pending",
    }

    erp.ok(
        "professors",
        [
            *seed_000.PROFESSORS,
            {
                "code": "PROF003",
                "name": "Coord. Enfermagem",
                "email": "coord.enf@faculdade.edu.br",
                "cpf": "52998224725",
            },
        ],
    )

    courses = {c["code"]: c for c in erp.get("courses").json()["data"]}
    assert courses["CC001"]["responsible"]["name"] == "Dr. João Silva"
    assert courses["CC001"]["responsible"]["status"] == "resolved"
    assert courses["ENF001"]["responsible"] == {
        "code": "PROF003",
        "email": "coord.enf@faculdade.edu.br",
        "name": "Coord. Enfermagem",
        "status": "resolved",
    }


# -- uniqueness -------------------------------------------------------------------------------
def test_duplicate_email_and_cpf(erp: Erp) -> None:
    erp.seed("professors")
    response = erp.sync(
        "professors",
        [
            {
                "code": "PROF009",
                "name": "X",
                "email": "joao.silva@faculdade.edu.br",
                "cpf": "52998224725",
            },
            {"code": "PROF010", "name": "Y", "email": "y@faculdade.edu.br", "cpf": "98765432100"},
        ],
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "professors.0.email": ["Email já cadastrado"],
        "professors.1.cpf": ["CPF já cadastrado"],
    }


FULL_WIDTH = "\uff15\uff12\uff19\uff19\uff18\uff12\uff12\uff14\uff17\uff12\uff15"  # 52998224725
SUPERSCRIPT = "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u2070\u00b9"


@pytest.mark.parametrize("entity", ["professors", "students"])
def test_a_cpf_in_other_digits_is_refused_never_stored_beside_the_ascii_one(
    erp: Erp, entity: str
) -> None:
    """What is a digit to the API is an ASCII digit: a full-width CPF would be stored as typed
    beside the same CPF in ASCII (uniqueness bypassed, searches missing it); a superscript
    one was a 500."""
    erp.seed("courses")
    course = {"course_code": "CC001"} if entity == "students" else {}
    ascii_one = {"code": "A1", "name": "A", "email": "a@x.edu.br", "cpf": "52998224725", **course}
    erp.ok(entity, [ascii_one])
    for n, raw in enumerate([FULL_WIDTH, SUPERSCRIPT, "529.982.247-2\uff15"]):
        record = {"code": f"B{n}", "name": "B", "email": f"b{n}@x.edu.br", "cpf": raw, **course}
        response = erp.sync(entity, [record])
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == {
            f"{entity}.0.cpf": ["CPF deve conter apenas os algarismos de 0 a 9"]
        }
        assert erp.get(f"{entity}/B{n}").status_code == 404
    assert erp.get(entity).json()["meta"]["total"] == 1


def test_duplicates_inside_one_request(erp: Erp) -> None:
    erp.seed("areas")
    data = erp.ok(
        "professors",
        [
            {"code": "P1", "name": "A", "email": "same@x.edu.br", "cpf": "52998224725"},
            {"code": "P2", "name": "B", "email": "same@x.edu.br", "cpf": "11144477735"},
            {"code": "P1", "name": "C", "email": "c@x.edu.br", "cpf": "39053344705"},
        ],
    )
    assert (data["created"], data["failed"]) == (1, 2)
    assert [e["errors"] for e in data["errors"]] == [
        {"email": ["Email já cadastrado"]},
        {"code": ["Código duplicado na requisição"]},
    ]


def test_professor_and_student_may_share_a_cpf(erp: Erp) -> None:
    erp.seed("students")  # PROF001 and student 12345678901 share CPF 12345678901
    assert erp.get("students/12345678901").json()["data"]["cpf"] == "12345678901"
    assert erp.get("professors/PROF001").json()["data"]["cpf"] == "12345678901"


def test_an_update_may_keep_its_own_email_and_release_the_old_one(erp: Erp) -> None:
    erp.seed("professors")
    moved = dict(seed_000.PROFESSORS[0], email="novo.joao@faculdade.edu.br")
    assert erp.ok("professors", [moved])["updated"] == 1
    # The old address is free again for somebody else.
    data = erp.ok(
        "professors",
        [
            {
                "code": "PROF003",
                "name": "Z",
                "email": "joao.silva@faculdade.edu.br",
                "cpf": "52998224725",
            }
        ],
    )
    assert data["created"] == 1


def test_concurrent_requests_racing_for_one_email_only_one_wins(
    api: httpx.Client, tenant: TenantFixture, stack: object
) -> None:
    erp = Erp(api, tenant)
    erp.seed("areas")
    results: list[dict[str, object]] = []
    barrier = threading.Barrier(6)

    def claim(i: int) -> None:
        with httpx.Client(base_url=api.base_url, timeout=30, verify=tls.context()) as own:
            barrier.wait()
            response = own.post(
                f"{BASE}/professors/sync",
                headers=erp.headers,
                json={
                    "professors": [
                        {
                            "code": f"RACER{i}",
                            "name": f"R{i}",
                            "email": "race@x.edu.br",
                            "cpf": f"{i:011d}",
                        }
                    ],
                },
            )
            results.append(response.json())

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [r for r in results if r.get("success")]
    assert len(winners) == 1
    losers = [r for r in results if not r.get("success")]
    odd = [
        r
        for r in losers
        if json.dumps(r.get("errors"), ensure_ascii=False).count("Email já cadastrado") != 1
    ]
    assert not odd, json.dumps(odd, ensure_ascii=False)  # in full: what a loser said instead
    professors = erp.get("professors", per_page=100).json()
    assert professors["meta"]["total"] == 1
    assert professors["data"][0]["email"] == "race@x.edu.br"


# -- partial batches, idempotency, soft delete -----------------------------------------------
def test_partial_batch_applies_the_valid_records(erp: Erp) -> None:
    response = erp.sync(
        "units",
        [
            {"code": "U1", "name": "Um"},
            {"code": "U2"},
            {"code": "U3", "name": "Três"},
        ],
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["created"], data["updated"], data["failed"], data["unchanged"]) == (2, 0, 1, 0)
    assert data["errors"] == [{"index": 1, "code": "U2", "errors": {"name": ["Campo obrigatório"]}}]
    assert erp.get("units/U2").status_code == 404


def test_update_and_unchanged(erp: Erp) -> None:
    erp.ok("units", seed_000.UNITS)
    before = erp.get("units/CAMPUS_CENTRO").json()["data"]
    renamed = [dict(seed_000.UNITS[0], name="Campus Central"), seed_000.UNITS[1]]

    data = erp.ok("units", renamed)

    assert (data["created"], data["updated"], data["unchanged"]) == (0, 1, 1)
    after = erp.get("units/CAMPUS_CENTRO").json()["data"]
    assert after["name"] == "Campus Central"
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] >= before["updated_at"]


def test_inactive_is_a_soft_delete(erp: Erp) -> None:
    erp.ok("units", seed_000.UNITS)
    erp.ok("units", [dict(seed_000.UNITS[1], status="inactive")])

    assert erp.get("units/CAMPUS_NORTE").json()["data"]["status"] == "inactive"
    inactive = erp.get("units", status="inactive").json()
    assert [u["code"] for u in inactive["data"]] == ["CAMPUS_NORTE"]
    assert inactive["meta"]["total"] == 1
    bad = erp.sync("units", [dict(seed_000.UNITS[0], status="deleted")])
    assert bad.status_code == 422


def test_strict_cpf_tenant_setting(api: httpx.Client, stack: object) -> None:
    tenant_id = f"strict-cpf-{uuid.uuid4().hex[:8]}"
    tenancy.create_tenant(tenant_id, "Strict", {"strict_cpf_check_digits": True})
    from tests.integration.conftest import TenantFixture as Fixture

    strict = Erp(api, Fixture(tenant_id, stack))  # type: ignore[arg-type]
    strict.seed("areas")
    response = strict.sync("professors", seed_000.PROFESSORS)
    data = response.json()["data"]
    assert (data["created"], data["failed"]) == (1, 1)
    assert data["errors"][0]["errors"] == {"cpf": ["CPF com dígito verificador inválido"]}


# -- enrollments --------------------------------------------------------------------------
def test_enrollment_links_and_unlinks_students(erp: Erp) -> None:
    erp.seed("students")
    extra = [
        {
            "code": f"ALU9{i}",
            "name": f"Aluno {i}",
            "email": f"a{i}@aluno.edu.br",
            "course_code": "CC001",
        }
        for i in range(3)
    ]
    erp.ok("students", extra)
    turma = {
        "code": "T1",
        "subject_code": "ALG001",
        "professor_code": "PROF001",
        "semester": "2025.1",
        "student_codes": ["ALU2024001", "ALU90", "ALU91"],
    }

    assert erp.ok("enrollments", [turma])["students"] == {"linked": 3, "unlinked": 0}
    changed = dict(turma, student_codes=["ALU91", "ALU92"], professor_code="PROF002")
    data = erp.ok("enrollments", [changed])

    assert (data["updated"], data["students"]) == (1, {"linked": 1, "unlinked": 2})
    detail = erp.get("enrollments/T1").json()["data"]
    assert [s["code"] for s in detail["students"]] == ["ALU91", "ALU92"]
    assert [s["name"] for s in detail["students"]] == ["Aluno 1", "Aluno 2"]
    assert detail["professor"]["name"] == "Dra. Maria Santos"
    assert detail["subject"] == {"code": "ALG001", "name": "Algoritmos e Programação I"}
    assert erp.get("professors/PROF001/subjects").json()["data"] == []
    (mine,) = erp.get("professors/PROF002/subjects").json()["data"]
    assert mine["code"] == "T1"
    assert mine["subject"]["name"] == "Algoritmos e Programação I"
    assert mine["students_count"] == 2


def test_enrollment_with_missing_students_is_refused_whole(erp: Erp) -> None:
    erp.seed("students")
    response = erp.sync("enrollments", [seed_000.ENROLLMENTS[0]])
    assert response.status_code == 422
    assert erp.get("enrollments/ALG001-2025.1").status_code == 404


def test_sync_status_moves_with_an_unchanged_sync(erp: Erp, clock: VirtualClock) -> None:
    erp.ok("units", seed_000.UNITS)
    clock.advance(600)
    assert erp.get("sync-status").json()["data"]["last_sync"]["minutes_ago"] == 10

    assert erp.ok("units", seed_000.UNITS)["unchanged"] == 2

    last = erp.get("sync-status").json()["data"]["last_sync"]
    assert last["minutes_ago"] == 0
    assert last["timestamp"] == clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_refused_sync_leaves_the_last_sync_where_it_was(erp: Erp, clock: VirtualClock) -> None:
    erp.ok("units", seed_000.UNITS)
    clock.advance(600)

    refused = erp.sync("units", [{"code": "U9"}, {"name": "sem código"}])

    assert refused.status_code == 422
    assert erp.get("sync-status").json()["data"]["last_sync"]["minutes_ago"] == 10


def test_sync_is_rate_limited_per_client(
    api: httpx.Client, tenant: TenantFixture, clock: VirtualClock
) -> None:
    clock.advance(60 - clock.now().second)
    headers = tenant.headers(tenant.api_key(Scope.WRITE, rate_limit=2))
    body = {"units": seed_000.UNITS}
    assert api.post(f"{BASE}/units/sync", headers=headers, json=body).status_code == 200
    assert api.post(f"{BASE}/units/sync", headers=headers, json=body).status_code == 200

    limited = api.post(
        f"{BASE}/units/sync", headers=headers, json={"units": [{"code": "X", "name": "X"}]}
    )

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert limited.json()["code"] == "RATE_LIMITED"
    assert Erp(api, tenant).get("units/X").status_code == 404  # nothing written


def test_concurrent_updates_of_one_record_are_retried_not_refused(
    api: httpx.Client, tenant: TenantFixture, stack: object
) -> None:
    """20 clients rename one unit at once: conflicts are retried inside; one that still loses
    is a 409 with Retry-After (resend it), never a 422 (nothing was wrong with it)."""
    erp = Erp(api, tenant)
    erp.ok("units", [{"code": "U1", "name": "Unidade"}])
    answers: list[httpx.Response] = []
    barrier = threading.Barrier(20)

    def rename(i: int) -> None:
        with httpx.Client(base_url=api.base_url, timeout=30, verify=tls.context()) as own:
            barrier.wait()
            answers.append(
                own.post(
                    f"{BASE}/units/sync",
                    headers=erp.headers,
                    json={"units": [{"code": "U1", "name": f"Unidade {i}"}]},
                )
            )

    threads = [threading.Thread(target=rename, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 409}, [a.text for a in answers if a.status_code not in (200, 409)]
    assert statuses.count(200) >= 10
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "CONCURRENT_UPDATE"
        assert refused.json()["message"] == "Registro alterado simultaneamente; reenvie"

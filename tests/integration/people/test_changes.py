"""Links kept true when either side changes: a guardian shared by siblings, a conflict a
person settles (and that stays settled), an ERP email change, a record deleted at the vendor,
a relink of what was stored before; and who may see whom."""

from __future__ import annotations

from typing import Any

from ponte.domain.records import PulledRecord
from ponte.repository import pulled_records
from tests.integration.connectors.conftest import Connectors
from tests.integration.people.conftest import School, cpf, people_of

GUARDIAN = {"name": "Marta Souza", "email": "Marta@Familia.com.br", "cpf": cpf(10)}


def _student(code: str, n: int, **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": f"Aluno {code}", "email": f"{code.lower()}@aluno.edu.br",
            "cpf": cpf(n), **extra}  # fmt: skip


def test_a_guardian_named_by_two_siblings_is_one_person_with_both_students(
    school: School, connectors: Connectors
) -> None:
    school.students(_student("S1", 1, guardians=[GUARDIAN]),
                    _student("S2", 2, guardians=[GUARDIAN]))  # fmt: skip
    found = school.get("", q="marta@familia.com.br").json()["data"]
    assert [(p["kind"], p["id"], p["name"]) for p in found] == [
        ("guardians", "marta@familia.com.br", "Marta Souza")
    ]
    connection, token = connectors.hubspot_connection()
    contact = connectors.hubspot.add(token, "contacts", 1,
                                     properties={"email": "marta@familia.com.br"})[0]  # fmt: skip
    assert connectors.run(connection)["status"] == "success"
    assert people_of(connectors, connection, "contacts")[contact] == (
        [("guardians", "marta@familia.com.br", ["email"])],
        "linked",
    )
    card = school.get("/guardians/marta%40familia.com.br").json()["data"]
    assert [s["id"] for s in card["students"]] == ["S1", "S2"]
    assert [t["recordId"] for t in card["timeline"]] == [contact]
    student = school.get("/students/S1").json()["data"]
    assert student["guardians"] == [{"id": "marta@familia.com.br", "name": "Marta Souza"}]
    assert student["units"] == ["CAMPUS_CENTRO"]


def test_a_conflict_is_settled_by_a_person_and_stays_settled_after_a_full_rerun(
    school: School, connectors: Connectors
) -> None:
    school.students(_student("S1", 1), _student("S2", 2))
    connection, token = connectors.hubspot_connection()
    mixed = connectors.hubspot.add(token, "contacts", 1, properties={
        "email": "s1@aluno.edu.br", "cpf": cpf(2)})[0]  # fmt: skip
    connectors.api.patch(f"/api/v1/sync/connections/{connection}", headers=connectors.headers,
                         json={"identity": {"cpf": "cpf"}})  # fmt: skip
    assert connectors.run(connection)["status"] == "success"
    assert people_of(connectors, connection, "contacts")[mixed] == ([], "conflict")
    links = school.get("/links", status="conflict").json()["data"]
    assert [(link["recordId"], sorted(c["id"] for c in link["candidates"])) for link in links] == [
        (mixed, ["S1", "S2"])
    ]
    assert sorted(c["matchedBy"][0] for c in links[0]["candidates"]) == ["cpf", "email"]
    decided = school.api.post(
        f"/api/v1/people/links/{links[0]['linkId']}/confirm",
        headers=school.headers(), json={"kind": "students", "id": "S2"},
    )  # fmt: skip
    assert decided.status_code == 200, decided.text
    assert decided.json()["data"]["status"] == "confirmed"
    assert school.get("/links", status="conflict").json()["data"] == []
    connectors.hubspot.change(token, "contacts", [mixed], properties={"lastname": "Lima"})
    assert connectors.run(connection, full=True)["status"] == "success"
    assert people_of(connectors, connection, "contacts")[mixed] == (
        [("students", "S2", ["cpf"])],
        "confirmed",
    )
    not_a_candidate = school.api.post(
        f"/api/v1/people/links/{links[0]['linkId']}/confirm",
        headers=school.headers(), json={"kind": "students", "id": "S9"},
    )  # fmt: skip
    assert not_a_candidate.status_code == 400
    unknown = school.api.post("/api/v1/people/links/bm90LWEtbGluaw/reject",
                              headers=school.headers())  # fmt: skip
    assert unknown.status_code == 404
    assert unknown.json()["success"] is False


def test_an_erp_email_change_moves_the_links_without_a_connector_run(
    school: School, connectors: Connectors
) -> None:
    school.students(_student("S1", 1))
    connection, token = connectors.hubspot_connection()
    old = connectors.hubspot.add(token, "contacts", 1, properties={"email": "s1@aluno.edu.br"})[0]
    new = connectors.hubspot.add(token, "contacts", 1, properties={"email": "ana@novo.com"})[0]
    assert connectors.run(connection)["status"] == "success"
    assert people_of(connectors, connection, "contacts")[old][1] == "linked"
    assert people_of(connectors, connection, "contacts")[new] == ([], None)
    school.students(_student("S1", 1, email="ana@novo.com"))
    people = people_of(connectors, connection, "contacts")
    assert people[old] == ([], None)
    assert people[new] == ([("students", "S1", ["email"])], "linked")
    timeline = school.get("/students/S1").json()["data"]["timeline"]
    assert [t["recordId"] for t in timeline] == [new]


def test_a_record_deleted_at_the_vendor_loses_its_links(
    school: School, connectors: Connectors
) -> None:
    school.students(_student("S1", 1))
    connection, token = connectors.hubspot_connection()
    contact = connectors.hubspot.add(token, "contacts", 1,
                                     properties={"email": "s1@aluno.edu.br"})[0]  # fmt: skip
    assert connectors.run(connection)["status"] == "success"
    assert school.get("/students/S1").json()["data"]["links"] == 1
    connectors.hubspot.archive(token, "contacts", [contact])
    assert connectors.run(connection, full=True)["status"] == "success"
    answer = connectors.records(connection, "contacts", includeDeleted="true").json()["data"]
    assert [(r["id"], r["people"], r["deletedAt"] is not None) for r in answer] == [
        (contact, [], True)
    ]
    card = school.get("/students/S1").json()["data"]
    assert (card["links"], card["timeline"]) == (0, [])


def test_a_relink_links_what_was_stored_before_linking_existed(
    school: School, connectors: Connectors
) -> None:
    school.students(_student("S1", 1))
    connection, _ = connectors.hubspot_connection()
    stored = PulledRecord("old-1", "2025-01-01T00:00:00.000Z",
                          {"id": "old-1", "properties": {"email": "S1@aluno.edu.br"}},
                          "h1", "2025-01-01T00:00:00.000Z")  # fmt: skip
    pulled_records.put_records(school.tenant.id, connection, "contacts", [(stored, "created")],
                               run_id="before", page=1)  # fmt: skip
    assert people_of(connectors, connection, "contacts")["old-1"] == ([], None)
    answer = school.api.post("/api/v1/people/relink", headers=school.headers())
    assert answer.status_code == 202, answer.text
    school.settle()
    assert people_of(connectors, connection, "contacts")["old-1"] == (
        [("students", "S1", ["email"])],
        "linked",
    )
    assert school.api.post("/api/v1/people/relink",
                           headers=school.headers("coordinator")).status_code == 403  # fmt: skip


def test_a_coordinator_sees_the_people_of_their_units_and_others_are_refused(
    school: School,
) -> None:
    school.students(_student("S1", 1), _student("S9", 9, course_code="ENF001"))
    centre = {"units": ["CAMPUS_CENTRO"]}
    found = school.get("", role="coordinator", q="Aluno", **{}).json()
    assert found["success"] is True
    coordinator = school.headers("coordinator", **centre)
    search = school.api.get("/api/v1/people", headers=coordinator, params={"q": "aluno"})
    assert [p["id"] for p in search.json()["data"]] == ["S1"]
    assert search.json()["data"][0]["cpf"] == f"***.{cpf(1)[3:6]}.{cpf(1)[6:9]}-**"
    mine = school.api.get("/api/v1/people/students/S1", headers=coordinator)
    assert mine.status_code == 200
    other = school.api.get("/api/v1/people/students/S9", headers=coordinator)
    assert other.status_code == 404
    assert other.json()["success"] is False
    admin = school.get("/students/S9").json()["data"]
    assert admin["cpf"] == cpf(9)
    for role in ("professor", "guardian"):
        refused = school.api.get("/api/v1/people", headers=school.headers(role), params={"q": "x1"})
        assert refused.status_code == 403


def test_a_long_timeline_pages_by_cursor_and_a_cursor_is_its_callers_own(
    school: School, connectors: Connectors
) -> None:
    school.students(_student("S1", 1, phone="11 97777-0000"))
    connection, token = connectors.hubspot_connection()
    ids = connectors.hubspot.add(token, "contacts", 25, properties={"phone": "+5511977770000"})
    assert connectors.run(connection)["status"] == "success"
    admin = school.headers()
    first = school.api.get("/api/v1/people/students/S1", headers=admin, params={"limit": "20"})
    assert first.status_code == 200, first.text
    first = first.json()
    assert first["data"]["links"] == 25
    assert len(first["data"]["timeline"]) == 20
    cursor = first["meta"]["nextCursor"]
    rest = school.api.get("/api/v1/people/students/S1/timeline", headers=admin,
                          params={"limit": "20", "cursor": cursor})  # fmt: skip
    assert rest.status_code == 200, rest.text
    assert rest.json()["meta"]["nextCursor"] is None
    seen = [t["recordId"] for t in first["data"]["timeline"] + rest.json()["data"]]
    assert sorted(seen) == sorted(ids)
    assert all(t["matchedBy"] == ["phone"] for t in rest.json()["data"])
    someone_else = school.api.get("/api/v1/people/students/S1/timeline",
                                  headers=school.headers(),
                                  params={"cursor": cursor})  # fmt: skip
    assert someone_else.status_code == 400

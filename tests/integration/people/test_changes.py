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
    school.settle()  # the first connection's own relink, done before the old record is put
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


def _conflict(school: School, connectors: Connectors) -> tuple[str, str, str]:
    """S1 in CAMPUS_CENTRO and S9 in CAMPUS_NORTE; a HubSpot contact with S1's email and S9's
    CPF in its `cpf` property: (connection, token, contact)."""
    school.students(_student("S1", 1), _student("S9", 9, course_code="ENF001"))
    connection, token = connectors.hubspot_connection()
    connectors.api.patch(f"/api/v1/sync/connections/{connection}", headers=connectors.headers,
                         json={"identity": {"cpf": "cpf"}})  # fmt: skip
    contact = connectors.hubspot.add(token, "contacts", 1, properties={
        "email": "s1@aluno.edu.br", "cpf": cpf(9)})[0]  # fmt: skip
    assert connectors.run(connection)["status"] == "success"
    return connection, token, contact


def _decide(school: School, link: str, action: str, headers: dict[str, str],
            body: dict[str, str] | None = None) -> Any:  # fmt: skip
    return school.api.post(f"/api/v1/people/links/{link}/{action}", headers=headers,
                           json=body or {})  # fmt: skip


def test_a_coordinator_settles_only_for_the_people_of_their_units(
    school: School, connectors: Connectors
) -> None:
    _conflict(school, connectors)
    coordinator = school.headers("coordinator", units=["CAMPUS_CENTRO"])
    listed = school.api.get("/api/v1/people/links", headers=coordinator).json()["data"]
    assert [[c["id"] for c in link["candidates"]] for link in listed] == [["S1"]]  # not S9
    link = listed[0]["linkId"]
    elsewhere = _decide(school, link, "confirm", coordinator, {"kind": "students", "id": "S9"})
    assert elsewhere.status_code == 400
    assert _decide(school, link, "reject", coordinator).status_code == 403  # S9 is not theirs
    mine = _decide(school, link, "confirm", coordinator, {"kind": "students", "id": "S1"})
    assert mine.status_code == 200, mine.text


def test_a_decision_keeps_its_candidates_names_and_outlives_a_record_stored_without_it(
    school: School, connectors: Connectors
) -> None:
    from ponte.repository import people as store
    from ponte.services.people.views import _parse_link_id

    connection, token, contact = _conflict(school, connectors)
    admin = school.headers()
    link = school.api.get("/api/v1/people/links", headers=admin).json()["data"][0]["linkId"]
    assert _decide(school, link, "confirm", admin, {"kind": "students", "id": "S9"}).is_success
    again = _decide(school, link, "confirm", admin, {"kind": "students", "id": "S1"}).json()
    assert [(c["id"], c["name"], c["matchedBy"]) for c in again["data"]["candidates"]] == [
        ("S1", "Aluno S1", ["email"])
    ]
    rejected = _decide(school, link, "reject", admin).json()["data"]
    assert sorted((c["id"], c["name"]) for c in rejected["candidates"]) == [
        ("S1", "Aluno S1"),
        ("S9", "Aluno S9"),
    ]
    # A page stored while the decision was made writes the record without it (a race):
    # the decision's own item still settles the record the next time it is stored.
    ref = _parse_link_id(link)
    record = pulled_records.stored_records(school.tenant.id, *ref[:2], [ref[2]])[ref[2]]
    lost = store.RecordLinks(store.LinkStatus.CONFLICT, record.links.people, None,
                             record.links.who)  # fmt: skip
    store.set_links(school.tenant.id, ref, record.updated_at, before=record.links, after=lost,
                    summary={})  # fmt: skip
    assert people_of(connectors, connection, "contacts")[contact] == ([], "conflict")
    connectors.hubspot.change(token, "contacts", [contact], properties={"lastname": "Lima"})
    assert connectors.run(connection, full=True)["status"] == "success"
    assert people_of(connectors, connection, "contacts")[contact] == ([], "rejected")


def test_a_purged_connection_leaves_no_link_behind(school: School, connectors: Connectors) -> None:
    school.students(_student("S1", 1), _student("S2", 2))
    connection, key = connectors.rdstation_connection()
    rd = connectors.rdstation
    one = rd.add(key, "contacts", 1, fields={"emails": [{"email": "s1@aluno.edu.br"}]})[0]
    two = rd.add(key, "contacts", 1, fields={"emails": [{"email": "s2@aluno.edu.br"}]})[0]
    deal = rd.add(key, "deals", 1, fields={"contact_ids": [one, two]})[0]
    assert connectors.run(connection)["status"] == "success"
    assert school.get("/students/S2").json()["data"]["links"] == 2  # the contact and the deal
    where = f"/api/v1/sync/connections/{connection}"
    purged = connectors.api.delete(where, headers=connectors.headers, params={"purge": "true"})
    assert purged.status_code == 200, purged.text
    for student in ("S1", "S2"):
        card = school.get(f"/students/{student}").json()["data"]
        assert (card["links"], card["timeline"]) == (0, []), deal


def test_a_deal_follows_its_contacts_decisions(school: School, connectors: Connectors) -> None:
    school.students(_student("S1", 1), _student("S2", 2), _student("S9", 9))
    connection, key = connectors.rdstation_connection()
    connectors.api.patch(f"/api/v1/sync/connections/{connection}", headers=connectors.headers,
                         json={"identity": {"cpf": "cpf"}})  # fmt: skip
    rd = connectors.rdstation
    mixed = rd.add(key, "contacts", 1, fields={"emails": [{"email": "s1@aluno.edu.br"}],
                                                "custom_fields": {"cpf": cpf(9)}})[0]  # fmt: skip
    other = rd.add(key, "contacts", 1, fields={"emails": [{"email": "s2@aluno.edu.br"}]})[0]
    deal = rd.add(key, "deals", 1, fields={"contact_ids": [mixed, other]})[0]
    assert connectors.run(connection)["status"] == "success"
    assert people_of(connectors, connection, "leads")[deal][0] == [("students", "S2", ["email"])]
    admin = school.headers()
    link = school.api.get("/api/v1/people/links", headers=admin).json()["data"][0]["linkId"]
    assert _decide(school, link, "confirm", admin, {"kind": "students", "id": "S1"}).is_success
    both = [("students", "S1", ["email"]), ("students", "S2", ["email"])]
    assert people_of(connectors, connection, "leads")[deal][0] == both
    timeline = school.get("/students/S1").json()["data"]["timeline"]
    assert {t["recordId"] for t in timeline} == {mixed, deal}
    assert _decide(school, link, "reject", admin).is_success
    assert people_of(connectors, connection, "leads")[deal][0] == [("students", "S2", ["email"])]
    assert school.get("/students/S1").json()["data"]["timeline"] == []

"""Pulled records linked to the ERP's people as they are stored, and kept when either side
changes: through the ERP API, connector runs against the vendor fakes, and the records and
people APIs."""

from __future__ import annotations

from tests.integration.connectors.conftest import Connectors
from tests.integration.people.conftest import School, cpf, people_of
from tests.support.virtual_time import VirtualClock

ANA = {
    "code": "S1",
    "name": "Ana Lima",
    "email": "ana.lima@aluno.edu.br",
    "cpf": cpf(1),
    "phone": "(11) 98765-4321",
}


def test_hubspot_contacts_link_by_email_phone_and_a_cpf_custom_property_and_deals_follow(
    school: School, connectors: Connectors, clock: VirtualClock
) -> None:
    school.students(ANA, {"code": "S2", "name": "Caio Lima", "email": "caio@aluno.edu.br"})
    connection, token = connectors.hubspot_connection()
    answer = connectors.api.patch(
        f"/api/v1/sync/connections/{connection}",
        headers=connectors.headers,
        json={"identity": {"cpf": "cpf_aluno"}},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["identity"] == {"cpf": "cpf_aluno"}
    add = connectors.hubspot.add
    by_email = add(token, "contacts", 1, properties={"email": " Ana.Lima@Aluno.edu.br"})[0]
    by_phone = add(token, "contacts", 1, properties={"mobilephone": "+55 11 98765-4321"})[0]
    digits = ANA["cpf"]
    written = f"{digits[:3]}.{digits[3:6]}.{digits[6:9]}-{digits[9:]}"
    by_cpf = add(token, "contacts", 1, properties={"cpf_aluno": written})[0]
    nobody = add(token, "contacts", 1, properties={"email": "someone@else.com"})[0]
    # Deals carry no identifiers: they are about their associated contacts' people.
    deal, lonely = add(token, "deals", 2, properties={"dealname": "Matrícula 2027"})
    connectors.hubspot.associate(token, "deals", deal, "contacts", [by_email, nobody])
    assert connectors.run(connection)["status"] == "success"
    people = people_of(connectors, connection, "contacts")
    assert people[by_email] == ([("students", "S1", ["email"])], "linked")
    assert people[by_phone] == ([("students", "S1", ["phone"])], "linked")
    assert people[by_cpf] == ([("students", "S1", ["cpf"])], "linked")
    assert people[nobody] == ([], None)
    deals = people_of(connectors, connection, "deals")
    assert deals[deal] == ([("students", "S1", ["email"])], "linked")
    assert deals[lonely] == ([], None)
    # A contact associated later follows when the deal is read again (here: it changed).
    caio = add(token, "contacts", 1, properties={"email": "caio@aluno.edu.br"})[0]
    connectors.hubspot.associate(token, "deals", deal, "contacts", [caio])
    connectors.hubspot.change(token, "deals", [deal], properties={"dealstage": "closedwon"})
    clock.advance(10)  # HubSpot's search shows a write a few moments after it
    assert connectors.run(connection)["status"] == "success"
    deals = people_of(connectors, connection, "deals")
    assert deals[deal] == ([("students", "S1", ["email"]), ("students", "S2", ["email"])], "linked")
    timeline = school.get("/students/S2").json()["data"]["timeline"]
    assert {(t["stream"], t["recordId"]) for t in timeline} == {("deals", deal), ("contacts", caio)}
    assert next(t["title"] for t in timeline if t["recordId"] == deal) == "Matrícula 2027"


def test_zendesk_tickets_take_their_requesters_people(
    school: School, connectors: Connectors
) -> None:
    school.professors(
        {
            "code": "P1",
            "name": "Bruno Reis",
            "email": "bruno@escola.edu.br",
            "cpf": cpf(2),
            "phone": "11 3333-4444",
        }
    )
    connection, subdomain = connectors.zendesk_connection()
    zendesk = connectors.zendesk
    user = zendesk.add(subdomain, "users", 1, fields={"email": "BRUNO@escola.edu.br"})[0]
    by_phone = zendesk.add(subdomain, "users", 1, fields={"email": None, "phone": "+551133334444"})[
        0
    ]
    ticket = zendesk.add(subdomain, "tickets", 1, fields={"requester_id": user})[0]
    stranger = zendesk.add(subdomain, "users", 1)[0]
    other = zendesk.add(subdomain, "tickets", 1, fields={"requester_id": stranger})[0]
    assert connectors.run(connection)["status"] == "success"
    users = people_of(connectors, connection, "users")
    assert users[str(user)] == ([("professors", "P1", ["email"])], "linked")
    assert users[str(by_phone)] == ([("professors", "P1", ["phone"])], "linked")
    tickets = people_of(connectors, connection, "tickets")
    assert tickets[str(ticket)] == ([("professors", "P1", ["email"])], "linked")
    assert tickets[str(other)] == ([], None)
    timeline = school.get("/professors/P1").json()["data"]["timeline"]
    assert {(t["stream"], t["recordId"]) for t in timeline} == {
        ("users", str(user)),
        ("users", str(by_phone)),
        ("tickets", str(ticket)),
    }
    opened = next(t for t in timeline if t["recordId"] == str(ticket))
    assert opened["url"] == f"https://{subdomain}.zendesk.com/agent/tickets/{ticket}"
    assert opened["title"] == f"Ticket {ticket}"
    assert opened["vendorStatus"] == "open"


def test_chatwoot_contacts_by_email_phone_or_a_cpf_identifier_and_their_conversations(
    school: School, connectors: Connectors
) -> None:
    school.students(ANA)
    connection, account = connectors.chatwoot_connection()
    chatwoot = connectors.chatwoot
    by_cpf = chatwoot.add_contacts(account, 1, fields={"email": None, "identifier": ANA["cpf"]})[0]
    by_phone = chatwoot.add_contacts(
        account, 1, fields={"email": None, "phone_number": "+5511987654321"}
    )[0]
    by_email = chatwoot.add_contacts(account, 1, fields={"email": "ANA.LIMA@aluno.edu.br"})[0]
    conversation = chatwoot.add_conversation(account, contact=by_cpf)
    assert connectors.run(connection)["status"] == "success"
    contacts = people_of(connectors, connection, "contacts")
    assert contacts[str(by_email)] == ([("students", "S1", ["email"])], "linked")
    assert contacts[str(by_cpf)] == ([("students", "S1", ["cpf"])], "linked")
    assert contacts[str(by_phone)] == ([("students", "S1", ["phone"])], "linked")
    conversations = people_of(connectors, connection, "conversations")
    assert conversations[str(conversation)] == ([("students", "S1", ["cpf"])], "linked")


def test_rdstation_deals_take_the_people_of_their_contacts(
    school: School, connectors: Connectors
) -> None:
    school.students(
        ANA, {"code": "S2", "name": "Caio Lima", "email": "caio@aluno.edu.br", "cpf": cpf(3)}
    )
    connection, key = connectors.rdstation_connection()
    rd = connectors.rdstation
    ana = rd.add(
        key, "contacts", 1, fields={"emails": [{"email": "ana.lima@aluno.edu.br"}], "phones": []}
    )[0]
    caio = rd.add(
        key,
        "contacts",
        1,
        fields={
            "emails": [],
            "phones": [
                {"phone": "11 98765-0000", "type": "cellphone"},
                {"phone": "", "type": "work"},
            ],
            "name": "Caio",
        },
    )[0]
    school.students(
        {**ANA},
        {
            "code": "S2",
            "name": "Caio Lima",
            "email": "caio@aluno.edu.br",
            "cpf": cpf(3),
            "phone": "11987650000",
        },
    )
    deal = rd.add(key, "deals", 1, fields={"contact_ids": [ana, caio]})[0]
    assert connectors.run(connection)["status"] == "success"
    deals = people_of(connectors, connection, "leads")
    assert deals[deal] == ([("students", "S1", ["email"]), ("students", "S2", ["phone"])], "linked")
    for student in ("S1", "S2"):  # a deal about two people is on both timelines
        timeline = school.get(f"/students/{student}").json()["data"]["timeline"]
        assert ("leads", deal) in {(t["stream"], t["recordId"]) for t in timeline}
        assert next(t["url"] for t in timeline if t["recordId"] == deal) == (
            f"https://crm.rdstation.com/app/deals/{deal}"
        )


def test_movidesk_tickets_link_by_their_clients_email(
    school: School, connectors: Connectors
) -> None:
    from tests.integration.movidesk.conftest import API

    school.students(ANA)
    token = "md-people-test"
    fake = connectors.stack.movidesk
    assert fake is not None
    fake.add_account(token)
    answer = connectors.api.put(
        f"{API}/settings", headers=connectors.headers, json={"token": token, "subdomain": "escola"}
    )
    assert answer.status_code == 200, answer.text
    client = {"id": "9", "businessName": "Ana", "personType": 1, "profileType": 2}
    ticket = fake.add(token, 1, clients=[client | {"email": "ana.lima@aluno.edu.br"}])[0]
    by_phone = fake.add(token, 1, clients=[client | {"email": None, "phone": "11 98765-4321"}])[0]
    connectors.run("movidesk")
    tickets = people_of(connectors, "movidesk", "tickets")
    assert tickets[str(ticket)] == ([("students", "S1", ["email"])], "linked")
    assert tickets[str(by_phone)] == ([("students", "S1", ["phone"])], "linked")
    timeline = school.get("/students/S1").json()["data"]["timeline"]
    urls = {t["recordId"]: t["url"] for t in timeline}
    assert urls[str(ticket)] == f"https://escola.movidesk.com/Ticket/Edit/{ticket}"

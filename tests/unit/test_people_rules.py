"""The rules that say who a pulled record is about: identifiers normalised, read per platform,
and turned into a link or a conflict (no AWS)."""

from __future__ import annotations

import pytest

from ponte.domain import identities
from ponte.domain.identities import By, Identifier
from ponte.domain.people import (
    Decision,
    IdentityOptions,
    Linked,
    LinkStatus,
    PersonKind,
    PersonRef,
    RecordLinks,
    decide,
    erp_changes,
    erp_people,
    matched,
    merge_guardian,
    owners,
    record_identifiers,
    summary,
    through_owners,
)

ANA = PersonRef(PersonKind.STUDENTS, "ALU001")
BIA = PersonRef(PersonKind.STUDENTS, "ALU002")
MAE = PersonRef(PersonKind.GUARDIANS, "mae@familia.com.br")
CPF = "52998224725"  # valid check digits
FULL_WIDTH = "".join(chr(0xFF10 + int(d)) for d in CPF)  # the same CPF in full-width digits


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana.Souza@Escola.COM.br ", "ana.souza@escola.com.br"),
        ("ana@escola", None),
        ("ana souza@escola.com", None),
        ("", None),
        (None, None),
        (42, None),
    ],
)
def test_an_email_is_trimmed_and_lower_cased_or_is_none(raw: object, expected: str | None) -> None:
    assert identities.email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("529.982.247-25", CPF),
        (" 529 982 247 25 ", CPF),
        (CPF, CPF),
        (52998224725, CPF),
        ("529.982.247-26", None),  # wrong check digit
        ("111.111.111-11", None),  # check digits hold, but no CPF is one digit repeated
        ("12.345.678/0001-95", None),  # a CNPJ: a company
        (FULL_WIDTH, None),
        (None, None),
    ],
)
def test_a_cpf_is_eleven_digits_with_valid_check_digits(raw: object, expected: str | None) -> None:
    assert identities.cpf(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("+55 11 98765-4321", "+5511987654321"),
        ("+1 650-253-0000", "+16502530000"),
        ("(11) 3456-7890", "+551134567890"),  # a landline
        ("12345", None),
        ("not a phone", None),
        ("", None),
    ],
)
def test_a_phone_is_e164_brazilian_unless_it_says_otherwise(raw: str, expected: str | None) -> None:
    assert identities.phone(raw) == expected


def test_each_platform_is_read_where_it_keeps_a_persons_identifiers() -> None:
    email, phone = Identifier(By.EMAIL, "ana@escola.com.br"), Identifier(By.PHONE, "+5511987654321")
    cpf = Identifier(By.CPF, CPF)
    cases = {
        ("hubspot", "contacts"): {
            "properties": {"email": "ANA@escola.com.br", "phone": "", "mobilephone": "11987654321"}
        },
        ("rdstation", "contacts"): {
            "emails": [{"email": "ana@escola.com.br"}, {"email": "nope"}],
            "phones": [{"phone": "(11) 98765-4321"}],
        },
        ("zendesk", "users"): {"email": "ana@escola.com.br", "phone": "+55 11 98765-4321"},
        ("chatwoot", "contacts"): {
            "email": "ana@escola.com.br", "phone_number": "+5511987654321", "identifier": CPF,
        },
        ("movidesk", "tickets"): {
            "clients": [{"email": "ana@escola.com.br", "cpfCnpj": "529.982.247-25"}]
        },
    }  # fmt: skip
    found = {key: record_identifiers(*key, data) for key, data in cases.items()}

    assert found == {
        ("hubspot", "contacts"): {email, phone},
        ("rdstation", "contacts"): {email, phone},
        ("zendesk", "users"): {email, phone},
        ("chatwoot", "contacts"): {email, phone, cpf},
        ("movidesk", "tickets"): {email, cpf},
    }


def test_a_chatwoot_identifier_that_is_no_cpf_identifies_nobody() -> None:
    assert record_identifiers("chatwoot", "contacts", {"identifier": "crm-4411"}) == frozenset()


def test_a_cpf_kept_in_a_custom_property_is_read_when_the_connection_names_it() -> None:
    options = IdentityOptions(cpf="cpf_aluno")
    hubspot = {"properties": {"cpf_aluno": "529.982.247-25"}}
    zendesk = {"user_fields": {"cpf_aluno": CPF}}

    assert record_identifiers("hubspot", "contacts", hubspot, options) == {Identifier(By.CPF, CPF)}
    assert record_identifiers("zendesk", "users", zendesk, options) == {Identifier(By.CPF, CPF)}
    assert record_identifiers("hubspot", "contacts", hubspot) == frozenset()  # not named


def test_streams_about_no_person_carry_no_identifiers() -> None:
    assert record_identifiers("hubspot", "companies", {"properties": {"email": "a@b.co"}}) == set()


def test_records_that_belong_to_a_contact_name_it() -> None:
    assert owners("zendesk", "tickets", {"requester_id": 20978392}) == (("users", "20978392"),)
    assert owners("chatwoot", "conversations", {"meta": {"sender": {"id": 7}}}) == (
        ("contacts", "7"),
    )
    deal = {"associations": {"contacts": {"results": [{"id": "1"}, {"id": "2"}, {"id": "1"}]}}}
    assert owners("hubspot", "deals", deal) == (("contacts", "1"), ("contacts", "2"))
    assert owners("rdstation", "leads", {"contact_ids": ["a1"]}) == (("contacts", "a1"),)
    assert owners("zendesk", "tickets", {"requester_id": None}) == ()
    assert owners("hubspot", "contacts", {"id": "1"}) == ()


def _email(value: str) -> Identifier:
    return Identifier(By.EMAIL, value)


def test_identifiers_that_name_one_person_link_the_record_to_them_with_what_matched() -> None:
    match = decide({_email("ana@x.br"): [ANA], Identifier(By.CPF, CPF): [ANA]})

    assert match is not None
    assert match.status is LinkStatus.LINKED
    assert match.people == {ANA: {By.EMAIL, By.CPF}}
    assert match.linked == (ANA,)


def test_identifiers_that_name_different_people_are_a_conflict_linking_nobody() -> None:
    match = decide({_email("ana@x.br"): [ANA], Identifier(By.CPF, CPF): [BIA]})

    assert match is not None
    assert match.status is LinkStatus.CONFLICT
    assert match.people == {ANA: {By.EMAIL}, BIA: {By.CPF}}
    assert match.linked == ()


def test_identifiers_that_name_nobody_make_no_link() -> None:
    assert decide({_email("ninguem@x.br"): []}) is None


def test_a_decision_stands_while_the_identifiers_name_the_same_people() -> None:
    named = {_email("mae@familia.com.br"): [MAE, ANA]}
    among = frozenset({MAE, ANA})

    confirmed = decide(named, Decision(among, MAE))
    rejected = decide(named, Decision(among, None))
    reopened = decide({**named, Identifier(By.CPF, CPF): [BIA]}, Decision(among, MAE))

    assert confirmed is not None
    assert (confirmed.status, confirmed.linked) == (LinkStatus.CONFIRMED, (MAE,))
    assert rejected is not None
    assert (rejected.status, rejected.linked) == (LinkStatus.REJECTED, ())
    assert reopened is not None
    assert reopened.status is LinkStatus.CONFLICT  # new evidence reopens it


EMAIL = Identifier(By.EMAIL, "ana@escola.br")
PHONE = Identifier(By.PHONE, "+5511987654321")
CPF_ID = Identifier(By.CPF, CPF)


def test_an_identifier_is_written_and_read_back_as_one_text() -> None:
    assert EMAIL.text == "email#ana@escola.br"
    assert Identifier.parse(EMAIL.text) == EMAIL
    assert Identifier.parse("fax#123") is None
    assert Identifier.parse("email#") is None


def test_a_record_is_found_by_its_first_email_else_its_cpf_else_its_phone() -> None:
    named = {EMAIL: {ANA: "Ana"}}
    assert matched(named, {PHONE, CPF_ID, EMAIL}, None).who == "email#ana@escola.br"
    assert matched(named, {PHONE, CPF_ID}, None).who == f"cpf#{CPF}"
    assert matched(named, {PHONE}, None).who == "phone#+5511987654321"
    assert matched(named, set(), None) == RecordLinks()


def test_matching_names_the_people_with_what_matched_and_a_decision_stands() -> None:
    named = {EMAIL: {ANA: "Ana"}, CPF_ID: {BIA: "Bia"}}
    one = matched(named, {EMAIL, PHONE}, None)
    assert (one.status, one.people) == (LinkStatus.LINKED, (Linked(ANA, "Ana"),))
    assert one.people[0].by == {By.EMAIL}
    conflict = matched(named, {EMAIL, CPF_ID}, None)
    assert conflict.status is LinkStatus.CONFLICT
    assert conflict.linked == ()
    decision = Decision(frozenset({ANA, BIA}), BIA)
    kept = matched(named, {EMAIL, CPF_ID}, decision)
    assert (kept.status, [p.person for p in kept.linked], kept.decision) == (
        LinkStatus.CONFIRMED,
        [BIA],
        decision,
    )
    assert matched(named, {EMAIL}, decision).status is LinkStatus.LINKED  # new evidence


def test_a_record_that_belongs_to_contacts_takes_their_linked_people() -> None:
    ana = RecordLinks(LinkStatus.LINKED, (Linked(ANA, "Ana", frozenset({By.EMAIL})),))
    bia = RecordLinks(LinkStatus.CONFIRMED, (Linked(BIA, "Bia", frozenset({By.CPF})),))
    open_conflict = RecordLinks(LinkStatus.CONFLICT, (Linked(ANA, "Ana"), Linked(BIA, "Bia")))
    deal = through_owners([ana, bia, open_conflict], "OWN#c#contacts#1")
    assert deal.status is LinkStatus.LINKED
    assert [(p.person, p.by) for p in deal.people] == [(ANA, {By.EMAIL}), (BIA, {By.CPF})]
    assert through_owners([open_conflict], "OWN#x") == RecordLinks(who="OWN#x")


STUDENT = {"name": "Ana", "email": "Ana@Escola.br", "cpf": CPF, "phone": "11 98765-4321",
           "guardians": [{"name": "Mãe", "email": "MAE@familia.com.br"}]}  # fmt: skip


def test_an_erp_student_names_themselves_and_their_guardians() -> None:
    found = erp_people("students", "ALU001", STUDENT)
    assert set(found) == {ANA, MAE}
    assert found[ANA].identifiers == {EMAIL, CPF_ID, PHONE}
    assert found[MAE].identifiers == {Identifier(By.EMAIL, "mae@familia.com.br")}
    assert erp_people("units", "U1", {"name": "x"}) == {}


def test_an_erp_change_names_only_the_people_it_changed_with_what_they_had() -> None:
    assert erp_changes("students", "ALU001", STUDENT, STUDENT) == {}
    moved = STUDENT | {"email": "ana@novo.br"}
    assert erp_changes("students", "ALU001", STUDENT, moved) == {ANA: {EMAIL, CPF_ID, PHONE}}
    created = erp_changes("students", "ALU001", None, STUDENT)
    assert created == {ANA: frozenset(), MAE: frozenset()}
    orphaned = erp_changes("students", "ALU001", STUDENT, STUDENT | {"guardians": []})
    assert orphaned == {MAE: {Identifier(By.EMAIL, "mae@familia.com.br")}}


def test_a_guardian_named_by_siblings_keeps_every_identifier_they_give() -> None:
    first = erp_people("students", "A", {"email": "a@x.com.br", "guardians": [
        {"name": "", "email": "mae@familia.com.br"}]})[MAE]  # fmt: skip
    second = erp_people("students", "B", {"email": "b@x.com.br", "guardians": [
        {"name": "Mãe", "email": "mae@familia.com.br", "cpf": CPF}]})[MAE]  # fmt: skip
    guardian = merge_guardian([first, second])
    assert guardian is not None
    assert (guardian.name, guardian.identifiers) == (
        "Mãe",
        {Identifier(By.EMAIL, "mae@familia.com.br"), CPF_ID},
    )
    assert merge_guardian([]) is None


def test_a_summary_is_a_records_title_and_its_vendors_status() -> None:
    deal = {"properties": {"dealname": "Matrícula 2026", "dealstage": "closedwon"}}
    assert summary("hubspot", "deals", deal) == {"title": "Matrícula 2026", "status": "closedwon"}
    contact = {"properties": {"firstname": "Ana", "lastname": "Lima"}}
    assert summary("hubspot", "contacts", contact) == {"title": "Ana Lima"}
    assert summary("zendesk", "tickets", {"subject": "x" * 300, "status": 7}) == {
        "title": "x" * 200,
        "status": "7",
    }
    assert summary("movidesk", "unknown", {}) == {"title": ""}


def test_an_identifier_many_people_share_identifies_nobody() -> None:
    crowd = {PersonRef(PersonKind.STUDENTS, f"S{n}"): f"Aluno {n}" for n in range(11)}
    assert matched({PHONE: crowd}, {PHONE}, None).status is None
    assert matched({PHONE: crowd, EMAIL: {ANA: "Ana"}}, {PHONE, EMAIL}, None).people == (
        Linked(ANA, "Ana"),
    )

"""Who a pulled record is about: the rules that link a vendor's contact, ticket, conversation or
deal to the institution's students, guardians and professors.

A record's identifiers are read per platform and stream (``record_identifiers``); a record that
belongs to a contact (a ticket's requester, a conversation's contact, a deal's contacts) is about
that contact's people (``owners``). ``decide`` turns the people each identifier names into a
link, or a conflict for a person to settle when identifiers name different people; a person's
decision stands for as long as the identifiers name the same people it was made about.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ponte.domain.identities import By, Identifier, collect
from ponte.domain.nested import dig


class PersonKind(StrEnum):
    STUDENTS = "students"
    PROFESSORS = "professors"
    GUARDIANS = "guardians"  # one person per email, however many students name them


@dataclass(frozen=True, order=True)
class PersonRef:
    kind: PersonKind
    id: str  # the ERP's code; a guardian's email


class LinkStatus(StrEnum):
    LINKED = "linked"  # the identifiers name one person
    CONFLICT = "conflict"  # they name several: a person decides
    CONFIRMED = "confirmed"  # a person chose one of them
    REJECTED = "rejected"  # a person said the record is about none of them


@dataclass(frozen=True)
class IdentityOptions:
    """A connection's own identity fields: where the institution keeps a CPF in a custom
    property of the vendor's records (``{"cpf": "cpf_aluno"}``)."""

    cpf: str | None = None


@dataclass(frozen=True)
class Decision:
    """A person's answer to a conflict: ``person`` chosen (None: rejected) among ``among``."""

    among: frozenset[PersonRef]
    person: PersonRef | None


@dataclass(frozen=True)
class Match:
    status: LinkStatus
    # Each person the record is linked to (or could be, in a conflict), with what matched.
    people: Mapping[PersonRef, frozenset[By]] = field(default_factory=dict)

    @property
    def linked(self) -> tuple[PersonRef, ...]:
        """The people the record counts as being about (none while in conflict or rejected)."""
        if self.status in (LinkStatus.LINKED, LinkStatus.CONFIRMED):
            return tuple(sorted(self.people))
        return ()


def decide(
    named: Mapping[Identifier, Iterable[PersonRef]], decision: Decision | None = None
) -> Match | None:
    """The link a record's identifiers make (None: they name nobody)."""
    people: dict[PersonRef, set[By]] = {}
    for identifier, refs in named.items():
        for ref in refs:
            people.setdefault(ref, set()).add(identifier.by)
    if not people:
        return None
    matched = {ref: frozenset(by) for ref, by in people.items()}
    if decision is not None and decision.among == frozenset(matched):
        if decision.person is None:
            return Match(LinkStatus.REJECTED, matched)
        return Match(LinkStatus.CONFIRMED, {decision.person: matched[decision.person]})
    if len(matched) == 1:
        return Match(LinkStatus.LINKED, matched)
    return Match(LinkStatus.CONFLICT, matched)


# -- what each platform's records say ------------------------------------------------------
def _each(items: Any, key: str) -> Iterator[object]:
    """``key`` of each object in a list (anything but a list of objects: nothing)."""
    if isinstance(items, list):
        for item in items:
            if isinstance(item, Mapping):
                yield item.get(key)


def _pairs(
    platform: str, stream: str, data: Mapping[str, Any], options: IdentityOptions
) -> Iterator[tuple[By, object]]:
    custom: Mapping[str, Any] = {}
    if platform == "hubspot" and stream == "contacts":
        props = dig(data, "properties") or {}
        yield By.EMAIL, props.get("email")
        yield By.PHONE, props.get("phone")
        yield By.PHONE, props.get("mobilephone")
        custom = props
    elif platform == "rdstation" and stream == "contacts":
        for value in _each(data.get("emails"), "email"):
            yield By.EMAIL, value
        for value in _each(data.get("phones"), "phone"):
            yield By.PHONE, value
        custom = dig(data, "custom_fields") or {}
    elif platform == "zendesk" and stream == "users":
        yield By.EMAIL, data.get("email")
        yield By.PHONE, data.get("phone")
        custom = dig(data, "user_fields") or {}
    elif platform == "chatwoot" and stream == "contacts":
        yield By.EMAIL, data.get("email")
        yield By.PHONE, data.get("phone_number")
        yield By.CPF, data.get("identifier")  # a CPF when it is a valid one
        custom = dig(data, "custom_attributes") or {}
    elif platform == "movidesk" and stream == "tickets":
        for client in data.get("clients") or []:
            if isinstance(client, Mapping):
                yield By.EMAIL, client.get("email")
                yield By.PHONE, client.get("phone")
                # Not in a ticket's client as Movidesk answers it (only its persons API has
                # it): read when present; a CNPJ (a company) is no CPF.
                yield By.CPF, client.get("cpfCnpj")
    if options.cpf and isinstance(custom, Mapping):
        yield By.CPF, custom.get(options.cpf)


def record_identifiers(
    platform: str, stream: str, data: Mapping[str, Any], options: IdentityOptions | None = None
) -> frozenset[Identifier]:
    """The identifiers a record carries itself (none for a stream that names no person)."""
    return collect(_pairs(platform, stream, data, options or IdentityOptions()))


# The streams whose records carry a person's identifiers, and those that belong to them.
IDENTIFIED: frozenset[tuple[str, str]] = frozenset({
    ("hubspot", "contacts"), ("rdstation", "contacts"), ("zendesk", "users"),
    ("chatwoot", "contacts"), ("movidesk", "tickets"),
})  # fmt: skip
OWNED: frozenset[tuple[str, str]] = frozenset({
    ("zendesk", "tickets"), ("chatwoot", "conversations"), ("hubspot", "deals"),
    ("rdstation", "leads"),
})  # fmt: skip


def owners(platform: str, stream: str, data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The contact records (stream, vendor id) a record belongs to: it is about their people."""
    found: list[object] = []
    contacts = "contacts"
    if platform == "zendesk" and stream == "tickets":
        found, contacts = [data.get("requester_id")], "users"
    elif platform == "chatwoot" and stream == "conversations":
        found = [dig(data, "meta", "sender", "id")]
    elif platform == "hubspot" and stream == "deals":
        found = [r.get("id") for r in dig(data, "associations", "contacts", "results") or []]
    elif platform == "rdstation" and stream == "leads":
        found = list(data.get("contact_ids") or [])
    return tuple(
        (contacts, str(v)) for v in dict.fromkeys(found) if isinstance(v, (str, int)) and str(v)
    )


# -- a record's links, as they are kept ----------------------------------------------------
@dataclass(frozen=True, order=True)
class Linked:
    """A person a record is about (or, in a conflict, may be), and what matched."""

    person: PersonRef
    name: str = field(compare=False, default="")
    by: frozenset[By] = field(compare=False, default=frozenset())


@dataclass(frozen=True)
class RecordLinks:
    """What a stored record says about people: its status, the people (the linked ones; in a
    conflict or a rejection, the candidates), a person's standing decision, and ``who``: the
    key the record is found by when a person's identifiers change (its first email, else CPF,
    else phone; for a record that belongs to a contact, that contact)."""

    status: LinkStatus | None = None
    people: tuple[Linked, ...] = ()
    decision: Decision | None = None
    who: str = ""

    @property
    def linked(self) -> tuple[Linked, ...]:
        if self.status in (LinkStatus.LINKED, LinkStatus.CONFIRMED):
            return self.people
        return ()


NO_LINKS = RecordLinks()
# An identifier that names more people than this is shared (a school's switchboard, a
# placeholder address) and identifies nobody; a record is about this many people at most.
MAX_NAMED = 10


def person_key(ref: PersonRef) -> str:
    """``students#A1``: how a person is named inside an identity and a decision."""
    return f"{ref.kind.value}#{ref.id}"


def parse_person(raw: object) -> PersonRef | None:
    if not isinstance(raw, str) or "#" not in raw:
        return None
    kind, _, ident = raw.partition("#")
    try:
        return PersonRef(PersonKind(kind), ident)
    except ValueError:
        return None


def who(identifiers: Iterable[Identifier]) -> str:
    """The one identifier a record is indexed by: the first email, else CPF, else phone."""
    order = {By.EMAIL: 0, By.CPF: 1, By.PHONE: 2}
    ranked = sorted(identifiers, key=lambda i: (order[i.by], i.value))
    return ranked[0].text if ranked else ""


def matched(
    named: Mapping[Identifier, Mapping[PersonRef, str]],
    identifiers: Iterable[Identifier],
    decision: Decision | None,
) -> RecordLinks:
    """A record's links from the people each of its identifiers names (``named``: the identity
    index's answer) and a standing decision."""
    mine = frozenset(identifiers)
    names: dict[PersonRef, str] = {}
    refs: dict[Identifier, list[PersonRef]] = {}
    for identifier in mine:
        naming = named.get(identifier, {})
        if len(naming) > MAX_NAMED:
            continue
        for ref, name in naming.items():
            names[ref] = name
            refs.setdefault(identifier, []).append(ref)
    match = decide(refs, decision)
    key = who(mine)
    if match is None:
        return RecordLinks(who=key)
    people = tuple(sorted(Linked(r, names[r], by) for r, by in match.people.items()))
    kept = decision if match.status in (LinkStatus.CONFIRMED, LinkStatus.REJECTED) else None
    return RecordLinks(match.status, people, kept, key)


def through_owners(owner_links: Iterable[RecordLinks], owner_key: str) -> RecordLinks:
    """A record that belongs to contacts (a ticket, a conversation, a deal) is about the people
    those contacts are linked to, with what matched them."""
    people: dict[PersonRef, Linked] = {}
    for links in owner_links:
        for one in links.linked:
            seen = people.get(one.person)
            by = one.by | (seen.by if seen else frozenset())
            people[one.person] = Linked(one.person, one.name, by)
    if not people:
        return RecordLinks(who=owner_key)
    return RecordLinks(
        LinkStatus.LINKED, tuple(sorted(people.values()))[:MAX_NAMED], None, owner_key
    )


# -- what a person sees of a record ---------------------------------------------------------
_TITLES: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("hubspot", "contacts"): (("properties", "firstname"), ("properties", "lastname")),
    ("hubspot", "deals"): (("properties", "dealname"),),
    ("hubspot", "companies"): (("properties", "name"),),
    ("rdstation", "contacts"): (("name",),),
    ("rdstation", "leads"): (("name",),),
    ("zendesk", "users"): (("name",),),
    ("zendesk", "tickets"): (("subject",),),
    ("chatwoot", "contacts"): (("name",),),
    ("chatwoot", "conversations"): (("meta", "sender", "name"),),
    ("movidesk", "tickets"): (("subject",),),
}
_STATUSES: dict[tuple[str, str], tuple[str, ...]] = {
    ("hubspot", "deals"): ("properties", "dealstage"),
    ("rdstation", "leads"): ("status",),
    ("zendesk", "tickets"): ("status",),
    ("chatwoot", "conversations"): ("status",),
    ("movidesk", "tickets"): ("status",),
}


def summary(platform: str, stream: str, data: Mapping[str, Any]) -> dict[str, str]:
    """A record's title and the vendor's own status, as a timeline shows them."""
    parts = [dig(data, *path) for path in _TITLES.get((platform, stream), ())]
    title = " ".join(str(p).strip() for p in parts if isinstance(p, (str, int)) and str(p).strip())
    status = dig(data, *_STATUSES[(platform, stream)]) if (platform, stream) in _STATUSES else None
    found = {"title": title[:200]}
    if isinstance(status, (str, int)) and str(status):
        found["status"] = str(status)[:60]
    return found


# -- the ERP's people ------------------------------------------------------------------------
@dataclass(frozen=True)
class Person:
    ref: PersonRef
    name: str
    identifiers: frozenset[Identifier]


def erp_people(entity: str, code: str, data: Mapping[str, Any] | None) -> dict[PersonRef, Person]:
    """The people an ERP record names: the student or professor, and a student's guardians
    (each identified by email)."""
    if not data or entity not in (PersonKind.STUDENTS.value, PersonKind.PROFESSORS.value):
        return {}
    me = PersonRef(PersonKind(entity), code)
    own = collect([(By.EMAIL, data.get("email")), (By.CPF, data.get("cpf")),
                   (By.PHONE, data.get("phone"))])  # fmt: skip
    found = {me: Person(me, str(data.get("name") or ""), own)}
    for guardian in data.get("guardians") or []:
        if not isinstance(guardian, Mapping):
            continue
        ids = collect([(By.EMAIL, guardian.get("email")), (By.CPF, guardian.get("cpf"))])
        address = next((i.value for i in ids if i.by is By.EMAIL), None)
        if address:
            ref = PersonRef(PersonKind.GUARDIANS, address)
            found[ref] = Person(ref, str(guardian.get("name") or ""), ids)
    return found


def erp_changes(
    entity: str, code: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[PersonRef, frozenset[Identifier]]:
    """The people an ERP write may have changed in the identity index, each with the
    identifiers they were known by (a removed one must be taken out)."""
    old, new = erp_people(entity, code, before), erp_people(entity, code, after)
    return {
        ref: old[ref].identifiers if ref in old else frozenset()
        for ref in old.keys() | new.keys()
        if old.get(ref) != new.get(ref)
    }


def merge_guardian(entries: Iterable[Person]) -> Person | None:
    """A guardian as every student naming them describes them: the first name given, every
    identifier given (siblings' records may differ)."""
    people = list(entries)
    if not people:
        return None
    name = next((p.name for p in people if p.name), "")
    return Person(people[0].ref, name, frozenset().union(*(p.identifiers for p in people)))

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


def _get(data: Mapping[str, Any], *path: str) -> Any:
    current: Any = data
    for step in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(step)
    return current


def _pairs(
    platform: str, stream: str, data: Mapping[str, Any], options: IdentityOptions
) -> Iterator[tuple[By, object]]:
    custom: Mapping[str, Any] = {}
    if platform == "hubspot" and stream == "contacts":
        props = _get(data, "properties") or {}
        yield By.EMAIL, props.get("email")
        yield By.PHONE, props.get("phone")
        yield By.PHONE, props.get("mobilephone")
        custom = props
    elif platform == "rdstation" and stream == "contacts":
        for value in _each(data.get("emails"), "email"):
            yield By.EMAIL, value
        for value in _each(data.get("phones"), "phone"):
            yield By.PHONE, value
        custom = _get(data, "custom_fields") or {}
    elif platform == "zendesk" and stream == "users":
        yield By.EMAIL, data.get("email")
        yield By.PHONE, data.get("phone")
        custom = _get(data, "user_fields") or {}
    elif platform == "chatwoot" and stream == "contacts":
        yield By.EMAIL, data.get("email")
        yield By.PHONE, data.get("phone_number")
        yield By.CPF, data.get("identifier")  # a CPF when it is a valid one
        custom = _get(data, "custom_attributes") or {}
    elif platform == "movidesk" and stream == "tickets":
        for client in data.get("clients") or []:
            if isinstance(client, Mapping):
                yield By.EMAIL, client.get("email")
                yield By.CPF, client.get("cpfCnpj")  # a CNPJ (a company) is no CPF
    if options.cpf and isinstance(custom, Mapping):
        yield By.CPF, custom.get(options.cpf)


def record_identifiers(
    platform: str, stream: str, data: Mapping[str, Any], options: IdentityOptions | None = None
) -> frozenset[Identifier]:
    """The identifiers a record carries itself (none for a stream that names no person)."""
    return collect(_pairs(platform, stream, data, options or IdentityOptions()))


def owners(platform: str, stream: str, data: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The contact records (stream, vendor id) a record belongs to: it is about their people."""
    found: list[object] = []
    contacts = "contacts"
    if platform == "zendesk" and stream == "tickets":
        found, contacts = [data.get("requester_id")], "users"
    elif platform == "chatwoot" and stream == "conversations":
        found = [_get(data, "meta", "sender", "id")]
    elif platform == "hubspot" and stream == "deals":
        found = [r.get("id") for r in _get(data, "associations", "contacts", "results") or []]
    elif platform == "rdstation" and stream == "deals":
        found = list(data.get("contact_ids") or [])
    return tuple(
        (contacts, str(v)) for v in dict.fromkeys(found) if isinstance(v, (str, int)) and str(v)
    )

"""What the people API shows: search, a person's card and timeline, the links a person must
settle, and their decisions. An admin sees every person; a coordinator, the people of the
units the hierarchy lets them see (``services/hierarchy/visibility.py``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ponte import errors
from ponte.clock import get_clock
from ponte.domain import people as rules
from ponte.domain.academic import Entity, search_text
from ponte.domain.connectors import Connection
from ponte.domain.identities import By, cpf, email
from ponte.domain.people import (
    Decision,
    Linked,
    LinkStatus,
    PersonKind,
    PersonRef,
    RecordLinks,
)
from ponte.repository import academic, cursors, keys, pulled_records
from ponte.repository import connections as connection_store
from ponte.repository import people as store
from ponte.services import movidesk
from ponte.services.hierarchy.visibility import Visibility
from ponte.services.people.relinking import Relinker, record_data

SEARCH_LIMIT = 20
# A coordinator's name search reads on through pages of 50 people per kind, at most this many,
# until it finds SEARCH_LIMIT of their units (each read person's units are looked up).
SEARCH_PAGES = 4


def person_not_found() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.NOT_FOUND, "PERSON_NOT_FOUND", "Pessoa não encontrada", "Person not found"
    )


def link_not_found() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.NOT_FOUND, "LINK_NOT_FOUND", "Vínculo não encontrado", "Link not found"
    )


@dataclass(frozen=True, slots=True)
class Card:
    """A person as the ERP has them, with the people and places around them."""

    ref: PersonRef
    name: str
    email: str | None = None
    cpf: str | None = None
    phone: str | None = None
    students: tuple[tuple[str, str], ...] = ()  # a guardian's: (code, name)
    guardians: tuple[tuple[str, str], ...] = ()  # a student's: (email, name)
    units: tuple[str, ...] = ()
    turmas: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Found:
    card: Card
    links: int


@dataclass(frozen=True, slots=True)
class Link:
    """A record's link as a person settles it: its id, the record, its candidates."""

    id: str
    entry: store.Entry


@dataclass(slots=True)
class PeopleService:
    tenant: str
    visibility: Visibility
    sealer: Callable[[], cursors.Sealer]
    caller: str = ""  # a timeline's cursors are the caller's own: they stand for the access
    _cards: dict[PersonRef, Card | None] = field(default_factory=dict)

    # -- people ---------------------------------------------------------------------------
    def search(self, query: str) -> list[Found]:
        """People whose email or CPF is ``query``, or whose name holds it (for a coordinator,
        read on until enough of their units' people are found, or SEARCH_PAGES pages)."""
        as_email, as_cpf = email(query), cpf(query)
        if as_email or as_cpf:
            refs = self._by_identifier("email", as_email) if as_email else (
                self._by_identifier("cpf", str(as_cpf)))  # fmt: skip
            visible = [c for r in refs if self._sees(c := self._card(r)) and c is not None]
        else:
            visible = self._by_name(search_text(query).strip())
        return [Found(c, self.links_of(c.ref)) for c in visible[:SEARCH_LIMIT]]

    def _by_identifier(self, field_name: str, value: str) -> list[PersonRef]:
        """The people the ERP itself knows by an email or CPF (its uniqueness claims, and the
        students naming a guardian): exact whether or not the tenant pulls anything."""
        kinds = (Entity.STUDENTS, Entity.PROFESSORS)
        owners = academic.get_claims(self.tenant, [(e, field_name, value) for e in kinds])
        refs = [PersonRef(PersonKind(e.value), code) for (e, _, _), code in sorted(owners.items())]
        if field_name == "email" and academic.guardian_students(self.tenant, value):
            refs.append(PersonRef(PersonKind.GUARDIANS, value))
        return refs

    def _by_name(self, text: str) -> list[Card]:
        found: list[Card] = []
        for entity in (Entity.STUDENTS, Entity.PROFESSORS):
            cursor = ""
            size = SEARCH_LIMIT if self.visibility.everything else 50
            for _ in range(SEARCH_PAGES):
                records, cursor = academic.list_records(
                    self.tenant, entity, academic.Listing(search=text), limit=size,
                    sealer=self.sealer(), cursor=cursor,
                )  # fmt: skip
                for record in records:
                    card = self._card(PersonRef(PersonKind(entity.value), record.code))
                    if card is not None and self._sees(card):
                        found.append(card)
                    if len(found) >= SEARCH_LIMIT:
                        return found
                if not cursor:
                    break
        return found

    def person(self, kind: str, ident: str) -> Card:
        ref = self.ref(kind, ident)
        card = self._card(ref)
        if card is None or not self._sees(card):
            raise person_not_found()  # a coordinator learns nothing of other units' people
        return card

    @staticmethod
    def ref(kind: str, ident: str) -> PersonRef:
        try:
            guardian = kind == PersonKind.GUARDIANS.value
            return PersonRef(PersonKind(kind), ident.strip().lower() if guardian else ident)
        except ValueError as exc:
            raise person_not_found() from exc

    def timeline(self, ref: PersonRef, *, limit: int, cursor: str) -> tuple[list[store.Entry], str]:
        """A page of a person's records, newest first. Without ``cursor`` the caller must
        see the person; a cursor was issued to this caller for this person (sealed), so a
        next page costs one Query."""
        if not cursor and not self.visibility.everything:
            card = self._card(ref)
            if card is None or not self._sees(card):
                raise person_not_found()
        partition = keys.person_timeline(self.tenant, rules.person_key(ref))
        return self._page(partition, limit, cursor, bound=self.caller)

    def _page(
        self, partition: str, limit: int, cursor: str, bound: str = ""
    ) -> tuple[list[store.Entry], str]:
        try:
            return store.timeline(self.tenant, partition, limit=limit, sealer=self.sealer(),
                                  cursor=cursor, caller=bound)  # fmt: skip
        except cursors.InvalidCursor as exc:
            raise errors.invalid_fields({"cursor": ["Invalid cursor"]}) from exc

    def links_of(self, ref: PersonRef) -> int:
        """How many records are linked to a person."""
        return store.count(self.tenant, keys.person_timeline(self.tenant, rules.person_key(ref)))

    def _sees(self, card: Card | None) -> bool:
        if self.visibility.everything:
            return True
        return card is not None and bool(set(card.units) & self.visibility.units)

    def _sees_ref(self, ref: PersonRef) -> bool:
        """Whether the caller sees a person (an admin without reading them)."""
        return self.visibility.everything or self._sees(self._card(ref))

    def _card(self, ref: PersonRef) -> Card | None:
        if ref not in self._cards:
            self._cards[ref] = _card(self.tenant, ref)
        return self._cards[ref]

    # -- links a person settles -----------------------------------------------------------
    def links(self, status: str, *, limit: int, cursor: str) -> tuple[list[Link], str]:
        if status not in (LinkStatus.CONFLICT.value, LinkStatus.REJECTED.value):
            raise errors.invalid_fields({"status": ["Must be one of: conflict, rejected"]})
        entries, next_cursor = self._page(keys.links_in(self.tenant, status), limit, cursor)
        shown = []
        for entry in entries:  # a coordinator sees the candidates of their units only
            people = tuple(p for p in entry.links.people if self._sees_ref(p.person))
            if people:
                visible = replace(entry, links=replace(entry.links, people=people))
                shown.append(Link(link_id(entry), visible))
        return shown, next_cursor

    def decide(self, raw_id: str, person: PersonRef | None) -> Link:
        """Confirm ``person`` as who a record is about, or reject every candidate (None). Only
        a record that carries identifiers is decided (a ticket follows its contact); a
        coordinator confirms a person they see, and rejects only candidates they all see."""
        ref = _parse_link_id(raw_id)
        connection_id, stream, vendor_id = ref
        connection = connection_store.get(self.tenant, connection_id)
        if connection is None or (connection.platform.value, stream) not in rules.IDENTIFIED:
            raise link_not_found()
        found = pulled_records.stored_records(self.tenant, connection_id, stream, [vendor_id])
        record = found.get(vendor_id)
        if record is None or not record.links.people:
            raise link_not_found()
        before = record.links
        made = store.decisions(self.tenant, connection_id, stream, [vendor_id]).get(vendor_id)
        candidates = {p.person: p for p in _candidates(before, made)}
        seen = {p for p in candidates if self._sees_ref(p)}
        if not seen:
            raise link_not_found()
        if person is not None and person not in seen:
            raise errors.invalid_fields({"id": ["Não é um dos candidatos deste vínculo"]})
        if person is None and seen != set(candidates):
            raise errors.forbidden()
        decision = Decision(frozenset(candidates), person)
        store.put_decision(self.tenant, ref, store.Settled(decision, tuple(candidates.values())))
        after = (
            RecordLinks(LinkStatus.CONFIRMED, (candidates[person],), decision, before.who)
            if person is not None
            else RecordLinks(
                LinkStatus.REJECTED, tuple(sorted(candidates.values())), decision, before.who
            )
        )
        summary = rules.summary(connection.platform.value, stream, record_data(record))
        if not store.set_links(self.tenant, ref, record.updated_at, before=before, after=after,
                               summary=summary):  # fmt: skip
            raise link_not_found()
        Relinker(self.tenant).owned(connection_id, stream, [vendor_id])  # its tickets follow
        return Link(raw_id, store.Entry(*ref, record.updated_at, after, summary))


def _candidates(links: RecordLinks, made: store.Settled | None) -> tuple[Linked, ...]:
    """Who a decision is among: the people the identifiers named when it was made (kept,
    named, with the decision), else those the record names now."""
    if made is not None and links.status in (LinkStatus.CONFIRMED, LinkStatus.REJECTED):
        return made.candidates
    return links.people


def link_id(entry: store.Entry) -> str:
    raw = keys.record_ref(entry.connection_id, entry.stream, entry.vendor_id).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_link_id(raw: str) -> tuple[str, str, str]:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise link_not_found() from exc
    parts = text.split("#", 2)
    if len(parts) != 3 or not all(parts):
        raise link_not_found()
    return parts[0], parts[1], parts[2]


# -- what answers show of connections -----------------------------------------------------
@dataclass(frozen=True, slots=True)
class Connections:
    """A tenant's connections by id, and the Movidesk account's subdomain (its web links)."""

    by_id: dict[str, Connection]
    movidesk_subdomain: str | None


CONNECTIONS_SECONDS = 60
_KNOWN: dict[str, tuple[float, Connections]] = {}


def known_connections(tenant_id: str, needed: Iterable[str] = ()) -> Connections:
    """Read once a minute per container (a renamed connection shows its new name within the
    minute), and at once when an answer names a connection not read yet."""
    now = get_clock().now().timestamp()
    kept = _KNOWN.get(tenant_id)
    if kept is None or kept[0] <= now or any(c not in kept[1].by_id for c in needed):
        found = {c.id: c for c in connection_store.listing(tenant_id)}
        kept = (now + CONNECTIONS_SECONDS, Connections(found, movidesk.subdomain(tenant_id)))
        _KNOWN[tenant_id] = kept
    return kept[1]


# -- cards ----------------------------------------------------------------------------------
def _card(tenant_id: str, ref: PersonRef) -> Card | None:
    if ref.kind is PersonKind.GUARDIANS:
        return _guardian(tenant_id, ref)
    entity = Entity(ref.kind.value)
    record = academic.get_records(tenant_id, [(entity, ref.id)]).get((entity, ref.id))
    if record is None:
        return None
    data = record.data
    turmas = _turmas(tenant_id, ref)
    home = _home_unit(tenant_id, entity, data)
    guardians = tuple(
        (str(g.get("email", "")).lower(), str(g.get("name", "")))
        for g in data.get("guardians") or []
        if isinstance(g, dict)
    )
    return Card(
        ref, str(data.get("name", "")), data.get("email"), data.get("cpf"), data.get("phone"),
        guardians=guardians, units=_units(tenant_id, turmas, home), turmas=tuple(sorted(turmas)),
    )  # fmt: skip


def _guardian(tenant_id: str, ref: PersonRef) -> Card | None:
    codes = academic.guardian_students(tenant_id, ref.id)
    students = academic.get_records(tenant_id, {(Entity.STUDENTS, c) for c in codes})
    entries = [
        p
        for (_, code), r in sorted(students.items())
        if (p := rules.erp_people("students", code, r.data).get(ref)) is not None
    ]
    guardian = rules.merge_guardian(entries)
    if guardian is None:
        return None
    turmas: set[str] = set()
    homes: set[str] = set()
    for (_, code), record in students.items():
        turmas |= _turmas(tenant_id, PersonRef(PersonKind.STUDENTS, code))
        homes |= _home_unit(tenant_id, Entity.STUDENTS, record.data)
    ids = {i.by: i.value for i in sorted(guardian.identifiers)}
    named = tuple((code, str(r.data.get("name", ""))) for (_, code), r in sorted(students.items()))
    return Card(
        ref, guardian.name, ids.get(By.EMAIL), ids.get(By.CPF), students=named,
        units=_units(tenant_id, turmas, homes), turmas=tuple(sorted(turmas)),
    )  # fmt: skip


def _turmas(tenant_id: str, ref: PersonRef) -> set[str]:
    if ref.kind is PersonKind.PROFESSORS:
        taught = {
            str(x["enrollment_code"]) for x in academic.professor_enrollments(tenant_id, ref.id)
        }
        return taught | {t for t, _ in academic.member_turmas(tenant_id, ref.id)}
    return set(academic.student_turmas(tenant_id, ref.id)) | {
        t for t, _ in academic.member_turmas(tenant_id, ref.id)
    }


def _home_unit(tenant_id: str, entity: Entity, data: dict[str, Any]) -> set[str]:
    """The unit of a student's course, or of a professor's area."""
    parent = (Entity.COURSES, data.get("course_code")) if entity is Entity.STUDENTS else (
        Entity.AREAS, data.get("area_code"))  # fmt: skip
    if not parent[1]:
        return set()
    key = (parent[0], str(parent[1]))
    record = academic.get_records(tenant_id, [key]).get(key)
    unit = record.data.get("unit_code") if record else None
    return {str(unit)} if unit else set()


def _units(tenant_id: str, turmas: Iterable[str], homes: Iterable[str]) -> tuple[str, ...]:
    keys_ = {(Entity.ENROLLMENTS, t) for t in turmas}
    placed = academic.get_records(tenant_id, keys_) if keys_ else {}
    return tuple(sorted({r.parent for r in placed.values() if r.parent} | set(homes)))

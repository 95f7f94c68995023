"""What the people API shows: search, a person's card and timeline, the links a person must
settle, and their decisions. An admin sees every person; a coordinator, the people of the
units the hierarchy lets them see (``services/hierarchy/visibility.py``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ponte import errors
from ponte.domain import people as rules
from ponte.domain.academic import Entity, search_text
from ponte.domain.identities import By, Identifier, cpf, email
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
from ponte.services.hierarchy.visibility import Visibility
from ponte.services.people.relinking import Relinker

SEARCH_LIMIT = 20


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
        """People whose email or CPF is ``query``, or whose name holds it."""
        refs: list[PersonRef] = []
        as_email, as_cpf = email(query), cpf(query)
        if as_email or as_cpf:
            identifier = (
                Identifier(By.EMAIL, as_email) if as_email else Identifier(By.CPF, str(as_cpf))
            )
            named = store.lookup(self.tenant, [identifier])
            refs = sorted(named.get(identifier, {}))
        else:
            text = search_text("", query).strip()
            for entity in (Entity.STUDENTS, Entity.PROFESSORS):
                found, _ = academic.list_records(
                    self.tenant, entity, academic.Listing(search=text), limit=SEARCH_LIMIT,
                    sealer=self.sealer(),
                )  # fmt: skip
                refs += [PersonRef(PersonKind(entity.value), r.code) for r in found]
        visible = [c for r in refs if (c := self._card(r)) is not None and self._sees(c)]
        return [Found(c, self.links_of(c.ref)) for c in visible[:SEARCH_LIMIT]]

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

    def _sees(self, card: Card) -> bool:
        return self.visibility.everything or bool(set(card.units) & self.visibility.units)

    def _card(self, ref: PersonRef) -> Card | None:
        if ref not in self._cards:
            self._cards[ref] = _card(self.tenant, ref)
        return self._cards[ref]

    # -- links a person settles -----------------------------------------------------------
    def links(self, status: str, *, limit: int, cursor: str) -> tuple[list[Link], str]:
        if status not in (LinkStatus.CONFLICT.value, LinkStatus.REJECTED.value):
            raise errors.invalid_fields({"status": ["Must be one of: conflict, rejected"]})
        entries, next_cursor = self._page(keys.links_in(self.tenant, status), limit, cursor)
        shown = [Link(link_id(e), e) for e in entries if self._sees_any(e.links.people)]
        return shown, next_cursor

    def _sees_any(self, people: Iterable[Linked]) -> bool:
        return self.visibility.everything or any(
            (c := self._card(p.person)) is not None and self._sees(c) for p in people
        )

    def decide(self, raw_id: str, person: PersonRef | None) -> Link:
        """Confirm ``person`` as who a record is about, or reject every candidate (None)."""
        ref = _parse_link_id(raw_id)
        connection_id, stream, vendor_id = ref
        record = pulled_records.stored_records(self.tenant, connection_id, stream, [vendor_id])
        found = record.get(vendor_id)
        if found is None or not found.links.people or not self._sees_any(found.links.people):
            raise link_not_found()
        before = found.links
        candidates = {p.person: p for p in _candidates(before)}
        if person is not None and person not in candidates:
            raise errors.invalid_fields({"id": ["Não é um dos candidatos deste vínculo"]})
        decision = Decision(frozenset(candidates), person)
        after = (
            RecordLinks(LinkStatus.CONFIRMED, (candidates[person],), decision, before.who)
            if person is not None
            else RecordLinks(
                LinkStatus.REJECTED, tuple(sorted(candidates.values())), decision, before.who
            )
        )
        summary = _summary(self.tenant, ref, found.data)
        if not store.set_links(self.tenant, ref, found.updated_at, before=before, after=after,
                               summary=summary):  # fmt: skip
            raise link_not_found()
        Relinker(self.tenant).owned(connection_id, stream, [vendor_id])  # its tickets follow
        return Link(raw_id, store.Entry(*ref, found.updated_at, after, summary))


def _candidates(links: RecordLinks) -> tuple[Linked, ...]:
    """Who a decision is among: the people the identifiers named when it was made (a
    confirmed link keeps them in its decision)."""
    if links.decision is not None and links.status is LinkStatus.CONFIRMED:
        chosen = {p.person: p for p in links.people}
        return tuple(chosen.get(r, Linked(r)) for r in sorted(links.decision.among))
    return links.people


def _summary(tenant_id: str, ref: tuple[str, str, str], data: dict[str, Any]) -> dict[str, str]:
    connection = connection_store.get(tenant_id, ref[0])
    platform = connection.platform.value if connection else ""
    return rules.summary(platform, ref[1], data)


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

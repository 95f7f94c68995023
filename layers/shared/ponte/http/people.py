"""The people API's presenters: cards, timelines and links as ``responses/people.py`` models.
A CPF is masked for everyone but an admin."""

from __future__ import annotations

from collections.abc import Iterable

from ponte.connectors import registry
from ponte.domain.connectors import Platform
from ponte.domain.people import PersonRef
from ponte.http.connectors import record_people
from ponte.http.responses import CursorMeta
from ponte.http.responses import people as out
from ponte.http.responses.connectors import MatchedBy
from ponte.repository.people import Entry
from ponte.services.people.views import Card, Connections, Found, Link
from ponte.vendors import movidesk


def masked_cpf(value: str | None, *, admin: bool) -> str | None:
    """``***.456.789-**``: enough to tell two people apart, not enough to use."""
    if not value or admin:
        return value
    digits = "".join(c for c in value if c.isdigit())
    if len(digits) != 11:
        return "***"
    return f"***.{digits[3:6]}.{digits[6:9]}-**"


class Places:
    """What the answers need of the tenant's connections (names, platforms, web links)."""

    def __init__(self, known: Connections) -> None:
        self.connections = known.by_id
        self.movidesk = known.movidesk_subdomain

    def url(self, entry: Entry) -> str | None:
        connection = self.connections.get(entry.connection_id)
        if connection is None:
            return None
        if connection.platform is Platform.MOVIDESK:
            return movidesk.ticket_url(self.movidesk, entry.vendor_id) if self.movidesk else None
        spec = registry.spec(connection.platform)
        if spec is None or not connection.web_base:
            return None
        return spec.record_url(connection.web_base, entry.stream, entry.vendor_id)

    def platform(self, entry: Entry) -> str | None:
        connection = self.connections.get(entry.connection_id)
        return connection.platform.value if connection else None

    def name(self, entry: Entry) -> str | None:
        connection = self.connections.get(entry.connection_id)
        return connection.name if connection else None


def person_row(found: Found, *, admin: bool) -> out.PersonRow:
    card = found.card
    return out.PersonRow(
        kind=card.ref.kind.value, id=card.ref.id, name=card.name, email=card.email,
        cpf=masked_cpf(card.cpf, admin=admin), units=list(card.units), links=found.links,
    )  # fmt: skip


def _matched(entry: Entry, person: PersonRef) -> list[MatchedBy]:
    for linked in entry.links.people:
        if linked.person == person:
            return sorted(b.value for b in linked.by)
    return []


def timeline_entry(entry: Entry, person: PersonRef, places: Places) -> out.TimelineEntry:
    status = entry.links.status
    return out.TimelineEntry(
        platform=places.platform(entry), connectionId=entry.connection_id,
        connectionName=places.name(entry), stream=entry.stream, recordId=entry.vendor_id,
        matchedBy=_matched(entry, person), status=status.value if status else "linked",
        title=entry.summary.get("title", ""), vendorStatus=entry.summary.get("status"),
        updatedAt=entry.updated_at, url=places.url(entry),
    )  # fmt: skip


def person_answer(
    card: Card, links: int, entries: Iterable[Entry], next_cursor: str, limit: int, *,
    admin: bool, places: Places,
) -> out.PersonAnswer:  # fmt: skip
    row = person_row(Found(card, links), admin=admin)
    data = out.PersonCard(
        **dict(row),
        phone=card.phone,
        students=[out.StudentOf(id=i, name=n) for i, n in card.students],
        guardians=[out.GuardianOf(id=i, name=n) for i, n in card.guardians],
        turmas=list(card.turmas),
        timeline=[timeline_entry(e, card.ref, places) for e in entries],
    )
    return out.PersonAnswer(data=data, meta=CursorMeta(limit=limit, nextCursor=next_cursor or None))


def link_row(link: Link, places: Places) -> out.LinkRow:
    entry = link.entry
    status = entry.links.status
    return out.LinkRow(
        linkId=link.id, status=status.value if status else "conflict",
        platform=places.platform(entry), connectionId=entry.connection_id, stream=entry.stream,
        recordId=entry.vendor_id, title=entry.summary.get("title", ""),
        updatedAt=entry.updated_at, candidates=record_people(entry.links.people),
        url=places.url(entry),
    )  # fmt: skip

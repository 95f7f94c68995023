"""Links made again for records already stored: when the ERP changes a person, when a contact's
people change (the records that belong to it follow), and for every stored record (a relink,
for data stored before linking existed or a connection's identity fields changed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from ponte.adapters import record_objects
from ponte.domain import people as rules
from ponte.domain.connectors import Connection
from ponte.domain.identities import Identifier
from ponte.domain.people import PersonRef, RecordLinks
from ponte.domain.records import PulledRecord
from ponte.repository import connections as connection_store
from ponte.repository import keys, pulled_records
from ponte.repository import people as store
from ponte.services.people.linking import Candidate, Linker

Ref = tuple[str, str, str]  # connection, stream, vendor id


class Relinker:
    """Matches stored records again; counts what it read and changed."""

    def __init__(self, tenant_id: str, *, follow_owned: bool = True) -> None:
        self.tenant = tenant_id
        # Whether the records of a contact whose people changed are matched again at once
        # (a relink walks them itself, after every contact).
        self.follow_owned = follow_owned
        self.read = 0
        self.changed = 0
        self._connection = cache(self._load)

    def _load(self, connection_id: str) -> Connection | None:
        return connection_store.get(self.tenant, connection_id)

    def records(self, refs: Iterable[Ref]) -> None:
        """Match ``refs`` again; the records that belong to a contact whose people changed
        follow it."""
        grouped: dict[tuple[str, str], set[str]] = {}
        for connection_id, stream, vendor_id in refs:
            grouped.setdefault((connection_id, stream), set()).add(vendor_id)
        for (connection_id, stream), ids in sorted(grouped.items()):
            connection = self._connection(connection_id)
            if connection is None:
                continue
            linker = Linker(self.tenant, connection)
            if linker.about_people(stream):
                self._relink(linker, stream, sorted(ids))

    def _relink(self, linker: Linker, stream: str, ids: list[str]) -> None:
        connection_id = linker.connection.id
        found = pulled_records.stored_records(self.tenant, connection_id, stream, ids)
        self.read += len(found)
        candidates = [
            Candidate(r.vendor_id, r.updated_at, record_data(r), r.deleted_at is not None, r.links)
            for r in found.values()
        ]
        page = linker.link(stream, candidates)
        for c in candidates:
            after = page.links.get(c.vendor_id, rules.NO_LINKS)
            if _same(c.before, after):
                continue
            ref = (connection_id, stream, c.vendor_id)
            summary = page.summaries.get(c.vendor_id, {})
            if store.set_links(self.tenant, ref, c.updated_at, before=c.before, after=after,
                               summary=summary):  # fmt: skip
                self.changed += 1
        if page.changed_contacts and self.follow_owned:
            self.owned(connection_id, stream, page.changed_contacts)

    def owned(self, connection_id: str, stream: str, contacts: Iterable[str]) -> None:
        """Match again the records that belong to these contacts (their people changed)."""
        refs = [
            ref
            for contact in contacts
            for ref in store.rematch(self.tenant, keys.owner_who(connection_id, stream, contact))
        ]
        if refs:
            self.records(refs)

    def people(
        self, changed: Mapping[PersonRef, Iterable[Identifier]], known: Iterable[PersonRef]
    ) -> None:
        """Match again the records that named these people (those ``known`` before: a person
        new to the ERP names none yet) or that their identifiers (those they had and those
        they have now) find."""
        refs: set[Ref] = set()
        for person in set(known):
            partition = keys.person_timeline(self.tenant, rules.person_key(person))
            refs.update(_timeline_refs(self.tenant, partition))
        for identifier in {i for ids in changed.values() for i in ids}:  # siblings share some
            refs.update(store.rematch(self.tenant, identifier.text))
        self.records(refs)


def _timeline_refs(tenant_id: str, partition: str) -> set[Ref]:
    return {
        (e.connection_id, e.stream, e.vendor_id) for e in store.timeline_all(tenant_id, partition)
    }


def record_data(record: PulledRecord) -> dict[str, Any]:
    """A stored record's data, read from its object when it is kept in one."""
    if record.stored is not None:
        return record_objects.read(record.stored.key)
    return record.data


def _same(before: RecordLinks, after: RecordLinks) -> bool:
    return _shape(before) == _shape(after)


def _shape(links: RecordLinks) -> tuple[Any, ...]:
    people = tuple((p.person, p.name, p.by) for p in links.people)
    return links.status, people, links.decision, links.who

"""Who a page of one connection's records is about, as the page is stored.

A record that carries identifiers is matched through the identity index (one BatchGetItem per
100 distinct identifiers of the page); one that belongs to contacts takes its contacts' people
(one BatchGetItem per 100 contacts). A stream that names nobody costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ponte.domain import people as rules
from ponte.domain.connectors import Connection
from ponte.domain.people import NO_LINKS, IdentityOptions, LinkStatus, RecordLinks
from ponte.repository import keys
from ponte.repository import people as store
from ponte.repository.table import Item


@dataclass(frozen=True, slots=True)
class Candidate:
    """A record about to be stored (or stored, for a relink), with its links until now."""

    vendor_id: str
    updated_at: str
    data: Mapping[str, Any]
    deleted: bool
    before: RecordLinks = NO_LINKS


@dataclass(slots=True)
class PageLinks:
    """What linking a page writes: each record's link attributes, the link items of people
    beyond a record's first, those no longer true, and the contacts whose people changed
    (records that belong to them are matched again)."""

    links: dict[str, RecordLinks] = field(default_factory=dict)
    attributes: dict[str, Item] = field(default_factory=dict)
    summaries: dict[str, dict[str, str]] = field(default_factory=dict)
    extra: list[Item] = field(default_factory=list)
    stale: list[dict[str, str]] = field(default_factory=list)
    changed_contacts: list[str] = field(default_factory=list)


def identity_options(connection: Connection) -> IdentityOptions:
    return IdentityOptions(cpf=(connection.identity or {}).get("cpf"))


class Linker:
    def __init__(self, tenant_id: str, connection: Connection) -> None:
        self.tenant = tenant_id
        self.connection = connection
        self.platform = connection.platform.value
        self.options = identity_options(connection)

    def about_people(self, stream: str) -> bool:
        key = (self.platform, stream)
        return key in rules.IDENTIFIED or key in rules.OWNED

    def link(self, stream: str, records: Sequence[Candidate]) -> PageLinks:
        page = PageLinks()
        if not records or not self.about_people(stream):
            return page
        live = [r for r in records if not r.deleted]
        if (self.platform, stream) in rules.IDENTIFIED:
            found = {
                r.vendor_id: rules.record_identifiers(self.platform, stream, r.data, self.options)
                for r in live
            }
            named = store.lookup(self.tenant, (i for ids in found.values() for i in ids))
            for r in live:
                page.links[r.vendor_id] = rules.matched(
                    named, found[r.vendor_id], r.before.decision
                )
            # A conflict may have been settled while this page was read (the decision's own
            # item outlives the record item a page overwrites): one read, only for conflicts.
            open_ = [v for v, links in page.links.items() if links.status is LinkStatus.CONFLICT]
            settled = store.decisions(self.tenant, self.connection.id, stream, open_)
            for vendor_id, made in settled.items():
                page.links[vendor_id] = rules.matched(named, found[vendor_id], made.decision)
        else:
            owned = {r.vendor_id: rules.owners(self.platform, stream, r.data) for r in live}
            stored = store.owner_links(
                self.tenant, self.connection.id, (o for os in owned.values() for o in os)
            )
            for r in live:
                mine = owned[r.vendor_id]
                who = keys.owner_who(self.connection.id, *mine[0]) if mine else ""
                page.links[r.vendor_id] = rules.through_owners(
                    (stored[o] for o in mine if o in stored), who
                )
        for r in records:
            after = page.links.setdefault(r.vendor_id, NO_LINKS)
            self._write(page, stream, r, after)
        return page

    def _write(self, page: PageLinks, stream: str, r: Candidate, after: RecordLinks) -> None:
        ref = (self.connection.id, stream, r.vendor_id)
        summary = rules.summary(self.platform, stream, r.data) if after.status else {}
        page.summaries[r.vendor_id] = summary
        page.attributes[r.vendor_id] = store.link_attributes(
            self.tenant, ref, r.updated_at, after, summary
        )
        page.extra.extend(store.extra_links(self.tenant, ref, r.updated_at, after, summary))
        page.stale.extend(store.stale_links(self.tenant, ref, r.before, after))
        if (self.platform, stream) in rules.IDENTIFIED and _people(r.before) != _people(after):
            page.changed_contacts.append(r.vendor_id)


def _people(links: RecordLinks) -> frozenset[tuple[Any, frozenset[Any]]]:
    return frozenset((p.person, p.by) for p in links.linked)

"""People in the table: the identity index the ERP's records keep, and the links pulled records
carry (on their own items, so storing a page costs no extra write for a record about one
person). Key formats are in ``keys``; what a link means is in ``domain/people``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ponte import aws
from ponte.domain.identities import By, Identifier
from ponte.domain.people import (
    Decision,
    Linked,
    LinkStatus,
    PersonRef,
    RecordLinks,
    parse_person,
    person_key,
)
from ponte.repository import batch, cursors, keys
from ponte.repository.errors import translated
from ponte.repository.table import Item, query_page, query_pages, serialize, table_name, values

# The attributes of a record item that say who it is about (written whole or removed whole).
LINK_ATTRIBUTES = ("people", "link_status", "decision", "summary", "GSI1PK", "GSI1SK",
                   "GSI3PK", "GSI3SK")  # fmt: skip
# Every name through a placeholder: DynamoDB reserves words such as CONNECTION and STREAM.
LINK_NAMES = {"#pe": "people", "#ls": "link_status", "#de": "decision", "#w": "GSI1PK"}
LINK_PROJECTION = "PK, SK, #pe, #ls, #de, #w"


# -- the identity index ------------------------------------------------------------------
def lookup(
    tenant_id: str, identifiers: Iterable[Identifier]
) -> dict[Identifier, dict[PersonRef, str]]:
    """The people each identifier names (one BatchGetItem per 100 distinct identifiers)."""
    wanted = {
        (k["PK"], k["SK"]): (i, k)
        for i in set(identifiers)
        for k in [keys.identity(tenant_id, i.by.value, i.value)]
    }
    if not wanted:
        return {}
    found = batch.batch_get(k for _, k in wanted.values())
    named: dict[Identifier, dict[PersonRef, str]] = {}
    for pk_sk, item in found.items():
        people = {ref: str(v) for k, v in item.items() if (ref := parse_person(k)) is not None}
        if people:
            named[wanted[pk_sk][0]] = people
    return named


NAME_CHARS = 100  # of a person's name in an identity: an item shared by many stays small


def index(tenant_id: str, identifier: Identifier, person: PersonRef, name: str | None) -> None:
    """Say that ``identifier`` names ``person`` (``name``), or no longer does (None). An
    identifier shared by so many people that its item is full is left as it is: it identifies
    nobody anyway (domain/people.MAX_NAMED)."""
    key = keys.identity(tenant_id, identifier.by.value, identifier.value)
    params: dict[str, Any] = {"ExpressionAttributeNames": {"#p": person_key(person)}}
    if name is None:
        params["UpdateExpression"] = "REMOVE #p"
    else:
        params["UpdateExpression"] = "SET #p = :n"
        params["ExpressionAttributeValues"] = values({":n": name[:NAME_CHARS]})
    client = aws.dynamodb()
    try:
        with translated():
            client.update_item(TableName=table_name(), Key=serialize(key), **params)
    except client.exceptions.ClientError as exc:
        if "maximum allowed size" not in str(exc):
            raise


# -- links on a record -----------------------------------------------------------------------
def _people(people: Iterable[Linked]) -> list[dict[str, Any]]:
    return [
        {
            "kind": p.person.kind.value,
            "id": p.person.id,
            "name": p.name,
            "by": sorted(b.value for b in p.by),
        }
        for p in people
    ]


def link_attributes(
    tenant_id: str, ref: tuple[str, str, str], updated_at: str, links: RecordLinks,
    summary: Mapping[str, str],
) -> Item:  # fmt: skip
    """What a record item carries for its links (none at all: it is about nobody)."""
    connection_id, stream, vendor_id = ref
    item: Item = {}
    if links.who:
        item |= keys.rematch_index(tenant_id, links.who, connection_id, stream, vendor_id)
    if links.status is None:
        return item
    item |= {"people": _people(links.people), "link_status": links.status.value,
             "summary": dict(summary)}  # fmt: skip
    if links.decision is not None:
        item["decision"] = _decision_item(links.decision)
    linked = links.linked
    partition = (
        keys.person_timeline(tenant_id, person_key(linked[0].person))
        if linked
        else keys.links_in(tenant_id, links.status.value)
    )
    return item | keys.timeline_entry(partition, updated_at, connection_id, stream, vendor_id)


def _linked(raw: object) -> tuple[Linked, ...]:
    return tuple(
        Linked(PersonRef(*ref), str(p.get("name", "")), frozenset(By(b) for b in p.get("by", [])))
        for p in (raw if isinstance(raw, list) else [])
        if isinstance(p, Mapping)
        for ref in [_ref(p)]
        if ref is not None
    )


def _decision(raw: object) -> Decision | None:
    if not isinstance(raw, Mapping):
        return None
    among = frozenset(r for k in raw.get("among") or [] if (r := parse_person(k)))
    return Decision(among, parse_person(raw.get("person")))


def parse_links(item: Mapping[str, Any]) -> RecordLinks:
    """A stored item's links (NO_LINKS shape for an item that has none)."""
    status = item.get("link_status")
    who = str(item.get("GSI1PK", "")).partition("#WHO#")[2]
    return RecordLinks(LinkStatus(status) if status else None, _linked(item.get("people")),
                       _decision(item.get("decision")), who)  # fmt: skip


def _decision_item(decision: Decision) -> dict[str, Any]:
    person = decision.person
    return {"among": sorted(person_key(p) for p in decision.among),
            "person": person_key(person) if person else None}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Settled:
    """A person's decision on a record, and the candidates it was made among (named)."""

    decision: Decision
    candidates: tuple[Linked, ...]


def put_decision(tenant_id: str, ref: tuple[str, str, str], settled: Settled) -> None:
    item = {
        **keys.decision(tenant_id, *ref),
        "type": "link_decision",
        **_decision_item(settled.decision),
        "candidates": _people(settled.candidates),
    }
    with translated():
        aws.dynamodb().put_item(TableName=table_name(), Item=serialize(item))


def decisions(
    tenant_id: str, connection_id: str, stream: str, vendor_ids: Iterable[str]
) -> dict[str, Settled]:
    """The decisions people made on these records, by vendor id (one BatchGetItem per 100)."""
    wanted = {
        (k["PK"], k["SK"]): v
        for v in set(vendor_ids)
        for k in [keys.decision(tenant_id, connection_id, stream, v)]
    }
    if not wanted:
        return {}
    found = batch.batch_get(dict(zip(("PK", "SK"), pk_sk, strict=True)) for pk_sk in wanted)
    settled: dict[str, Settled] = {}
    for pk_sk, item in found.items():
        decision = _decision(item)
        if decision is not None:
            settled[wanted[pk_sk]] = Settled(decision, _linked(item.get("candidates")))
    return settled


def _ref(raw: Mapping[str, Any]) -> tuple[Any, str] | None:
    person = parse_person(f"{raw.get('kind')}#{raw.get('id')}")
    return (person.kind, person.id) if person else None


def extra_links(
    tenant_id: str, ref: tuple[str, str, str], updated_at: str, links: RecordLinks,
    summary: Mapping[str, str],
) -> list[Item]:  # fmt: skip
    """The link items of a record's people beyond its first (on each one's timeline)."""
    connection_id, stream, vendor_id = ref
    shared = {
        "type": "person_link", "connection": connection_id, "stream": stream,
        "vendor_id": vendor_id, "updated_at": updated_at, "people": _people(links.people),
        "link_status": links.status.value if links.status else "", "summary": dict(summary),
    }  # fmt: skip
    return [
        {
            **keys.extra_link(tenant_id, connection_id, stream, vendor_id, person_key(p.person)),
            **keys.timeline_entry(
                keys.person_timeline(tenant_id, person_key(p.person)),
                updated_at,
                connection_id,
                stream,
                vendor_id,
            ),
            **shared,
        }
        for p in links.linked[1:]
    ]


def stale_links(
    tenant_id: str, ref: tuple[str, str, str], before: RecordLinks, after: RecordLinks
) -> list[dict[str, str]]:
    """The link items ``before`` had that ``after`` does not."""
    kept = {p.person for p in after.linked[1:]}
    return [
        keys.extra_link(tenant_id, *ref, person_key(p.person))
        for p in before.linked[1:]
        if p.person not in kept
    ]


def forget(links: Sequence[Mapping[str, str]]) -> None:
    """Delete link items no longer true."""
    batch.delete_all(links)


def set_links(
    tenant_id: str, ref: tuple[str, str, str], updated_at: str, *, before: RecordLinks,
    after: RecordLinks, summary: Mapping[str, str],
) -> bool:  # fmt: skip
    """Replace a stored record's links (a relink); False when the record is gone."""
    attributes = link_attributes(tenant_id, ref, updated_at, after, summary)
    removed = [a for a in LINK_ATTRIBUTES if a not in attributes]
    names = {f"#a{i}": a for i, a in enumerate(attributes)} | {
        f"#r{i}": a for i, a in enumerate(removed)
    }
    expression = ""
    if attributes:
        expression = "SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(attributes)))
    if removed:
        expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed)))
    params: dict[str, Any] = {
        "TableName": table_name(),
        "Key": serialize(keys.pulled_record(tenant_id, *ref)),
        "UpdateExpression": expression.strip(),
        "ConditionExpression": "attribute_exists(PK)",
        "ExpressionAttributeNames": names,
    }
    if attributes:
        params["ExpressionAttributeValues"] = values(
            {f":a{i}": v for i, v in enumerate(attributes.values())}
        )
    client = aws.dynamodb()
    try:
        with translated():
            client.update_item(**params)
    except client.exceptions.ConditionalCheckFailedException:
        return False
    stale = stale_links(tenant_id, ref, before, after)
    if stale:
        forget(stale)
    extra = extra_links(tenant_id, ref, updated_at, after, summary)
    if extra:
        batch.put_all(extra)
    return True


# -- reads -------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Entry:
    """A record on a timeline or in a status listing."""

    connection_id: str
    stream: str
    vendor_id: str
    updated_at: str
    links: RecordLinks
    summary: Mapping[str, str]


_ENTRY_NAMES = {
    "#c": "connection",
    "#s": "stream",
    "#v": "vendor_id",
    "#u": "updated_at",
    "#su": "summary",
    "#ls": "link_status",
    "#pe": "people",
    "#de": "decision",
}
_ENTRY = "PK, SK, GSI3PK, GSI3SK, #c, #s, #v, #u, #su, #ls, #pe, #de"


def _entry(item: Mapping[str, Any]) -> Entry:
    _, _, ref = str(item["GSI3SK"]).partition("#")
    connection_id, stream, vendor_id = ref.split("#", 2)
    return Entry(
        str(item.get("connection") or connection_id), str(item.get("stream") or stream),
        str(item.get("vendor_id") or vendor_id), str(item.get("updated_at", "")),
        parse_links(item), dict(item.get("summary") or {}),
    )  # fmt: skip


def timeline(
    tenant_id: str, partition: str, *, limit: int, sealer: cursors.Sealer, cursor: str,
    caller: str = "",
) -> tuple[list[Entry], str]:  # fmt: skip
    """A GSI3 partition of linked records (a person's, or a status's), newest first: one Query
    per page (without the records' data). ``caller``: the cursor is theirs alone."""
    scope = json.dumps(["timeline", partition, caller])
    start = cursors.open_start(sealer, cursor, tenant_id=tenant_id, listing=scope)
    page = query_page(
        {
            "IndexName": keys.GSI3,
            "KeyConditionExpression": "GSI3PK = :p",
            "ExpressionAttributeValues": values({":p": partition}),
            "ExpressionAttributeNames": _ENTRY_NAMES,
            "ProjectionExpression": _ENTRY,
            "ScanIndexForward": False,
            "Limit": limit,
        },
        start,
    )
    return [_entry(i) for i in page.items], cursors.seal(
        sealer, page.last_key, tenant_id=tenant_id, listing=scope
    )


def count(tenant_id: str, partition: str) -> int:
    """How many records a GSI3 partition holds (a COUNT Query, paged per MB)."""
    total = 0
    params: dict[str, Any] = {
        "IndexName": keys.GSI3,
        "KeyConditionExpression": "GSI3PK = :p",
        "ExpressionAttributeValues": values({":p": partition}),
        "Select": "COUNT",
    }
    start = None
    while True:
        page = query_page(params, start)
        total += page.count
        start = page.last_key
        if not start:
            return total


def rematch(tenant_id: str, who: str) -> list[tuple[str, str, str]]:
    """The records found by ``who`` (an identifier, or the contact they belong to)."""
    partition = keys.rematch_index(tenant_id, who)["GSI1PK"]
    found: list[tuple[str, str, str]] = []
    for items in query_pages(
        IndexName=keys.GSI1,
        KeyConditionExpression="GSI1PK = :p",
        ExpressionAttributeValues=values({":p": partition}),
        ProjectionExpression="GSI1SK",
    ):
        for item in items:
            connection_id, stream, vendor_id = str(item["GSI1SK"]).split("#", 2)
            found.append((connection_id, stream, vendor_id))
    return found


def owner_links(
    tenant_id: str, connection_id: str, owners: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], RecordLinks]:
    """The links of the contacts records belong to, by (stream, vendor id) (one BatchGetItem
    per 100 contacts; a contact not stored yet is missing)."""
    wanted = {
        (k["PK"], k["SK"]): owner
        for owner in set(owners)
        for k in [keys.pulled_record(tenant_id, connection_id, *owner)]
    }
    if not wanted:
        return {}
    found = batch.batch_get(
        (dict(zip(("PK", "SK"), pk_sk, strict=True)) for pk_sk in wanted),
        projection=LINK_PROJECTION,
        names=LINK_NAMES,
    )
    return {wanted[pk_sk]: parse_links(item) for pk_sk, item in found.items()}


def timeline_all(tenant_id: str, partition: str) -> list[Entry]:
    """Every record of a GSI3 partition (a relink's reading of a person's links)."""
    return [
        _entry(item)
        for items in query_pages(
            IndexName=keys.GSI3,
            KeyConditionExpression="GSI3PK = :p",
            ExpressionAttributeValues=values({":p": partition}),
            ExpressionAttributeNames=_ENTRY_NAMES,
            ProjectionExpression=_ENTRY,
        )
        for item in items
    ]


def forget_record(
    tenant_id: str, ref: tuple[str, str, str], item: Mapping[str, Any]
) -> list[dict[str, str]]:
    """The keys that go with a stored record item (projected with LINK_PROJECTION) when it is
    purged: its links beyond its first person and its decision."""
    before = parse_links(item)
    settled = [keys.decision(tenant_id, *ref)] if before.status or before.decision else []
    return [*stale_links(tenant_id, ref, before, RecordLinks()), *settled]

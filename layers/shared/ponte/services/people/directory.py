"""The identity index, kept from the ERP's people, and the work that follows a change.

The ERP's write path does not touch the index itself: a batch of students already takes
every request its target allows. It sends the people a write changed (with the identifiers
they had) to the run queue, and the worker reads them as the ERP now has them, indexes their
identifiers (taking out those they lost) and matches again the records they or their
identifiers name. Reading the ERP's current state, not the message's, makes the work the
same whatever order messages arrive in, and a message handled twice does nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ponte.adapters import queue
from ponte.domain import people as rules
from ponte.domain import run_queue
from ponte.domain.academic import Entity
from ponte.domain.identities import Identifier
from ponte.domain.people import Person, PersonKind, PersonRef
from ponte.observability import logger
from ponte.repository import academic
from ponte.repository import connections as connection_store
from ponte.repository import people as store
from ponte.services.people.relinking import Relinker
from ponte.settings import get_settings

Changes = dict[PersonRef, frozenset[Identifier]]


def changes_of(
    entity: Entity, written: Iterable[tuple[str, Mapping[str, Any] | None, Mapping[str, Any]]]
) -> Changes:
    """The people ERP writes changed (code, data before, data after), with what they had."""
    found: Changes = {}
    for code, before, after in written:
        for ref, had in rules.erp_changes(entity.value, code, before, after).items():
            found[ref] = found.get(ref, frozenset()) | had
    return found


def publish(tenant_id: str, changes: Changes) -> None:
    """Hand the people an ERP write changed to the worker (a few messages per batch)."""
    people = [
        run_queue.PersonChange(kind=ref.kind.value, id=ref.id, was=sorted(i.text for i in had)[:10])
        for ref, had in sorted(changes.items())
    ]
    url = get_settings().pull_queue_url
    step = run_queue.PEOPLE_PER_MESSAGE
    for start in range(0, len(people), step):
        message = run_queue.PeopleMessage(tenant_id=tenant_id, people=people[start : start + step])
        queue.send(url, message)


def current(tenant_id: str, refs: Iterable[PersonRef]) -> dict[PersonRef, Person]:
    """The people as the ERP has them now (those it no longer names are missing)."""
    refs = set(refs)
    wanted = {(Entity(r.kind.value), r.id) for r in refs if r.kind is not PersonKind.GUARDIANS}
    records = academic.get_records(tenant_id, wanted) if wanted else {}
    found: dict[PersonRef, Person] = {}
    for (entity, code), record in records.items():
        me = PersonRef(PersonKind(entity.value), code)
        person = rules.erp_people(entity.value, code, record.data).get(me)
        if person is not None:
            found[me] = person
    for ref in refs:
        if ref.kind is PersonKind.GUARDIANS:
            students = academic.guardian_students(tenant_id, ref.id)
            naming = academic.get_records(tenant_id, {(Entity.STUDENTS, s) for s in students})
            guardian = rules.merge_guardian(
                p for (_, code), r in sorted(naming.items())
                if (p := rules.erp_people("students", code, r.data).get(ref)) is not None
            )  # fmt: skip
            if guardian is not None:
                found[ref] = guardian
    return found


def refresh(tenant_id: str, message: run_queue.PeopleMessage) -> str:
    """Index the message's people as the ERP has them now, and match again what they name. A
    tenant that pulls nothing keeps no index (its first connection has one built)."""
    if not connection_store.listing(tenant_id):
        return "no connections: nothing to index"
    had = {
        PersonRef(PersonKind(p.kind), p.id): frozenset(
            i for t in p.was if (i := Identifier.parse(t)) is not None
        )
        for p in message.people
    }
    now = current(tenant_id, had)
    touched: dict[PersonRef, frozenset[Identifier]] = {}
    for ref, before in had.items():
        person = now.get(ref)
        present = person.identifiers if person else frozenset()
        name = person.name if person else None
        for identifier in before | present:
            store.index(tenant_id, identifier, ref, name if identifier in present else None)
        touched[ref] = before | present
    relinker = Relinker(tenant_id)
    relinker.people(touched, known=(ref for ref, before in had.items() if before))
    logger.info("people indexed", extra={"people": len(had), "records_read": relinker.read,
                                         "records_changed": relinker.changed})  # fmt: skip
    return f"{len(had)} people, {relinker.changed} records relinked"

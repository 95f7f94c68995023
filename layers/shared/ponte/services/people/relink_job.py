"""A relink of everything stored: the identity index rebuilt from the ERP's students and
professors, then every record of every connection's streams about people matched again.

It runs on the run queue, 100 keys at a time, walking the table's own partitions (no scan);
an invocation cut short by its time queues its continuation with where it stopped and what it
counted. Records whose links do not change cost no write.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ponte.adapters import queue
from ponte.clock import get_clock
from ponte.domain import people as rules
from ponte.domain import run_queue
from ponte.domain.academic import Entity
from ponte.observability import logger
from ponte.repository import academic, pulled_records
from ponte.repository import connections as connection_store
from ponte.repository import people as store
from ponte.services.people.linking import Linker
from ponte.services.people.relinking import Relinker
from ponte.settings import get_settings

CHUNK = 100
_ENTITIES = (Entity.STUDENTS, Entity.PROFESSORS)


def start(tenant_id: str) -> run_queue.RelinkMessage:
    message = run_queue.RelinkMessage(tenant_id=tenant_id)
    queue.send(get_settings().pull_queue_url, message)
    return message


def work(message: run_queue.RelinkMessage, remaining_seconds: float) -> str:
    clock = get_clock()
    deadline = clock.now().timestamp() + remaining_seconds - get_settings().pull_time_margin_seconds
    relinker = Relinker(message.tenant_id, follow_owned=False)  # owned streams come after
    relinker.read, relinker.changed = message.read, message.changed
    for phase, at, after, step in _steps(message):
        if clock.now().timestamp() >= deadline:
            queue.send(get_settings().pull_queue_url, message.model_copy(update={
                "phase": phase, "at": at, "after": after,
                "read": relinker.read, "changed": relinker.changed,
            }))  # fmt: skip
            return f"continued: {relinker.read} read, {relinker.changed} changed"
        if phase == "index":
            _index(message.tenant_id, step)
        else:
            connection_id, stream = at.split("#", 1)
            relinker.records((connection_id, stream, v) for v in step)
    logger.info("relink done", extra={"records_read": relinker.read,
                                      "records_changed": relinker.changed})  # fmt: skip
    return f"done: {relinker.read} read, {relinker.changed} changed"


Step = tuple[str, str, str, list[Any]]  # phase, where, the key it starts after, the chunk


def _steps(message: run_queue.RelinkMessage) -> Iterator[Step]:
    """Each chunk of work from where ``message`` stopped, with the position it starts at."""
    tenant = message.tenant_id
    resuming = message.phase, message.at, message.after
    if message.phase == "index":
        for entity in _ENTITIES:
            if resuming[1] and _ENTITIES.index(Entity(resuming[1])) > _ENTITIES.index(entity):
                continue
            after = resuming[2] if entity.value == resuming[1] else ""
            while True:
                records, last = academic.records_after(tenant, entity, after, CHUNK)
                yield "index", entity.value, after, records
                if not last:
                    break
                after = last
        resuming = ("records", "", "")
    streams = _streams(tenant)
    started = not resuming[1] or resuming[1] not in streams  # (its connection was deleted)
    for at in streams:
        started = started or at == resuming[1]
        if not started:  # done before this continuation
            continue
        after = resuming[2] if at == resuming[1] else ""
        connection_id, stream = at.split("#", 1)
        while True:
            ids, last = pulled_records.partition_page(
                tenant, connection_id, stream, after=after, limit=CHUNK
            )
            yield "records", at, after, ids
            if not last:
                break
            after = last


def _streams(tenant_id: str) -> list[str]:
    """``connection#stream`` of every stream about people, contacts before what belongs to
    them (a ticket takes its requester's people)."""
    found: list[tuple[int, str]] = []
    for connection in connection_store.listing(tenant_id):
        linker = Linker(tenant_id, connection)
        for identified, stream in _platform_streams(connection.platform.value):
            if linker.about_people(stream):
                found.append((0 if identified else 1, f"{connection.id}#{stream}"))
    return [at for _, at in sorted(found)]


def _platform_streams(platform: str) -> list[tuple[bool, str]]:
    return sorted(
        [(True, s) for p, s in rules.IDENTIFIED if p == platform]
        + [(False, s) for p, s in rules.OWNED if p == platform]
    )


def _index(tenant_id: str, records: list[academic.StoredRecord]) -> None:
    for record in records:
        for person in rules.erp_people(record.entity.value, record.code, record.data).values():
            for identifier in person.identifiers:
                store.index(tenant_id, identifier, person.ref, person.name)

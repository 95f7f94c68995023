"""The run engine: one worker invocation takes a run's lease and pulls its streams page by
page, until the run is done or the invocation's time runs short; then it enqueues a
continuation and returns. A run of any size finishes across as many invocations as it needs.

Per page: the vendor page, one read of the page's keys (created / updated / unchanged; an
unchanged record costs no write), the changed records written, then the stream's cursor saved
with the page's counts. The cursor is saved only after the page it covers is stored; a worker
killed in between stores the page again on the next attempt, and the records written by that
same run and page are counted as they were the first time: nothing lost, nothing counted twice.
A record a run reads again unchanged (a vendor boundary read twice) is counted once too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ponte.adapters import queue, record_objects
from ponte.clock import get_clock, isoformat, utcnow
from ponte.connectors import registry
from ponte.connectors.base import Connector, Cursor, Item, Page, Stream, StreamStuck, load
from ponte.connectors.spec import ConnectorSpec
from ponte.domain import run_queue
from ponte.domain.connectors import (
    ERRORS_PER_PAGE,
    Connection,
    PageRecord,
    PullRun,
    RunStatus,
    StreamState,
    final_status,
    refusal,
)
from ponte.domain.people import NO_LINKS
from ponte.domain.records import PulledRecord, Version
from ponte.observability import logger
from ponte.repository import connections as connection_store
from ponte.repository import people as people_store
from ponte.repository import pull_runs, pulled_records
from ponte.repository.errors import ConditionFailed
from ponte.repository.pacing import DynamoSchedule
from ponte.services import connections, schedules
from ponte.services.people.linking import Candidate, Linker, PageLinks
from ponte.services.people.relinking import Relinker
from ponte.services.pulls import lifecycle
from ponte.services.pulls.lifecycle import LeaseLost, Outcome
from ponte.settings import get_settings
from ponte.vendors.http import UnsafeUrl, VendorAuthError, VendorError
from ponte.vendors.pacing import Contention


def work(
    message: run_queue.RunMessage, remaining_seconds: float, *, last_attempt: bool = False
) -> str:
    """Pull what this invocation has time for; return what happened (for the log). On the
    message's ``last_attempt`` (the queue moves it to its dead letters after this one), a
    failure ends the run in ``error`` with the reason: no run is left in progress forever."""
    settings = get_settings()
    clock = get_clock()
    started = clock.now().timestamp()
    deadline = started + remaining_seconds - settings.pull_time_margin_seconds
    lease = secrets.token_hex(8)
    run = pull_runs.take_lease(
        message.tenant_id,
        message.run_id,
        lease,
        now=started,
        until=started + settings.pull_lease_seconds,
        started_at=utcnow().isoformat(),
    )
    if run is None:
        return "skipped"  # finished, or another worker holds it (its own message goes on)
    worker = _Worker(message.tenant_id, run, lease, lambda: deadline - clock.now().timestamp())
    try:
        return worker.run()
    except LeaseLost:
        return "lease lost"
    except Exception as exc:
        pull_runs.release_lease(message.tenant_id, run.id, lease)  # the retry starts at once
        if last_attempt:
            died = lifecycle.failed(lifecycle.dead_letter_reason(exc), lifecycle.DEAD_LETTER)
            lifecycle.end(message.tenant_id, run, died)
        raise


class _Worker:
    def __init__(
        self, tenant_id: str, run: PullRun, lease: str, time_left: Callable[[], float]
    ) -> None:
        self.tenant = tenant_id
        # Pages a crashed worker stored after the last checkpoint count in.
        self.run_state = run.with_pages(pull_runs.pages(tenant_id, run.id, after=run.page_seq))
        self.lease = lease
        self.time_left = time_left
        self.renew_at = get_clock().now().timestamp() + get_settings().pull_lease_seconds / 2

    def run(self) -> str:
        run = self.run_state
        connection = connection_store.get(self.tenant, run.connection_id)
        spec = registry.spec(run.platform)
        if connection is None or spec is None:
            gone = lifecycle.failed(lifecycle.DELETED, lifecycle.DELETED_CODE)
            lifecycle.end(self.tenant, run, gone)
            return "connection deleted"
        stored = connections.credentials(self.tenant, connection)
        try:
            connector = registry.build(
                connection.platform,
                stored,
                DynamoSchedule(),
                options=run.options,
                vault=connections.vault(self.tenant, connection),
            )
        except UnsafeUrl as exc:  # the address now resolves somewhere it must not go
            lifecycle.end(self.tenant, run,
                          lifecycle.failed(f"baseUrl: {exc}", "INVALID_CREDENTIALS"))  # fmt: skip
            return "refused base URL"
        except VendorAuthError as exc:  # stored credentials the platform no longer takes
            self._refused(connection, str(exc))
            return "credentials refused"
        self.linker = Linker(self.tenant, connection)
        if run.page_seq == 0:
            spec.hooks.started(run)
        try:
            for stream in connector.streams:
                state = self.run_state.streams.get(stream.name, StreamState())
                if state.status in ("done", "failed"):
                    continue
                outcome = self._pull(stream, state, connection)
                if outcome != "done":
                    return outcome
        except VendorAuthError as exc:
            self._refused(connection, str(exc))
            return "credentials refused"
        finally:
            connector.close()
        self._finish(connection, connector, spec, _web_base(spec, connection, stored))
        return "finished"

    # -- one stream ------------------------------------------------------------------------
    def _pull(self, stream: Stream[Any, Any], state: StreamState, connection: Connection) -> str:
        cursor = load(stream.cursor_type, state.cursor) or stream.start(
            load(stream.resume_type, connection.cursors.get(stream.name)),
            self.run_state.full_sync,
        )
        while True:
            if self.time_left() <= 0:
                self._continue()
                return "continued"
            try:
                page = stream.page(cursor)
            except VendorAuthError:
                raise
            except (VendorError, StreamStuck) as exc:
                self._stream_failed(stream.name, str(exc))
                return "done"
            except Contention:  # no pacing slot to be had now: the next invocation goes on
                self._continue()
                return "continued"
            self._store(stream.name, page)
            cursor = page.cursor
            if page.done:
                return "done"

    def _store(self, stream: str, page: Page[Cursor]) -> None:
        run = self.run_state
        seq = run.page_seq + 1
        items = list({i.id: i for i in page.items}.values())  # a vendor may repeat an id
        stored = pulled_records.versions(
            self.tenant, run.connection_id, stream, (i.id for i in items)
        )
        now = utcnow()
        writes: list[tuple[PulledRecord, str]] = []
        counts = {"created": 0, "updated": 0, "unchanged": 0, "deleted": 0}
        for item in items:
            action = _action(stored.get(item.id), item, run.id, seq)
            if action == "unchanged" and stored[item.id].run == run.id:
                continue  # this run stored it already (a boundary read again): counted once
            counts[action if action != "again" else stored[item.id].action] += 1
            if action in ("created", "updated", "deleted"):
                writes.append((_record(item, now.isoformat()), action))
            elif action == "again" and stored[item.id].hash != item.hash:
                writes.append((_record(item, now.isoformat()), stored[item.id].action))
        objects = _PageWrites(self.tenant, run.connection_id, stream)
        linked = self._link(stream, writes, stored)
        pulled_records.put_records(
            self.tenant, run.connection_id, stream, writes, run_id=run.id, page=seq,
            offload=objects.put, linked=linked.attributes, also=linked.extra,
        )  # fmt: skip
        objects.replaced(stored, writes)
        self._linked(stream, linked, stored)
        problems = [
            {"stream": stream, "record": ref, "page": seq, "message": message}
            for ref, message in page.problems
        ]
        record = PageRecord(
            seq=seq,
            stream=stream,
            cursor=page.cursor.stored(),
            done=page.done,
            at=isoformat(get_clock().now()),
            fetched=len(items),
            failed=len(problems),
            errors=problems[:ERRORS_PER_PAGE],
            **counts,
        )
        # The cursor, saved after the page it covers. A page that brought nothing (the
        # common case of a frequent incremental run) is not written on its own: its cursor
        # reaches the table with the next checkpoint, and a crash before then only asks the
        # vendor the same empty question again.
        if items or problems:
            try:
                pull_runs.put_page(self.tenant, run.id, self.lease, record)
            except ConditionFailed as exc:
                if lifecycle.purged(self.tenant, run.id):
                    objects.take_back(writes)
                raise LeaseLost(run.id) from exc
        self.run_state = run.with_pages([record])
        if get_clock().now().timestamp() >= self.renew_at:
            self._checkpoint({})

    def _link(
        self, stream: str, writes: list[tuple[PulledRecord, str]], stored: dict[str, Version]
    ) -> PageLinks:
        """Who the page's changed records are about (a stream about nobody: nothing)."""
        return self.linker.link(stream, [
            Candidate(r.vendor_id, r.updated_at, r.data, r.deleted_at is not None,
                      stored[r.vendor_id].links if r.vendor_id in stored else NO_LINKS)
            for r, _ in writes
        ])  # fmt: skip

    def _linked(self, stream: str, linked: PageLinks, stored: dict[str, Version]) -> None:
        """After the page is stored: links no longer true go, and the records that belong to a
        contact seen before whose people changed follow it (a contact new to Ponte has none
        yet: contacts are pulled before what belongs to them)."""
        if linked.stale:
            people_store.forget(linked.stale)
        seen_before = [c for c in linked.changed_contacts if c in stored]
        if seen_before:
            Relinker(self.tenant).owned(self.run_state.connection_id, stream, seen_before)

    def _checkpoint(self, fields: dict[str, Any]) -> None:
        """Write the run's state, renewing the lease (unless ``fields`` say otherwise)."""
        now = get_clock().now()
        lease = get_settings().pull_lease_seconds
        renewal = {"lease_until": now.timestamp() + lease, "heartbeat_at": now.isoformat()}
        lifecycle.checkpoint(self.tenant, self.run_state, self.lease, renewal | fields)
        self.renew_at = now.timestamp() + lease / 2

    def _stream_failed(self, stream: str, message: str) -> None:
        logger.warning("stream failed", extra={"run": self.run_state.id, "stream": stream})
        state = self.run_state.streams.get(stream, StreamState())
        streams = self.run_state.streams | {stream: replace(state, status="failed", error=message)}
        self.run_state = replace(self.run_state, streams=streams)
        self._checkpoint({})

    # -- the run's end ---------------------------------------------------------------------
    def _continue(self) -> None:
        """Hand the run to the next invocation: its state written, the lease let go, and a
        message on the queue."""
        self._checkpoint({"lease_until": 0})
        queue.send(get_settings().pull_queue_url, run_queue.run(self.tenant, self.run_state.id))

    def _end(self, outcome: Outcome) -> None:
        if not lifecycle.end(self.tenant, self.run_state, outcome, lease=self.lease):
            raise LeaseLost(self.run_state.id)

    def _finish(
        self, connection: Connection, connector: Connector, spec: ConnectorSpec[Any],
        web_base: str | None,
    ) -> None:  # fmt: skip
        run = self.run_state
        failed = [s for s in run.streams.values() if s.status == "failed"]
        landed = sum(run.total(c) for c in ("created", "updated", "unchanged", "deleted"))
        status = final_status(landed, len(failed), run.error_count, len(run.streams))
        error = failed[0].error if failed and status is RunStatus.ERROR else None
        cursors = dict(connection.cursors)
        for stream in connector.streams:
            state = run.streams.get(stream.name)
            if state is not None and state.status == "done" and state.cursor is not None:
                resume = stream.resume_point(
                    load(stream.cursor_type, state.cursor),
                    load(stream.resume_type, cursors.get(stream.name)),
                )
                if resume is not None:
                    cursors[stream.name] = resume.stored()
        self._end(
            Outcome(
                status,
                error,
                "STREAM_FAILED" if error is not None else None,
                fields=spec.hooks.ended(run, status),
                connection={"cursors": cursors, "auth_failures": 0}
                | ({"web_base": web_base} if web_base else {}),
                add={"synced_records": run.records_synced},
            )
        )

    def _refused(self, connection: Connection, message: str) -> None:
        """The vendor refused the credentials: the run fails; after a few such runs in a row
        the connection is disabled, with the reason shown in its listing."""
        release = refusal(connection.auth_failures + 1, message)
        self._end(
            Outcome(
                RunStatus.ERROR,
                f"{message}: update the connection's credentials",
                "INVALID_CREDENTIALS",
                connection=release,
            )
        )
        if release.get("enabled") is False and connection.schedule:  # it stops firing too
            schedules.apply(self.tenant, replace(connection, enabled=False))


class _PageWrites:
    """What a page writes beside its items, and how it takes the page back. Records too large
    for their table item are kept in the records bucket: one object per version, written
    before the item that points at it; the object of the version an item no longer points at
    is deleted after the item is written (a crash in between leaves it behind; a purge
    removes it with the rest)."""

    def __init__(self, tenant_id: str, connection_id: str, stream: str) -> None:
        self.tenant, self.connection, self.stream = tenant_id, connection_id, stream
        self.written: dict[str, str] = {}  # vendor id -> the object its item now points at

    def put(self, record: PulledRecord, packed: bytes) -> str:
        key = record_objects.key(self.tenant, self.connection, self.stream, record.vendor_id,
                                 record.hash)  # fmt: skip
        record_objects.put(key, packed)
        self.written[record.vendor_id] = key
        return key

    def take_back(self, writes: list[tuple[PulledRecord, str]]) -> None:
        """Delete what this page wrote: its run was purged while the page was written."""
        ids = [record.vendor_id for record, _ in writes]
        pulled_records.delete_written(self.tenant, self.connection, self.stream, ids)
        record_objects.delete(self.written.values())

    def replaced(self, before: dict[str, Version], writes: list[tuple[PulledRecord, str]]) -> None:
        stale = [
            old.object_key
            for record, _ in writes
            if (old := before.get(record.vendor_id)) is not None
            and old.object_key
            and old.object_key != self.written.get(record.vendor_id)
        ]
        if stale:
            record_objects.delete(stale)


def _web_base(
    spec: ConnectorSpec[Any], connection: Connection, stored: dict[str, Any]
) -> str | None:
    """The web app's base for a connection saved before it was kept (None: it has one, or
    the platform has none)."""
    if connection.web_base:
        return None
    try:
        return spec.web(spec.credentials.model_validate(stored))
    except ValueError:
        return None


def _action(stored: Version | None, item: Item, run_id: str, seq: int) -> str:
    """created / updated / unchanged / deleted, or "again": this run's same page, stored
    before a crash (counted as it was then). "deleted": the vendor reports a deletion of a
    record Ponte holds live, or never held; a deleted record seen live again is updated."""
    deleted = item.deleted_at is not None
    if stored is None:
        return "deleted" if deleted else "created"
    if stored.run == run_id and stored.page == seq:
        return "again"
    if deleted and not stored.deleted:
        return "deleted"
    if stored.hash == item.hash and stored.deleted == deleted:
        return "unchanged"
    return "updated"


def _record(item: Item, synced_at: str) -> PulledRecord:
    return PulledRecord(
        item.id, item.updated_at, item.data, item.hash, synced_at, deleted_at=item.deleted_at
    )

"""Connector streams against the vendor fakes (mounted in httpx), in virtual time: paging by
key while records change, HubSpot's search index lag and the lookback, ties larger than a
page, deletions, cursors saved by earlier versions, Zendesk cursors."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from devstack import rdstation_fake
from devstack.fakes import Answer, Request
from devstack.hubspot_fake import HubSpotFake
from devstack.rdstation_fake import RdStationFake
from devstack.zendesk_fake import ZendeskFake
from ponte.connectors import hubspot as hubspot_streams
from ponte.connectors import rdstation as rdstation_streams
from ponte.connectors import zendesk as zendesk_streams
from ponte.connectors.base import Cursor, Item, millis
from ponte.vendors import hubspot, rdstation, zendesk
from ponte.vendors.http import VendorRejected
from ponte.vendors.pacing import LocalSchedule
from tests.support.virtual_time import VirtualClock, virtual_time


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with virtual_time() as virtual:
        yield virtual


def _drain(stream: object, cursor: Cursor) -> tuple[list[Item], Cursor, int]:
    """Every item of the stream from ``cursor``; the last cursor and the page count."""
    items: list[Item] = []
    pages = 0
    while True:
        page = stream.page(cursor)  # type: ignore[attr-defined]
        items.extend(page.items)
        cursor, pages = page.cursor, pages + 1
        if page.done:
            return items, cursor, pages


def _contacts(
    fake: HubSpotFake, token: str, *, lookback: int = 0, name: str = "contacts"
) -> hubspot_streams.ObjectStream:
    http = hubspot.client(
        token,
        base_url="http://hubspot.test",
        account=token,
        per_ten_seconds=100,
        schedule=LocalSchedule(),
        transport=httpx.WSGITransport(app=fake),
    )
    return hubspot_streams.ObjectStream(http, name, lookback_seconds=lookback)


class _Bearer:
    """One access token the account issued (these tests page lists; tokens have theirs)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def token(self) -> str:
        return self._token

    def rejected(self, token: str) -> str:
        return self._token


def _rd_contacts(fake: RdStationFake, key: str) -> rdstation_streams.ListStream:
    http = rdstation.client(
        _Bearer(fake.access_token(key)),
        base_url="http://rd.test",
        pace=rdstation.pacer(key, 120, LocalSchedule()),
        transport=httpx.WSGITransport(app=fake),
    )
    return rdstation_streams.ListStream(http, "contacts")


def _after_requests(fake: object, count: int, action: Callable[[], None]) -> None:
    """Run ``action`` once, after the fake answered ``count`` list or search requests."""
    seen = {"n": 0}

    def listener(request: Request, answer: Answer) -> None:
        if answer.status == 200 and "/users/me" not in request.path:
            seen["n"] += 1
            if seen["n"] == count:
                action()

    fake.listeners.append(listener)  # type: ignore[attr-defined]


def _latest(items: list[Item]) -> dict[str, Item]:
    """The last version read of each record."""
    return {i.id: i for i in items}


# -- HubSpot --------------------------------------------------------------------------------
def test_a_search_pages_by_key_past_10000_results(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("tok", search_lag=0)
    base = int(clock.now().timestamp() * 1000)
    for batch in range(105):  # 10,500 contacts, 100 per millisecond
        fake.add("tok", "contacts", 100, at_ms=base + batch)
    stream = _contacts(fake, "tok")

    items, cursor, _ = _drain(stream, stream.start(hubspot_streams.Since(since=base), full=False))

    ids = [i.id for i in items]
    assert sorted(ids) == sorted(fake.accounts["tok"].objects["contacts"])  # each once
    assert all(r.status == 200 for r in fake.requests)  # never past the 10,000 ceiling
    resume = stream.resume_point(cursor, None)
    assert resume is not None
    assert resume.since == base + 104


def test_more_records_at_one_time_than_a_page_are_read_by_id(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("tok", search_lag=0)
    stamp = int(clock.now().timestamp() * 1000)
    fake.add("tok", "contacts", 10_100, at_ms=stamp)
    fake.add("tok", "contacts", 150, at_ms=stamp + 1)
    stream = _contacts(fake, "tok")

    items, _, _ = _drain(stream, stream.start(hubspot_streams.Since(since=stamp), full=False))

    assert sorted(i.id for i in items) == sorted(fake.accounts["tok"].objects["contacts"])
    assert all(r.status == 200 for r in fake.requests)


def test_a_record_changed_while_a_search_pages_is_read_again_and_none_is_jumped(
    clock: VirtualClock,
) -> None:
    """HubSpot's ``after`` is an offset over a modification-time sort: a record already read
    that changes moves to the end and shifts the rest. Paging by key jumps none."""
    fake = HubSpotFake()
    fake.add_account("tok", search_lag=0)
    base = int(clock.now().timestamp() * 1000) - 60_000
    ids = [fake.add("tok", "contacts", 1, at_ms=base + n)[0] for n in range(1_000)]
    stream = _contacts(fake, "tok")
    moved = ids[10:15]  # read on the first page
    _after_requests(fake, 1, lambda: fake.change("tok", "contacts", moved))

    items, _, _ = _drain(stream, stream.start(hubspot_streams.Since(since=base), full=False))

    latest = _latest(items)
    assert set(latest) == set(ids)  # none jumped
    assert all(latest[i].data["properties"]["revision"] == "2" for i in moved)
    assert len(items) == 1_000 + len(moved)  # the moved ones twice, the others once


def test_the_lookback_reads_again_what_the_search_index_showed_late(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("tok")  # the index shows a write 2 s after it
    a, b = fake.add("tok", "contacts", 2, at_ms=int(clock.now().timestamp() * 1000) - 600_000)
    stream = _contacts(fake, "tok", lookback=300)
    first, cursor, _ = _drain(stream, stream.start(None, full=False))  # lists: sees both
    mark = stream.resume_point(cursor, None)
    clock.advance(60)
    fake.change("tok", "contacts", [a], index_lag=120)  # indexed two minutes late
    clock.advance(1)
    fake.change("tok", "contacts", [b])
    clock.advance(5)
    second, cursor, _ = _drain(stream, stream.start(mark, full=False))
    mark = stream.resume_point(cursor, mark)
    clock.advance(120)

    third, _, _ = _drain(stream, stream.start(mark, full=False))

    assert {i.id for i in first} == {a, b}
    assert [i.id for i in second] == [b]  # a's change was not in the index yet
    assert mark is not None
    assert mark.since > millis(_latest(third)[a].updated_at)
    assert _latest(third)[a].data["properties"]["revision"] == "2"  # found by the lookback
    assert {i.id for i in third} == {a, b}
    without, _, _ = _drain(stream := _contacts(fake, "tok"), stream.start(mark, full=False))
    assert [i.id for i in without] == [b]  # with no lookback, a's change is lost for good


def test_the_first_run_lists_then_searches_start_from_its_start_less_the_lookback(
    clock: VirtualClock,
) -> None:
    fake = HubSpotFake()
    fake.add_account("tok", contacts=250)
    stream = _contacts(fake, "tok", lookback=300)
    started = int(clock.now().timestamp() * 1000)

    first = stream.start(None, full=False)
    items, cursor, pages = _drain(stream, first)
    resume = stream.resume_point(cursor, None)

    assert first.mode == "list"
    assert (len(items), pages) == (250, 4)  # 3 pages, then the archived listing
    assert resume is not None
    assert resume.since == started
    again = stream.start(resume, full=False)
    assert (again.mode, again.time) == ("search", started - 300_000)
    assert stream.start(resume, full=True).mode == "list"


def test_archived_objects_since_the_mark_are_deletions(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("tok", contacts=20)
    ids = sorted(fake.accounts["tok"].objects["contacts"])
    fake.archive("tok", "contacts", ids[:2])  # ten minutes before the first run
    clock.advance(600)
    stream = _contacts(fake, "tok", lookback=300)
    first, cursor, _ = _drain(stream, stream.start(None, full=False))
    mark = stream.resume_point(cursor, None)
    clock.advance(3600)
    fake.archive("tok", "contacts", ids[5:8])
    clock.advance(5)

    second, cursor, _ = _drain(stream, stream.start(mark, full=False))

    assert sorted(i.id for i in first if i.deleted_at) == ids[:2]  # a full read: every one
    assert len([i for i in first if not i.deleted_at]) == 18
    assert sorted(i.id for i in second if i.deleted_at) == ids[5:8]  # only the new ones
    deleted = next(i for i in second if i.deleted_at)
    assert deleted.data["archived"] is True
    assert deleted.deleted_at == deleted.updated_at
    assert deleted.data["archivedAt"].startswith(deleted.deleted_at[:19])


def test_deals_carry_every_page_of_their_contacts_listed_or_searched(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("tok", per_ten_seconds=1000, search_lag=0)
    contacts = fake.add("tok", "contacts", 501)  # more than one page of one deal's contacts
    big, small, alone = fake.add("tok", "deals", 3)
    fake.associate("tok", "deals", big, "contacts", contacts)
    fake.associate("tok", "deals", small, "contacts", contacts[:1])
    deals = _contacts(fake, "tok", name="deals")

    def contacts_of(items: list[Item]) -> dict[str, list[str]]:
        return {
            i.id: [r["id"] for r in i.data["associations"]["contacts"]["results"]] for i in items
        }

    listed, cursor, _ = _drain(deals, deals.start(None, full=True))
    assert contacts_of(listed) == {big: contacts, small: contacts[:1], alone: []}
    clock.advance(60)
    fake.associate("tok", "deals", alone, "contacts", contacts[-2:])
    fake.change("tok", "deals", [alone])
    clock.advance(1)
    resume = deals.resume_point(cursor, None)
    searched, _, _ = _drain(deals, deals.start(resume, full=False))
    assert contacts_of(list(_latest(searched).values()))[alone] == contacts[-2:]


def test_association_reads_take_at_most_1000_ids_a_request(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("tok", per_ten_seconds=1000)
    deals = fake.add("tok", "deals", 1001)
    contact = fake.add("tok", "contacts", 1)[0]
    fake.associate("tok", "deals", deals[-1], "contacts", [contact])
    http = _contacts(fake, "tok").http
    sizes: list[int] = []
    fake.listeners.append(lambda request, answer: sizes.append(len(request.json()["inputs"])))
    found = hubspot.associated(http, "deals", "contacts", deals)
    assert sizes == [1000, 1]  # HubSpot refuses a larger batch
    assert found[deals[-1]] == [contact]
    assert found[deals[0]] == []
    with pytest.raises(VendorRejected, match="400"):
        http.post(
            "/crm/v4/associations/deals/contacts/batch/read", {"inputs": [{"id": d} for d in deals]}
        )


def test_an_association_read_refused_for_another_reason_fails_rather_than_clears() -> None:
    """Only "no associations" means none: a refusal (a missing scope) must not pass for it."""
    missing_scope = {
        "status": "COMPLETE",
        "results": [],
        "numErrors": 1,
        "errors": [{"status": "error", "category": "MISSING_SCOPES", "message": "scopes",
                    "context": {"fromObjectId": ["7"]}}],
    }  # fmt: skip
    http = hubspot.client(
        "tok",
        base_url="http://hubspot.test",
        account="tok",
        per_ten_seconds=100,
        schedule=LocalSchedule(),
        transport=httpx.MockTransport(lambda request: httpx.Response(207, json=missing_scope)),
    )
    with pytest.raises(VendorRejected, match="MISSING_SCOPES"):
        hubspot.associated(http, "deals", "contacts", ["7"])


def test_a_cursor_saved_before_key_paging_still_loads() -> None:
    old = {"mode": "search", "after": "400", "since": 1_000, "high": 5_000, "last": 3_000}
    cursor = hubspot_streams.ObjectCursor.model_validate(old)
    assert (cursor.mode, cursor.time, cursor.high, cursor.after) == ("search", 1_000, 5_000, None)
    listed = hubspot_streams.ObjectCursor.model_validate({"mode": "list", "after": "7", "high": 9})
    assert (listed.after, listed.started) == ("7", None)
    assert hubspot_streams.Since.model_validate({"since": 5}).deleted_since is None
    rd = rdstation_streams.ListCursor.model_validate({
        "since": "2026-01-01T00:00:00.000Z", "page": 7, "high": "2026-01-03T00:00:00.000Z",
        "last": "2026-01-02T00:00:00.000Z",
    })  # fmt: skip
    assert (rd.mode, rd.since, rd.page, rd.seen) == ("list", "2026-01-02T00:00:00.000Z", 1, ())
    tie = rdstation_streams.Tie(first="2026-01-02T00:00:00", began="2026-01-02T00:00:05.000Z")
    paging = rd.model_copy(update={"mode": "tie", "page": 3, "ties": (tie,), "again": tie})
    assert rdstation_streams.ListCursor.model_validate(paging.stored()) == paging


# -- RD Station ---------------------------------------------------------------------------
def test_rd_station_pages_by_key_and_a_record_changed_meanwhile_jumps_none(
    clock: VirtualClock,
) -> None:
    fake = RdStationFake()
    fake.add_account("key")
    ids = []
    for _ in range(10):  # 1,000 contacts, 100 per second
        ids += fake.add("key", "contacts", 100)
        clock.advance(1)
    stream = _rd_contacts(fake, "key")
    _after_requests(fake, 2, lambda: fake.change("key", "contacts", ids[:5]))

    items, _, _ = _drain(stream, stream.start(None, full=False))

    latest = _latest(items)
    assert set(latest) == set(ids)
    assert all(latest[i].data["revision"] == 2 for i in ids[:5])


def test_rd_station_reads_a_second_larger_than_a_page_again_after_a_shift(
    clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """350 records share one second: read by page number within it. The first of them
    changes after two of those pages, shifting the rest by one; the stream reads that change
    later than the paging began, so the second is read once more at the end and the record
    that slid onto a page already read is not lost."""
    monkeypatch.setattr(rdstation_fake, "CEILING", 1_000)
    monkeypatch.setattr(rdstation, "ROW_CEILING", 1_000)
    fake = RdStationFake()
    fake.add_account("key")
    ids = fake.add("key", "contacts", 350)
    clock.advance(1)
    ids += fake.add("key", "contacts", 20)
    first_in_order = min(ids[:350], key=rdstation_fake._tie)

    def leave_the_second() -> None:
        clock.advance(5)
        fake.change("key", "contacts", [first_in_order])

    # after the second's first page (the key query) and its second (by number)
    _after_requests(fake, 2, leave_the_second)
    stream = _rd_contacts(fake, "key")

    items, _, _ = _drain(stream, stream.start(None, full=False))

    assert set(_latest(items)) == set(ids)  # none jumped
    assert _latest(items)[first_in_order].data["revision"] == 2
    assert fake.made(status=400) == []


def test_rd_station_reads_a_quiet_second_larger_than_a_page_once(clock: VirtualClock) -> None:
    fake = RdStationFake()
    fake.add_account("key")
    ids = fake.add("key", "contacts", 350)
    clock.advance(60)  # nothing changes while the run reads
    stream = _rd_contacts(fake, "key")

    items, _, pages = _drain(stream, stream.start(None, full=False))

    assert sorted(i.id for i in items) == sorted(ids)  # each once
    # its 4 pages by number, the last short: the end (nothing changed: no second reading)
    assert pages == 4


# -- Zendesk ------------------------------------------------------------------------------
def _zendesk(fake: ZendeskFake, name: str) -> zendesk_streams.ExportStream:
    http = zendesk.client(
        "a@acme.com", "tok", "acme",
        base_url="http://zendesk.test/{subdomain}/api/v2", exports_per_minute=10,
        schedule=LocalSchedule(), transport=httpx.WSGITransport(app=fake),
    )  # fmt: skip
    return zendesk_streams.ExportStream(http, name)


def test_zendesk_exports_continue_from_the_saved_after_cursor(clock: VirtualClock) -> None:
    fake = ZendeskFake()
    fake.add_account("acme", "a@acme.com", "tok", tickets=2100)
    stream = _zendesk(fake, "tickets")

    items, cursor, pages = _drain(stream, stream.start(None, full=False))
    clock.advance(60)
    fake.change("acme", "tickets", [101, 2000])
    resume = stream.resume_point(cursor, None)
    again, _, _ = _drain(stream, stream.start(resume, full=False))

    assert (len(items), pages) == (2100, 3)
    assert sorted(i.id for i in again) == ["101", "2000"]
    assert all(r.status == 200 for r in fake.requests)  # 10 a minute, never a 429


def test_zendesk_deleted_tickets_and_users_come_marked_deleted(clock: VirtualClock) -> None:
    fake = ZendeskFake()
    fake.add_account("acme", "a@acme.com", "tok", tickets=3, users=3)
    clock.advance(60)
    fake.delete("acme", "tickets", [101])
    fake.delete("acme", "users", [105])

    tickets, _, _ = _drain(_zendesk(fake, "tickets"), ExportStart)
    users, _, _ = _drain(_zendesk(fake, "users"), ExportStart)

    assert {i.id: i.deleted_at is not None for i in tickets} == {
        "101": True, "102": False, "103": False,
    }  # fmt: skip
    assert {i.id: i.deleted_at is not None for i in users} == {
        "104": False, "105": True, "106": False,
    }  # fmt: skip
    deleted = next(i for i in tickets if i.deleted_at)
    assert deleted.deleted_at == deleted.updated_at


ExportStart = zendesk_streams.ExportCursor()

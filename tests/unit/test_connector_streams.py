"""Connector streams against the vendor fakes (mounted in httpx), in virtual time: paging,
the HubSpot search ceiling, Zendesk cursors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.hubspot_fake import HubSpotFake
from devstack.zendesk_fake import ZendeskFake
from ponte.connectors import hubspot as hubspot_streams
from ponte.connectors import zendesk as zendesk_streams
from ponte.connectors.base import Cursor, Item, StreamStuck
from ponte.vendors import hubspot, zendesk
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


def _contacts(fake: HubSpotFake, token: str) -> hubspot_streams.ObjectStream:
    http = hubspot.client(
        token,
        base_url="http://hubspot.test",
        account=token,
        per_ten_seconds=100,
        schedule=LocalSchedule(),
        transport=httpx.WSGITransport(app=fake),
    )
    return hubspot_streams.ObjectStream(http, "contacts")


def test_a_search_past_10000_results_restarts_from_the_last_time_seen(
    clock: VirtualClock,
) -> None:
    fake = HubSpotFake()
    fake.add_account("tok")
    base = int(clock.now().timestamp() * 1000)
    for batch in range(105):  # 10,500 contacts, 100 per millisecond
        fake.add("tok", "contacts", 100, at_ms=base + batch)
    stream = _contacts(fake, "tok")

    items, cursor, _ = _drain(stream, stream.start(hubspot_streams.Since(since=base), full=False))

    ids = [i.id for i in items]
    assert set(ids) == set(fake.accounts["tok"].objects["contacts"])  # none skipped
    repeated = len(ids) - len(set(ids))
    assert 0 < repeated <= 100  # only those at the restart's timestamp came back
    assert all(r.status != 400 for r in fake.requests)  # never paged past the ceiling
    assert stream.resume_point(cursor, None) == hubspot_streams.Since(since=base + 104)


def test_a_search_that_cannot_page_past_one_timestamp_says_so(clock: VirtualClock) -> None:
    fake = HubSpotFake()
    fake.add_account("tok")
    stamp = int(clock.now().timestamp() * 1000)
    fake.add("tok", "contacts", 10_100, at_ms=stamp)
    stream = _contacts(fake, "tok")

    with pytest.raises(StreamStuck, match="share one modification time"):
        _drain(stream, stream.start(hubspot_streams.Since(since=stamp), full=False))


def test_the_first_run_lists_and_later_runs_search_from_the_highest_time(
    clock: VirtualClock,
) -> None:
    fake = HubSpotFake()
    fake.add_account("tok", contacts=250)
    stream = _contacts(fake, "tok")

    first = stream.start(None, full=False)
    items, cursor, pages = _drain(stream, first)
    resume = stream.resume_point(cursor, None)

    assert first.mode == "list"
    assert (len(items), pages) == (250, 3)
    assert resume is not None
    assert stream.start(resume, full=False).mode == "search"
    assert stream.start(resume, full=True).mode == "list"


def test_zendesk_exports_continue_from_the_saved_after_cursor(clock: VirtualClock) -> None:
    fake = ZendeskFake()
    fake.add_account("acme", "a@acme.com", "tok", tickets=2100)
    http = zendesk.client(
        "a@acme.com", "tok", "acme",
        base_url="http://zendesk.test/{subdomain}/api/v2", exports_per_minute=10,
        schedule=LocalSchedule(), transport=httpx.WSGITransport(app=fake),
    )  # fmt: skip
    stream = zendesk_streams.ExportStream(http, "tickets")

    items, cursor, pages = _drain(stream, stream.start(None, full=False))
    clock.advance(60)
    fake.change("acme", "tickets", [101, 2000])
    resume = stream.resume_point(cursor, None)
    again, _, _ = _drain(stream, stream.start(resume, full=False))

    assert (len(items), pages) == (2100, 3)
    assert sorted(i.id for i in again) == ["101", "2000"]
    assert all(r.status == 200 for r in fake.requests)  # 10 a minute, never a 429

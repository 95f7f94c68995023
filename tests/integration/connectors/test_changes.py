"""Vendor data that changes while Ponte reads it, through the API, the worker and the fakes:
records changed while a run pages (HubSpot's search, RD Station's lists), HubSpot's search
index that shows a write late (the lookback), HubSpot's search limit.

The rule: a record that exists when a run starts and is not changed again is stored by that
run; one changed during the run is stored at its latest version by that run or the next."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devstack.fakes import Answer, Request
from ponte.repository import pulled_records
from ponte.settings import get_settings
from tests.integration.connectors.conftest import Connectors
from tests.support.virtual_time import VirtualClock


def _stored(connectors: Connectors, connection_id: str, stream: str) -> dict[str, Any]:
    """Every stored record of a stream, read through the API: {id: record}."""
    found: dict[str, Any] = {}
    cursor = ""
    while True:
        answer = connectors.records(connection_id, stream, limit=100, cursor=cursor).json()
        found |= {r["id"]: r for r in answer["data"]}
        cursor = answer["meta"]["nextCursor"]
        if not cursor:
            return found


@pytest.fixture
def after_requests(connectors: Connectors) -> Iterator[Callable[..., None]]:
    """``after_requests(fake, path_part, count, action)``: run ``action`` once, after the
    fake answered ``count`` requests whose path holds ``path_part``."""
    added: list[tuple[Any, Any]] = []

    def arrange(fake: Any, path_part: str, count: int, action: Callable[[], None]) -> None:
        seen = {"n": 0}

        def listener(request: Request, answer: Answer) -> None:
            if answer.status == 200 and path_part in request.path:
                seen["n"] += 1
                if seen["n"] == count:
                    action()

        fake.listeners.append(listener)
        added.append((fake, listener))

    yield arrange
    for fake, listener in added:
        fake.listeners.remove(listener)


def test_hubspot_records_changed_while_an_increment_pages_jump_none(
    connectors: Connectors, clock: VirtualClock, after_requests: Callable[..., None]
) -> None:
    """1,000 contacts changed since the last run, one a millisecond: five search pages. After
    the second, five contacts already read and five not yet read change again. Paging by
    offset, the moved ones shift the rest and five unread contacts are never read."""
    connection_id, token = connectors.hubspot_connection()
    connectors.run(connection_id)
    clock.advance(60)
    base = int(clock.now().timestamp() * 1000) - 30_000
    ids = [connectors.hubspot.add(token, "contacts", 1, at_ms=base + n)[0] for n in range(1_000)]
    clock.advance(5)  # HubSpot's search shows a write a few moments after it
    moved = ids[10:15] + ids[700:705]  # read on the first page / not read yet
    after_requests(
        connectors.hubspot, "/contacts/search", 2,
        lambda: connectors.hubspot.change(token, "contacts", moved),
    )  # fmt: skip

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert run["streams"]["contacts"]["created"] == 1_000
    stored = _stored(connectors, connection_id, "contacts")
    assert set(stored) == set(ids)  # none jumped
    unmoved = [i for i in ids if i not in moved]
    assert all(stored[i]["data"]["properties"]["revision"] == "1" for i in unmoved)
    clock.advance(5)
    connectors.run(connection_id)  # the next run, if this one ended before the index caught up
    stored = _stored(connectors, connection_id, "contacts")
    assert all(stored[i]["data"]["properties"]["revision"] == "2" for i in moved)
    assert connectors.hubspot.made(token[-6:], status=400) == []


def test_rd_station_records_changed_while_a_run_pages_jump_none(
    connectors: Connectors, clock: VirtualClock, after_requests: Callable[..., None]
) -> None:
    """1,000 contacts, 100 updated each second; after two pages, five already read and five
    not yet read change. RD Station pages by offset; Ponte by key: none is jumped, and the
    moved ones are read again, at the end, by the same run."""
    connection_id, key = connectors.rdstation_connection()
    ids: list[str] = []
    for _ in range(10):
        ids += connectors.rdstation.add(key, "contacts", 100)
        clock.advance(1)
    moved = ids[10:15] + ids[700:705]

    def change() -> None:
        clock.advance(1)
        connectors.rdstation.change(key, "contacts", moved)

    after_requests(connectors.rdstation, "/contacts", 2, change)

    run = connectors.run(connection_id)

    assert run["status"] == "success"
    assert run["streams"]["contacts"]["created"] == 1_000
    stored = _stored(connectors, connection_id, "contacts")
    assert set(stored) == set(ids)  # none jumped
    assert {i: stored[i]["data"]["revision"] for i in moved} == dict.fromkeys(moved, 2)
    unmoved = [i for i in ids if i not in moved]
    assert all(stored[i]["data"]["revision"] == 1 for i in unmoved)


@pytest.mark.parametrize(("lookback", "found"), [(None, "2"), ("0", "1")])
def test_the_lookback_catches_an_update_the_search_index_showed_late(
    connectors: Connectors,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
    lookback: str | None,
    found: str,
) -> None:
    """Contact A changes, then B a second later; HubSpot's index shows B's change at once and
    A's two minutes late. The run between them saw only B and marks B's time: the next run
    finds A only because it starts 5 minutes (the default lookback) before that mark. With
    no lookback, A's change is lost for good."""
    if lookback is not None:
        monkeypatch.setenv("HUBSPOT_LOOKBACK_SECONDS", lookback)
    get_settings.cache_clear()
    try:
        connection_id, token = connectors.hubspot_connection(contacts=2)
        a, b = sorted(connectors.hubspot.accounts[token].objects["contacts"])
        first = connectors.run(connection_id)
        clock.advance(60)
        connectors.hubspot.change(token, "contacts", [a], index_lag=120)
        clock.advance(1)
        connectors.hubspot.change(token, "contacts", [b])
        clock.advance(5)
        second = connectors.run(connection_id)
        clock.advance(180)
        third = connectors.run(connection_id)
    finally:
        monkeypatch.delenv("HUBSPOT_LOOKBACK_SECONDS", raising=False)
        get_settings.cache_clear()

    assert first["streams"]["contacts"]["created"] == 2
    assert second["streams"]["contacts"]["updated"] == 1  # B; A was not in the index yet
    stored = _stored(connectors, connection_id, "contacts")
    assert stored[b]["data"]["properties"]["revision"] == "2"
    assert stored[a]["data"]["properties"]["revision"] == found
    if found == "2":
        assert third["streams"]["contacts"]["updated"] == 1  # A, found by the lookback
        assert third["streams"]["contacts"]["unchanged"] == 1  # B read again: no write
        versions = pulled_records.versions(connectors.tenant.id, connection_id, "contacts", [b])
        assert versions[b].run == second["id"]


def test_hubspot_searches_are_paced_and_never_answered_429(
    connectors: Connectors, clock: VirtualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An increment of three object types, 1,000 changes each: 15 searches and more, at most
    4 a second (HubSpot allows 5 per account) and inside the app's 10-second budget, here 20
    (the setting and the fake agree) so both limits bind."""
    monkeypatch.setenv("HUBSPOT_REQUESTS_PER_10S", "20")
    get_settings.cache_clear()
    token = f"pat-pace-{connectors.prefix}"
    connectors.hubspot.add_account(token, per_ten_seconds=20)
    created = connectors.create(
        {"name": "HubSpot", "platform": "hubspot", "credentials": {"accessToken": token}}
    )
    connection_id = created.json()["data"]["id"]
    try:
        connectors.run(connection_id)
        clock.advance(60)
        base = int(clock.now().timestamp() * 1000) - 30_000
        for kind in ("contacts", "companies", "deals"):
            for n in range(1_000):
                connectors.hubspot.add(token, kind, 1, at_ms=base + n)
        clock.advance(5)
        before = len(connectors.hubspot.made(token[-6:]))
        run = connectors.run(connection_id)
    finally:
        monkeypatch.delenv("HUBSPOT_REQUESTS_PER_10S")
        get_settings.cache_clear()

    assert run["status"] == "success"
    assert run["recordsCreated"] == 3_000
    made = connectors.hubspot.made(token[-6:])[before:]
    searches = [r.at for r in made if r.path.endswith("/search")]
    assert len(searches) >= 15
    assert connectors.hubspot.made(token[-6:], status=429) == []
    assert _busiest(searches, 1.0) <= 5
    assert _busiest([r.at for r in made], 10.0) <= 20


def _busiest(times: list[float], window: float) -> int:
    ordered, best, start = sorted(times), 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best

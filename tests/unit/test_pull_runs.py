"""How a connector run's state follows its stored pages (pure rules behind resumption)."""

from ponte.domain.connectors import (
    ERRORS_KEPT,
    PageRecord,
    Platform,
    PullRun,
    RunStatus,
    StreamState,
    Trigger,
)

RUN = PullRun(
    id="r1", connection_id="c1", connection_name="HubSpot", platform=Platform.HUBSPOT,
    status=RunStatus.IN_PROGRESS, trigger=Trigger.MANUAL, full_sync=False, created_at="t",
    streams={"contacts": StreamState(), "deals": StreamState()},
)  # fmt: skip


def _page(seq: int, stream: str = "contacts", *, done: bool = False, **counts: int) -> PageRecord:
    return PageRecord(seq, stream, {"after": str(seq * 100)}, done, "t", **counts)


def test_pages_add_their_counts_and_move_the_cursor() -> None:
    first = _page(1, created=100, fetched=100)
    last = _page(2, created=50, updated=5, fetched=55, done=True)

    run = RUN.with_pages([first, last])

    contacts = run.streams["contacts"]
    assert (contacts.created, contacts.updated, contacts.pages) == (150, 5, 2)
    assert (contacts.status, contacts.cursor) == ("done", {"after": "200"})
    assert run.streams["deals"] == StreamState()
    assert (run.page_seq, run.records_synced) == (2, 155)


def test_pages_already_counted_are_not_counted_twice() -> None:
    once = RUN.with_pages([_page(1, created=100)])

    again = once.with_pages([_page(1, created=100), _page(2, unchanged=100)])

    assert again.total("created") == 100
    assert again.total("unchanged") == 100
    assert again.page_seq == 2


def test_record_errors_are_counted_and_the_first_ones_kept() -> None:
    errors = [{"stream": "contacts", "record": str(i), "page": 1, "message": "bad"}
              for i in range(20)]  # fmt: skip
    pages = [PageRecord(s, "contacts", {}, False, "t", failed=30, errors=errors)
             for s in range(1, 8)]  # fmt: skip

    run = RUN.with_pages(pages)

    assert run.error_count == 210
    assert len(run.errors) == ERRORS_KEPT
    assert run.streams["contacts"].errors == 210


def test_deletions_are_counted_per_stream_and_not_as_synced() -> None:
    run = RUN.with_pages([_page(1, created=8, deleted=2), _page(2, "deals", deleted=1)])

    assert (run.streams["contacts"].deleted, run.streams["deals"].deleted) == (2, 1)
    assert (run.total("deleted"), run.records_synced) == (3, 8)


def test_what_a_record_seen_again_is() -> None:
    """created / updated / unchanged / deleted for what a page brings, against what is
    stored; a deletion of a record held live (or never held) is "deleted", a deleted record
    seen live again is updated."""
    from ponte.connectors.base import Item
    from ponte.domain.records import Version
    from ponte.services.pulls.engine import _action

    live = Item("1", "2026-01-01T00:00:00.000Z", {"v": 1})
    gone = Item("1", "2026-01-02T00:00:00.000Z", {"v": 1}, deleted_at="2026-01-02T00:00:00.000Z")
    held = Version(live.hash, "earlier", 3, "created")
    held_deleted = Version(gone.hash, "earlier", 3, "deleted", deleted=True)

    assert _action(None, live, "r1", 1) == "created"
    assert _action(None, gone, "r1", 1) == "deleted"
    assert _action(held, live, "r1", 1) == "unchanged"
    assert _action(held, gone, "r1", 1) == "deleted"
    assert _action(held_deleted, gone, "r1", 1) == "unchanged"
    assert _action(held_deleted, live, "r1", 1) == "updated"  # restored at the vendor
    assert _action(Version(live.hash, "r1", 1, "created"), live, "r1", 1) == "again"

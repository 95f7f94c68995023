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

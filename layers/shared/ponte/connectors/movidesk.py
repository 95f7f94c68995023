"""Movidesk's one stream: the tickets changed in the run's window (``options``: the window's
``start`` and ``end`` in UTC, and ``parts``: the lists that hold its tickets, ``recent`` for
``/tickets`` and ``past`` for ``/tickets/past``, read in that order; domain/movidesk.py).

A Movidesk connection is one per tenant, managed by the Movidesk admin API. Its runs write
the log lines and the result line people know from Movidesk's own sync: ``[SCHEDULER] …``
for a scheduled run, ``[MOVIDESK] …`` for a manual one, and ``Novos: …, Atualizados: …,
Total: …`` at the end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

from ponte.connectors.base import Connector, Cursor, NoResume, Page, items_of, normalised_time
from ponte.connectors.spec import Build, ConnectorSpec, RunHooks, account
from ponte.domain import movidesk as rules
from ponte.domain.connectors import Credentials, Platform, PullRun, RunStatus, Trigger
from ponte.observability import logger
from ponte.validation import header_safe
from ponte.vendors import movidesk
from ponte.vendors.http import VendorHttp

STREAMS = ("tickets",)


class MovideskCredentials(Credentials):
    token: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=8, max_length=200),
        AfterValidator(header_safe),
    ]


class TicketCursor(Cursor):
    part: int = 0  # which of the window's lists is being read
    after: tuple[str, str] | None = None  # (lastUpdate, id) of the last ticket read in it


class TicketStream:
    name = "tickets"
    cursor_type = TicketCursor
    resume_type = NoResume

    def __init__(self, http: VendorHttp, window: dict[str, Any]) -> None:
        self.http = http
        self.start_at = normalised_time(window["start"])
        self.end_at = normalised_time(window["end"])
        # A run queued before windows had parts names only whether it was past.
        self.parts: list[str] = list(window.get("parts") or
                                     ["past" if window.get("past") else "recent"])  # fmt: skip

    def start(self, saved: NoResume | None, full: bool) -> TicketCursor:
        return TicketCursor()

    def page(self, cursor: TicketCursor) -> Page[TicketCursor]:
        if cursor.part >= len(self.parts):
            return Page([], cursor, True)
        tickets = movidesk.tickets_page(
            self.http, fields=rules.FIELDS, action_fields=rules.ACTION_FIELDS,
            start=self.start_at, end=self.end_at, after=cursor.after,
            past=self.parts[cursor.part] == "past",
        )  # fmt: skip
        items, problems = items_of(
            tickets,
            lambda raw: normalised_time(raw.get("lastUpdate")),
            "ticket without a numeric id or a lastUpdate",
            accept=lambda ticket_id: (
                ticket_id is not None and str(ticket_id).isascii() and str(ticket_id).isdigit()
            ),
        )
        if len(tickets) < movidesk.PAGE_SIZE:  # this list is read: the next one, if any
            ended = cursor.part + 1 >= len(self.parts)
            return Page(items, TicketCursor(part=cursor.part + 1), ended, problems)
        last = (items[-1].updated_at, items[-1].id) if items else cursor.after
        return Page(items, TicketCursor(part=cursor.part, after=last), False, problems)

    def resume_point(self, cursor: TicketCursor, saved: NoResume | None) -> NoResume | None:
        return None  # every run covers its own window


def window_options(window: rules.Window, now: datetime) -> dict[str, Any]:
    """A window as a run keeps it (its ``options``)."""
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "period": window.period,
        "first_day": window.first_day.isoformat(),
        "last_day": window.last_day.isoformat(),
        "past": window.is_past(now),
        "parts": list(window.parts(now)),
    }


def _scheduled(now: datetime) -> dict[str, Any]:
    """A run without options (a schedule's) covers the scheduled window: the last 3 days."""
    return window_options(rules.scheduled_window(now), now)


def announce(run: PullRun, message: str, **extra: Any) -> None:
    """A run's log line: ``[SCHEDULER] …`` for a scheduled run, ``[MOVIDESK] …`` for a
    manual one."""
    tag = "[SCHEDULER]" if run.trigger is Trigger.SCHEDULE else "[MOVIDESK]"
    logger.info(f"{tag} {message}", extra={"run": run.id, **extra})


def _started(run: PullRun) -> None:
    kind = "automática" if run.trigger is Trigger.SCHEDULE else "manual"
    announce(run, f"Iniciando sincronização {kind} do Movidesk...")
    announce(run, f"Período: {run.options.get('period', '')}")


def _ended(run: PullRun, status: RunStatus) -> dict[str, Any]:
    result = rules.result_line(run.total("created"), run.total("updated"))
    announce(run, f"Sincronização concluída! {result}", status=status.value)
    return {"result": result}


def _build(credentials: MovideskCredentials, build: Build) -> Connector:
    token = credentials.token
    http = movidesk.client(
        token,
        base_url=build.settings.movidesk_base_url,
        account=account(token),
        per_minute=build.settings.movidesk_requests_per_minute,
        schedule=build.schedule,
        max_attempts=build.attempts,
    )
    window = dict(build.options) or {"start": 0, "end": 0}
    streams = [TicketStream(http, window)]
    return Connector(Platform.MOVIDESK, streams, lambda: movidesk.check(http), http.close)


SPEC = ConnectorSpec(
    Platform.MOVIDESK,
    MovideskCredentials,
    STREAMS,
    _build,
    managed=True,
    max_attempts=movidesk.ATTEMPTS,
    default_options=_scheduled,
    hooks=RunHooks(started=_started, ended=_ended),
)

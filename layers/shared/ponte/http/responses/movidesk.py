"""The Movidesk admin API's answers: settings, runs (the connectors' run row with the result
line, ``Novos: …``, and the run's window), stored tickets and one ticket's detail."""

from __future__ import annotations

from typing import Any

from ponte.domain.connectors import RunStatus
from ponte.http.responses import CursorMeta, PageMeta, ResponseModel, Success, absent_when_none
from ponte.http.responses.connectors import RunRow


class MovideskSettings(ResponseModel):
    schedules: list[str]  # HH:MM, São Paulo time
    timezone: str
    tokenConfigured: bool
    nextRuns: list[str]
    subdomain: str | None  # additive: the account's, in Movidesk's web app (links tickets)


class SettingsAnswer(Success):
    """The sync times, whether a token is set, and the next runs"""

    data: MovideskSettings


class Window(ResponseModel):
    start: str | None  # UTC
    end: str | None
    period: str | None  # the São Paulo days, as the log line shows them
    firstDay: str | None  # additive: the first and last São Paulo day covered (AAAA-MM-DD)
    lastDay: str | None


class TicketCounts(ResponseModel):
    novos: int
    atualizados: int
    total: int  # novos + atualizados, as the API has always counted them
    inalterados: int


class Progress(ResponseModel):
    pages: int
    tickets: int


class MovideskRun(RunRow):
    window: Window
    result: str  # `Novos: 45, Atualizados: 12, Total: 57`
    counts: TicketCounts
    progress: Progress


class MovideskRunAnswer(Success):
    """The run with its result line (`Novos: 45, Atualizados: 12, Total: 57`)"""

    data: MovideskRun


class MovideskRunList(Success):
    """Movidesk runs, newest first"""

    data: list[MovideskRun]
    meta: PageMeta


class StartedRun(ResponseModel):
    runId: str
    status: RunStatus
    statusUrl: str


class MovideskAccepted(Success):
    """Started (202): read the run at `statusUrl`"""

    message: str
    data: StartedRun


class TicketPage(Success):
    """Stored tickets, newest change first, with a cursor to the next page"""

    data: list[dict[str, Any]]  # the ticket as Movidesk sends it, with `syncedAt`
    meta: CursorMeta


class TicketDetail(ResponseModel):
    id: str
    ticket: dict[str, Any]  # its other fields as Movidesk sends them (subject, status, owner…)
    clients: list[dict[str, Any]]
    actions: list[dict[str, Any]]  # its conversation as stored (oldest first)
    actionsTotal: int  # more than `actions` holds when the newest were kept to fit (dataUrl)
    statusHistories: list[dict[str, Any]] | None  # null: none stored for this ticket
    syncedAt: str
    movideskUrl: str | None  # its page in Movidesk, when the settings name the subdomain
    dataUrl: str | None = absent_when_none()  # the whole ticket, when `actions` is cut short
    dataUrlExpiresAt: str | None = absent_when_none()


class TicketAnswer(Success):
    """A stored ticket: its fields, clients, actions and status history"""

    data: TicketDetail

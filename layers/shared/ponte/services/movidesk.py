"""Movidesk ticket sync on the run engine: the tenant's settings (sync times, the token),
manual syncs, the run history and the synced tickets.

The sync times are the original integration's parameter ``MOVIDESK_SYNC_SCHEDULES``; saving
them reconciles one EventBridge Scheduler schedule per time in the same request (the Flask
app this replaces polled its parameter every 5 minutes). Saves take turns: each writes the
times (a new version) and reconciles the schedules while it holds the parameter's claim, so
concurrent saves always leave the stored times and the schedules equal; one that cannot get
its turn within ``TURN_SECONDS`` is a 409 with Retry-After and changes nothing. The token
lives in Secrets Manager as the credentials of the tenant's Movidesk connection (id
``movidesk``): never in an answer, a log line or an error. The account's subdomain in
Movidesk's web app (optional, a parameter beside the times) links a ticket to its page there.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
import time as time_module
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

from ponte import errors
from ponte.adapters import schedules
from ponte.clock import utcnow
from ponte.connectors.base import normalised_time
from ponte.connectors.movidesk import window_options
from ponte.domain import movidesk as rules
from ponte.domain.connectors import Platform, PullRun, Trigger
from ponte.domain.records import PulledRecord
from ponte.repository import cursors, parameters, pulled_records
from ponte.repository.errors import ConditionFailed
from ponte.services import connections, paging
from ponte.services.pulls import starting, views
from ponte.services.pulls.answers import Fit, Fitter, Link, Loader, link_to
from ponte.validation import header_safe
from ponte.vendors import movidesk as vendor

CONNECTION_ID = "movidesk"
SCHEDULE_KIND = "movidesk"
TURN_SECONDS = 10.0  # how long a save waits for the one before it (real time)
CLAIM_SECONDS = 60  # a save's claim on the times; one that dies lets the next in after it

Token = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=200),
    AfterValidator(header_safe),
]


class SettingsChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schedules: list[str] | None = None
    token: Token | None = None
    subdomain: Annotated[str, StringConstraints(max_length=100)] | None = None  # '' clears it


class ManualSync(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start_date: str
    end_date: str


@dataclass(frozen=True, slots=True)
class Settings:
    schedules: list[str]
    token_configured: bool
    next_runs: list[datetime]
    timezone: str = rules.TIMEZONE
    subdomain: str | None = None  # the account's, in Movidesk's web app


def invalid(message: str, field: str) -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.INVALID, "VALIDATION_ERROR", message, message, {field: [message]}
    )


def busy() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.CONFLICT, "CONCURRENT_UPDATE",
        "Outra alteração dos horários está em andamento: tente novamente",
        "Another change of the sync times is in progress: try again",
        headers={"Retry-After": "1"},
    )  # fmt: skip


def in_progress() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.CONFLICT, "SYNC_IN_PROGRESS", "Já existe uma sincronização em andamento",
        "Another sync is running",
    )  # fmt: skip


def _times(tenant_id: str) -> list[str]:
    raw = parameters.get(tenant_id, rules.PARAMETER)
    try:
        stored = json.loads(raw) if raw else []
        return rules.sync_times(stored)
    except (ValueError, rules.InvalidInput):
        return []  # a parameter edited by hand into nonsense schedules nothing


def subdomain(tenant_id: str) -> str | None:
    """The account's subdomain in Movidesk's web app, when the settings name it."""
    try:
        return rules.subdomain(parameters.get(tenant_id, rules.SUBDOMAIN_PARAMETER) or "") or None
    except rules.InvalidInput:
        return None  # edited by hand into something no address holds


def settings(tenant_id: str) -> Settings:
    times = _times(tenant_id)
    configured = connections.find(tenant_id, CONNECTION_ID) is not None
    upcoming = rules.next_runs(times, utcnow()) if configured else []
    return Settings(times, configured, upcoming, subdomain=subdomain(tenant_id))


def save_settings(tenant_id: str, change: SettingsChange) -> Settings:
    """Check everything first (times, then the token with one Movidesk call), then store
    the token, the parameter and the schedules: a refused request changes nothing."""
    times = _times(tenant_id)
    if change.schedules is not None:
        try:
            times = rules.sync_times(change.schedules)
        except rules.InvalidInput as exc:
            raise invalid(str(exc), "schedules") from None
    subdomain = None
    if change.subdomain is not None:
        try:
            subdomain = rules.subdomain(change.subdomain)
        except rules.InvalidInput as exc:
            raise invalid(str(exc), "subdomain") from None
    configured = connections.find(tenant_id, CONNECTION_ID) is not None
    if times and not configured and change.token is None:
        raise invalid("Informe o token do Movidesk antes dos horários", "token")
    if change.schedules is None:
        _save_token(tenant_id, change.token)
        _save_subdomain(tenant_id, subdomain)
        return settings(tenant_id)
    with _turn(tenant_id) as owner:  # a save that gets no turn changes nothing, token included
        _save_token(tenant_id, change.token)
        _save_times(tenant_id, times, owner)
        _save_subdomain(tenant_id, subdomain)
    return settings(tenant_id)


def _save_subdomain(tenant_id: str, subdomain: str | None) -> None:
    if subdomain is not None:
        parameters.put(
            tenant_id, rules.SUBDOMAIN_PARAMETER, subdomain, kind="TEXT",
            group=rules.PARAMETER_GROUP,
        )  # fmt: skip


def _save_token(tenant_id: str, token: str | None) -> None:
    if token is None:
        return
    try:
        connections.put_managed(
            tenant_id, CONNECTION_ID, Platform.MOVIDESK, "Movidesk", {"token": token}
        )
    except errors.DomainError as exc:
        if exc.code == "INVALID_CREDENTIALS":
            raise errors.DomainError(
                errors.Kind.INVALID, "INVALID_CREDENTIALS",
                "Token do Movidesk recusado: nada foi alterado", exc.message_en,
            ) from None  # fmt: skip
        raise


@contextmanager
def _turn(tenant_id: str) -> Iterator[str]:
    """This save's turn at the times: the parameter's claim, waited for up to TURN_SECONDS
    (real time: the save before is another request at work), else a 409."""
    owner = secrets.token_hex(8)
    deadline = time_module.monotonic() + TURN_SECONDS
    while True:
        now = utcnow().timestamp()
        if parameters.claim(tenant_id, rules.PARAMETER, owner, now=now, until=now + CLAIM_SECONDS):
            break
        if time_module.monotonic() >= deadline:
            raise busy()
        _pause.wait(random.uniform(0.02, 0.1))  # noqa: S311 - jitter, not a secret
    try:
        yield owner
    finally:
        parameters.release(tenant_id, rules.PARAMETER, owner)


def _save_times(tenant_id: str, times: list[str], owner: str) -> None:
    """Store the times (a new version) and bring the schedules in line with them, while
    ``owner`` holds the turn: the last save's times are the schedules."""
    try:
        version = parameters.put(
            tenant_id, rules.PARAMETER, json.dumps(times), kind="TEXT",
            group=rules.PARAMETER_GROUP, owner=owner,
        )  # fmt: skip
    except ConditionFailed:  # the turn ran out before the write (a save past CLAIM_SECONDS)
        raise busy() from None
    _reconcile(tenant_id, times)
    if parameters.read(tenant_id, rules.PARAMETER).version != version:
        _reconcile(tenant_id, _times(tenant_id))  # the turn ran out meanwhile: the newest wins


def _reconcile(tenant_id: str, times: list[str]) -> None:
    """One Scheduler schedule per time: missing ones created, removed ones deleted."""
    prefix = schedules.tenant_prefix(tenant_id, SCHEDULE_KIND)
    wanted = {f"{prefix}{t.replace(':', '')}": t for t in times}
    for name, hhmm in wanted.items():
        schedules.put(
            schedules.Wanted(
                name, rules.cron(hhmm), rules.TIMEZONE, True,
                schedules.message(tenant_id, CONNECTION_ID),
                f"Ponte: Movidesk sync of {tenant_id} at {hhmm} ({rules.TIMEZONE})",
            )
        )  # fmt: skip
    for name in schedules.names(prefix):
        if name not in wanted:
            schedules.delete(name)


def schedule_names(tenant_id: str) -> list[str]:
    return schedules.names(schedules.tenant_prefix(tenant_id, SCHEDULE_KIND))


def start_manual(tenant_id: str, body: ManualSync) -> PullRun:
    now = utcnow()
    try:
        window = rules.manual_window(body.start_date, body.end_date, now)
    except rules.InvalidInput as exc:
        raise invalid(str(exc), "period") from None
    if connections.find(tenant_id, CONNECTION_ID) is None:
        raise invalid("Configure o token do Movidesk antes de sincronizar", "token")
    try:
        return starting.start(
            tenant_id, CONNECTION_ID, full=False, trigger=Trigger.MANUAL,
            options=window_options(window, now),
        )  # fmt: skip
    except errors.DomainError as exc:
        if exc.code == "SYNC_IN_PROGRESS":
            raise in_progress() from None
        raise


def runs(tenant_id: str, *, page: int, limit: int) -> tuple[list[PullRun], int]:
    return views.list_runs(tenant_id, page=page, limit=limit, connection_id=CONNECTION_ID)


def run(tenant_id: str, run_id: str) -> PullRun:
    found = views.get_run(tenant_id, run_id)
    if found.connection_id != CONNECTION_ID:
        raise views.run_not_found()
    return found


@dataclass(frozen=True, slots=True)
class TicketQuery:
    q: str = ""
    status: str = ""
    updated_from: date | None = None
    updated_to: date | None = None
    limit: int = 50
    cursor: str = ""


def tickets(tenant_id: str, query: TicketQuery, fit: Fit | None = None) -> views.RecordPage:
    """Synced tickets, most recently updated first; ``q`` finds a protocol, subject, id or
    client; dates are São Paulo days. With ``fit``, the page is sized for one answer and a
    ticket too large for one comes with a link instead (services/pulls/answers.py)."""
    wanted = query.q.strip().casefold()
    status = query.status.strip().casefold()
    load = Loader()  # a large ticket read to filter it is read once

    def keep(record: PulledRecord) -> bool:
        if not (wanted or status):
            return True
        ticket = load(record).data
        if status and status not in {
            str(ticket.get("status") or "").casefold(),
            str(ticket.get("baseStatus") or "").casefold(),
        }:
            return False
        if not wanted:
            return True
        clients = ticket.get("clients") or []
        text = " ".join(
            [str(ticket.get(k) or "") for k in ("id", "protocol", "subject")]
            + [str(c.get(k) or "") for c in clients if isinstance(c, dict)
               for k in ("businessName", "email")]
        ).casefold()  # fmt: skip
        return wanted in text

    since = _day_start(query.updated_from)
    until = _day_start(query.updated_to, next_day=True)
    fitter = Fitter(fit, load) if fit is not None else None
    try:
        found, cursor = pulled_records.list_records(
            tenant_id, CONNECTION_ID, "tickets", updated_since=since, updated_until=until,
            limit=query.limit, sealer=paging.sealer(), cursor=query.cursor, keep=keep,
            filters=json.dumps([wanted, status]), newest_first=True, admit=fitter or load,
        )  # fmt: skip
    except cursors.InvalidCursor:
        raise invalid("Cursor inválido", "cursor") from None
    return views.RecordPage(found, cursor or None, fitter.links if fitter is not None else {})


def ticket_not_found() -> errors.DomainError:
    return errors.DomainError(
        errors.Kind.NOT_FOUND, "TICKET_NOT_FOUND", "Ticket não encontrado", "Ticket not found"
    )


@dataclass(frozen=True, slots=True)
class StoredTicket:
    record: PulledRecord  # whole (read from its object when it is kept in one)
    link: Link | None  # a short-lived link to the whole ticket, when it is kept in an object
    url: str | None  # its page in Movidesk's web app, when the account's subdomain is set


def ticket(tenant_id: str, ticket_id: str) -> StoredTicket:
    """One synced ticket as it was stored, its actions, clients (and status history, when
    the sync stored one) included."""
    found = None
    if 0 < len(ticket_id) <= 64:
        found = pulled_records.get_record(tenant_id, CONNECTION_ID, "tickets", ticket_id)
    if found is None:
        raise ticket_not_found()
    link = link_to(found.stored) if found.stored is not None else None
    account = subdomain(tenant_id)
    url = vendor.ticket_url(account, found.vendor_id) if account else None
    return StoredTicket(Loader()(found), link, url)


def _day_start(day: date | None, *, next_day: bool = False) -> str:
    """The first instant of a São Paulo day (or the last, ``next_day``), as records store
    times ('' for no bound)."""
    if day is None:
        return ""
    moment = datetime.combine(day + timedelta(days=1 if next_day else 0), time(0), rules.ZONE)
    if next_day:
        moment -= timedelta(milliseconds=1)
    return normalised_time(moment.isoformat())


_pause = threading.Event()  # never set: its wait() is a plain real-time pause
WAIT_SECONDS = 25  # under API Gateway's 29 s


def wait_for(tenant_id: str, run_id: str, seconds: float = WAIT_SECONDS) -> PullRun | None:
    """The run once it has finished, if it does within ``seconds`` (real time: the worker
    runs elsewhere); else None."""
    deadline = time_module.monotonic() + seconds
    while time_module.monotonic() < deadline:
        found = views.get_run(tenant_id, run_id)
        if found.status.finished:
            return found
        _pause.wait(0.2)
    return None

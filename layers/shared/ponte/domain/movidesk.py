"""Movidesk ticket sync: sync times, the windows a run covers, the result line.
Pure: no I/O; times come in as arguments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

TIMEZONE: Final = "America/Sao_Paulo"
ZONE: Final = ZoneInfo(TIMEZONE)
PARAMETER: Final = "MOVIDESK_SYNC_SCHEDULES"  # the original integration's: TEXT, group Integrações
PARAMETER_GROUP: Final = "Integrações"
# The account's address in Movidesk's web app (``{subdomain}.movidesk.com``): the API token
# does not name its account, so the page links tickets only when this is set.
SUBDOMAIN_PARAMETER: Final = "MOVIDESK_SUBDOMAIN"
SCHEDULED_DAYS: Final = 3  # today and the two days before
MANUAL_MAX_DAYS: Final = 5
RECENT_DAYS: Final = 90  # /tickets covers the last 90 days; older windows use /tickets/past
PAST_MARGIN: Final = timedelta(days=1)
Part = Literal["recent", "past"]
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")  # ASCII digits only
_SUBDOMAIN = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")  # one DNS label, ASCII

# What is stored of a ticket (Movidesk requires a $select on every list).
FIELDS: Final = (
    "id", "protocol", "subject", "type", "status", "baseStatus", "urgency", "category",
    "owner", "ownerTeam", "clients", "createdDate", "resolvedIn", "closedIn", "lastUpdate",
    "tags", "slaSolutionDate", "slaResponseDate", "slaRealResponseDate",
)  # fmt: skip
# ... and of its actions (its conversation), through $expand: a ticket with many long
# actions is a large record (kept whole: domain/records.py).
ACTION_FIELDS: Final = ("id", "type", "origin", "status", "description", "createdDate")


class InvalidInput(ValueError):
    """The message says what is wrong, in Portuguese."""


def sync_times(raw: object) -> list[str]:
    """``HH:MM`` strings, 00:00 to 23:59, without duplicates, sorted."""
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        raise InvalidInput("Informe os horários como uma lista de textos HH:MM")
    times = sorted({t.strip() for t in raw})
    wrong = [t for t in times if not _TIME.fullmatch(t)]
    if wrong:
        raise InvalidInput(f"Horário inválido: {', '.join(wrong)} (use HH:MM, de 00:00 a 23:59)")
    if len(times) > 24:
        raise InvalidInput("No máximo 24 horários")
    return times


def subdomain(raw: str) -> str:
    """The account's subdomain (``minhaempresa`` of minhaempresa.movidesk.com), lower case:
    letters, digits and hyphens, not at either end; '' clears it."""
    value = raw.strip().lower()
    if value and not _SUBDOMAIN.fullmatch(value):
        raise InvalidInput(
            "Subdomínio inválido: use só letras, números e hífen, como em minhaempresa"
            " (de minhaempresa.movidesk.com)"
        )
    return value


@dataclass(frozen=True, slots=True)
class Window:
    """The tickets a run covers: ``lastUpdate`` from ``start`` to ``end`` (UTC)."""

    start: datetime
    end: datetime
    first_day: date  # in São Paulo, as the log line shows the period
    last_day: date

    @property
    def period(self) -> str:
        return f"{self.first_day.isoformat()} até {self.last_day.isoformat()}"

    def is_past(self, now: datetime) -> bool:
        """Whether it is older than the 90 days /tickets covers (then /tickets/past)."""
        return self.end < now - timedelta(days=RECENT_DAYS)

    def parts(self, now: datetime) -> tuple[Part, ...]:
        """The lists that hold its tickets, in the order a run reads them: ``recent``
        (``/tickets``, the last 90 days) for a window that ends after the 90-day line,
        ``past`` (``/tickets/past``, older) for one that starts before it. Each list is read
        over the whole window and holds only its side of the line. A ticket ages from the
        recent list to the past one, never back: read in this order, one that crosses the
        line during the run is found in the second. The past list is also read for a window
        starting within PAST_MARGIN after the line, which the line may reach during the run."""
        line = now - timedelta(days=RECENT_DAYS)
        found: list[Part] = []
        if self.end > line:
            found.append("recent")
        if self.start < line + PAST_MARGIN:
            found.append("past")
        return tuple(found)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), ZONE).astimezone(UTC)


def scheduled_window(now: datetime) -> Window:
    """The last 3 days in São Paulo: on the 16th, the 14th 00:00 to now."""
    today = now.astimezone(ZONE).date()
    first = today - timedelta(days=SCHEDULED_DAYS - 1)
    return Window(_local_midnight(first), now.astimezone(UTC), first, today)


def manual_window(start_date: str, end_date: str, now: datetime) -> Window:
    """A period a person asked for: whole São Paulo days, at most 5, none in the future."""
    try:
        first, last = date.fromisoformat(start_date), date.fromisoformat(end_date)
    except (TypeError, ValueError):
        raise InvalidInput("Datas inválidas: use AAAA-MM-DD") from None
    today = now.astimezone(ZONE).date()
    if last < first:
        raise InvalidInput("A data final deve ser igual ou posterior à inicial")
    if last > today:
        raise InvalidInput("O período não pode terminar depois de hoje")
    if (last - first).days + 1 > MANUAL_MAX_DAYS:
        raise InvalidInput(f"O período pode ter no máximo {MANUAL_MAX_DAYS} dias")
    end = min(_local_midnight(last + timedelta(days=1)), now.astimezone(UTC))
    return Window(_local_midnight(first), end, first, last)


def result_line(created: int, updated: int) -> str:
    """The result line: Total counts new and updated tickets (unchanged apart)."""
    return f"Novos: {created}, Atualizados: {updated}, Total: {created + updated}"


def next_runs(times: list[str], now: datetime, count: int = 5) -> list[datetime]:
    """The next ``count`` fires of the sync times, in São Paulo time."""
    local = now.astimezone(ZONE)
    upcoming: list[datetime] = []
    for offset in range(2):
        day = local.date() + timedelta(days=offset)
        for t in times:
            hour, minute = (int(p) for p in t.split(":"))
            moment = datetime.combine(day, time(hour, minute), ZONE)
            if moment > local:
                upcoming.append(moment)
    return sorted(upcoming)[:count]


def cron(hhmm: str) -> str:
    """The Scheduler expression of a daily time (in the schedule's time zone)."""
    hour, minute = (int(p) for p in hhmm.split(":"))
    return f"cron({minute} {hour} * * ? *)"

"""A connection's schedule: the expression and zone checked as Scheduler reads them, and its
EventBridge Scheduler schedule kept in line with the connection."""

from __future__ import annotations

from ponte import errors
from ponte.adapters import schedules
from ponte.domain.connectors import Connection
from ponte.domain.schedules import (
    DEFAULT_TIMEZONE,
    InvalidSchedule,
    check_expression,
    check_timezone,
)


def timing(schedule: str | None, timezone: str | None) -> tuple[str | None, str | None]:
    """(expression, zone) checked as Scheduler reads them; (None, None) for no schedule."""
    if not schedule:
        if timezone:
            _check_zone(timezone)
        return None, None
    problems: dict[str, list[str]] = {}
    try:
        schedule = check_expression(schedule)
    except InvalidSchedule as exc:
        problems["schedule"] = [str(exc)]
    zone = timezone or DEFAULT_TIMEZONE
    try:
        check_timezone(zone)
    except InvalidSchedule as exc:
        problems["timezone"] = [str(exc)]
    if problems:
        raise errors.invalid_fields(problems)
    return schedule, zone


def _check_zone(zone: str) -> None:
    try:
        check_timezone(zone)
    except InvalidSchedule as exc:
        raise errors.invalid_fields({"timezone": [str(exc)]}) from None


def apply(tenant_id: str, connection: Connection) -> None:
    """Bring the connection's Scheduler schedule in line with it (none when it has none)."""
    if connection.schedule:
        schedules.put(
            schedules.for_connection(
                tenant_id, connection.id, connection.schedule,
                connection.timezone or DEFAULT_TIMEZONE, connection.enabled,
            )
        )  # fmt: skip
    else:
        remove(connection)


def remove(connection: Connection) -> None:
    schedules.delete(schedules.name(connection.id))

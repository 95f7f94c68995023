"""Schedule expressions and time zones, checked as EventBridge Scheduler reads them."""

from __future__ import annotations

import pytest

from ponte.domain.schedules import InvalidSchedule, check_expression, check_timezone, iana_zones


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)", "rate(15 minutes)", "rate(1 hour)", "rate(6 hours)", "rate(1 day)",
        "cron(0 8 * * ? *)", "cron(0/15 8-18 ? * MON-FRI *)", "cron(30 2 1 * ? 2027)",
        "cron(0 9 ? * 2#1 *)", "cron(0 0 L * ? *)", "cron(0 12 ? JAN,JUL 6L *)",
        " rate(30 minutes) ",
    ],
)  # fmt: skip
def test_expressions_scheduler_accepts(expression: str) -> None:
    assert check_expression(expression) == expression.strip()


@pytest.mark.parametrize(
    "expression",
    [
        "", "every hour", "rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)",
        "rate(5 weeks)", "rate(-5 minutes)", "cron(0 8 * * * *)", "cron(0 8 ? * ? *)",
        "cron(60 8 * * ? *)", "cron(0 24 * * ? *)", "cron(0 8 32 * ? *)", "cron(0 8 * 13 ? *)",
        "cron(0 8 ? * 8 *)", "cron(0 8 * * ?)", "cron(0 8 * * ? * *)", "cron(0 8 * * ? 1900)",
        "cron(0 8 ? * MON#6 *)", "cron(5-2 8 * * ? *)", "cron(0 8 ? * 2-X *)", "cron(0 ² * * ? *)",
        "at(2026-01-01T00:00:00)",
        # Digits are ASCII digits, spaces ASCII spaces: Python's \d and split() take more.
        "rate(\uff11\uff15 minutes)", "rate(\u0661\u0665 minutes)", "rate(1\u00b2 minutes)",
        "cron(0 \uff18 * * ? *)", "cron(0\u00a08 * * ? *)", "cron(0\u20038 * * ? *)",
        "cron(0 8 * * ? *\u2028)", "rate(15\tminutes)",
    ],
)  # fmt: skip
def test_expressions_scheduler_refuses(expression: str) -> None:
    with pytest.raises(InvalidSchedule):
        check_expression(expression)


def test_time_zones_are_iana_names() -> None:
    for good in ("America/Sao_Paulo", "UTC", "Etc/UTC", "Europe/Lisbon", "Etc/GMT+3"):
        assert check_timezone(good) == good
    for bad in ("Mars/Olympus", "../etc/passwd", "", "America/Sao Paulo", "america/sao_paulo"):
        with pytest.raises(InvalidSchedule):
            check_timezone(bad)


@pytest.mark.parametrize(
    "name",
    ["Factory", "posixrules", "right/UTC", "right/America/Sao_Paulo", "posix/UTC",
     "posix/America/Sao_Paulo", "localtime", "leapseconds", "zone.tab", "tzdata.zi",
     "leap-seconds.list", "iso3166.tab", "zone1970.tab", "SECURITY", "+VERSION"],
)  # fmt: skip
def test_files_of_a_zoneinfo_directory_are_no_zones_scheduler_takes(name: str) -> None:
    """ZoneInfo opens them (from the tzdata package or /usr/share/zoneinfo): Scheduler,
    which reads IANA zone names, does not."""
    with pytest.raises(InvalidSchedule, match="Fuso horário desconhecido"):
        check_timezone(name)


def test_every_iana_name_accepted_is_a_zone_python_can_use_too() -> None:
    from zoneinfo import ZoneInfo

    zones = iana_zones()
    assert len(zones) > 400
    for name in zones:
        ZoneInfo(name)

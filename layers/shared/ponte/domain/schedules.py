"""Connection schedules as EventBridge Scheduler reads them: ``rate(…)`` or ``cron(…)`` with
an IANA time zone. Checked here (pure), because a Scheduler mock accepts anything and a
bad expression should be a 400 when the connection is saved, not a schedule that never fires.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Final

DEFAULT_TIMEZONE: Final = "America/Sao_Paulo"

_RATE = re.compile(r"rate\(([0-9]{1,6}) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\(([^()]*)\)")
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (name, lowest, highest, names for values, extra single tokens allowed)
_FIELDS: Final = (
    ("minutes", 0, 59, (), ()),
    ("hours", 0, 23, (), ()),
    ("day-of-month", 1, 31, (), ("?", "L", "LW")),
    ("month", 1, 12, tuple(_MONTHS), ()),
    ("day-of-week", 1, 7, tuple(_DAYS), ("?", "L")),
    ("year", 1970, 2199, (), ()),
)


class InvalidSchedule(ValueError):
    """The message says what is wrong, in Portuguese (the connectors API shows it)."""


def check_expression(expression: str) -> str:
    """The expression, stripped, if Scheduler would accept it; else InvalidSchedule. Its
    digits are ASCII digits and its spaces ASCII spaces: full-width digits are refused,
    never sent to Scheduler as typed."""
    text = expression.strip()
    if not text.isascii() or not text.isprintable():
        raise InvalidSchedule("Use apenas caracteres ASCII: algarismos de 0 a 9 e espaços simples")
    if rate := _RATE.fullmatch(text):
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise InvalidSchedule("rate(): o valor deve ser maior que zero")
        if (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule("rate(): use a unidade no singular para 1 e no plural acima")
        return text
    if cron := _CRON.fullmatch(text):
        _check_cron([field for field in cron.group(1).split(" ") if field])
        return text
    raise InvalidSchedule("Use rate(valor unidade) ou cron(minutos horas dia mês dia-semana ano)")


def _check_cron(fields: list[str]) -> None:
    if len(fields) != len(_FIELDS):
        raise InvalidSchedule("cron(): são 6 campos: minutos horas dia mês dia-semana ano")
    for raw, (name, low, high, names, extra) in zip(fields, _FIELDS, strict=True):
        if raw in extra:
            continue
        for part in raw.split(","):
            if not _valid_part(part.upper(), low, high, names, weekday=name == "day-of-week"):
                raise InvalidSchedule(f"cron(): campo {name} inválido: {raw}")
    day_of_month, day_of_week = fields[2], fields[4]
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidSchedule("cron(): use '?' em exatamente um de dia e dia-semana")


def _value(token: str, low: int, high: int, names: tuple[str, ...]) -> int | None:
    if token in names:
        return names.index(token) + low
    if token.isascii() and token.isdigit() and low <= int(token) <= high:
        return int(token)
    return None


def _valid_part(part: str, low: int, high: int, names: tuple[str, ...], *, weekday: bool) -> bool:
    base, _, step = part.partition("/")
    if step and not (step.isascii() and step.isdigit() and 0 < int(step) <= high):
        return False
    if weekday and "#" in base:  # the nth weekday of the month: 2#1
        day, _, nth = base.partition("#")
        return _value(day, low, high, names) is not None and nth in {"1", "2", "3", "4", "5"}
    suffix = "L" if weekday else "W"  # the last such weekday; the nearest weekday
    if base.endswith(suffix) and len(base) > 1:
        return _value(base[:-1], low, high, names) is not None
    return base == "*" or _range(base, low, high, names)


def _range(base: str, low: int, high: int, names: tuple[str, ...]) -> bool:
    first, _, last = base.partition("-")
    start = _value(first, low, high, names)
    end = _value(last, low, high, names) if last else start
    return start is not None and end is not None and end >= start


def check_timezone(name: str) -> str:
    """The zone name, if the IANA time zone database defines it (a zone, or a link to one
    such as ``UTC``); else InvalidSchedule. Scheduler reads IANA names; ``ZoneInfo`` also
    opens whatever file a system's zoneinfo directory holds (``posixrules``, ``right/UTC``,
    ``posix/…``, ``localtime``) and IANA's placeholder ``Factory``: none of them is a zone
    to schedule in."""
    if name not in iana_zones():
        raise InvalidSchedule(f"Fuso horário desconhecido: {name}")
    return name


@lru_cache(maxsize=1)
def iana_zones() -> frozenset[str]:
    """Every zone and link of the IANA database, as the tzdata package ships it
    (``tzdata.zi``: ``Z name …`` and ``L target name`` lines), without ``Factory``."""
    text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text("utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        fields = line.split()
        if fields[:1] == ["Z"] and len(fields) > 1:
            names.add(fields[1])
        elif fields[:1] == ["L"] and len(fields) > 2:
            names.add(fields[2])
    return frozenset(names - {"Factory"})

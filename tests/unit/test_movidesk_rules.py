"""Movidesk sync rules without AWS: sync times, the windows, the result line, next runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ponte.domain.movidesk import (
    InvalidInput,
    cron,
    manual_window,
    next_runs,
    result_line,
    scheduled_window,
    subdomain,
    sync_times,
)

NOW = datetime(2025, 10, 16, 14, 30, tzinfo=UTC)  # 11:30 in São Paulo


def test_times_are_checked_deduplicated_and_sorted() -> None:
    assert sync_times(["18:00", "08:00", " 08:00", "00:00", "23:59"]) == [
        "00:00", "08:00", "18:00", "23:59",
    ]  # fmt: skip
    for bad in (["24:00"], ["8:00"], ["08:60"], ["0800"], "08:00", [8], ["²8:00"],
                ["0\uff18:00"], ["08:0\u0660"], ["1\u00b9:00"]):  # fmt: skip
        with pytest.raises(InvalidInput):
            sync_times(bad)


def test_a_scheduled_run_covers_today_and_the_two_days_before_in_sao_paulo() -> None:
    window = scheduled_window(NOW)
    assert window.period == "2025-10-14 até 2025-10-16"
    assert window.start == datetime(2025, 10, 14, 3, 0, tzinfo=UTC)  # 00:00 at UTC-3
    assert window.end == NOW
    late = scheduled_window(datetime(2025, 10, 17, 1, 0, tzinfo=UTC))  # still the 16th there
    assert late.period == "2025-10-14 até 2025-10-16"


def test_a_manual_period_is_whole_days_at_most_five_and_never_in_the_future() -> None:
    window = manual_window("2025-10-12", "2025-10-16", NOW)
    assert (window.start, window.end) == (datetime(2025, 10, 12, 3, tzinfo=UTC), NOW)
    past = manual_window("2025-10-01", "2025-10-02", NOW)
    assert past.end == datetime(2025, 10, 3, 3, tzinfo=UTC)
    for start, end, why in [
        ("2025-10-11", "2025-10-16", "5 dias"),
        ("2025-10-16", "2025-10-15", "posterior"),
        ("2025-10-16", "2025-10-17", "depois de hoje"),
        ("16/10/2025", "2025-10-16", "AAAA-MM-DD"),
    ]:
        with pytest.raises(InvalidInput, match=why):
            manual_window(start, end, NOW)
    assert not window.is_past(NOW)
    assert manual_window("2025-01-01", "2025-01-02", NOW).is_past(NOW)


def test_the_result_line_is_the_seeds() -> None:
    assert result_line(45, 12) == "Novos: 45, Atualizados: 12, Total: 57"


def test_next_runs_and_cron() -> None:
    runs = next_runs(["08:00", "12:00", "18:00"], NOW, count=4)
    assert [r.strftime("%d %H:%M") for r in runs] == [
        "16 12:00",
        "16 18:00",
        "17 08:00",
        "17 12:00",
    ]
    assert cron("08:05") == "cron(5 8 * * ? *)"


def test_a_window_reads_the_lists_that_hold_its_side_of_the_90_day_line() -> None:
    # 90 days before NOW is 2025-07-18 14:30 UTC.
    assert manual_window("2025-10-14", "2025-10-16", NOW).parts(NOW) == ("recent",)
    assert manual_window("2025-07-01", "2025-07-05", NOW).parts(NOW) == ("past",)
    assert manual_window("2025-07-16", "2025-07-20", NOW).parts(NOW) == ("recent", "past")
    # Starting just after the line: the line may reach it during the run.
    assert manual_window("2025-07-19", "2025-07-21", NOW).parts(NOW) == ("recent", "past")
    assert manual_window("2025-07-21", "2025-07-23", NOW).parts(NOW) == ("recent",)


def test_a_subdomain_is_one_ascii_dns_label_in_lower_case() -> None:
    assert subdomain(" MinhaEmpresa ") == "minhaempresa"
    assert subdomain("suporte-2") == "suporte-2"
    assert subdomain("a") == "a"
    assert subdomain("") == ""  # clears it
    for bad in ("-a", "a-", "a.b", "a_b", "https://a.movidesk.com", "m\u00e4", "\uff41", "a" * 64):
        with pytest.raises(InvalidInput, match="Subdomínio inválido"):
            subdomain(bad)

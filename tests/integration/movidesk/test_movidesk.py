"""Movidesk ticket sync (seed 004) through the admin API, Scheduler, the run queue and the
Movidesk fake, on a fixed clock: 2025-10-16 11:30 in São Paulo."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from devstack.schedules import fire
from ponte import tls
from ponte.services import movidesk as service
from ponte.settings import get_settings
from tests.integration.conftest import TenantFixture
from tests.integration.movidesk.conftest import API, Movidesk
from tests.support.sqs import sqs_event

SP = timedelta(hours=-3)  # São Paulo's offset in October 2025


def _local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 10, day, hour, minute, tzinfo=UTC) - SP


def _counts(run: dict[str, Any]) -> tuple[int, int, int]:
    c = run["counts"]
    return c["novos"], c["atualizados"], c["inalterados"]


def test_settings_start_empty_and_a_refused_token_changes_nothing(movidesk: Movidesk) -> None:
    empty = movidesk.get("/settings").json()["data"]
    refused = movidesk.put_settings({"token": "not-a-movidesk-token", "schedules": ["08:00"]})

    assert empty == {"schedules": [], "timezone": "America/Sao_Paulo",
                     "tokenConfigured": False, "nextRuns": [], "subdomain": None}  # fmt: skip
    assert refused.status_code == 400
    assert refused.json()["code"] == "INVALID_CREDENTIALS"
    assert refused.json()["error"].startswith("Token do Movidesk recusado")
    assert movidesk.get("/settings").json()["data"] == empty
    assert service.schedule_names(movidesk.tenant.id) == []


def test_saved_times_are_schedules_at_once_and_removed_ones_go(movidesk: Movidesk) -> None:
    movidesk.configure(["18:00", "08:00", "08:00"])
    saved = movidesk.get("/settings").json()["data"]
    names = service.schedule_names(movidesk.tenant.id)
    client, group = boto3.client("scheduler"), get_settings().schedule_group
    found = {
        client.get_schedule(Name=n, GroupName=group)["ScheduleExpression"]: client.get_schedule(
            Name=n, GroupName=group
        )
        for n in names
    }

    assert saved["schedules"] == ["08:00", "18:00"]
    assert saved["tokenConfigured"] is True
    assert saved["nextRuns"][:2] == ["2025-10-16T18:00:00-03:00", "2025-10-17T08:00:00-03:00"]
    assert set(found) == {"cron(0 8 * * ? *)", "cron(0 18 * * ? *)"}
    assert {s["ScheduleExpressionTimezone"] for s in found.values()} == {"America/Sao_Paulo"}
    target = next(iter(found.values()))["Target"]
    assert target["Arn"] == get_settings().pull_queue_arn
    assert json.loads(target["Input"])["connection_id"] == "movidesk"

    assert movidesk.put_settings({"schedules": ["08:00"]}).status_code == 200
    remaining = [
        client.get_schedule(Name=n, GroupName=group)["ScheduleExpression"]
        for n in service.schedule_names(movidesk.tenant.id)
    ]
    assert remaining == ["cron(0 8 * * ? *)"]


def test_the_accounts_subdomain_is_kept_checked_and_cleared(movidesk: Movidesk) -> None:
    saved = movidesk.put_settings({"subdomain": " MinhaEmpresa-2 "})
    refused = [
        movidesk.put_settings({"subdomain": bad})
        for bad in ("https://x.movidesk.com", "-x", "x-", "m\u00e4", "a.b", "x" * 64)
    ]
    kept = movidesk.get("/settings").json()["data"]
    cleared = movidesk.put_settings({"subdomain": ""}).json()["data"]

    assert saved.status_code == 200, saved.text
    assert saved.json()["data"]["subdomain"] == "minhaempresa-2"
    for answer in refused:
        assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
        assert answer.json()["error"].startswith("Subdomínio inválido")
    assert kept["subdomain"] == "minhaempresa-2"
    assert kept["tokenConfigured"] is False  # a subdomain needs no token
    assert cleared["subdomain"] is None


@pytest.mark.parametrize(
    "times",
    [["24:00"], ["8:00"], "08:00", ["08:00", "xx"], ["0\uff18:00"], ["\uff10\uff18:\uff10\uff10"]],
)
def test_bad_times_are_400(movidesk: Movidesk, times: Any) -> None:
    movidesk.configure(["12:00"])
    answer = movidesk.put_settings({"schedules": times})
    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert movidesk.get("/settings").json()["data"]["schedules"] == ["12:00"]


def test_a_scheduled_fire_syncs_exactly_the_last_three_days(movidesk: Movidesk) -> None:
    movidesk.configure(["08:00"])
    inside = movidesk.fake.add(movidesk.token, 30, at=_local(14, 0, 0))  # the 14th, 00:00
    inside += movidesk.fake.add(movidesk.token, 20, at=_local(16, 9))
    before = movidesk.fake.add(movidesk.token, 15, at=_local(13, 23, 59))  # just outside

    name = service.schedule_names(movidesk.tenant.id)[0]
    assert fire(name, get_settings().schedule_group)["fired"] is True
    run = movidesk.wait(_only_run(movidesk)["id"])

    assert (run["trigger"], run["status"]) == ("schedule", "success")
    assert run["window"]["period"] == "2025-10-14 até 2025-10-16"
    assert (run["window"]["firstDay"], run["window"]["lastDay"]) == ("2025-10-14", "2025-10-16")
    assert run["result"] == "Novos: 50, Atualizados: 0, Total: 50"
    synced = {int(t["id"]) for t in movidesk.get("/tickets", limit=100).json()["data"]}
    assert synced == set(inside)
    assert not synced & set(before)


def _only_run(movidesk: Movidesk) -> dict[str, Any]:
    for _ in range(400):
        runs = movidesk.get("/runs").json()["data"]
        if runs:
            return dict(runs[0])
        from tests.integration.movidesk.conftest import _pause

        _pause.wait(0.05)
    raise AssertionError("no run appeared")


def test_a_manual_sync_counts_exactly_and_a_rerun_finds_them_unchanged(
    movidesk: Movidesk, clock: Any
) -> None:
    movidesk.configure()
    movidesk.fake.add(movidesk.token, 130, at=_local(12, 10))
    movidesk.fake.add(movidesk.token, 120, at=_local(15, 10))
    movidesk.fake.add(movidesk.token, 9, at=_local(11, 23))  # the day before the period

    first = movidesk.run_manual("2025-10-12", "2025-10-16")
    again = movidesk.run_manual("2025-10-12", "2025-10-16")

    assert (first["trigger"], first["status"], _counts(first)) == ("manual", "success", (250, 0, 0))
    assert first["result"] == "Novos: 250, Atualizados: 0, Total: 250"
    assert _counts(again) == (0, 0, 250)
    assert again["result"] == "Novos: 0, Atualizados: 0, Total: 0"
    assert movidesk.fake.made(movidesk.token[-6:], status=429) == []  # paced at 10 a minute


def test_a_changed_ticket_is_updated_and_a_wait_answers_with_the_result(
    movidesk: Movidesk, clock: Any
) -> None:
    movidesk.configure()
    ids = movidesk.fake.add(movidesk.token, 12, at=_local(15, 9))
    movidesk.run_manual("2025-10-15", "2025-10-16")
    clock.advance(600)
    movidesk.fake.change(movidesk.token, ids[:3])

    answer = movidesk.sync("2025-10-15", "2025-10-16", wait="true")

    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["result"] == "Novos: 0, Atualizados: 3, Total: 3"


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        ("2025-10-11", "2025-10-16", "no máximo 5 dias"),
        ("2025-10-16", "2025-10-14", "posterior"),
        ("2025-10-16", "2025-10-17", "depois de hoje"),
        ("ontem", "2025-10-16", "AAAA-MM-DD"),
    ],
)
def test_a_bad_period_is_400_and_starts_nothing(
    movidesk: Movidesk, start: str, end: str, why: str
) -> None:
    movidesk.configure()
    answer = movidesk.sync(start, end)

    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert why in answer.json()["error"]
    assert movidesk.get("/runs").json()["data"] == []


def test_one_run_at_a_time_and_a_fire_during_it_is_skipped(movidesk: Movidesk) -> None:
    movidesk.configure(["08:00"])
    movidesk.fake.add(movidesk.token, 5, at=_local(16, 8))
    poller = movidesk.stack.poller
    assert poller is not None
    poller.pause()
    started = movidesk.sync("2025-10-16", "2025-10-16")
    second = movidesk.sync("2025-10-15", "2025-10-16")
    name = service.schedule_names(movidesk.tenant.id)[0]
    schedule = boto3.client("scheduler").get_schedule(
        Name=name, GroupName=get_settings().schedule_group
    )
    event = sqs_event(schedule["Target"]["Input"], queue_arn=schedule["Target"]["Arn"])
    movidesk.stack.provisioned.runtime.invoke("PullWorkerFunction", event)
    poller.resume()

    assert started.status_code == 202
    assert (second.status_code, second.json()["error"]) == (
        409, "Já existe uma sincronização em andamento",
    )  # fmt: skip
    runs = movidesk.get("/runs").json()["data"]
    skipped = [r for r in runs if r["status"] == "skipped"]
    assert [r["trigger"] for r in skipped] == ["schedule"]
    assert _counts(movidesk.wait(started.json()["data"]["runId"]))[0] == 5


def test_the_token_is_never_in_an_answer_or_a_log_line(
    movidesk: Movidesk, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.INFO)
    movidesk.configure(["09:00"])
    movidesk.fake.add(movidesk.token, 3, at=_local(16, 8))
    run = movidesk.run_manual("2025-10-16", "2025-10-16")
    answers = [
        movidesk.get("/settings").text,
        movidesk.get("/runs").text,
        movidesk.get(f"/runs/{run['id']}").text,
        movidesk.get("/tickets").text,
        movidesk.put_settings({"token": movidesk.token + "-wrong"}).text,
    ]
    printed = capfd.readouterr()

    assert run["status"] == "success"
    for text in (*answers, caplog.text, printed.out, printed.err):
        assert movidesk.token not in text
    assert "token=***" in caplog.text  # the request lines were logged, redacted


def test_repeated_failures_stop_the_run_before_movidesk_blocks_the_token(
    movidesk: Movidesk,
) -> None:
    movidesk.configure()
    movidesk.fake.add(movidesk.token, 5, at=_local(16, 8))
    movidesk.fake.accounts[movidesk.token].failures.fail_next(500, 500, 500, 500)

    run = movidesk.run_manual("2025-10-16", "2025-10-16")

    assert run["status"] == "error"
    failed = movidesk.fake.made(movidesk.token[-6:], status=500)
    assert len(failed) == 2  # two tries, not the third that would block the token
    assert movidesk.fake.made(movidesk.token[-6:], status=429) == []


def test_tickets_are_searched_filtered_and_paged(movidesk: Movidesk) -> None:
    movidesk.configure()
    ids = movidesk.fake.add(movidesk.token, 45, at=_local(16, 8))
    movidesk.run_manual("2025-10-16", "2025-10-16")

    first = movidesk.get("/tickets", limit=20).json()
    rest = movidesk.get("/tickets", limit=20, cursor=first["meta"]["nextCursor"]).json()
    found = movidesk.get("/tickets", q=f"Chamado {ids[7]}").json()["data"]
    resolved = movidesk.get("/tickets", status="Resolved", limit=100).json()["data"]
    outside = movidesk.get("/tickets", updated_to="2025-10-15").json()["data"]

    assert len(first["data"]) == 20
    assert len({t["id"] for t in first["data"] + rest["data"]}) == 40
    assert [t["id"] for t in found] == [ids[7]]
    assert resolved
    assert all(t["baseStatus"] == "Resolved" for t in resolved)
    assert outside == []
    bad = movidesk.get("/tickets", cursor="eyJQSyI6IngifQ==")
    assert (bad.status_code, bad.json()["code"]) == (400, "VALIDATION_ERROR")


def test_admins_only_and_each_tenant_its_own(
    movidesk: Movidesk, other_tenant: TenantFixture
) -> None:
    movidesk.configure()
    movidesk.fake.add(movidesk.token, 2, at=_local(16, 8))
    run = movidesk.run_manual("2025-10-16", "2025-10-16")
    other = {"Authorization": f"Bearer {other_tenant.token('admin')}"}
    professor = movidesk.headers("professor")

    assert movidesk.api.get(f"{API}/runs/{run['id']}", headers=other).status_code == 404
    assert movidesk.api.get(f"{API}/tickets", headers=other).json()["data"] == []
    assert movidesk.api.get(f"{API}/settings", headers=other).json()["data"]["schedules"] == []
    assert movidesk.api.get(f"{API}/settings", headers=professor).status_code == 403
    anonymous = movidesk.api.get(f"{API}/settings")
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED")


def test_the_page_is_served_with_its_sign_in_settings(movidesk: Movidesk) -> None:
    page = movidesk.api.get("/admin/integrations/movidesk/tickets")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<meta charset="utf-8">' in page.text
    assert "Sincronização Automática" in page.text
    assert "Sincronizar Agora" in page.text
    assert get_settings().jwt.issuer in page.text
    assert "http://" not in page.text.replace(get_settings().jwt.issuer, "")  # nothing fetched


def test_a_window_across_the_90_day_line_reads_both_lists(movidesk: Movidesk) -> None:
    """90 days before the clock is 2025-07-18 14:30 UTC: a window of 16-20 July has tickets
    on both sides of it, each list holding only its side."""
    movidesk.configure()
    older = movidesk.fake.add(movidesk.token, 3, at=datetime(2025, 7, 17, 12, tzinfo=UTC))
    newer = movidesk.fake.add(movidesk.token, 2, at=datetime(2025, 7, 19, 12, tzinfo=UTC))
    before = len(movidesk.fake.made(movidesk.token[-6:]))

    run = movidesk.run_manual("2025-07-16", "2025-07-20")

    assert _counts(run) == (5, 0, 0)
    synced = {int(t["id"]) for t in movidesk.get("/tickets", limit=100).json()["data"]}
    assert synced == set(older + newer)
    paths = [r.path for r in movidesk.fake.made(movidesk.token[-6:])[before:]]
    assert paths == ["/tickets", "/tickets/past"]  # the recent list first, then the older


def test_the_fake_holds_each_side_of_the_90_day_line_in_its_own_list(
    movidesk: Movidesk,
) -> None:
    import httpx

    movidesk.configure()
    older = movidesk.fake.add(movidesk.token, 1, at=datetime(2025, 7, 18, 14, 29, tzinfo=UTC))
    newer = movidesk.fake.add(movidesk.token, 1, at=datetime(2025, 7, 18, 14, 31, tzinfo=UTC))
    query = {"token": movidesk.token, "$select": "id", "$filter": "id ge 0"}
    base = get_settings().movidesk_base_url

    recent = httpx.get(f"{base}/tickets", params=query).json()
    past = httpx.get(f"{base}/tickets/past", params=query).json()

    assert newer[0] in {t["id"] for t in recent}
    assert older[0] not in {t["id"] for t in recent}
    assert older[0] in {t["id"] for t in past}
    assert newer[0] not in {t["id"] for t in past}


def test_a_ticket_with_many_actions_is_kept_and_listed_whole(movidesk: Movidesk) -> None:
    """A ticket's actions make it large: kept whole past DynamoDB's 400 KB item, listed
    inline while the answer fits Lambda's 6 MB, else by a short-lived link."""
    import secrets

    import requests

    movidesk.configure()
    long = secrets.token_urlsafe(1500)
    large = movidesk.fake.add(movidesk.token, 1, at=_local(15, 9), actions=400, action_text=long)
    huge = movidesk.fake.add(
        movidesk.token, 1, at=_local(15, 10), actions=1000, action_text=secrets.token_urlsafe(7000)
    )
    movidesk.fake.add(movidesk.token, 3, at=_local(15, 11))

    run = movidesk.run_manual("2025-10-15", "2025-10-15")

    assert _counts(run) == (5, 0, 0)
    listed = movidesk.get("/tickets", limit=50)
    assert listed.status_code == 200
    rows = {t["id"]: t for t in listed.json()["data"]}
    assert len(rows) == 5
    whole = rows[large[0]]
    assert len(whole["actions"]) == 400
    assert {a["description"] for a in whole["actions"]} == {long}
    linked = rows[huge[0]]
    assert "actions" not in linked
    fetched = requests.get(linked["dataUrl"], timeout=60).json()
    assert (fetched["id"], len(fetched["actions"])) == (huge[0], 1000)
    found = movidesk.get("/tickets", q=f"Chamado {large[0]}").json()["data"]
    assert [t["id"] for t in found] == large  # a large ticket is searched as any other


def test_a_window_older_than_90_days_is_read_from_tickets_past(movidesk: Movidesk) -> None:
    movidesk.configure()
    old = movidesk.fake.add(movidesk.token, 4, at=datetime(2025, 7, 1, 15, tzinfo=UTC))
    movidesk.fake.add(movidesk.token, 3, at=_local(16, 8))  # recent: not in that window

    run = movidesk.run_manual("2025-06-30", "2025-07-02")

    assert _counts(run) == (4, 0, 0)
    paths = {r.path for r in movidesk.fake.made(movidesk.token[-6:])}
    assert "/tickets/past" in paths
    synced = {int(t["id"]) for t in movidesk.get("/tickets", limit=100).json()["data"]}
    assert synced == set(old)


def test_a_token_a_header_cannot_carry_is_refused_and_never_echoed(movidesk: Movidesk) -> None:
    answer = movidesk.put_settings({"token": "m\u00e4ster-token-0000"})

    assert (answer.status_code, answer.json()["code"]) == (400, "VALIDATION_ERROR")
    assert "\u00e4" not in answer.text
    assert movidesk.get("/settings").json()["data"]["tokenConfigured"] is False


def _scheduled_times(tenant_id: str) -> list[str]:
    """The sync times Scheduler holds for the tenant, read from each schedule's cron."""
    client, group = boto3.client("scheduler"), get_settings().schedule_group
    times = []
    for name in service.schedule_names(tenant_id):
        expression = client.get_schedule(Name=name, GroupName=group)["ScheduleExpression"]
        minute, hour = expression.removeprefix("cron(").split()[:2]
        times.append(f"{int(hour):02d}:{int(minute):02d}")
    return sorted(times)


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_saves_leave_the_settings_and_the_schedules_equal(
    movidesk: Movidesk, round_: int
) -> None:
    """Eight admins save different times at once. Whichever wins, the stored times and the
    Scheduler schedules end the same (each save reconciles under the settings' version;
    one that cannot get its turn in time is a 409 with Retry-After, having changed nothing)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    movidesk.configure(["12:00"])
    wanted = [[f"{h:02d}:00"] if h % 2 else [f"{h:02d}:00", "23:30"] for h in range(1, 9)]
    barrier = threading.Barrier(len(wanted))
    headers = movidesk.headers()

    def save(times: list[str]) -> httpx.Response:
        with httpx.Client(
            base_url=str(movidesk.api.base_url), timeout=60, verify=tls.context()
        ) as client:
            barrier.wait()
            return client.put(f"{API}/settings", headers=headers, json={"schedules": times})

    with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
        answers = list(pool.map(save, wanted))

    for answer in answers:
        assert answer.status_code in (200, 409), answer.text
        if answer.status_code == 409:
            assert answer.headers["Retry-After"] == "1"
    stored = movidesk.get("/settings").json()["data"]["schedules"]
    assert stored in [sorted(w) for w, a in zip(wanted, answers, strict=True)
                      if a.status_code == 200]  # fmt: skip
    assert _scheduled_times(movidesk.tenant.id) == stored


def test_a_save_that_gets_no_turn_is_a_409_and_changes_nothing(
    movidesk: Movidesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ponte.domain import movidesk as rules
    from ponte.repository import parameters

    movidesk.configure(["12:00"])
    monkeypatch.setattr(service, "TURN_SECONDS", 0.3)
    now = movidesk.clock.now().timestamp()
    assert parameters.claim(movidesk.tenant.id, rules.PARAMETER, "another-save", now=now,
                            until=now + 60)  # fmt: skip
    movidesk.fake.add_account("md-other-token-0000")

    answer = movidesk.put_settings({"schedules": ["07:00"], "token": "md-other-token-0000"})

    assert (answer.status_code, answer.json()["code"]) == (409, "CONCURRENT_UPDATE")
    assert answer.headers["Retry-After"] == "1"
    assert movidesk.get("/settings").json()["data"]["schedules"] == ["12:00"]
    assert _scheduled_times(movidesk.tenant.id) == ["12:00"]
    assert movidesk.fake.made("md-other-token-0000"[-6:]) == []  # the token was not even tried
    parameters.release(movidesk.tenant.id, rules.PARAMETER, "another-save")
    assert movidesk.put_settings({"schedules": ["07:00"]}).status_code == 200
    assert _scheduled_times(movidesk.tenant.id) == ["07:00"]

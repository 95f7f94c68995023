"""Connector runs on the local stack against the vendor fakes, in virtual time: 25,000 HubSpot
contacts, 20,000 Zendesk tickets, 2,000 Chatwoot conversations with 10,000 messages and
3,000 contacts, 25,000 RD Station contacts and leads, and a Movidesk scheduled run over a
3-day window of 2,400 tickets; a first run and an unchanged rerun of each. Then records of
any size: Zendesk tickets of 3 MB and 6 MB (their JSON), with the table and S3 requests of
storing each and of reading it back through the records endpoint. Then an RD Station
run longer than its access token's 2 hours (each list page answered in 100 s of virtual time):
its tokens refreshed, requests that failed (target 0) and refresh tokens spent twice (target 0).

Then HubSpot's increment over 25,000 changed contacts, quiet and with 1 % of them changing
again while the run reads them: vendor requests of both (target: the busy run <= 1.05x the
quiet one), records the busy run skipped (target 0: each contact stored by that run) and
those changed during it still stale after the next run (target 0).

Printed: vendor requests; the achieved request rate as a fraction of the vendor's limit (its
steady rate between the first and the last request, target >= 0.9) and the busiest window
(never above the limit); 429s the fakes answered (target 0); and the worker's DynamoDB
requests per 100 records for the pages' work (targets: a first run <= 1 read + ceil(100/25)
writes + 1 cursor write = 6; an unchanged rerun <= the read and the cursor = 2), with
linking records to people (its own target: <= 2 more), the per-run requests (lease,
checkpoints, finish) and the pacing reservations shown apart.
"""

from __future__ import annotations

import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.benchmarks.dynamodb_counter import Tally, count_dynamodb, count_matching
from tests.benchmarks.erp_requests import _environment
from tests.benchmarks.people import linking_kind
from tests.benchmarks.usage import Usage, metered

_pause = threading.Event()  # never set: its wait() is a plain real-time pause
HUBSPOT_CONTACTS = 25_000
ZENDESK_TICKETS = 20_000
CHATWOOT_CONVERSATIONS, CHATWOOT_MESSAGES, CHATWOOT_CONTACTS = 2_000, 5, 3_000
RDSTATION_CONTACTS, RDSTATION_DEALS = 20_000, 5_000
MOVIDESK_TICKETS = 2_400
RDSTATION_LONG_CONTACTS, RDSTATION_LONG_LATENCY = 8_000, 100.0  # 81 pages: 2 h 15 min
CHATWOOT_PER_MINUTE = 600  # the stack's default pace (and the fake's limit here)


def _busiest(times: list[float], window: float) -> int:
    ordered = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def _rate(times: list[float], limit: int, window: float) -> float:
    if len(times) < 2:
        return 0.0
    return (len(times) - 1) / (max(times) - min(times)) / (limit / window)


def report() -> dict[str, Any]:
    _environment()
    from moto import mock_aws

    with mock_aws():
        import httpx

        from devstack.stack import run_local_stack
        from ponte.observability import logger
        from ponte.services import tenancy
        from tests.support.virtual_time import virtual_time

        with (
            virtual_time(datetime.now(UTC)) as clock,
            run_local_stack(state_dir=Path(tempfile.mkdtemp())) as stack,
            httpx.Client(base_url=stack.base_url, timeout=60) as api,
        ):
            logger.setLevel("ERROR")
            assert stack.hubspot is not None
            assert stack.zendesk is not None
            assert stack.chatwoot is not None
            assert stack.rdstation is not None
            tenancy.create_tenant("bench", "Benchmark")
            headers = {"Authorization": f"Bearer {stack.idp.mint('bench', 'admin')}"}
            stack.hubspot.add_account("bench-token", contacts=HUBSPOT_CONTACTS)
            stack.zendesk.add_account("bench", "admin@bench.com", "zd", tickets=ZENDESK_TICKETS)
            hubspot_id = _create(api, headers, "hubspot", {"accessToken": "bench-token"})
            zendesk_id = _create(api, headers, "zendesk", {
                "email": "admin@bench.com", "apiToken": "zd", "subdomain": "bench",
            })  # fmt: skip
            stack.chatwoot.add_account(
                7, "bench-chatwoot", conversations=CHATWOOT_CONVERSATIONS,
                messages=CHATWOOT_MESSAGES, contacts=CHATWOOT_CONTACTS,
                per_minute=CHATWOOT_PER_MINUTE,
            )  # fmt: skip
            chatwoot_id = _create(
                api, headers, "chatwoot", {"accountId": "7", "accessToken": "bench-chatwoot"}
            )
            stack.rdstation.add_account("bench-rdkey")
            for _ in range(25):  # updates spread over time, as an account's are
                stack.rdstation.add("bench-rdkey", "contacts", RDSTATION_CONTACTS // 25)
                stack.rdstation.add("bench-rdkey", "deals", RDSTATION_DEALS // 25)
                clock.advance(1)
            rdstation_id = _create(api, headers, "rdstation", _rdstation_app(stack, "bench-rdkey"))
            print(
                "Connectors: runs on the local stack against the fakes, in virtual time "
                "(worker requests only)"
            )
            figures: dict[str, Any] = {}
            for name, connection, fake, account, limit, window in (
                ("HubSpot contacts", hubspot_id, stack.hubspot, "-token", 100, 10.0),
                ("Zendesk tickets", zendesk_id, stack.zendesk, "bench", 10, 60.0),
                ("Chatwoot", chatwoot_id, stack.chatwoot, "7", CHATWOOT_PER_MINUTE, 60.0),
                ("RD Station", rdstation_id, stack.rdstation, "-rdkey", 120, 60.0),
            ):
                for label, full in (("first run", False), ("unchanged rerun", True)):
                    before = len(fake.requests)
                    started = clock.now().timestamp()
                    with (
                        count_dynamodb(thread="sqs-poller") as tally,
                        count_matching(linking_kind, thread="sqs-poller") as linking,
                        metered() as used,
                    ):
                        run = _run(api, headers, connection, full)
                    made = [r for r in fake.requests[before:] if r.account.endswith(account)]
                    figures[f"{name} {label}"] = _row(
                        name, label, run, made=made, tally=tally, linking=linking, limit=limit,
                        window=window, started=started,
                    ) | {"cost": _cost(used, name, label)}  # fmt: skip
            figures |= _movidesk(stack, api, headers, clock)
            figures |= _large_records(stack, api, headers)
            figures |= _rdstation_long(stack, api, headers, clock)
            figures |= _hubspot_changing(stack, api, headers, clock)
    return figures


def _large_records(stack: Any, api: Any, headers: dict[str, str]) -> dict[str, Any]:
    """A Zendesk ticket whose JSON is 3 MB, then one of 6 MB (a long description that barely
    compresses): the worker's table and S3 requests to store it, and the records endpoint's
    to answer it (inline, or by a presigned link), with the sizes involved."""
    import secrets

    import boto3
    import requests

    from ponte.settings import get_settings

    assert stack.zendesk is not None
    print(
        "Records of any size: a Zendesk ticket stored (the run's worker requests, lease and "
        "pacing included) and read back through the records endpoint (authorizer included)"
    )
    figures: dict[str, Any] = {}
    for megabytes in (3, 6):
        subdomain = f"bench-large-{megabytes}"
        stack.zendesk.add_account(subdomain, "admin@large.com", "zd-large")
        connection = _create(api, headers, "zendesk", {
            "email": "admin@large.com", "apiToken": "zd-large", "subdomain": subdomain,
        })  # fmt: skip
        text = secrets.token_urlsafe(megabytes * 1024 * 1024)[: megabytes * 1024 * 1024]
        ticket = stack.zendesk.add(subdomain, "tickets", 1, description=text)[0]
        with _aws_requests("sqs-poller") as stored:
            run = _run(api, headers, connection, False)
        assert run["status"] == "success", run
        with _aws_requests("") as read:
            answer = api.get(
                f"/api/v1/sync/connections/{connection}/records",
                headers=headers,
                params={"stream": "tickets"},
            )
        rows = {row["id"]: row for row in answer.json()["data"]}
        row = rows[str(ticket)]
        how = "by link" if row.get("dataUrl") else "inline"
        key = next(
            o["Key"]
            for o in boto3.client("s3").list_objects_v2(
                Bucket=get_settings().record_bucket, Prefix=f"records/bench/{connection}/"
            )["Contents"]
            if f"/{ticket}/" in o["Key"]
        )
        gzipped = boto3.client("s3").head_object(Bucket=get_settings().record_bucket, Key=key)[
            "ContentLength"
        ]
        linked = requests.get(row["dataUrl"], timeout=60) if row.get("dataUrl") else None
        json_bytes = len(linked.content) if linked is not None else 0
        print(
            f"  {megabytes} MB ticket  store: DynamoDB {_ops(stored, 'dynamodb')}, "
            f"S3 {_ops(stored, 's3')}  (object {gzipped / 1e6:.2f} MB gzip)"
        )
        print(
            f"  {megabytes} MB ticket  read:  DynamoDB {_ops(read, 'dynamodb')}, "
            f"S3 {_ops(read, 's3')}  answered {how}, answer {len(answer.content):,} bytes"
            + (f" (the link serves {json_bytes:,})" if json_bytes else "")
        )
        figures[f"Large record {megabytes} MB"] = {
            "store": {k: dict(stored.get(k) or {}) for k in ("dynamodb", "s3")},
            "read": {k: dict(read.get(k) or {}) for k in ("dynamodb", "s3")},
            "answered": how,
            "answer_bytes": len(answer.content),
            "object_bytes": gzipped,
        }
    return figures


def _ops(counts: dict[str, Any], service: str) -> str:
    found = counts.get(service) or {}
    return ", ".join(f"{op} {n}" for op, n in sorted(found.items())) or "none"


@contextmanager
def _aws_requests(thread: str) -> Iterator[dict[str, Counter[str]]]:
    """AWS requests by service and operation, made by threads whose name starts with
    ``thread`` (every thread for '') while the block runs."""
    from botocore.client import BaseClient

    counts: dict[str, Counter[str]] = {}
    original = BaseClient._make_api_call

    def counting(self: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if threading.current_thread().name.startswith(thread):
            service = self.meta.service_model.service_name
            counts.setdefault(service, Counter())[operation] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _rdstation_app(stack: Any, account: str) -> dict[str, str]:
    """The credentials of an app the fake's ``account`` authorized (a fresh refresh token)."""
    client_id = f"{account}-app"
    stack.rdstation.add_app(account, client_id, f"{account}-secret")
    refresh = stack.rdstation.grant(client_id)
    return {"clientId": client_id, "clientSecret": f"{account}-secret", "refreshToken": refresh}


def _rdstation_long(stack: Any, api: Any, headers: dict[str, str], clock: Any) -> dict[str, Any]:
    """An RD Station run past its access token's 2 hours: 8,000 contacts, each page answered
    in 100 s (virtual), so the run needs a new access token on the way."""
    fake = stack.rdstation
    account = "bench-rdlong"
    fake.add_account(account, latency=RDSTATION_LONG_LATENCY)
    for _ in range(8):  # updates spread over time, as an account's are
        fake.add(account, "contacts", RDSTATION_LONG_CONTACTS // 8)
        clock.advance(1)
    connection = _create(api, headers, "rdstation", _rdstation_app(stack, account))
    runtime = stack.provisioned.runtime
    before = (len(fake.requests), fake.refreshes, fake.spent_again)
    invoked = runtime.invocations.count("PullWorkerFunction")
    run = _run(api, headers, connection, False)
    made = [r for r in fake.requests[before[0] :] if r.account == account[-6:]]
    started = datetime.fromisoformat(run["startedAt"].replace("Z", "+00:00"))
    ended = datetime.fromisoformat(run["completedAt"].replace("Z", "+00:00"))
    hours = (ended - started).total_seconds() / 3600
    figures = {
        "status": run["status"],
        "records": run["recordsCreated"],
        "virtual_hours": round(hours, 2),
        "invocations": runtime.invocations.count("PullWorkerFunction") - invoked,
        "token_refreshes": fake.refreshes - before[1],
        "failed_requests": sum(1 for r in made if r.status >= 400),
        "spent_twice": fake.spent_again - before[2],
    }
    print(
        f"  RD Station > 2 h   first run        {run['status']:<8} records "
        f"{figures['records']:>6}  {hours:.2f} h virtual over {figures['invocations']} worker "
        f"invocations  vendor requests {len(made)}  tokens refreshed "
        f"{figures['token_refreshes']}  failed requests {figures['failed_requests']} "
        f"(target 0)  refresh tokens spent twice {figures['spent_twice']} (target 0)"
    )
    return {"RD Station longer than 2 hours": figures}


def _hubspot_changing(stack: Any, api: Any, headers: dict[str, str], clock: Any) -> dict[str, Any]:
    """25,000 contacts changed since the last run (one a millisecond), read by an increment
    twice: quiet, then with two contacts changing at each search request (1 % over the run).
    HubSpot's search pages by offset, where a changed record moves and shifts the rest;
    Ponte pages by key, so none is skipped."""
    import random

    from ponte.repository import pulled_records
    from ponte.services import paging

    fake, token = stack.hubspot, "bench-changing"
    fake.add_account(token)
    connection = _create(api, headers, "hubspot", {"accessToken": token})
    _run(api, headers, connection, False)  # the first run: nothing yet, the mark is set
    clock.advance(60)
    ids: list[str] = []
    base = int(clock.now().timestamp() * 1000) - HUBSPOT_CONTACTS
    for n in range(HUBSPOT_CONTACTS):
        ids += fake.add(token, "contacts", 1, at_ms=base + n)
    clock.advance(5)  # the search index shows a write a few moments after it
    picker = random.Random(21)
    changed: set[str] = set()

    def change_two(request: Any, answer: Any) -> None:
        if request.path.endswith("/contacts/search") and len(changed) < HUBSPOT_CONTACTS // 100:
            moved = picker.sample(ids, 2)
            changed.update(moved)
            fake.change(token, "contacts", moved)

    figures: dict[str, Any] = {}
    for label in ("quiet", "1 % changing"):
        if label != "quiet":  # every contact changed again since the quiet run
            clock.advance(60)
            base = int(clock.now().timestamp() * 1000) - HUBSPOT_CONTACTS
            for n, contact in enumerate(ids):
                fake.change(token, "contacts", [contact], at_ms=base + n)
            clock.advance(5)
            fake.listeners.append(change_two)
        at_start = {c: fake.revision(token, "contacts", c) for c in ids}
        before = len(fake.requests)
        run = _run(api, headers, connection, False)
        if change_two in fake.listeners:
            fake.listeners.remove(change_two)
        made = [r for r in fake.requests[before:] if r.account == token[-6:]]
        stored = _revisions(pulled_records, paging, connection)
        skipped = sum(1 for c in ids if stored.get(c, 0) < at_start[c])
        figures[label] = {"run": run, "requests": len(made), "skipped": skipped,
                          "throttled": sum(1 for r in made if r.status == 429)}  # fmt: skip
    clock.advance(10)
    _run(api, headers, connection, False)  # the next run
    stored = _revisions(pulled_records, paging, connection)
    stale = sum(1 for c in changed if stored.get(c, 0) < fake.revision(token, "contacts", c))
    quiet, busy = figures["quiet"], figures["1 % changing"]
    ratio = busy["requests"] / quiet["requests"]
    print(
        f"  HubSpot increment, {HUBSPOT_CONTACTS:,} changed contacts: quiet run "
        f"{quiet['requests']} vendor requests, {quiet['run']['recordsSynced']:,} records "
        f"written; with {len(changed)} (1 %) changing during it {busy['requests']} requests "
        f"({ratio:.3f}x, target <= 1.05x), {busy['run']['recordsSynced']:,} written"
    )
    print(
        f"    skipped by the run {busy['skipped']} (quiet {quiet['skipped']}; target 0), changed "
        f"during it and still stale after the next run {stale} (target 0), 429s "
        f"{quiet['throttled'] + busy['throttled']}"
    )
    return {
        "HubSpot changing": {
            "quiet_requests": quiet["requests"],
            "busy_requests": busy["requests"],
            "ratio": round(ratio, 3),
            "skipped": busy["skipped"],
            "stale_after_next": stale,
        }
    }


def _revisions(pulled_records: Any, paging: Any, connection: str) -> dict[str, int]:
    """Each stored contact's revision (read from the table, not through the API)."""
    found: dict[str, int] = {}
    cursor = ""
    sealer = paging.sealer()
    while True:
        records, cursor = pulled_records.list_records(
            "bench", connection, "contacts", limit=100, sealer=sealer, cursor=cursor
        )
        found |= {r.vendor_id: int(r.data["properties"]["revision"]) for r in records}
        if not cursor:
            return found


def _movidesk(stack: Any, api: Any, headers: dict[str, str], clock: Any) -> dict[str, Any]:
    """A scheduled Movidesk run (the last 3 days in São Paulo) over 2,400 tickets, twice."""
    from datetime import timedelta

    from ponte.domain.connectors import Trigger
    from ponte.services import movidesk
    from ponte.services.pulls import starting

    assert stack.movidesk is not None
    token = "bench-movidesk-token"
    stack.movidesk.add_account(token)
    for hour in range(48):  # 50 tickets an hour over the last two days
        stack.movidesk.add(token, MOVIDESK_TICKETS // 48, at=clock.now() - timedelta(hours=hour))
    movidesk.save_settings("bench", movidesk.SettingsChange(token=token))
    figures = {}
    for label in ("first run", "unchanged rerun"):
        before = len(stack.movidesk.requests)
        started = clock.now().timestamp()
        with (
            count_dynamodb(thread="sqs-poller") as tally,
            count_matching(linking_kind, thread="sqs-poller") as linking,
            metered() as used,
        ):
            run = starting.start("bench", "movidesk", full=False, trigger=Trigger.SCHEDULE)
            detail = _wait(api, headers, run.id)
        made = [r for r in stack.movidesk.requests[before:] if r.account == token[-6:]]
        figures[f"Movidesk tickets {label}"] = _row(
            "Movidesk tickets", label, detail, made=made, tally=tally, linking=linking,
            limit=10, window=60.0, started=started,
        ) | {"cost": _cost(used, "Movidesk tickets", label)}  # fmt: skip
    return figures


def _cost(used: Usage, name: str, label: str) -> float:
    """The run's AWS cost: its start, the worker's invocations (billed for their paced
    waits too), the queue and the table; the bench's own polling of the run included."""
    print(used.line(f"cost of one {name} run, {label}"))
    return round(sum(used.dollars().values()), 4)


def _create(api: Any, headers: dict[str, str], platform: str, credentials: dict[str, str]) -> str:
    body = {"name": platform, "platform": platform, "credentials": credentials}
    answer = api.post("/api/v1/sync/connections", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


def _run(api: Any, headers: dict[str, str], connection: str, full: bool) -> dict[str, Any]:
    started = api.post(
        f"/api/v1/sync/connections/{connection}/sync", headers=headers, json={"fullSync": full}
    )
    assert started.status_code == 200, started.text
    return _wait(api, headers, started.json()["data"]["runId"])


def _wait(api: Any, headers: dict[str, str], run_id: str) -> dict[str, Any]:
    from ponte.repository import pull_runs as pulls

    while True:  # read the run directly: the API's own requests are not the worker's
        run = pulls.get_run("bench", run_id)
        if run is not None and run.status.finished:
            answer = api.get(f"/api/v1/sync/runs/{run_id}", headers=headers)
            detail: dict[str, Any] = answer.json()["data"]
            return detail
        _pause.wait(0.2)  # real time: virtual time patches time.sleep


def _row(
    name: str,
    label: str,
    run: dict[str, Any],
    *,
    made: list[Any],
    tally: Tally,
    linking: Counter[str],
    limit: int,
    window: float,
    started: float,
) -> dict[str, Any]:
    times = [r.at for r in made]
    records = sum(s["fetched"] for s in run["streams"].values())
    # Page work: the read of a page's keys, its record writes, its cursor save (the run's
    # own claim and end transactions are per run).
    paged = (
        sum(tally.requests[op] for op in ("BatchGetItem", "BatchWriteItem", "TransactWriteItems"))
        - tally.transact_updates
    )
    # Linking's page work (identity lookups, stale extra links) has its own target (<= 2 per
    # 100 records, the people bench): shown apart, so the storage target stays readable.
    linked = linking["lookups"] + linking["stale links"]
    paged -= linked
    per_100 = paged / (records / 100) if records else 0.0
    linked_100 = linked / (records / 100) if records else 0.0
    overhead = tally.total - tally.pacing - paged - linked
    changed = run["recordsCreated"] + run["recordsUpdated"]
    target = 1 + -(-min(100, changed * 100 // max(records, 1)) // 25) + 1
    rate = _rate(times, limit, window)
    busiest = _busiest(times, window)
    throttled = sum(1 for r in made if r.status == 429)
    print(
        f"  {name:<17} {label:<16} {run['status']:<8} records {records:>6}  "
        f"vendor requests {len(made):>4}  rate {rate:.2f} of {limit}/{window:g}s "
        f"(busiest window {busiest}/{limit})  429s {throttled}"
    )
    print(
        f"    DynamoDB per 100 records {per_100:5.2f} (target <= {target}), linking "
        f"{linked_100:4.2f} more (target <= 2)  + per run: "
        f"lease/checkpoints/finish {overhead}, pacing reservations {tally.pacing}  "
        f"({dict(tally.requests)}; {times[-1] - started if times else 0:,.0f} s virtual)"
    )
    return {
        "records": records,
        "vendor_requests": len(made),
        "rate": round(rate, 3),
        "busiest": busiest,
        "throttled": throttled,
        "dynamodb_per_100": round(per_100, 2),
        "linking_per_100": round(linked_100, 2),
        "run_overhead": overhead,
        "pacing": tally.pacing,
    }


if __name__ == "__main__":
    report()

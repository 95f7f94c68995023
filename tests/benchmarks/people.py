"""People across systems on the local stack, in virtual time: 2,000 students from the ERP, then

- linking as records are stored: a HubSpot first run over 5,000 contacts (2,000 of them carry
  a student's email, 1,000 more a student's phone) and a Zendesk run over 2,000 users and
  4,000 tickets that belong to them; the worker's DynamoDB requests per 100 records, and
  those linking made (target: <= 2 more than without linking);
- a person's timeline of 250 records, read whole: the first answer (the person's card and 20
  records) and every next page through ``/timeline`` (target: requests <= pages + 2);
- a relink of 100,000 stored records (records stored before linking existed): its requests
  and its AWS cost.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.benchmarks.dynamodb_counter import count_dynamodb, count_matching
from tests.benchmarks.erp_requests import _environment
from tests.benchmarks.usage import metered
from tests.support import generate as gen

TENANT = "bench-people"
STUDENTS = 2_000
HUBSPOT_CONTACTS = 5_000
ZENDESK_USERS, ZENDESK_TICKETS = 2_000, 4_000
TIMELINE = 250
RELINK_RECORDS, RELINK_CONNECTIONS = 100_000, 10
EVENTS = Path(__file__).resolve().parents[2] / "events"
_pause = threading.Event()  # never set: its wait() is a plain real-time pause


def report() -> dict[str, Any]:
    _environment()
    from moto import mock_aws

    with mock_aws():
        import httpx

        from devstack.stack import run_local_stack
        from ponte.domain.tenancy import Scope
        from ponte.observability import logger
        from ponte.services import tenancy
        from tests.support.virtual_time import virtual_time

        with (
            virtual_time(datetime.now(UTC)),
            run_local_stack(state_dir=Path(tempfile.mkdtemp())) as stack,
            httpx.Client(base_url=stack.base_url, timeout=120) as api,
        ):
            logger.setLevel("ERROR")
            tenancy.create_tenant(TENANT, "Benchmark")
            key = tenancy.create_api_client(TENANT, "bench", Scope.FULL, None).api_key
            _erp(api, {"Authorization": f"Bearer {key}"}, stack)
            headers = {"Authorization": f"Bearer {stack.idp.mint(TENANT, 'admin')}"}
            print(
                f"People: linking pulled records to {STUDENTS:,} students "
                "(worker requests only; per 100 records)"
            )
            figures = _linking(stack, api, headers)
            figures |= _timeline(stack, api, headers)
            figures |= _relink(stack)
    return figures


def _erp(api: Any, headers: dict[str, str], stack: Any) -> None:
    """The students through the ERP API; their identities indexed by a relink (the queue's
    per-batch messages set aside: moto answers each of their index Queries by reading the
    whole table, which real DynamoDB does not)."""
    from ponte import aws
    from ponte.domain import run_queue
    from ponte.services.people import relink_job
    from ponte.settings import get_settings

    bundle = {
        "units": gen.units(2),
        "areas": gen.areas(2, 2),
        "courses": gen.courses(2, 2, 2),
        "students": [
            s | {"phone": f"+5511{970000000 + i}"} for i, s in enumerate(gen.students(STUDENTS, 2))
        ],
    }
    stack.poller.pause()
    for entity, records in bundle.items():
        for chunk in gen.chunks(records):
            answer = api.post(f"/api/integration/v1/{entity}/sync", headers=headers,
                              json={entity: chunk})  # fmt: skip
            assert answer.status_code == 200, answer.text
    aws.client("sqs").purge_queue(QueueUrl=get_settings().pull_queue_url)
    relink_job.work(run_queue.RelinkMessage(tenant_id=TENANT), remaining_seconds=900.0)
    stack.poller.resume()


def linking_kind(operation: str, params: dict[str, Any]) -> str | None:
    """What linking a worker's request made: identity and owner lookups, the Queries of
    records to match again and the updates and deletions of links (None: not linking's)."""
    text = json.dumps(params, default=str)
    if operation == "BatchGetItem" and ("#ID#" in text or '"#pe"' in text) and '"#h"' not in text:
        return "lookups"
    if operation == "Query" and "#WHO#" in text:
        return "rematch queries"
    if operation == "UpdateItem" and '"link_status"' in text:
        return "link updates"
    if operation == "BatchWriteItem" and '"#LINK#' in text and "DeleteRequest" in text:
        return "stale links"
    return None


def _timeline_kind(operation: str, params: dict[str, Any]) -> str | None:
    """The Queries of a person's timeline partition (its pages and its count)."""
    values = json.dumps(params.get("ExpressionAttributeValues"))
    return "timeline" if operation == "Query" and "#P#" in values else None


def _linking(stack: Any, api: Any, headers: dict[str, str]) -> dict[str, Any]:
    hubspot, zendesk = stack.hubspot, stack.zendesk
    hubspot.add_account("bench-people-token")
    for i in range(HUBSPOT_CONTACTS):
        if i < STUDENTS:
            properties = {"email": f"AL{i}@aluno.edu.br"}
        elif i < STUDENTS + 1_000:
            properties = {"mobilephone": f"(11) {970000000 + i - STUDENTS}"}
        else:
            properties = {"email": f"lead{i}@example.com"}
        hubspot.add("bench-people-token", "contacts", 1, properties=properties)
    zendesk.add_account("bench-people", "admin@bench.com", "zd")
    users = [
        zendesk.add("bench-people", "users", 1, fields={"email": f"al{i}@aluno.edu.br"})[0]
        for i in range(ZENDESK_USERS)
    ]
    for i in range(ZENDESK_TICKETS):
        zendesk.add("bench-people", "tickets", 1, fields={"requester_id": users[i % len(users)]})
    figures: dict[str, Any] = {}
    for name, platform, credentials in (
        ("HubSpot contacts", "hubspot", {"accessToken": "bench-people-token"}),
        ("Zendesk users+tickets", "zendesk",
         {"email": "admin@bench.com", "apiToken": "zd", "subdomain": "bench-people"}),
    ):  # fmt: skip
        connection = _create(api, headers, platform, credentials)
        assert stack.poller.wait_drained(600)  # a first connection's relink: not the run's
        with (
            count_dynamodb(thread="sqs-poller") as tally,
            count_matching(linking_kind, thread="sqs-poller") as linking,
        ):
            run = _run(api, headers, connection)
        records = sum(s["fetched"] for s in run["streams"].values())
        paged = sum(tally.requests[op] for op in ("BatchGetItem", "BatchWriteItem", "Query",
                                                   "UpdateItem"))  # fmt: skip
        per_100 = 100 / records
        linked = sum(linking.values())
        print(
            f"  {name:<22} {run['status']:<8} records {records:>6}  page work "
            f"{paged * per_100:5.2f}, of it linking {linked * per_100:4.2f} (target <= 2)  "
            f"{dict(linking)}"
        )
        figures[f"linking {name}"] = {"records": records, "linking_per_100": linked * per_100}
    return figures


def _timeline(stack: Any, api: Any, headers: dict[str, str]) -> dict[str, Any]:
    """Student AL00005 in 250 HubSpot contacts (duplicates, as CRMs hold them)."""
    token = "bench-people-timeline"
    stack.hubspot.add_account(token)
    stack.hubspot.add(token, "contacts", TIMELINE, properties={"email": "al5@aluno.edu.br"})
    _run(api, headers, _create(api, headers, "hubspot", {"accessToken": token}))
    runtime = stack.provisioned.runtime
    path = {"kind": "students", "personId": "AL00005"}
    with (
        count_dynamodb(thread="MainThread") as first_tally,
        count_matching(_timeline_kind, thread="MainThread") as reads,
    ):
        answer = runtime.invoke("GetPersonFunction", _event("GetPersonFunction", path, ""))
    body = json.loads(answer["body"])
    read = len(body["data"]["timeline"])
    cursor = body["meta"]["nextCursor"]
    pages, later = 1, 0
    with (
        count_dynamodb(thread="MainThread") as next_tally,
        count_matching(_timeline_kind, thread="MainThread") as more,
    ):
        while cursor:
            query = f"limit=20&cursor={cursor}"
            answer = runtime.invoke("GetPersonTimelineFunction",
                                    _event("GetPersonTimelineFunction", path, query))  # fmt: skip
            page = json.loads(answer["body"])
            read += len(page["data"])
            cursor = page["meta"]["nextCursor"]
            pages += 1
    later = next_tally.total
    timeline = reads["timeline"] + more["timeline"]
    card = first_tally.total - reads["timeline"]
    print(
        f"  a person's timeline: {read} records in {pages} pages of 20, read whole: "
        f"{timeline} requests for its pages and its count (target <= pages + 2 = {pages + 2}); "
        f"the first answer {first_tally.total} requests ({card} of them the card: the person, "
        f"their turmas and units, the connections' names on a cold container; "
        f"{dict(first_tally.requests)}), each next page {later / max(pages - 1, 1):.0f}"
    )
    return {"timeline": {"records": read, "pages": pages, "timeline_requests": timeline,
                         "first_answer": first_tally.total, "next_pages": later}}  # fmt: skip


def _event(logical_id: str, params: dict[str, str], query: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{logical_id}.json").read_text())
    kind, person = params["kind"], params["personId"]
    suffix = "/timeline" if logical_id.endswith("TimelineFunction") else ""
    path = f"/api/v1/people/{kind}/{person}{suffix}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = params
    event["rawQueryString"] = query
    event["queryStringParameters"] = (
        dict(kv.split("=", 1) for kv in query.split("&")) if query else None
    )
    context = event["requestContext"]["authorizer"]["lambda"]
    context |= {"tenant_id": TENANT, "role": "admin", "principal_id": "bench-reader"}
    return event


def _relink(stack: Any) -> dict[str, Any]:
    """100,000 contacts stored as before linking existed (no links), over 10 HubSpot
    connections of 10,000 each (moto reads a whole partition for each page of a Query: one
    partition of 100,000 would take it an hour), 20,000 of them carrying a student's email: a
    relink matches them all again."""
    from ponte.domain import run_queue
    from ponte.domain.connectors import Connection, Platform
    from ponte.domain.records import PulledRecord
    from ponte.repository import connections as connection_store
    from ponte.repository import pulled_records
    from ponte.services.people import relink_job

    started = time.monotonic()
    created = "2025-01-01T00:00:00"
    per_connection = RELINK_RECORDS // RELINK_CONNECTIONS
    for c in range(RELINK_CONNECTIONS):
        connection = f"relink-bench-{c:02d}"
        old = Connection(connection, f"old {c}", Platform.HUBSPOT, True, created, created)
        connection_store.put_new(TENANT, old)
        batch: list[tuple[PulledRecord, str]] = []
        for n in range(per_connection):
            i = c * per_connection + n
            email = f"al{i % STUDENTS}@aluno.edu.br" if i % 5 == 0 else f"old{i}@example.com"
            data = {"id": str(i), "properties": {"email": email}}
            batch.append((PulledRecord(f"{i:07d}", "2025-01-01T00:00:00.000Z", data, f"h{i}"),
                          "created"))  # fmt: skip
            if len(batch) == 1_000:
                pulled_records.put_records(TENANT, connection, "contacts", batch, run_id="old",
                                           page=i)  # fmt: skip
                batch = []
    stored = time.monotonic() - started
    message = run_queue.RelinkMessage(tenant_id=TENANT)
    with count_dynamodb() as tally, metered() as used:
        outcome = ""
        while True:  # as the queue would: each continuation where the last one stopped
            outcome = relink_job.work(message, remaining_seconds=900.0)
            if not outcome.startswith("continued"):
                break
    print(
        f"  a relink of {RELINK_RECORDS:,} stored records ({RELINK_CONNECTIONS} connections; "
        f"and the {STUDENTS:,} students' identities indexed again): {outcome}; DynamoDB "
        f"requests {tally.total:,} {dict(tally.requests)} (stored in {stored:.0f} s)"
    )
    print(used.line("cost of the relink"))
    print(used.line("  the same, per 1 million records", scale=1_000_000 / RELINK_RECORDS))
    return {"relink": {"requests": tally.total, "cost": round(sum(used.dollars().values()), 4)}}


def _create(api: Any, headers: dict[str, str], platform: str, credentials: dict[str, str]) -> str:
    body = {"name": platform, "platform": platform, "credentials": credentials}
    answer = api.post("/api/v1/sync/connections", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["data"]["id"])


def _run(api: Any, headers: dict[str, str], connection: str) -> dict[str, Any]:
    from ponte.repository import pull_runs

    started = api.post(f"/api/v1/sync/connections/{connection}/sync", headers=headers, json={})
    assert started.status_code == 200, started.text
    run_id = started.json()["data"]["runId"]
    while True:  # read the run directly: the API's own requests are not the worker's
        run = pull_runs.get_run(TENANT, run_id)
        if run is not None and run.status.finished:
            detail: dict[str, Any] = api.get(f"/api/v1/sync/runs/{run_id}", headers=headers).json()
            return detail["data"]
        _pause.wait(0.2)  # real time: virtual time patches time.sleep


if __name__ == "__main__":
    report()

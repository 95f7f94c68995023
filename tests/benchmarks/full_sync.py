"""A generated institution through `POST /full-sync` on the local stack (in-process moto, real
ASL, real handlers): DynamoDB requests against the lower bound, and records per second.

The run is watched through Step Functions (describe_execution), so the status page's own
reads do not count. moto is far slower than DynamoDB: records/second measures the local
stack, not AWS.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.benchmarks.dynamodb_counter import Tally, count_dynamodb
from tests.benchmarks.usage import Usage, metered
from tests.support import generate as gen


def _wait(arn_prefix: str) -> str:
    import boto3

    sfn = boto3.client("stepfunctions")
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"].endswith("FullSyncStateMachine")
    )
    while True:
        executions = sfn.list_executions(stateMachineArn=machine)["executions"]
        mine = [e for e in executions if e["name"].startswith(arn_prefix)]
        if mine and mine[0]["status"] != "RUNNING":
            return str(mine[0]["status"])
        time.sleep(0.5)


def _run(
    client: Any, headers: dict[str, str], bundle: dict[str, Any]
) -> tuple[Tally, float, Usage]:
    with count_dynamodb() as tally, metered() as used:
        started = time.perf_counter()
        response = client.post("/api/integration/v1/full-sync", headers=headers, json=bundle)
        assert response.status_code == 202, response.text
        status = _wait(response.json()["data"]["run_id"])
        elapsed = time.perf_counter() - started
    assert status == "SUCCEEDED", status
    return tally, elapsed, used


def report() -> dict[str, Any]:
    from tests.benchmarks.erp_requests import _environment

    _environment()
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        import httpx

        from devstack.stack import run_local_stack
        from ponte.domain.tenancy import Scope
        from ponte.services import tenancy

        with run_local_stack(state_dir=Path(tempfile.mkdtemp())) as stack:
            tenancy.create_tenant("bench", "Benchmark")
            key = tenancy.create_api_client("bench", "bench", Scope.FULL, 10_000).api_key
            headers = {"Authorization": f"Bearer {key}"}
            bundle = gen.institution()
            records = sum(len(v) for v in bundle.values())
            links = sum(len(t["student_codes"]) for t in bundle["enrollments"])
            with httpx.Client(base_url=stack.base_url, timeout=60) as client:
                first, first_seconds, first_cost = _run(client, headers, bundle)
                second, second_seconds, second_cost = _run(client, headers, bundle)

    print(
        f"Full sync of a generated institution ({records} records, {links} turma links; "
        f"map concurrency {os.environ.get('FULL_SYNC_MAP_CONCURRENCY', '4')})"
    )
    figures: dict[str, Any] = {}
    for name, tally, seconds in (
        ("first run (all new)", first, first_seconds),
        ("second run (unchanged)", second, second_seconds),
    ):
        bound = tally.lower_bound()
        ratio = tally.total / bound
        print(
            f"  {name:<24} DynamoDB requests {tally.total:>6}  lower bound {bound:8.1f}  "
            f"ratio {ratio:4.2f} (target <= 1.5)  items written {tally.items_written:>6}  "
            f"keys read {tally.keys_read:>6}  {records / seconds:7.1f} records/s "
            f"({seconds:.1f} s, local stack on moto)"
        )
        print(f"    requests: {dict(sorted(tally.requests.items()))}")
        figures[name] = {
            "requests": tally.total,
            "lower_bound": round(bound, 1),
            "ratio": round(ratio, 2),
            "records_per_second": round(records / seconds, 1),
        }
    for name, used in (("first run", first_cost), ("unchanged rerun", second_cost)):
        print(used.line(f"cost of one full sync, {name}"))
        figures[f"cost {name}"] = round(sum(used.dollars().values()), 4)
    return figures


if __name__ == "__main__":
    report()

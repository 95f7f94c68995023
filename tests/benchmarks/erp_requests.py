"""DynamoDB requests of one 100-record ERP sync call, counted (moto's timing means nothing).

The service is called as the sync function calls it; authentication and rate limiting (one
GetItem and one UpdateItem per request, in the authorizer) are left out.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from tests.benchmarks.dynamodb_counter import Tally, count_dynamodb
from tests.support import generate as gen

TENANT = "bench"


def _environment() -> None:
    from devstack.stack import LOCAL_AWS_ENVIRONMENT

    os.environ.update(LOCAL_AWS_ENVIRONMENT)
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    os.environ.pop("AWS_ENDPOINT_URL", None)


def _row(name: str, tally: Tally, target: str, note: str = "") -> None:
    print(
        f"  {name:<34} {tally.total:>5}  {target:<14} "
        f"items written {tally.items_written:>5}  keys read {tally.keys_read:>5}"
        f"  records written {tally.entity_writes:>4}{note}"
    )


def report() -> dict[str, Any]:
    _environment()
    from moto import mock_aws

    with mock_aws():
        from devstack.moto_fixes import patched_moto
        from devstack.provision import provision
        from devstack.stack import function_environment
        from ponte.domain.academic import Entity
        from ponte.services import tenancy
        from ponte.services.erp_sync import SyncService

        stack = ExitStack()
        stack.enter_context(patched_moto())
        provisioned = provision({"JwtIssuer": "https://bench.invalid"})
        stack.enter_context(function_environment(provisioned.environment))
        tenancy.create_tenant(TENANT, "Benchmark")
        service = SyncService(TENANT, strict_cpf=lambda: False)

        def load(entity: Entity, records: list[dict[str, Any]]) -> None:
            for chunk in gen.chunks(records):
                result = service.sync(entity, chunk)
                assert result.failed == 0, result.errors[:3]

        load(Entity.UNITS, gen.units(20))
        load(Entity.AREAS, gen.areas(20, 20))
        load(Entity.COURSES, gen.courses(20, 20, 20))
        load(Entity.SUBJECTS, gen.subjects(300, 20))

        def measure(entity: Entity, records: list[dict[str, Any]]) -> Tally:
            with count_dynamodb() as tally:
                result = service.sync(entity, records)
            assert result.failed == 0, result.errors[:3]
            return tally

        figures: dict[str, Any] = {}
        print("ERP sync: DynamoDB requests per 100-record call (auth and rate limiting aside)")
        print(f"  {'scenario':<34} {'reqs':>5}  {'target':<14}")
        people: list[tuple[str, Entity, Callable[..., list[dict[str, Any]]]]] = [
            ("professors", Entity.PROFESSORS, gen.professors),
            ("students", Entity.STUDENTS, gen.students),
        ]
        for label, entity, make in people:
            records = make(100, 20)
            new = measure(entity, records)
            same = measure(entity, records)
            changed = [
                dict(r, name=r["name"] + " (revisado)") if i % 10 == 0 else r
                for i, r in enumerate(records)
            ]
            tenth = measure(entity, changed)
            _row(f"{label}: 100 new", new, "<= 10")
            _row(f"{label}: 100 unchanged", same, "<= 2, 0 writes")
            _row(f"{label}: 10 % changed", tenth, "<= 4")
            figures[label] = {
                "new": new.total,
                "unchanged": same.total,
                "unchanged_records_written": same.entity_writes,
                "changed_10pct": tenth.total,
            }

        load(Entity.STUDENTS, gen.students(1000, 20))
        turmas = gen.enrollments(100, 40, subjects_n=300, professors_n=100, students_n=1000)
        new = measure(Entity.ENROLLMENTS, turmas)
        same = measure(Entity.ENROLLMENTS, turmas)
        for name, tally in (("turmas 100 x 40: new", new), ("turmas 100 x 40: unchanged", same)):
            bound = tally.lower_bound()
            ratio = tally.total / bound if bound else float("nan")
            _row(name, tally, "<= 1.5 x LB", f"  lower bound {bound:.1f}  ratio {ratio:.2f}")
            figures[name] = {
                "requests": tally.total,
                "lower_bound": round(bound, 1),
                "ratio": round(ratio, 2),
            }
        figures["cost"] = _cost(provisioned.runtime)
        stack.close()
        return figures


def _cost(runtime: Any) -> dict[str, float]:
    """Per 100k records: 1,000 calls of 100 professors (new, then unchanged), each through
    the authorizer and its function, as the ERP sends them."""
    import json

    from tests.benchmarks import usage as costs

    authorizer = costs.authorizer_request(runtime, TENANT)
    records = gen.professors(100, 20, start=500)
    event = costs.sample_event("SyncProfessorsFunction")
    event["requestContext"]["authorizer"]["lambda"] |= {"tenant_id": TENANT}
    event["body"] = json.dumps({"professors": records})
    warm = dict(event, body=json.dumps({"professors": gen.professors(1, 20, start=900)}))
    runtime.invoke("SyncProfessorsFunction", warm)  # a cold start is not per call
    print()
    costs.print_prices()
    figures = {}
    for label in ("new", "unchanged"):
        with costs.metered() as used:
            answer = runtime.invoke("SyncProfessorsFunction", event)
        assert answer["statusCode"] == 200, answer["body"][:300]
        used.add(authorizer)
        print(used.line(f"ERP sync, per 100k records ({label})", scale=1000))
        figures[label] = round(sum(used.dollars().values()) * 1000, 4)
    return figures


if __name__ == "__main__":
    report()

"""DynamoDB requests per hierarchy endpoint on a generated institution (2,000 students,
300 turmas x 30, two horários each), next to the 1 MB Query pages each answer reads.

Target: requests <= pages + 3 (every Query page the answer needs, and at most three point
reads). The functions are invoked in-process with an admin's authorizer context (the
authorizer's own GetItem/UpdateItem are left out); the caller's scope costs a few Queries for
other roles, printed at the end.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import math
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.benchmarks.dynamodb_counter import count_dynamodb
from tests.benchmarks.erp_requests import _environment
from tests.support import generate as gen

TENANT = "bench"
MB = 1024 * 1024
EVENTS = Path(__file__).resolve().parents[2] / "events"
ENDPOINTS = [
    ("HierarchyInstitutionsFunction", "instituicoes", {}),
    ("HierarchyUnitsFunction", "unidades/default", {"idInstituicao": "default"}),
    ("HierarchyTurmasFunction", "turmas/UN000", {"idUnidade": "UN000"}),
    ("HierarchySchedulesFunction", "horarios/TU0000", {"idTurma": "TU0000"}),
    ("HierarchyTurmaStudentsFunction", "turma/TU0000/alunos", {"idTurma": "TU0000"}),
    ("HierarchyCompleteFunction", "instituicao/default/completa", {"idInstituicao": "default"}),
    ("HierarchyCompleteScheduleFunction", "horario-completo/HO0000-0", {"horarioId": "HO0000-0"}),
    (
        "HierarchyUserSchedulesFunction",
        "horarios-usuario/al5@aluno.edu.br",
        {"identificacao": "al5@aluno.edu.br"},
    ),
    ("HierarchyDebugSchedulesFunction", "debug-horarios", {}),
    ("HierarchySearchUsersFunction", "buscar-usuarios?instituicaoId=default&papel=Aluno", {}),
    ("HierarchyRecipientsFunction", "destinatarios", {}),
]
ROLES = {
    "coordinator": {"units": ["UN000", "UN001"]},
    "professor": {},  # found by email
    "guardian": {"students": ["AL00005", "AL00006"]},
}


def _event(logical_id: str, path: str, params: dict[str, str], role: str = "admin") -> Any:
    event = json.loads((EVENTS / f"{logical_id}.json").read_text())
    event = copy.deepcopy(event)
    raw_path, _, query = path.partition("?")
    event["rawPath"] = event["requestContext"]["http"]["path"] = f"/api/hierarquia/{raw_path}"
    event["rawQueryString"] = query
    event["queryStringParameters"] = (
        dict(kv.split("=") for kv in query.split("&")) if query else None
    )
    event["pathParameters"] = params or None
    event["headers"]["accept-encoding"] = "gzip"
    context = event["requestContext"]["authorizer"]["lambda"]
    context |= {"tenant_id": TENANT, "role": role}
    if role == "professor":
        context["email"] = "pr1@inst.edu.br"
    context["attributes"] = json.dumps(ROLES.get(role, {}))
    return event


def report() -> dict[str, Any]:
    _environment()
    from moto import mock_aws

    with mock_aws(), ExitStack() as stack:
        from devstack.moto_fixes import patched_moto
        from devstack.provision import provision
        from devstack.stack import function_environment
        from ponte.domain.academic import Entity
        from ponte.observability import logger
        from ponte.services import tenancy
        from ponte.services.erp_sync import SyncService

        stack.enter_context(patched_moto())
        provisioned = provision({"JwtIssuer": "https://bench.invalid"})
        stack.enter_context(function_environment(provisioned.environment))
        logger.setLevel("ERROR")  # the audit lines would drown the figures
        tenancy.create_tenant(TENANT, "Instituição Benchmark")
        service = SyncService(TENANT, strict_cpf=lambda: False)
        bundle = gen.institution(schedules=2)
        for entity in Entity:
            for chunk in gen.chunks(bundle.get(entity.value, [])):
                assert service.sync(entity, chunk).failed == 0

        runtime = provisioned.runtime
        print(
            "Hierarchy API: DynamoDB requests per endpoint (generated institution: "
            f"{len(bundle['students'])} students, {len(bundle['enrollments'])} turmas x 30, "
            "2 horários each; admin)"
        )
        print(f"  {'endpoint':<52} {'reqs':>4} {'pages':>5} {'MB read':>8}  target   answer")
        figures: dict[str, Any] = {}
        for logical_id, path, params in ENDPOINTS:
            runtime.invoke(logical_id, _event(logical_id, path, params))  # warm: imports, caches
            with count_dynamodb() as tally:
                result = runtime.invoke(logical_id, _event(logical_id, path, params))
            assert result["statusCode"] == 200, result
            body = base64.b64decode(result["body"]) if result["isBase64Encoded"] else b""
            raw = gzip.decompress(body) if body else result["body"].encode()
            pages = tally.requests["Query"]
            mb = tally.bytes_read / MB
            ok = tally.total <= pages + 3
            print(
                f"  {path:<52} {tally.total:>4} {pages:>5} {mb:>8.2f}  "
                f"{'ok' if ok else 'OVER':<7}  {len(raw) / 1024:,.0f} KiB json, "
                f"{len(body) / 1024:,.0f} KiB gzip"
            )
            figures[path] = {
                "requests": tally.total,
                "pages": pages,
                "mb_read": round(mb, 2),
                "min_pages_by_size": max(1, math.ceil(mb)),
                "json_kib": round(len(raw) / 1024),
                "gzip_kib": round(len(body) / 1024),
            }
        complete = figures["instituicao/default/completa"]
        print(
            f"  instituicao/default/completa: {complete['json_kib']:,} KiB of JSON, "
            f"{complete['gzip_kib']:,} KiB gzip (target < 6 MB, Lambda's response limit)"
        )
        figures["cost_per_10k"] = _cost(runtime)
        print("  the caller's scope (instituicoes as each role): requests / pages")
        for role in ROLES:
            event = _event("HierarchyInstitutionsFunction", "instituicoes", {}, role)
            with count_dynamodb() as tally:
                result = runtime.invoke("HierarchyInstitutionsFunction", event)
            assert result["statusCode"] == 200, result
            print(f"    {role:<12} {tally.total:>3} / {tally.requests['Query']}")
            figures[f"instituicoes as {role}"] = tally.total
        return figures


def _cost(runtime: Any) -> float:
    """Per 10,000 reads, an even mix of the eleven endpoints (warm), each through the
    authorizer (measured with an API client's key: a user's JWT costs about the same)."""
    from tests.benchmarks import usage as costs

    authorizer = costs.authorizer_request(runtime, TENANT)
    with costs.metered() as used:
        for logical_id, path, params in ENDPOINTS:
            runtime.invoke(logical_id, _event(logical_id, path, params))
    used.add(authorizer, len(ENDPOINTS))
    print(used.line("hierarchy, per 10k reads (even mix of 11)", scale=10_000 / len(ENDPOINTS)))
    return round(sum(used.dollars().values()) * 10_000 / len(ENDPOINTS), 4)


if __name__ == "__main__":
    report()

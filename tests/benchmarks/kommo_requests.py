"""Kommo requests per slave for 100 roles, counted by the Kommo fake through the real
role-sync workflow on the local stack: an identical slave (target: only the reads) and one
with 10 % of the roles' rights changed (target: the reads and one write per changed role)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tests.benchmarks.erp_requests import _environment
from tests.benchmarks.usage import metered


def _roles(n: int, changed: int = 0) -> list[dict[str, Any]]:
    roles = []
    for i in range(n):
        level = "D" if i < changed else "A"
        rights = {"leads": {"view": level, "edit": level}, "mail_access": i % 2 == 0}
        roles.append({"name": f"Papel {i:03}", "rights": rights})
    return roles


def report() -> dict[str, Any]:
    _environment()
    from moto import mock_aws

    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        import httpx

        from devstack.stack import run_local_stack
        from ponte.observability import logger
        from ponte.services import kommo_accounts, tenancy

        with run_local_stack(state_dir=Path(tempfile.mkdtemp())) as stack:
            logger.setLevel("ERROR")
            fake = stack.kommo
            assert fake is not None
            tenancy.create_tenant("bench", "Benchmark")
            master = _roles(100)
            for name, role, roles in (
                ("bench-master", "master", master),
                ("bench-identical", "slave", _roles(100)),
                ("bench-divergent", "slave", _roles(100, changed=10)),
            ):
                fake.add_account(name, f"token-{name}-0123456789", roles)
                new = kommo_accounts.NewAccount(
                    subdomain=name, role=role, token=f"token-{name}-0123456789"
                )  # type: ignore[arg-type]
                kommo_accounts.create("bench", new)
            token = stack.idp.mint("bench", "admin")
            with httpx.Client(base_url=stack.base_url, timeout=60) as client, metered() as used:
                response = client.post(
                    "/sync/roles",
                    params={"wait": "true"},
                    headers={"Authorization": f"Bearer {token}"},
                    json={"batch_config": {"batch_size": 10, "batch_delay": 0}},
                )
            assert response.status_code == 200, response.text
    print("Kommo role sync: requests per slave for 100 roles (counted by the Kommo fake)")
    figures: dict[str, Any] = {}
    for name, target in (
        ("bench-identical", "only the reads"),
        ("bench-divergent", "reads + 10 writes (10 roles changed)"),
    ):
        reads, writes = len(fake.reads(name)), len(fake.writes(name))
        print(f"  {name:<17} reads {reads:>3}  writes {writes:>3}  (target: {target})")
        figures[name] = {"reads": reads, "writes": writes}
    print(f"  master            reads {len(fake.reads('bench-master')):>3}  writes "
          f"{len(fake.writes('bench-master')):>3}")  # fmt: skip
    print(used.line("cost of one role sync (100 roles, 2 slaves)"))
    figures["cost"] = round(sum(used.dollars().values()), 4)
    return figures


if __name__ == "__main__":
    report()

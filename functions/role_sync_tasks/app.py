"""The role-sync workflow's tasks (infra/statemachines/role_sync.asl.json), one per function."""

from __future__ import annotations

from typing import Any

from ponte.observability import instrument
from ponte.services import role_sync


def _run_id(event: dict[str, Any]) -> str:
    return str(event.get("run_id", ""))


check = instrument(lambda event, _ctx: role_sync.check(event), correlation=_run_id)
read_master = instrument(lambda event, _ctx: role_sync.read_master(event), correlation=_run_id)
plan = instrument(lambda event, _ctx: role_sync.plan(event), correlation=_run_id)
apply_batch = instrument(lambda event, _ctx: role_sync.apply_batch(event), correlation=_run_id)
record = instrument(lambda event, _ctx: role_sync.record(event), correlation=_run_id)
slave_failed = instrument(lambda event, _ctx: role_sync.slave_failed(event), correlation=_run_id)
finalize = instrument(lambda event, _ctx: role_sync.finalize(event), correlation=_run_id)

"""The role-sync workflow's tasks (infra/statemachines/role_sync.asl.json), one per function."""

from __future__ import annotations

from ponte.observability import workflow_task
from ponte.services import role_sync

check = workflow_task(role_sync.check)
read_master = workflow_task(role_sync.read_master)
plan = workflow_task(role_sync.plan)
apply_batch = workflow_task(role_sync.apply_batch)
record = workflow_task(role_sync.record)
slave_failed = workflow_task(role_sync.slave_failed)
finalize = workflow_task(role_sync.finalize)

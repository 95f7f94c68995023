"""The role-sync workflow's tasks (infra/statemachines/role_sync.asl.json), one per function."""

from __future__ import annotations

from ponte.observability import workflow_task
from ponte.services.role_sync import tasks

check = workflow_task(tasks.check)
read_master = workflow_task(tasks.read_master)
plan = workflow_task(tasks.plan)
apply_batch = workflow_task(tasks.apply_batch)
record = workflow_task(tasks.record)
slave_failed = workflow_task(tasks.slave_failed)
finalize = workflow_task(tasks.finalize)

"""The full-sync workflow's tasks (infra/statemachines/full_sync.asl.json), one per function."""

from __future__ import annotations

from ponte.observability import workflow_task
from ponte.services.full_sync import tasks

prepare = workflow_task(tasks.prepare)
apply_chunk = workflow_task(tasks.apply_chunk)
chunk_failed = workflow_task(tasks.chunk_failed)
phase_done = workflow_task(tasks.phase_done)
mirror = workflow_task(tasks.mirror)
finalize = workflow_task(tasks.finalize)

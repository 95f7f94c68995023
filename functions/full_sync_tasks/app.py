"""The full-sync workflow's tasks (infra/statemachines/full_sync.asl.json), one per function."""

from __future__ import annotations

from ponte.observability import workflow_task
from ponte.services import full_sync

prepare = workflow_task(full_sync.prepare)
apply_chunk = workflow_task(full_sync.apply_chunk)
chunk_failed = workflow_task(full_sync.chunk_failed)
phase_done = workflow_task(full_sync.phase_done)
mirror = workflow_task(full_sync.mirror)
finalize = workflow_task(full_sync.finalize)

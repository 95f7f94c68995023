"""The full-sync workflow's tasks (infra/statemachines/full_sync.asl.json), one per function."""

from __future__ import annotations

from typing import Any

from ponte.observability import instrument
from ponte.services import full_sync


def _run_id(event: dict[str, Any]) -> str:
    return str(event.get("run_id", ""))


prepare = instrument(lambda event, _ctx: full_sync.prepare(event), correlation=_run_id)
apply_chunk = instrument(lambda event, _ctx: full_sync.apply_chunk(event), correlation=_run_id)
chunk_failed = instrument(lambda event, _ctx: full_sync.chunk_failed(event), correlation=_run_id)
phase_done = instrument(lambda event, _ctx: full_sync.phase_done(event), correlation=_run_id)
mirror = instrument(lambda event, _ctx: full_sync.mirror(event), correlation=_run_id)
finalize = instrument(lambda event, _ctx: full_sync.finalize(event), correlation=_run_id)

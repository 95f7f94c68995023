"""The full-sync API's presenters: a stored run as :mod:`ponte.http.responses.full_sync`
shows it, with its progress per entity and, in the detail, its first errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ponte.clock import isoformat, utcnow
from ponte.http.responses import full_sync as out
from ponte.repository.runs import StoredRun
from ponte.services.full_sync.model import COUNTS, ORDER, RUN_PART


def _moment(value: str | None) -> str | None:
    return isoformat(datetime.fromisoformat(value)) if value else None


def run(r: StoredRun) -> out.FullSyncRun:
    duration = None
    if r.started_at:
        end = datetime.fromisoformat(r.ended_at) if r.ended_at else utcnow()
        duration = round((end - datetime.fromisoformat(r.started_at)).total_seconds(), 1)
    progress = r.get("progress", {})
    mirror = r.get("mirror")
    return out.FullSyncRun(
        run_id=r.run_id,
        status=r.status,
        source=r.get("source"),
        options=r.get("options", {}),
        progress={
            e.value: out.EntityProgress(
                **{c: int(progress.get(e.value, {}).get(c, 0)) for c in COUNTS}
            )
            for e in ORDER
        },
        failed_chunks=int(progress.get(RUN_PART, {}).get("failed_chunks", 0)),
        mirror=None if mirror is None else {k: _mirrored(v) for k, v in mirror.items()},
        error=r.error,
        created_at=_moment(r.created_at),
        started_at=_moment(r.started_at),
        ended_at=_moment(r.ended_at),
        duration_seconds=duration,
    )


def _mirrored(report: Mapping[str, Any]) -> out.MirrorApplied | out.MirrorSkipped:
    return out.MirrorApplied(**report) if report["applied"] else out.MirrorSkipped(**report)


def run_detail(r: StoredRun, errors: Sequence[Mapping[str, Any]]) -> out.FullSyncRunDetail:
    return out.FullSyncRunDetail(
        **dict(run(r)),
        errors=[
            out.RecordError(
                entity=e.get("entity"),
                index=e.get("index"),
                code=e.get("code"),
                errors=e.get("errors"),
            )
            for e in errors
        ],
    )

"""What every workflow task receives: the run it belongs to, and (in a Catch) the failure."""

from __future__ import annotations

from typing import NotRequired, TypedDict


class TaskError(TypedDict, total=False):
    """What a Catch with ``ResultPath: $.error`` puts in the state."""

    Error: str
    Cause: str


class RunEvent(TypedDict):
    tenant_id: str
    run_id: str


class FinalizeEvent(RunEvent):
    error: NotRequired[TaskError]

"""What the API and the workflow tasks of a full sync share: options, the order of the
entities, the workflow, and the events its states pass (mirroring full_sync.asl.json)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from ponte import errors
from ponte.domain.academic import Entity
from ponte.domain.runs import RunKind
from ponte.services.runs.events import RunEvent, TaskError
from ponte.services.runs.lifecycle import Workflow
from ponte.settings import get_settings

ORDER = tuple(Entity)
COUNTS = ("total", "processed", "created", "updated", "unchanged", "failed")
RUN_PART = "_run"  # the progress entry of the run as a whole (failed chunks)
CONFLICT = "Já existe uma sincronização completa em andamento"


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["upsert", "mirror"] = "upsert"
    max_removal_ratio: Annotated[float, Field(ge=0, le=1)] = 0.5
    force: bool = False
    max_concurrency: Annotated[int, Field(ge=1, le=40)] | None = None


WORKFLOW = Workflow(
    RunKind.FULL_SYNC,
    state_machine=lambda: get_settings().full_sync_state_machine,
    busy=lambda: errors.conflict("FULL_SYNC_RUNNING", CONFLICT, "A full sync is already running"),
)


# -- the states' events --------------------------------------------------------------------
class StartEvent(RunEvent):
    """The execution's input (also what Prepare receives)."""

    bundle_key: str
    options: dict[str, Any]


class PreparedEvent(StartEvent):
    chunks: dict[str, list[int]]  # chunk indices per entity: the Maps' items


class ChunkEvent(RunEvent):
    entity: str
    chunk: int


class ChunkFailedEvent(ChunkEvent):
    error: TaskError


class ChunkResult(TypedDict, total=False):
    deferred: dict[str, int]  # counts of a chunk that wrote nothing, for the phase to add
    failed: int


class PhaseDoneEvent(RunEvent):
    phases: dict[str, Any]  # entity -> its Map's results, however nested


class PhaseDoneResult(TypedDict):
    deferred: dict[str, dict[str, int]]


class MirrorEvent(PreparedEvent):
    pass


class MirrorResult(TypedDict):
    mirror: dict[str, Any] | None


class FinalizeEvent(RunEvent):
    error: NotRequired[TaskError]


class FinalizeResult(TypedDict):
    run_id: str
    status: str

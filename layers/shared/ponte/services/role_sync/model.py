"""What the API and the workflow tasks of a role sync share: the request, the workflow, and
the events its states pass (mirroring role_sync.asl.json)."""

from __future__ import annotations

from typing import Annotated, NotRequired, TypedDict

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from ponte import errors
from ponte.domain.runs import RunKind
from ponte.services.runs.events import RunEvent, TaskError
from ponte.services.runs.lifecycle import Workflow
from ponte.settings import get_settings

RUNNING = "Já existe uma sincronização em andamento"


class BatchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: Annotated[StrictInt, Field(ge=1, le=50)] = 5
    batch_delay: Annotated[StrictFloat | StrictInt, Field(ge=0, le=60)] = 1.0


class RoleSyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    master_account_id: StrictInt | None = None
    slave_account_ids: list[StrictInt] | None = None
    batch_config: BatchConfig = BatchConfig()


WORKFLOW = Workflow(
    RunKind.ROLE_SYNC,
    state_machine=lambda: get_settings().role_sync_state_machine,
    busy=lambda: errors.conflict("ROLE_SYNC_RUNNING", RUNNING),
)


# -- the states' events --------------------------------------------------------------------
class AccountRef(TypedDict):
    id: int
    subdomain: str


class Slave(AccountRef):
    pacer: NotRequired[list[float]]  # the pace of requests so far, carried between states


class StartEvent(RunEvent):
    """The execution's input (also what CheckConnections receives)."""

    master: AccountRef
    slaves: list[AccountRef]
    batch_size: int
    wait_seconds: int
    max_concurrency: int


class Checked(TypedDict):
    slaves: list[Slave]  # the reachable ones: the Map's items


class ReadMasterResult(TypedDict):
    roles: int


class SlaveEvent(RunEvent):
    """One item of the Slaves Map (its ItemSelector), and what its states pass on."""

    slave: Slave
    batch_size: int
    wait_seconds: int
    batches: NotRequired[int]
    batch: NotRequired[int]
    pacer: NotRequired[list[float]]


class SlaveFailedEvent(SlaveEvent):
    error: TaskError


class SlaveOutcome(TypedDict):
    account_id: int
    status: str


class FinalizeResult(TypedDict):
    status: str

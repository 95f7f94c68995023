"""The connector run queue's contract: every message on it is one of these.

- :class:`RunMessage` — work on a run (its first invocation and every continuation);
- :class:`FireMessage` — a schedule fired for a connection (EventBridge Scheduler sends it
  from the schedule's target input, so it is written when the schedule is);
- :class:`KeepAliveMessage` — the daily keep-alive (the template's schedule sends
  ``{"kind": "keepalive"}``): credentials that die unused are renewed, every tenant's; a
  keep-alive cut short by its time queues its continuation with where it stopped.

Messages carry their ``kind``. Messages written before the field existed are read by their
one telling field: ``run_id`` a run, ``connectionId`` a fire (schedules send theirs until
their connection's schedule is next saved).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Discriminator, Field, Tag

Id = Annotated[str, Field(min_length=1, max_length=128)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    tenant_id: Id


class RunMessage(_Message):
    kind: Literal["run"] = "run"
    run_id: Id


class FireMessage(_Message):
    kind: Literal["fire"] = "fire"
    connection_id: Id = Field(validation_alias=AliasChoices("connection_id", "connectionId"))


class KeepAliveMessage(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["keepalive"] = "keepalive"
    # Where a continuation goes on: the platform it was at, and the last position listed.
    platform: Annotated[str, Field(max_length=40)] = ""
    after: Annotated[str, Field(max_length=512)] = ""


def _kind(raw: Any) -> str | None:
    if isinstance(raw, BaseModel):
        return str(getattr(raw, "kind", "")) or None
    if not isinstance(raw, dict):
        return None
    kind = raw.get("kind")
    if kind is not None:
        return str(kind)
    legacy = {"run_id": "run", "connectionId": "fire"}  # written before ``kind``
    return next((tag for name, tag in legacy.items() if name in raw), None)


QueueMessage = Annotated[
    Annotated[RunMessage, Tag("run")]
    | Annotated[FireMessage, Tag("fire")]
    | Annotated[KeepAliveMessage, Tag("keepalive")],
    Discriminator(_kind),
]


def run(tenant_id: str, run_id: str) -> RunMessage:
    return RunMessage(tenant_id=tenant_id, run_id=run_id)


def fire(tenant_id: str, connection_id: str) -> FireMessage:
    return FireMessage(tenant_id=tenant_id, connection_id=connection_id)


def keepalive(platform: str = "", after: str = "") -> KeepAliveMessage:
    return KeepAliveMessage(platform=platform, after=after)


def body(message: RunMessage | FireMessage | KeepAliveMessage) -> str:
    """The message as the queue carries it."""
    return message.model_dump_json()

"""The connector run queue's contract: every message on it is one of these.

- :class:`RunMessage` — work on a run (its first invocation and every continuation);
- :class:`FireMessage` — a schedule fired for a connection (EventBridge Scheduler sends it
  from the schedule's target input, so it is written when the schedule is);
- :class:`PeopleMessage` — the ERP changed these people: their identities are indexed again
  and the records they or their identifiers name are matched again;
- :class:`RelinkMessage` — match every stored record again (resumable: where it stopped);
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
PEOPLE_PER_MESSAGE = 100  # ids and identifiers of up to ~1 KB each: under SQS's 256 KiB


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


class PersonChange(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["students", "professors", "guardians"]
    id: Annotated[str, Field(min_length=1, max_length=320)]  # a guardian's email
    was: Annotated[list[Annotated[str, Field(max_length=400)]], Field(max_length=10)] = []


class PeopleMessage(_Message):
    kind: Literal["people"] = "people"
    people: Annotated[list[PersonChange], Field(min_length=1, max_length=PEOPLE_PER_MESSAGE)]


class RelinkMessage(_Message):
    kind: Literal["relink"] = "relink"
    # Where a continuation goes on: the phase ("index": the ERP's people; "records"), the
    # entity or connection#stream it was at, and the last key done.
    phase: Literal["index", "records"] = "index"
    at: Annotated[str, Field(max_length=300)] = ""
    after: Annotated[str, Field(max_length=1200)] = ""
    read: int = 0
    changed: int = 0


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
    | Annotated[KeepAliveMessage, Tag("keepalive")]
    | Annotated[PeopleMessage, Tag("people")]
    | Annotated[RelinkMessage, Tag("relink")],
    Discriminator(_kind),
]


def run(tenant_id: str, run_id: str) -> RunMessage:
    return RunMessage(tenant_id=tenant_id, run_id=run_id)


def fire(tenant_id: str, connection_id: str) -> FireMessage:
    return FireMessage(tenant_id=tenant_id, connection_id=connection_id)


def keepalive(platform: str = "", after: str = "") -> KeepAliveMessage:
    return KeepAliveMessage(platform=platform, after=after)


AnyMessage = RunMessage | FireMessage | KeepAliveMessage | PeopleMessage | RelinkMessage


def body(message: AnyMessage) -> str:
    """The message as the queue carries it."""
    return message.model_dump_json()

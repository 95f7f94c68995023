"""EventBridge Scheduler: schedules whose target is the run queue.

Scheduler sends the message to SQS itself (no function runs to fire it). Schedules live in
the stack's group: one per connection (named after it: ids are unique across tenants), and
one per Movidesk sync time of a tenant; the tenant travels in the message.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ponte import aws
from ponte.domain import run_queue
from ponte.settings import get_settings


@dataclass(frozen=True, slots=True)
class Wanted:
    """A schedule as it should be."""

    name: str
    expression: str
    timezone: str
    enabled: bool
    message: dict[str, Any]
    description: str


def name(connection_id: str) -> str:
    """The schedule of a connection."""
    return f"connection-{connection_id}"


def tenant_prefix(tenant_id: str, kind: str) -> str:
    """The names of a tenant's schedules of one kind (Scheduler names: 64 characters)."""
    return f"{kind}-{hashlib.sha256(tenant_id.encode()).hexdigest()[:20]}-"


def message(tenant_id: str, connection_id: str) -> dict[str, Any]:
    """What a fire puts on the run queue (the queue's contract: ``domain/run_queue.py``)."""
    return run_queue.fire(tenant_id, connection_id).model_dump()


def for_connection(
    tenant_id: str, connection_id: str, expression: str, timezone: str, enabled: bool
) -> Wanted:
    return Wanted(
        name(connection_id), expression, timezone, enabled,
        message(tenant_id, connection_id),
        f"Ponte: sync connection {connection_id} of {tenant_id}",
    )  # fmt: skip


def put(wanted: Wanted) -> None:
    """Create the schedule, or bring an existing one to ``wanted``."""
    settings = get_settings()
    client = aws.client("scheduler")
    request: dict[str, Any] = {
        "Name": wanted.name,
        "GroupName": settings.schedule_group,
        "ScheduleExpression": wanted.expression,
        "ScheduleExpressionTimezone": wanted.timezone,
        "State": "ENABLED" if wanted.enabled else "DISABLED",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Description": wanted.description[:512],
        "Target": {
            "Arn": settings.pull_queue_arn,
            "RoleArn": settings.scheduler_role_arn,
            "Input": json.dumps(wanted.message),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        },
    }
    if settings.dead_letter_queue_arn:  # a fire that cannot be delivered: ponte dlq list
        request["Target"]["DeadLetterConfig"] = {"Arn": settings.dead_letter_queue_arn}
    try:
        client.update_schedule(**request)
    except client.exceptions.ResourceNotFoundException:
        try:
            client.create_schedule(**request)
        except client.exceptions.ConflictException:  # created meanwhile: bring it in line
            client.update_schedule(**request)


def delete(schedule: str) -> None:
    client = aws.client("scheduler")
    try:
        client.delete_schedule(Name=schedule, GroupName=get_settings().schedule_group)
    except client.exceptions.ResourceNotFoundException:
        return


def get(schedule: str) -> dict[str, Any] | None:
    """The schedule as Scheduler holds it (None when there is none)."""
    client = aws.client("scheduler")
    try:
        found: dict[str, Any] = client.get_schedule(
            Name=schedule, GroupName=get_settings().schedule_group
        )
    except client.exceptions.ResourceNotFoundException:
        return None
    return found


def names(prefix: str) -> list[str]:
    """The schedules of the stack's group whose name starts with ``prefix``."""
    client = aws.client("scheduler")
    found: list[str] = []
    for page in client.get_paginator("list_schedules").paginate(
        GroupName=get_settings().schedule_group, NamePrefix=prefix
    ):
        found.extend(str(s["Name"]) for s in page.get("Schedules", []))
    return found

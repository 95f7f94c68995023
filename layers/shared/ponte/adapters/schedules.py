"""EventBridge Scheduler: one schedule per connection, whose target is the run queue.

Scheduler sends the message to SQS itself (no function runs to fire it). Schedules live in
the stack's group, named after the connection (ids are unique across tenants); the tenant
travels in the message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ponte import aws
from ponte.settings import get_settings


@dataclass(frozen=True, slots=True)
class Wanted:
    """A connection's schedule as it should be."""

    tenant_id: str
    connection_id: str
    expression: str
    timezone: str
    enabled: bool


def name(connection_id: str) -> str:
    return f"connection-{connection_id}"


def message(tenant_id: str, connection_id: str) -> dict[str, Any]:
    """What a fire puts on the run queue: an incremental run, triggered by the schedule."""
    return {
        "tenant_id": tenant_id,
        "connectionId": connection_id,
        "fullSync": False,
        "trigger": "schedule",
    }


def put(wanted: Wanted) -> None:
    """Create the connection's schedule, or bring an existing one to ``wanted``."""
    settings = get_settings()
    client = aws.client("scheduler")
    request = {
        "Name": name(wanted.connection_id),
        "GroupName": settings.schedule_group,
        "ScheduleExpression": wanted.expression,
        "ScheduleExpressionTimezone": wanted.timezone,
        "State": "ENABLED" if wanted.enabled else "DISABLED",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Description": f"Ponte: sync connection {wanted.connection_id} of {wanted.tenant_id}",
        "Target": {
            "Arn": settings.pull_queue_arn,
            "RoleArn": settings.scheduler_role_arn,
            "Input": json.dumps(message(wanted.tenant_id, wanted.connection_id)),
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600},
        },
    }
    try:
        client.update_schedule(**request)
    except client.exceptions.ResourceNotFoundException:
        try:
            client.create_schedule(**request)
        except client.exceptions.ConflictException:  # created meanwhile: bring it in line
            client.update_schedule(**request)


def delete(connection_id: str) -> None:
    client = aws.client("scheduler")
    try:
        client.delete_schedule(Name=name(connection_id), GroupName=get_settings().schedule_group)
    except client.exceptions.ResourceNotFoundException:
        return


def get(connection_id: str) -> dict[str, Any] | None:
    """The schedule as Scheduler holds it (None when there is none)."""
    client = aws.client("scheduler")
    try:
        found: dict[str, Any] = client.get_schedule(
            Name=name(connection_id), GroupName=get_settings().schedule_group
        )
    except client.exceptions.ResourceNotFoundException:
        return None
    return found

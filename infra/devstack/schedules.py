"""Fire an EventBridge Scheduler schedule now: under moto nothing fires on its own, so the
local stack (``ponte schedules fire``) and the tests deliver a schedule's target by hand,
exactly as Scheduler would (its Input to its Arn)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3


def fire(name: str, group: str) -> dict[str, Any]:
    """Deliver the schedule's target input; what was done."""
    schedule = boto3.client("scheduler").get_schedule(Name=name, GroupName=group)
    if schedule.get("State") == "DISABLED":
        return {"schedule": name, "state": "DISABLED", "fired": False}
    target = schedule["Target"]
    arn, payload = target["Arn"], target.get("Input", "{}")
    if ":sqs:" in arn:
        sqs = boto3.client("sqs")
        queue = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
        sent = sqs.send_message(QueueUrl=queue, MessageBody=payload)
        return {"target": arn, "fired": True, "messageId": sent["MessageId"]}
    if ":lambda:" in arn:
        response = boto3.client("lambda").invoke(FunctionName=arn, Payload=payload.encode())
        return {
            "target": arn,
            "fired": True,
            "status": response["StatusCode"],
            "error": response.get("FunctionError"),
            "result": json.loads(response["Payload"].read() or b"null"),
        }
    if ":states:" in arn:
        execution = boto3.client("stepfunctions").start_execution(
            stateMachineArn=arn, name=f"{name}-{uuid.uuid4().hex[:12]}", input=payload
        )
        return {"target": arn, "fired": True, "executionArn": execution["executionArn"]}
    raise ValueError(f"unsupported schedule target {arn}")

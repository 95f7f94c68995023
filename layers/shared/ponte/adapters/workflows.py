"""Step Functions executions: start, stop, status."""

from __future__ import annotations

import json
from typing import Any

from ponte import aws
from ponte.repository.errors import is_not_found


def start(state_machine_arn: str, name: str, payload: dict[str, Any]) -> str:
    response = aws.client("stepfunctions").start_execution(
        stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload)
    )
    return str(response["executionArn"])


def stop(execution_arn: str, cause: str) -> None:
    aws.client("stepfunctions").stop_execution(executionArn=execution_arn, cause=cause[:32000])


def status(execution_arn: str) -> str:
    """RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, or MISSING."""
    try:
        response = aws.client("stepfunctions").describe_execution(executionArn=execution_arn)
    except Exception as exc:
        if is_not_found(exc):
            return "MISSING"
        raise
    return str(response["status"])

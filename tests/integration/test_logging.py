"""What the functions' log lines say, as Lambda would show them: a container's first
invocation is its cold start, and the authorizer's lines carry the caller's correlation id
(which it hands on to the access log)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.runtime import LambdaRuntime
from devstack.stack import LocalStack
from ponte.observability import logger

EVENT = Path(__file__).resolve().parents[2] / "events" / "AuthorizerFunction.json"


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the functions' logger writes (at INFO), as CloudWatch would receive it."""
    level = logger.log_level
    logger.setLevel("INFO")
    buffer = io.StringIO()
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
        logger.setLevel(level)


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_containers_first_invocation_is_its_cold_start_and_ids_follow_the_caller(
    stack: LocalStack, log_lines: io.StringIO
) -> None:
    known = stack.provisioned.runtime
    container = LambdaRuntime(known.functions, known.names, known.arns)  # a new container
    event = json.loads(EVENT.read_text())
    event["headers"]["x-correlation-id"] = "erp-batch-42"

    first = container.invoke("AuthorizerFunction", event)
    container.invoke("AuthorizerFunction", event)

    lines = [line for line in _lines(log_lines.getvalue()) if "function_name" in line]
    assert [line["cold_start"] for line in lines] == [True, False]
    assert {line["correlation_id"] for line in lines} == {"erp-batch-42"}
    assert {line["function_name"] for line in lines} == {known.names["AuthorizerFunction"]}
    assert first["context"]["correlationId"] == "erp-batch-42"

"""The connector run worker: SQS messages (a run, its continuation, or a schedule's fire),
one at a time, with partial batch failures (a failed message comes back; after a few, the
dead-letter queue)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from ponte.observability import instrument, logger
from ponte.services.pulls import engine, firing

processor = BatchProcessor(event_type=EventType.SQS)


def _record_handler(record: SQSRecord, context: Any) -> str:
    body = json.loads(record.body)
    remaining = context.get_remaining_time_in_millis() / 1000 if context else 900.0
    tenant_id = str(body["tenant_id"])
    if "run_id" not in body:  # a schedule's fire
        outcome = firing.fire(tenant_id, str(body["connectionId"]))
        logger.info("schedule fire", extra={"connection": body["connectionId"],
                                            "outcome": outcome})  # fmt: skip
        return outcome
    message = engine.Message(tenant_id, str(body["run_id"]))
    outcome = engine.work(message, remaining)
    logger.info("pull", extra={"run": message.run_id, "outcome": outcome})
    return outcome


def _handle(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(
        event=event,
        record_handler=lambda record: _record_handler(record, context),
        processor=processor,
        context=context,
    )


def _correlation(event: dict[str, Any]) -> str:
    records = event.get("Records") or [{}]
    try:
        return str(json.loads(records[0].get("body") or "{}").get("run_id", ""))
    except ValueError:
        return ""


handler = instrument(_handle, correlation=_correlation)

"""The connector run worker: the run queue's messages (``domain/run_queue.py``: a run or its
continuation, a schedule's fire, the daily keep-alive, people the ERP changed, or a relink),
with partial batch failures: a
message that fails, or that is not one of the queue's messages, comes back; after a few
tries, the dead-letter queue.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from ponte.domain.run_queue import (
    FireMessage,
    KeepAliveMessage,
    PeopleMessage,
    QueueMessage,
    RelinkMessage,
)
from ponte.observability import instrument, logger
from ponte.services.people import directory, relink_job
from ponte.services.pulls import engine, firing, keepalive
from ponte.settings import get_settings


class QueueRecord(SqsRecordModel):
    body: Json[QueueMessage]


processor = BatchProcessor(event_type=EventType.SQS, model=QueueRecord)


def _record_handler(record: QueueRecord, context: Any) -> str:
    message = record.body
    if isinstance(message, FireMessage):
        outcome = firing.fire(message.tenant_id, message.connection_id)
        logger.info("schedule fire", extra={"connection": message.connection_id,
                                            "outcome": outcome})  # fmt: skip
        return outcome
    remaining = context.get_remaining_time_in_millis() / 1000 if context else 900.0
    if isinstance(message, KeepAliveMessage):
        outcome = keepalive.work(message, remaining)
        logger.info("keep-alive", extra={"outcome": outcome})
        return outcome
    if isinstance(message, PeopleMessage):
        return directory.refresh(message.tenant_id, message)
    if isinstance(message, RelinkMessage):
        outcome = relink_job.work(message, remaining)
        logger.info("relink", extra={"outcome": outcome})
        return outcome
    last = int(record.attributes.ApproximateReceiveCount) >= get_settings().pull_max_receives
    outcome = engine.work(message, remaining, last_attempt=last)
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
    except (ValueError, AttributeError):
        return ""


handler = instrument(_handle, correlation=_correlation)

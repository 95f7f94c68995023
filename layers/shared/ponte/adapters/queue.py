"""SQS: the connector run queue (its messages: ``domain/run_queue.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ponte import aws
from ponte.domain import run_queue


def send(
    queue_url: str,
    message: run_queue.AnyMessage,
) -> None:
    aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=run_queue.body(message))


@dataclass(frozen=True)
class Received:
    """A message read off a queue: its body and what SQS and Scheduler say about it."""

    receipt: str
    body: str
    receives: int
    sent_at: str  # ISO 8601, UTC
    error: str  # Scheduler's reason for a fire it could not deliver; else empty


def receive_all(queue_url: str, *, limit: int, hide_seconds: int = 60) -> list[Received]:
    """Up to ``limit`` messages, each hidden for ``hide_seconds`` while the caller acts on
    it (``delete``, or ``release`` to put it back)."""
    client = aws.client("sqs")
    found: list[Received] = []
    while len(found) < limit:
        answer = client.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, limit - len(found)),
            VisibilityTimeout=hide_seconds,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = answer.get("Messages", [])
        if not messages:
            break
        for message in messages:
            attributes = message.get("Attributes", {})
            sent = int(attributes.get("SentTimestamp", "0")) / 1000
            error = message.get("MessageAttributes", {}).get("ERROR_MESSAGE") or {}
            found.append(Received(
                receipt=message["ReceiptHandle"],
                body=message.get("Body", ""),
                receives=int(attributes.get("ApproximateReceiveCount", "0")),
                sent_at=datetime.fromtimestamp(sent, UTC).isoformat(),
                error=str(error.get("StringValue", "")),
            ))  # fmt: skip
    return found


def release(queue_url: str, receipt: str) -> None:
    aws.client("sqs").change_message_visibility(
        QueueUrl=queue_url, ReceiptHandle=receipt, VisibilityTimeout=0
    )


def delete(queue_url: str, receipt: str) -> None:
    aws.client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=receipt)

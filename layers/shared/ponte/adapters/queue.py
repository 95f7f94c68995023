"""SQS: the connector run queue (its messages: ``domain/run_queue.py``)."""

from __future__ import annotations

from ponte import aws
from ponte.domain import run_queue


def send(
    queue_url: str,
    message: run_queue.RunMessage | run_queue.FireMessage | run_queue.KeepAliveMessage,
) -> None:
    aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=run_queue.body(message))

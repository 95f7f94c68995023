"""SQS event sources of the local stack: messages delivered to their function in the
background, as Lambda's event source mapping does (a sender never waits for the consumer).

moto would deliver inside ``send_message`` (the caller waiting for the whole run), so the
template's SQS events are not mapped in moto; this poller receives from each queue, invokes
the function with the SQS event, deletes what succeeded and makes failed messages visible again
at once (a batch item failure, or the whole batch when the function raised). After the queue's
``maxReceiveCount`` receives, moto moves a message to its dead-letter queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack.runtime import FunctionError, LambdaRuntime

# The stack's own threads log apart from the functions (whose logger carries the last
# invocation's function name and request id).
logger = logging.getLogger("devstack")


@dataclass(frozen=True, slots=True)
class Consumer:
    queue_url: str
    queue_arn: str
    function: str
    batch_size: int


class QueuePoller:
    def __init__(
        self, runtime: LambdaRuntime, consumers: list[Consumer], client: Callable[[], Any]
    ) -> None:
        self._runtime = runtime
        self._consumers = consumers
        self._client = client
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared: messages wait in their queue
        self._running.set()
        self._gate = threading.Lock()  # held while a round of polls is under way
        self._thread = threading.Thread(target=self._loop, name="sqs-poller", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()
        self._thread.join(timeout=30)

    def pause(self) -> None:
        """Leave messages in their queues (a test that looks at a run before it starts); a
        round under way finishes first."""
        with self._gate:
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._running.wait()
            busy = False
            with self._gate:
                if not self._running.is_set():
                    continue
                for consumer in self._consumers:
                    try:
                        busy |= self._poll(consumer)
                    except Exception:  # the poller outlives a bad message or a moto hiccup
                        logger.exception("queue poller: %s", consumer.queue_url)
            if not busy:
                self._stop.wait(0.02)

    def _poll(self, consumer: Consumer) -> bool:
        sqs = self._client()
        messages = sqs.receive_message(
            QueueUrl=consumer.queue_url,
            MaxNumberOfMessages=consumer.batch_size,
            AttributeNames=["All"],
            WaitTimeSeconds=0,
        ).get("Messages", [])
        if not messages:
            return False
        event = {"Records": [_record(m, consumer) for m in messages]}
        try:
            answer = self._runtime.invoke(consumer.function, event) or {}
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures") or []}
        except FunctionError:
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] in failed:
                sqs.change_message_visibility(
                    QueueUrl=consumer.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=0,
                )
            else:
                sqs.delete_message(
                    QueueUrl=consumer.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return True


def _record(message: dict[str, Any], consumer: Consumer) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {},
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": consumer.queue_arn,
        "awsRegion": consumer.queue_arn.split(":")[3],
    }

"""SQS event sources of the local stack: messages delivered to their function in the
background, as Lambda's event source mapping does (a sender never waits for the consumer),
and concurrently: up to ``concurrency`` invocations of a queue's function at once, each with
its own batch, as Lambda's pollers scale out. So a message sent while a long invocation is
under way (a schedule firing during a run) is delivered then, not after it.

moto would deliver inside ``send_message`` (the caller waiting for the whole run), so the
template's SQS events are not mapped in moto; this poller receives from each queue while its
function has a free slot, invokes it with the SQS event on a thread of its own, deletes what
succeeded and makes failed messages visible again at once (a batch item failure, or the
whole batch when the function raised). After the queue's ``maxReceiveCount`` receives, moto
moves a message to its dead-letter queue.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack.moto_fixes import SQS_LISTENERS
from devstack.runtime import FunctionError, LambdaRuntime

# The stack's own threads log apart from the functions (whose logger carries the last
# invocation's function name and request id).
logger = logging.getLogger("devstack")

# Invocations of one queue's function at once, unless the event source sets its
# ScalingConfig.MaximumConcurrency; PONTE_QUEUE_CONCURRENCY changes it for the local stack.
DEFAULT_CONCURRENCY = 4
THREAD_PREFIX = "sqs-poller"  # the poller's thread, and "sqs-poller-N" for each delivery
# Between polls of idle queues: a message sent or made visible wakes the poller at once, so
# this bounds only what nothing announces (a delayed message coming due).
IDLE_WAIT_SECONDS = 0.25


def default_concurrency() -> int:
    raw = os.environ.get("PONTE_QUEUE_CONCURRENCY", "").strip()
    return max(1, int(raw)) if raw.isdigit() else DEFAULT_CONCURRENCY


@dataclass(frozen=True, slots=True)
class Consumer:
    queue_url: str
    queue_arn: str
    function: str
    batch_size: int
    concurrency: int = DEFAULT_CONCURRENCY


class QueuePoller:
    def __init__(
        self, runtime: LambdaRuntime, consumers: list[Consumer], client: Callable[[], Any]
    ) -> None:
        self._runtime = runtime
        self._consumers = consumers
        self._client = client
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by moto when a message may be receivable
        self._running = threading.Event()  # cleared: messages wait in their queue
        self._running.set()
        self._gate = threading.Lock()  # held while messages are received and handed out
        self._slots = {c.queue_url: threading.BoundedSemaphore(c.concurrency) for c in consumers}
        self._numbers = itertools.count(1)
        self._deliveries: set[threading.Thread] = set()
        self._thread = threading.Thread(target=self._loop, name=THREAD_PREFIX, daemon=True)

    def start(self) -> None:
        SQS_LISTENERS.add(self._wake)
        self._thread.start()

    def stop(self) -> None:
        """Stop receiving; deliveries under way get a while to end (their function's
        environment goes with the stack)."""
        self._stop.set()
        self._running.set()
        self._wake.set()
        SQS_LISTENERS.discard(self._wake)
        self._thread.join(timeout=30)
        for delivery in list(self._deliveries):
            delivery.join(timeout=30)

    def pause(self) -> None:
        """Leave messages in their queues (a test that looks at a run before it starts): no
        message is received from now on; invocations already under way go on."""
        with self._gate:
            self._running.clear()

    def resume(self) -> None:
        self._running.set()
        self._wake.set()

    def wait_idle(self, timeout: float = 30) -> bool:
        """Wait until no invocation is under way (a test looking at what a worker left);
        False when one still runs after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while deliveries := list(self._deliveries):
            for delivery in deliveries:
                if delivery.ident is None:  # handed out, not started yet
                    self._stop.wait(0.01)
                    continue
                delivery.join(timeout=max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                return not self._deliveries
        return True

    def wait_drained(self, timeout: float = 60) -> bool:
        """Wait until every consumer's queue is empty (nothing waiting, delayed or being
        handled) and no invocation is under way: the work a request queued is done, and
        what it queued in turn. False when work is left after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                  "ApproximateNumberOfMessagesDelayed")  # fmt: skip
        while time.monotonic() < deadline:
            if self.wait_idle(max(0.0, deadline - time.monotonic())):
                left = sum(
                    int(self._client().get_queue_attributes(
                        QueueUrl=c.queue_url, AttributeNames=list(counts))["Attributes"][n])
                    for c in self._consumers
                    for n in counts
                )  # fmt: skip
                if not left and not self._deliveries:
                    return True
            self._stop.wait(0.02)  # real time: a test's virtual clock patches time.sleep
        return False

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._running.wait()
            self._wake.clear()  # before polling: what arrives from now on wakes the wait below
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
                self._wake.wait(IDLE_WAIT_SECONDS)

    def _poll(self, consumer: Consumer) -> bool:
        """Receive a batch for a free slot of the consumer's function and deliver it on a
        thread of its own; False when there was no free slot or no message."""
        slots = self._slots[consumer.queue_url]
        if not slots.acquire(blocking=False):
            return False
        try:
            messages = (
                self._client()
                .receive_message(
                    QueueUrl=consumer.queue_url,
                    MaxNumberOfMessages=consumer.batch_size,
                    AttributeNames=["All"],
                    WaitTimeSeconds=0,
                )
                .get("Messages", [])
            )
        except Exception:
            slots.release()
            raise
        if not messages:
            slots.release()
            return False
        name = f"{THREAD_PREFIX}-{next(self._numbers)}"
        delivery = threading.Thread(
            target=self._deliver, args=(consumer, messages), name=name, daemon=True
        )
        self._deliveries.add(delivery)
        delivery.start()
        return True

    def _deliver(self, consumer: Consumer, messages: list[dict[str, Any]]) -> None:
        try:
            event = {"Records": [_record(m, consumer) for m in messages]}
            try:
                answer = self._runtime.invoke(consumer.function, event) or {}
                failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures") or []}
            except FunctionError:
                failed = {m["MessageId"] for m in messages}
            sqs = self._client()
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
        except Exception:  # a delivery never takes the stack down
            logger.exception("queue delivery: %s", consumer.queue_url)
        finally:
            self._slots[consumer.queue_url].release()
            self._deliveries.discard(threading.current_thread())
            self._wake.set()  # a free slot: messages left waiting can go now


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

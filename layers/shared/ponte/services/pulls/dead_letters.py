"""The run queue's dead letters, for a person: what died, and sending it back.

A run's message dies after its last attempt failed; that attempt ended the run in ``error``
(code DEAD_LETTER) with the reason. A schedule's fire dies when Scheduler could not put it on
the run queue. Redriving a run's message starts a new run of the same connection (same
trigger, full or not, same window): the dead run stays, the record of what failed. A fire or
a keep-alive goes back on the run queue as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from ponte.adapters import queue
from ponte.domain import run_queue
from ponte.errors import DomainError
from ponte.repository import pull_runs
from ponte.services.pulls import starting
from ponte.settings import get_settings

_MESSAGES: TypeAdapter[run_queue.QueueMessage] = TypeAdapter(run_queue.QueueMessage)
LIMIT = 1000  # read per command: a queue holding more is listed 1,000 at a time


@dataclass(frozen=True)
class DeadLetter:
    kind: str  # run, fire, keepalive; "unknown" for a body that is none of the queue's
    tenant_id: str | None
    run_id: str | None
    connection_id: str | None
    connection_name: str | None
    first_error: str
    receives: int
    sent_at: str  # when the message was first sent (to the run queue)


def _parsed(body: str) -> run_queue.QueueMessage | None:
    try:
        return _MESSAGES.validate_json(body)
    except ValidationError:
        return None


def _describe(received: queue.Received) -> DeadLetter:
    message = _parsed(received.body)
    if message is None:
        return DeadLetter("unknown", None, None, None, None, received.error or received.body[:200],
                          received.receives, received.sent_at)  # fmt: skip
    if isinstance(message, run_queue.RunMessage):
        run = pull_runs.get_run(message.tenant_id, message.run_id)
        error = ""
        if run is not None:
            error = run.error or (str(run.errors[0].get("message", "")) if run.errors else "")
        return DeadLetter(
            "run", message.tenant_id, message.run_id,
            run.connection_id if run else None, run.connection_name if run else None,
            error or received.error, received.receives, received.sent_at,
        )  # fmt: skip
    if isinstance(message, run_queue.FireMessage):
        return DeadLetter("fire", message.tenant_id, None, message.connection_id, None,
                          received.error, received.receives, received.sent_at)  # fmt: skip
    return DeadLetter("keepalive", None, None, None, None, received.error, received.receives,
                      received.sent_at)  # fmt: skip


def listing() -> list[DeadLetter]:
    """What the dead-letter queue holds (left there)."""
    url = get_settings().dead_letter_queue_url
    received = queue.receive_all(url, limit=LIMIT)
    try:
        return [_describe(r) for r in received]
    finally:
        for r in received:
            queue.release(url, r.receipt)


@dataclass(frozen=True)
class Redriven:
    dead: DeadLetter
    new_run_id: str | None = None  # a run's message: the run that replays it
    refused: str | None = None  # why it stays in the dead letters


def redrive(run_id: str | None = None) -> list[Redriven]:
    """Send the dead letters back (only ``run_id``'s, when given); each one sent back is
    removed from the dead letters. A run's connection that is busy, disabled or gone leaves
    its message there, with the reason."""
    settings = get_settings()
    url = settings.dead_letter_queue_url
    done: list[Redriven] = []
    for received in queue.receive_all(url, limit=LIMIT):
        dead = _describe(received)
        if run_id is not None and dead.run_id != run_id:
            queue.release(url, received.receipt)
            continue
        outcome = _replay(dead, _parsed(received.body))
        if outcome.refused is None:
            queue.delete(url, received.receipt)
        else:
            queue.release(url, received.receipt)
        done.append(outcome)
    return done


def _replay(dead: DeadLetter, message: run_queue.QueueMessage | None) -> Redriven:
    if message is None:
        return Redriven(dead, refused="not a message of the run queue")
    if not isinstance(message, run_queue.RunMessage):
        queue.send(get_settings().pull_queue_url, message)
        return Redriven(dead)
    run = pull_runs.get_run(message.tenant_id, message.run_id)
    if run is None:
        return Redriven(dead, refused="the run no longer exists (its connection was purged)")
    try:
        new = starting.start(message.tenant_id, run.connection_id, full=run.full_sync,
                             trigger=run.trigger, options=run.options)  # fmt: skip
    except DomainError as exc:
        return Redriven(dead, refused=exc.english)
    return Redriven(dead, new_run_id=new.id)

"""The run queue's contract: what each sender writes is what the worker reads."""

import json

import pytest
from pydantic import TypeAdapter, ValidationError

from ponte.domain import run_queue

READ = TypeAdapter(run_queue.QueueMessage)


def test_each_message_reads_back_as_its_own_kind() -> None:
    run = READ.validate_json(run_queue.body(run_queue.run("t-1", "r-1")))
    fire = READ.validate_json(run_queue.body(run_queue.fire("t-1", "c-1")))
    assert run == run_queue.RunMessage(tenant_id="t-1", run_id="r-1")
    assert fire == run_queue.FireMessage(tenant_id="t-1", connection_id="c-1")


def test_the_keepalive_schedules_message_and_its_continuation_read_back() -> None:
    scheduled = READ.validate_json('{"kind": "keepalive"}')
    continued = READ.validate_json(run_queue.body(run_queue.keepalive("rdstation", "2026#t#c")))
    assert scheduled == run_queue.KeepAliveMessage()
    assert (continued.platform, continued.after) == ("rdstation", "2026#t#c")


def test_messages_written_before_they_had_a_kind_are_still_read() -> None:
    fire = {"tenant_id": "t-1", "connectionId": "c-1", "fullSync": False, "trigger": "schedule"}
    run = {"tenant_id": "t-1", "run_id": "r-1"}
    assert READ.validate_json(json.dumps(fire)) == run_queue.fire("t-1", "c-1")
    assert READ.validate_json(json.dumps(run)) == run_queue.run("t-1", "r-1")


@pytest.mark.parametrize(
    "body",
    [
        {"tenant_id": "t-1"},  # neither a run nor a fire
        {"kind": "run", "tenant_id": "t-1"},  # a run without its id
        {"kind": "purge", "tenant_id": "t-1", "run_id": "r-1"},  # no such message
        {"kind": "run", "tenant_id": "", "run_id": "r-1"},
        ["t-1", "r-1"],
    ],
)
def test_anything_else_is_refused_so_it_ends_in_the_dead_letter_queue(body: object) -> None:
    with pytest.raises(ValidationError):
        READ.validate_json(json.dumps(body))

"""The run lifecycle's pure parts: statuses, ids, execution names, failure messages."""

import json
import uuid
from datetime import UTC, datetime

from ponte import errors
from ponte.domain.ids import new_id
from ponte.domain.runs import FINISHED, RunKind, RunStatus
from ponte.services.runs.lifecycle import Workflow, task_failure

WORKFLOW = Workflow(
    RunKind.FULL_SYNC,
    state_machine=lambda: "arn:aws:states:us-east-1:123456789012:stateMachine:ponte-full-sync",
    busy=lambda: errors.conflict("BUSY", "Ocupado"),
)


def test_finished_statuses_are_final_and_the_others_are_not() -> None:
    assert {s for s in RunStatus if s.finished} == FINISHED
    assert not RunStatus.QUEUED.finished
    assert not RunStatus.RUNNING.finished


def test_each_kind_has_its_own_lock() -> None:
    assert {k.lock for k in RunKind} == {"full-sync", "role-sync"}


def test_run_ids_sort_by_start_time_and_do_not_repeat() -> None:
    early = new_id(datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    late = new_id(datetime(2026, 1, 5, 10, 0, tzinfo=UTC))
    assert early < late
    assert uuid.UUID(early).version == 7  # one id scheme: every run's id is a UUIDv7
    assert new_id(datetime(2026, 1, 5, tzinfo=UTC)) != new_id(datetime(2026, 1, 5, tzinfo=UTC))


def test_an_execution_is_named_after_its_run() -> None:
    assert WORKFLOW.execution_arn("20260105T090000-ab12cd34") == (
        "arn:aws:states:us-east-1:123456789012:execution:ponte-full-sync:20260105T090000-ab12cd34"
    )


def test_a_lambda_failure_reads_as_its_message() -> None:
    cause = json.dumps({"errorType": "RoleSyncFailed", "errorMessage": "Erro ao extrair roles"})
    failure = task_failure({"Error": "RoleSyncFailed", "Cause": cause})
    assert failure.message == "Erro ao extrair roles"
    assert str(failure) == "RoleSyncFailed: Erro ao extrair roles"


def test_other_failures_keep_their_cause_or_name() -> None:
    assert task_failure({"Error": "States.Timeout", "Cause": "took too long"}).message == (
        "took too long"
    )
    assert task_failure({"Error": "States.Timeout"}).message == "States.Timeout"
    assert task_failure({}).message == "Error"
    assert len(task_failure({"Cause": "x" * 5000}, limit=500).message) == 500

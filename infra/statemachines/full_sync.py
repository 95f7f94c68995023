"""Builds ``full_sync.asl.json``: one Map per phase, in the order the entities depend on each
other, professors and students side by side; every phase then adds up the counts its unchanged
chunks deferred. ``python -m statemachines.full_sync`` rewrites the file; a test checks that
the committed file is this builder's output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PATH = Path(__file__).with_name("full_sync.asl.json")
State = dict[str, Any]

# Entities in the order they are applied; a tuple is a phase whose entities run in parallel.
PHASES: tuple[tuple[str, ...], ...] = (
    ("institutions",),
    ("units",),
    ("areas",),
    ("courses",),
    ("subjects",),
    ("professors", "students"),
    ("enrollments",),
)
PARALLEL_PHASE: dict[tuple[str, ...], str] = {("professors", "students"): "People"}
PARALLEL_COMMENT = "Professors and students depend on nothing synced after subjects"

RETRY = [
    {
        "ErrorEquals": [
            "TransientSyncError",
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.TooManyRequestsException",
        ],
        "IntervalSeconds": 2,
        "MaxAttempts": 4,
        "BackoffRate": 2.0,
        "JitterStrategy": "FULL",
    }
]


def _catch(next_state: str) -> list[State]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": next_state}]


def _name(entity: str) -> str:
    return entity.capitalize()


def _phase_name(phase: tuple[str, ...]) -> str:
    return PARALLEL_PHASE.get(phase) or _name(phase[0])


def _chunk_map(entity: str) -> State:
    """Apply every chunk of ``entity``; a chunk that fails after its retries is recorded."""
    apply, record = f"Apply{_name(entity)}Chunk", f"Record{_name(entity)}ChunkFailure"
    return {
        "Type": "Map",
        "Comment": f"Apply the {entity} chunks with the sync endpoints' service",
        "ItemsPath": f"$.chunks.{entity}",
        "MaxConcurrencyPath": "$.options.max_concurrency",
        "ItemSelector": {
            "tenant_id.$": "$.tenant_id",
            "run_id.$": "$.run_id",
            "entity": entity,
            "chunk.$": "$$.Map.Item.Value",
        },
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": apply,
            "States": {
                apply: {
                    "Type": "Task",
                    "Resource": "${ApplyChunkFunctionArn}",
                    "Retry": RETRY,
                    "Catch": _catch(record),
                    "End": True,
                },
                record: {
                    "Type": "Task",
                    "Resource": "${ChunkFailedFunctionArn}",
                    "Retry": RETRY,
                    "End": True,
                },
            },
        },
        "ResultPath": "$.phase",
    }


def _phase(phase: tuple[str, ...], next_state: str) -> State:
    if len(phase) == 1:
        return _chunk_map(phase[0]) | {"Catch": _catch("Finalize"), "Next": next_state}
    return {
        "Type": "Parallel",
        "Comment": PARALLEL_COMMENT,
        "Branches": [
            {
                "StartAt": _name(entity),
                "States": {_name(entity): _chunk_map(entity) | {"End": True}},
            }
            for entity in phase
        ],
        "ResultPath": f"$.{_phase_name(phase).lower()}",
        "Catch": _catch("Finalize"),
        "Next": next_state,
    }


def _phase_done(phase: tuple[str, ...], next_state: str) -> State:
    if len(phase) == 1:
        results = {f"{phase[0]}.$": "$.phase"}
    else:
        path = _phase_name(phase).lower()
        results = {f"{e}.$": f"$.{path}[{i}].phase" for i, e in enumerate(phase)}
    return {
        "Type": "Task",
        "Resource": "${PhaseDoneFunctionArn}",
        "Comment": f"Add the counts of the {' and '.join(phase)} chunks that wrote nothing",
        "Parameters": {"tenant_id.$": "$.tenant_id", "run_id.$": "$.run_id", "phases": results},
        "ResultPath": None,
        "Retry": RETRY,
        "Catch": _catch("Finalize"),
        "Next": next_state,
    }


def definition() -> State:
    names = [_phase_name(p) for p in PHASES]
    states: State = {
        "Prepare": {
            "Type": "Task",
            "Resource": "${PrepareFunctionArn}",
            "Retry": RETRY,
            "Catch": _catch("Finalize"),
            "Next": names[0],
        }
    }
    for i, phase in enumerate(PHASES):
        following = names[i + 1] if i + 1 < len(names) else "Mirror"
        states[names[i]] = _phase(phase, f"{names[i]}Done")
        states[f"{names[i]}Done"] = _phase_done(phase, following)
    states["Mirror"] = {
        "Type": "Task",
        "Resource": "${MirrorFunctionArn}",
        "Retry": RETRY,
        "ResultPath": None,
        "Catch": _catch("Finalize"),
        "Next": "Finalize",
    }
    states["Finalize"] = {
        "Type": "Task",
        "Resource": "${FinalizeFunctionArn}",
        "Retry": RETRY,
        "End": True,
    }
    order = " -> ".join(" || ".join(p) for p in PHASES)
    return {
        "Comment": f"Ponte ordered full sync: {order} -> mirror -> finalize",
        "StartAt": "Prepare",
        "States": states,
    }


def render() -> str:
    return json.dumps(definition(), indent=2) + "\n"


if __name__ == "__main__":
    PATH.write_text(render())

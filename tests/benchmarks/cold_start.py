"""Cold start: import + init of a handler module in a fresh interpreter, as Lambda's INIT."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUNS = 9

_IMPORT = """
import time, importlib
t = time.perf_counter()
importlib.import_module({module!r})
print(round((time.perf_counter() - t) * 1000, 2))
"""

# First invocation on moto in-process: what the first request pays after INIT (the lazy
# DynamoDB client and one GetItem). moto imports boto3 first, so boto3's own import (~400 ms
# on a real cold start) is not in this figure.
_FIRST_CALL = """
import json, time, importlib
from moto import mock_aws
with mock_aws():
    import boto3
    boto3.client("dynamodb").create_table(
        TableName="bench", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"},
                   {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                              {"AttributeName": "SK", "AttributeType": "S"}])
    module = importlib.import_module("functions.health.app")
    event = json.load(open("events/HealthFunction.json"))
    class Ctx:
        function_name = "health"; memory_limit_in_mb = 512; aws_request_id = "r"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:health"
    t = time.perf_counter()
    response = module.handler(event, Ctx())
    assert response["statusCode"] == 200, response
    print(round((time.perf_counter() - t) * 1000, 2))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "0",
            "TABLE_NAME": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "POWERTOOLS_SERVICE_NAME": "ponte",
            "POWERTOOLS_METRICS_NAMESPACE": "Ponte",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    return env


def _run(code: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(modules: dict[str, str], runs: int = RUNS) -> dict[str, float]:
    samples: dict[str, list[float]] = {name: [] for name in modules}
    for module in modules.values():  # warm the bytecode caches once
        _run(_IMPORT.format(module=module))
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        for name, module in modules.items():
            samples[name].append(_run(_IMPORT.format(module=module)))
    return {name: statistics.median(values) for name, values in samples.items()}


def report() -> dict[str, float]:
    medians = measure(
        {
            "baseline": "tests.benchmarks.baseline_handler",
            "health": "functions.health.app",
            "authorizer": "functions.authorizer.app",
        }
    )
    first_call = statistics.median(_run(_FIRST_CALL) for _ in range(3))
    ratio = medians["health"] / medians["baseline"]
    print(f"Cold start: import + init in a fresh process (median of {RUNS})")
    print(f"  minimal Powertools handler : {medians['baseline']:8.1f} ms")
    print(f"  health function            : {medians['health']:8.1f} ms")
    print(f"  ratio health / minimal     : {ratio:8.2f}   (target <= 1.30)")
    print(f"  authorizer function        : {medians['authorizer']:8.1f} ms")
    print(
        f"  health first invocation    : {first_call:8.1f} ms "
        "(DynamoDB client + GetItem on moto; boto3 already imported by moto)"
    )
    return {**medians, "ratio": ratio, "first_call": first_call}


if __name__ == "__main__":
    print(json.dumps(report()))

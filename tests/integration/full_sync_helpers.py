"""Helpers for full-sync tests: start a run over HTTP and wait for it to finish."""

from __future__ import annotations

import time
from typing import Any

import httpx

BASE = "/api/integration/v1/full-sync"
FINISHED = {"completed", "completed_with_errors", "failed", "aborted"}


def wait(
    api: httpx.Client, headers: dict[str, str], run_id: str, timeout: float = 300
) -> dict[str, Any]:
    """Poll the status page until the run ends (moto executes on a background thread)."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = api.get(f"{BASE}/{run_id}", headers=headers).json()["data"]
        if body["status"] in FINISHED:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} still {body['status']}: {body}")
        time.sleep(1.0)  # each poll is a moto Query, which sorts the whole table

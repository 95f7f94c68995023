"""Fixtures of the Movidesk tests: a token in the stack's Movidesk fake, a tenant's admin on
a fixed (virtual) clock, and helpers for the admin API."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from devstack.movidesk_fake import MovideskFake
from devstack.stack import LocalStack
from ponte.connectors.base import normalised_time
from ponte.domain.records import PulledRecord
from ponte.repository import pulled_records
from tests.integration.conftest import TenantFixture
from tests.support.virtual_time import VirtualClock, virtual_time

API = "/admin/integrations/movidesk/api"
NOW = datetime(2025, 10, 16, 14, 30, tzinfo=UTC)  # the 16th, 11:30 in São Paulo
_pause = threading.Event()  # never set: its wait() is a plain real-time pause


@pytest.fixture(autouse=True)
def clock() -> Iterator[VirtualClock]:
    with virtual_time(NOW) as virtual:
        yield virtual


@dataclass
class Movidesk:
    api: httpx.Client
    tenant: TenantFixture
    stack: LocalStack
    clock: VirtualClock
    token: str = field(default_factory=lambda: f"md-{uuid.uuid4()}")

    @property
    def fake(self) -> MovideskFake:
        assert self.stack.movidesk is not None
        return self.stack.movidesk

    def headers(self, role: str = "admin") -> dict[str, str]:
        # Tokens carry real time: the JWT library checks them against the real clock.
        return {"Authorization": f"Bearer {self.tenant.token(role)}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.api.get(f"{API}{path}", headers=self.headers(), params=params)

    def put_settings(self, body: dict[str, Any]) -> httpx.Response:
        return self.api.put(f"{API}/settings", headers=self.headers(), json=body)

    def configure(self, schedules: list[str] | None = None) -> None:
        self.fake.add_account(self.token)
        body: dict[str, Any] = {"token": self.token}
        if schedules is not None:
            body["schedules"] = schedules
        answer = self.put_settings(body)
        assert answer.status_code == 200, answer.text

    def sync(self, start: str, end: str, **params: Any) -> httpx.Response:
        return self.api.post(
            f"{API}/sync", headers=self.headers(), params=params,
            json={"start_date": start, "end_date": end},
        )  # fmt: skip

    def wait(self, run_id: str, seconds: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            answer = self.get(f"/runs/{run_id}")
            assert answer.status_code == 200, answer.text
            data: dict[str, Any] = answer.json()["data"]
            if data["status"] in ("success", "partial", "error", "skipped"):
                return data
            _pause.wait(0.05)
        raise AssertionError(f"run {run_id} did not finish")

    def store_ticket(self, ticket: dict[str, Any], updated_at: datetime) -> None:
        """A ticket as a sync stores it, with what the Movidesk fake cannot serve (status
        histories: the fake expands actions only)."""
        record = PulledRecord(
            vendor_id=str(ticket["id"]), data=ticket, hash=uuid.uuid4().hex,
            updated_at=normalised_time(updated_at.isoformat()),
            synced_at=normalised_time(self.clock.now().isoformat()),
        )  # fmt: skip
        pulled_records.put_records(
            self.tenant.id, "movidesk", "tickets", [(record, "created")], run_id="r-test", page=1
        )

    def run_manual(self, start: str, end: str) -> dict[str, Any]:
        answer = self.sync(start, end)
        assert answer.status_code == 202, answer.text
        return self.wait(answer.json()["data"]["runId"])


@pytest.fixture
def movidesk(
    api: httpx.Client, tenant: TenantFixture, stack: LocalStack, clock: VirtualClock
) -> Iterator[Movidesk]:
    yield Movidesk(api, tenant, stack, clock)
    if stack.poller is not None:
        stack.poller.resume()

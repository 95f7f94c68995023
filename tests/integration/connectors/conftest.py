"""Fixtures of the connector tests: vendor accounts in the stack's vendor fakes,
connections created through the API by an admin, and runs waited for through the API."""

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

from devstack.chatwoot_fake import ChatwootFake
from devstack.hubspot_fake import HubSpotFake
from devstack.rdstation_fake import RdStationFake
from devstack.stack import LocalStack
from devstack.zendesk_fake import ZendeskFake
from tests.integration.conftest import TenantFixture
from tests.support.virtual_time import VirtualClock, virtual_time

_pause = threading.Event()  # never set: its wait() is a plain real-time pause
CONNECTIONS = "/api/v1/sync/connections"
RUNS = "/api/v1/sync/runs"


@pytest.fixture(autouse=True)
def clock() -> Iterator[VirtualClock]:
    """Virtual time from now: vendor pacing and back-off cost no real time (and the tokens
    the tests mint are checked against it)."""
    with virtual_time(datetime.now(UTC)) as virtual:
        yield virtual


def counts(run: dict[str, Any]) -> tuple[int, int, int, int]:
    """(created, updated, unchanged, errors) of a run's detail."""
    return (
        run["recordsCreated"],
        run["recordsUpdated"],
        run["recordsUnchanged"],
        run["recordsErrors"],
    )


@dataclass
class Connectors:
    api: httpx.Client
    tenant: TenantFixture
    stack: LocalStack
    prefix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])

    @property
    def hubspot(self) -> HubSpotFake:
        assert self.stack.hubspot is not None
        return self.stack.hubspot

    @property
    def zendesk(self) -> ZendeskFake:
        assert self.stack.zendesk is not None
        return self.stack.zendesk

    @property
    def chatwoot(self) -> ChatwootFake:
        assert self.stack.chatwoot is not None
        return self.stack.chatwoot

    @property
    def rdstation(self) -> RdStationFake:
        assert self.stack.rdstation is not None
        return self.stack.rdstation

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant.token('admin')}"}

    def create(self, body: dict[str, Any]) -> httpx.Response:
        return self.api.post(CONNECTIONS, headers=self.headers, json=body)

    def hubspot_connection(self, **counts: int) -> tuple[str, str]:
        """A HubSpot account in the fake and its connection: (connection id, token)."""
        token = f"pat-na1-{self.prefix}-{uuid.uuid4().hex[:6]}"
        self.hubspot.add_account(token, **counts)
        response = self.create(
            {"name": "HubSpot", "platform": "hubspot", "credentials": {"accessToken": token}}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"]), token

    def zendesk_connection(self, **counts: int) -> tuple[str, str]:
        """A Zendesk account in the fake and its connection: (connection id, subdomain)."""
        subdomain = f"acme-{self.prefix}-{uuid.uuid4().hex[:4]}"
        self.zendesk.add_account(subdomain, "admin@acme.com", "zd-token-123", **counts)
        credentials = {"email": "admin@acme.com", "apiToken": "zd-token-123",
                       "subdomain": subdomain}  # fmt: skip
        response = self.create(
            {"name": "Zendesk", "platform": "zendesk", "credentials": credentials}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"]), subdomain

    def chatwoot_connection(
        self, *, conversations: int = 0, messages: int = 1, contacts: int = 0, **extra: Any
    ) -> tuple[str, int]:
        """A Chatwoot account in the fake and its connection: (connection id, account id)."""
        account_id = int(uuid.uuid4().int % 10**9)
        token = f"cw-{self.prefix}-{uuid.uuid4().hex[:8]}"
        self.chatwoot.add_account(
            account_id, token, conversations=conversations, messages=messages, contacts=contacts
        )
        credentials = {"accountId": str(account_id), "accessToken": token}
        response = self.create(
            {"name": "Chatwoot", "platform": "chatwoot", "credentials": credentials, **extra}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"]), account_id

    def rdstation_app(self, key: str) -> dict[str, str]:
        """An app the fake's account ``key`` authorized, with a fresh refresh token: the
        credentials a person gives."""
        client_id = f"rd-app-{uuid.uuid4().hex[:8]}"
        self.rdstation.add_app(key, client_id, f"secret-{uuid.uuid4().hex}")
        return {
            "clientId": client_id,
            "clientSecret": self.rdstation.apps[client_id].client_secret,
            "refreshToken": self.rdstation.grant(client_id),
        }

    def rdstation_connection(
        self, *, per_minute: int = 120, latency: float = 0.0, **counts: int
    ) -> tuple[str, str]:
        """An RD Station account in the fake (its app authorized) and its connection:
        (connection id, the account's name in the fake)."""
        key = f"rd-{self.prefix}-{uuid.uuid4().hex[:10]}"
        self.rdstation.add_account(key, per_minute=per_minute, latency=latency, **counts)
        credentials = self.rdstation_app(key) | {"workspaceId": f"ws-{self.prefix}"}
        response = self.create(
            {"name": "RD Station", "platform": "rdstation", "credentials": credentials}
        )
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"]), key

    def start(self, connection_id: str, *, full: bool = False) -> httpx.Response:
        return self.api.post(
            f"{CONNECTIONS}/{connection_id}/sync", headers=self.headers, json={"fullSync": full}
        )

    def run(self, connection_id: str, *, full: bool = False) -> dict[str, Any]:
        """Start a run and wait for its end; the run's detail."""
        response = self.start(connection_id, full=full)
        assert response.status_code == 200, response.text
        return self.wait(response.json()["data"]["runId"])

    def wait(self, run_id: str, seconds: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            answer = self.api.get(f"{RUNS}/{run_id}", headers=self.headers)
            assert answer.status_code == 200, answer.text
            data: dict[str, Any] = answer.json()["data"]
            if data["status"] in ("success", "partial", "error", "skipped"):
                return data
            _pause.wait(0.05)  # real time: virtual time patches time.sleep
        raise AssertionError(f"run {run_id} did not finish: {data}")

    @staticmethod
    def pause(seconds: float) -> None:
        _pause.wait(seconds)  # real time: virtual time patches time.sleep

    def connection(self, connection_id: str) -> dict[str, Any]:
        answer = self.api.get(f"{CONNECTIONS}/{connection_id}", headers=self.headers)
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()["data"]
        return data

    def records(self, connection_id: str, stream: str, **params: Any) -> httpx.Response:
        return self.api.get(
            f"{CONNECTIONS}/{connection_id}/records",
            headers=self.headers,
            params={"stream": stream, **params},
        )


@pytest.fixture
def connectors(api: httpx.Client, tenant: TenantFixture, stack: LocalStack) -> Iterator[Connectors]:
    yield Connectors(api, tenant, stack)
    if stack.poller is not None:
        stack.poller.resume()  # a test that paused it must not stall the next

"""GET /api/integration/v1/health: the seed's shape, the table really read, 503 when it is not."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from devstack.aws_calls import unrecorded
from ponte import aws
from ponte.settings import get_settings

HEALTH = "/api/integration/v1/health"


@pytest.fixture
def broken_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """Change the functions' environment for one test, then restore settings and clients.
    Their calls meanwhile go elsewhere on purpose: not recorded as the template's."""
    with unrecorded():
        yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()
    aws.reset_clients()


def _reconfigure() -> None:
    get_settings.cache_clear()
    aws.reset_clients()


def test_healthy_answers_the_seed_shape(api: httpx.Client) -> None:
    response = api.get(HEALTH)

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["status"] == "healthy"
    assert body["message"] == "API de Integração operacional"
    assert body["data"]["api_version"] == "v1"
    assert body["data"]["services"]["database"]["status"] == "ok"
    # Only services really checked are reported: nothing is "ok" by default.
    assert set(body["data"]["services"]) == {"database"}


def test_needs_no_credentials_and_ignores_bad_ones(api: httpx.Client) -> None:
    response = api.get(HEALTH, headers={"Authorization": "Bearer pex_garbage"})
    assert response.status_code == 200


def test_missing_table_is_unhealthy(
    api: httpx.Client, broken_environment: pytest.MonkeyPatch
) -> None:
    broken_environment.setenv("TABLE_NAME", "ponte-table-that-does-not-exist")
    _reconfigure()

    response = api.get(HEALTH)

    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False
    assert body["status"] == "unhealthy"
    assert body["data"]["services"]["database"] == {"status": "error"}


def test_unreachable_endpoint_is_unhealthy(
    api: httpx.Client, broken_environment: pytest.MonkeyPatch
) -> None:
    broken_environment.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens
    _reconfigure()

    response = api.get(HEALTH)

    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    # No internals leak to an unauthenticated caller.
    assert "127.0.0.1" not in response.text

"""Fixtures of the hierarchy API tests: a tenant built through the ERP endpoints."""

from __future__ import annotations

import httpx
import pytest

from devstack.stack import LocalStack
from tests.integration.conftest import TenantFixture, make_tenant
from tests.integration.erp_helpers import Erp
from tests.integration.hierarchy_helpers import Hierarchy, build


@pytest.fixture
def school(api: httpx.Client, tenant: TenantFixture) -> tuple[Erp, Hierarchy]:
    """A school of its own, for a test that changes it through the ERP endpoints."""
    return build(api, tenant), Hierarchy(api, tenant)


@pytest.fixture(scope="module")
def _read_only_schools() -> dict[int, TenantFixture]:
    return {}


@pytest.fixture
def hier(
    api: httpx.Client,
    stack: LocalStack,
    _table: object,
    _read_only_schools: dict[int, TenantFixture],
) -> Hierarchy:
    """The school, for tests that only read it: seeded once per module in a tenant of its own
    (and again after the table was emptied), not once per reading test."""
    resets: int = _table.resets  # type: ignore[attr-defined]
    tenant = _read_only_schools.get(resets)
    if tenant is None:
        tenant = make_tenant(stack)
        build(api, tenant)
        _read_only_schools.clear()
        _read_only_schools[resets] = tenant
    return Hierarchy(api, tenant)

"""Fixtures of the hierarchy API tests: a tenant built through the ERP endpoints."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.conftest import TenantFixture
from tests.integration.erp_helpers import Erp
from tests.integration.hierarchy_helpers import Hierarchy, build


@pytest.fixture
def school(api: httpx.Client, tenant: TenantFixture) -> tuple[Erp, Hierarchy]:
    return build(api, tenant), Hierarchy(api, tenant)


@pytest.fixture
def hier(school: tuple[Erp, Hierarchy]) -> Hierarchy:
    return school[1]

"""Hypothesis profiles for the fuzz suite, and its figures at the end of a run.

`make test` runs the "ci" profile (a bounded number of examples per surface); `make fuzz`
runs the "fuzz" profile (PONTE_FUZZ_EXAMPLES examples per surface, default 1,000) and the
summary line prints how many requests were tried and how many failed.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.integration.fuzz.probe import STATS

_COMMON = {
    "deadline": None,  # a request through the local stack is not a unit of pure code
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "derandomize": False,
}
settings.register_profile("ci", max_examples=100, database=None, **_COMMON)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("PONTE_FUZZ_EXAMPLES", "1000")), **_COMMON
)
settings.load_profile(os.environ.get("PONTE_FUZZ_PROFILE", "ci"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STATS.requests:
        terminalreporter.write_line(STATS.summary())

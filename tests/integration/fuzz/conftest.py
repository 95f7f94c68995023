"""Hypothesis profiles for the fuzz suite, and its figures at the end of a run.

`make test` runs the "ci" profile (a bounded number of examples per surface); `make fuzz`
runs the "fuzz" profile (PONTE_FUZZ_EXAMPLES examples per surface, default 1,000). The summary
line of requests tried and failures is printed by `tests/integration/conftest.py`, which the
pytest-xdist controller loads (it does not load this folder's conftest).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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

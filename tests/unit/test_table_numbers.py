"""Numbers on their way into DynamoDB."""

from __future__ import annotations

from ponte.repository.table import serialize


def test_floats_outside_dynamodbs_range_are_stored_not_refused() -> None:
    """A ratio of 5e-324 (valid for the API) once failed the run record's write with a
    decimal.Underflow, a 500; the repository now stores what DynamoDB can hold."""
    item = serialize({"PK": "x", "tiny": 5e-324, "huge": 1e300, "inf": float("inf"), "ratio": 0.5})
    assert item["tiny"] == {"N": "0"}
    assert item["huge"] == {"S": "1e+300"}
    assert item["inf"] == {"S": "inf"}
    assert item["ratio"] == {"N": "0.5"}

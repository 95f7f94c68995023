"""Translate botocore failures into domain signals without leaking AWS types upward."""

from __future__ import annotations


class ConditionFailed(Exception):
    """A conditional write lost: the item exists (or does not) contrary to the condition."""


def is_condition_failure(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    return bool(response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")

"""The one place that reads AWS errors: their codes, which ones are worth retrying, and the
domain signals the rest of the code sees instead of botocore types."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final


class ConditionFailed(Exception):
    """A conditional write lost: the item exists (or does not) contrary to the condition."""


class Transient(Exception):
    """AWS asked us to come back later (throttling, a transaction conflict, a 5xx): the same
    request may succeed if retried with back-off."""


# Error codes (and transaction cancellation reasons) that mean "try again later".
TRANSIENT_CODES: Final = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ProvisionedThroughputExceeded",
        "ThrottlingException",
        "ThrottlingError",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "TransactionConflict",
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
CONDITION_FAILED: Final = "ConditionalCheckFailedException"
CANCELLED: Final = "TransactionCanceledException"
NOT_FOUND_CODES: Final = frozenset(
    {"404", "NoSuchKey", "NotFound", "ResourceNotFoundException", "ExecutionDoesNotExist"}
)


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` ('' for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code") or "")


def cancellation_reasons(exc: BaseException) -> list[str] | None:
    """One code per item of a cancelled transaction, in order; None if it was not one."""
    if error_code(exc) != CANCELLED:
        return None
    response = getattr(exc, "response", {})
    return [str(r.get("Code") or "None") for r in response.get("CancellationReasons") or []]


def is_transient(exc: BaseException) -> bool:
    return error_code(exc) in TRANSIENT_CODES


def is_condition_failure(exc: BaseException) -> bool:
    return error_code(exc) == CONDITION_FAILED


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) in NOT_FOUND_CODES


@contextmanager
def conditional(what: str) -> Iterator[None]:
    """One conditional write: a retryable AWS error raises :class:`Transient`, a condition
    that did not hold raises ``ConditionFailed(what)`` (the AWS error as its cause)."""
    try:
        with translated():
            yield
    except Exception as exc:
        if is_condition_failure(exc):
            raise ConditionFailed(what) from exc
        raise


@contextmanager
def translated() -> Iterator[None]:
    """Raise :class:`Transient` for a retryable AWS error met inside the block."""
    try:
        yield
    except Exception as exc:
        if is_transient(exc):
            raise Transient(error_code(exc)) from exc
        raise

"""Query-string and path numbers, read one way on every route.

A query string is text, and Python and pydantic are generous with text that looks like a
number ("²", full-width digits, "1_0", " 5", "5.0", "+5"). A number here is ASCII digits
only; anything else is the route's validation error, never a 500 or a different value.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

_DIGITS = re.compile(r"[0-9]{1,9}")
NOT_AN_INTEGER = "Deve ser um número inteiro"


def is_integer_text(raw: str) -> bool:
    return _DIGITS.fullmatch(raw) is not None


def _integer_text(raw: Any) -> Any:
    if isinstance(raw, str) and not is_integer_text(raw):
        raise ValueError(NOT_AN_INTEGER)
    return raw


DIGITS = BeforeValidator(_integer_text)
"""Marks an ``int`` field given as ASCII digits: ``Annotated[int, Field(ge=1, le=100), DIGITS]``
(the bounds before the marker, so that they show in the field's JSON schema)."""

Page = Annotated[int, Field(ge=1, le=100_000), DIGITS]
"""A 1-based page number."""

"""Reading vendor JSON, whose objects may be missing or of another type than documented."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dig(data: Any, *path: str) -> Any:
    """The value at ``path`` inside nested objects; None where a step is missing or is not an
    object."""
    current: Any = data
    for step in path:
        if not isinstance(current, Mapping):
            return None
        current = current.get(step)
    return current

"""The health probe: a real, strongly consistent read of the table."""

from __future__ import annotations

from ponte.repository import keys
from ponte.repository.table import get_item


def probe_table() -> None:
    """Raise if the table cannot be read (missing, unreachable, no permission)."""
    get_item(keys.health_probe(), consistent=True, probe=True)

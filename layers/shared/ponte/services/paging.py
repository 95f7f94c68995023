"""The stack's page-cursor sealer: its key is the cursor secret, read once per container."""

from __future__ import annotations

from functools import lru_cache

from ponte.adapters import secret_store
from ponte.repository.cursors import Sealer
from ponte.settings import get_settings


@lru_cache(maxsize=2)
def _sealer(secret_id: str) -> Sealer:
    return Sealer(secret_store.get(secret_id).encode())


def sealer() -> Sealer:
    secret_id = get_settings().cursor_key_secret
    if not secret_id:
        raise RuntimeError("CURSOR_KEY_SECRET is not set: page cursors cannot be issued")
    return _sealer(secret_id)

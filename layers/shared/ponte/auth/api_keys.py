"""API keys: ``pex_`` + 32 random characters, shown once, stored only as a SHA-256 hash.

The keys carry ~190 bits of entropy, so an unsalted hash is safe and lets the authorizer find
the client with one GetItem.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import string

PREFIX = "pex_"
_ALPHABET = string.ascii_letters + string.digits
_LENGTH = 32
_PATTERN = re.compile(rf"^{PREFIX}[A-Za-z0-9]{{{_LENGTH}}}$")


def generate() -> str:
    return PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))


def is_well_formed(candidate: str) -> bool:
    return bool(_PATTERN.match(candidate))


def looks_like_api_key(candidate: str) -> bool:
    return candidate.startswith(PREFIX)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """What listings show instead of the key: enough to recognise it, useless to an attacker."""
    return key[: len(PREFIX) + 6]

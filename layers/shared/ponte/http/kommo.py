"""The Kommo role sync API's presenters: an account as
:mod:`ponte.http.responses.kommo` shows it (never its token)."""

from __future__ import annotations

from ponte.domain.kommo import Account
from ponte.http.responses import kommo as out


def account(a: Account) -> out.KommoAccount:
    return out.KommoAccount(
        id=a.id,
        subdomain=a.subdomain,
        role=a.role,
        active=a.active,
        created_at=a.created_at,
        updated_at=a.updated_at,
    )

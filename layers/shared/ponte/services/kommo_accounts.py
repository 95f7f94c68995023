"""Kommo accounts of a tenant: register, change, remove; the token goes to Secrets
Manager and is never returned."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from ponte import errors
from ponte.adapters import secret_store
from ponte.clock import isoformat, utcnow
from ponte.domain.kommo import Account
from ponte.repository import kommo as kommo_store
from ponte.repository.errors import ConditionFailed
from ponte.validation import field_errors, header_safe

Subdomain = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$"),
]
# Sent as "Authorization: Bearer …": printable ASCII, refused otherwise without echoing it.
Token = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=8, max_length=4096),
    AfterValidator(header_safe),
]


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[int, Field(ge=1, le=999_999_999)] | None = None
    subdomain: Subdomain
    role: Literal["master", "slave"]
    active: bool = True
    token: Token


class AccountChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subdomain: Subdomain | None = None
    role: Literal["master", "slave"] | None = None
    active: bool | None = None
    token: Token | None = None


def parse[M: BaseModel](model: type[M], payload: Any) -> M:
    """The body as ``model``; a 400 in the API's documented format naming each bad field."""
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = field_errors(exc.errors())
        text = "; ".join(f"{k}: {', '.join(v)}" for k, v in problems.items())
        raise errors.bad_request(f"Parâmetros inválidos — {text}") from exc


def _secret(tenant_id: str, account_id: int) -> str:
    return secret_store.name(tenant_id, "kommo", str(account_id))


def not_found(account_id: int) -> errors.DomainError:
    return errors.not_found(f"Conta {account_id} não encontrada")


def master_exists(holder: int) -> errors.DomainError:
    return errors.conflict(
        "MASTER_EXISTS", f"Já existe uma conta master (id {holder}): altere-a para slave antes"
    )


def _one_master(tenant_id: str, account_id: int | None) -> None:
    """A tenant has one master account: a second is refused (the role sync reads its roles
    from the master, and two would leave the choice to chance). This reads the accounts, for
    masters registered before the claim existed; what holds under concurrent requests is the
    claim the master's write takes (``kommo_store.put_account``)."""
    others = [a for a in listing(tenant_id) if a.role == "master" and a.id != account_id]
    if others:
        raise master_exists(others[0].id)


def _write(tenant_id: str, account: Account, *, new: bool, was_master: bool = False) -> None:
    """Write the account with its master claim; a claim left by an account that no longer
    backs it (gone, or not the master: a crash between two writes) is dropped once."""
    for _ in range(2):
        try:
            kommo_store.put_account(tenant_id, account, new=new, was_master=was_master)
            return
        except kommo_store.MasterTaken as taken:
            holder = kommo_store.get_account(tenant_id, taken.holder)
            if taken.holder and holder is not None and holder.role == "master":
                raise master_exists(taken.holder) from None
            kommo_store.drop_master_claim(tenant_id, taken.holder)
    raise master_exists(kommo_store.master_holder(tenant_id) or 0)


def create(tenant_id: str, new: NewAccount) -> Account:
    if new.role == "master":
        _one_master(tenant_id, new.id)
    now = isoformat(utcnow())
    account_id = new.id or kommo_store.next_account_id(tenant_id)
    account = Account(account_id, new.subdomain, new.role, new.active, now, now)
    # The account (and a master's claim) is written first, conditionally: of concurrent
    # requests for one id, or for the tenant's master, only the one that wins stores its token.
    try:
        _write(tenant_id, account, new=True)
    except kommo_store.AccountExists as exc:
        raise errors.conflict("ACCOUNT_EXISTS", f"Conta {account_id} já existe") from exc
    try:
        secret_store.put(_secret(tenant_id, account_id), new.token)
    except Exception:
        kommo_store.delete_account(tenant_id, account_id)
        raise
    return account


def change(tenant_id: str, account_id: int, patch: AccountChange) -> Account:
    current = require(tenant_id, account_id)
    if patch.role == "master" and current.role != "master":
        _one_master(tenant_id, account_id)
    changed = Account(
        id=account_id,
        subdomain=patch.subdomain or current.subdomain,
        role=patch.role or current.role,
        active=current.active if patch.active is None else patch.active,
        created_at=current.created_at,
        updated_at=isoformat(utcnow()),
    )
    try:
        _write(tenant_id, changed, new=False, was_master=current.role == "master")
    except ConditionFailed as exc:  # removed meanwhile
        raise not_found(account_id) from exc
    if patch.token:  # after the account: a refused change stores no token
        secret_store.put(_secret(tenant_id, account_id), patch.token)
    return changed


def remove(tenant_id: str, account_id: int) -> None:
    require(tenant_id, account_id)
    kommo_store.delete_account(tenant_id, account_id)
    secret_store.delete(_secret(tenant_id, account_id))


def require(tenant_id: str, account_id: int) -> Account:
    account = kommo_store.get_account(tenant_id, account_id)
    if account is None:
        raise not_found(account_id)
    return account


def token(tenant_id: str, account_id: int) -> str:
    return secret_store.get(_secret(tenant_id, account_id))


def listing(tenant_id: str) -> list[Account]:
    return kommo_store.list_accounts(tenant_id)

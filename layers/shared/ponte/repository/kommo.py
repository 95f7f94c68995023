"""Kommo accounts, the parts of a role-sync run, and the sync logs."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ponte import aws
from ponte.domain.kommo import Account
from ponte.repository import batch, keys
from ponte.repository.errors import ConditionFailed, conditional, translated
from ponte.repository.table import (
    Item,
    assignments,
    first_page,
    get_item,
    query_pages,
    serialize,
    table_name,
    values,
    without_keys,
)


def _account(item: Item) -> Account:
    return Account(
        id=int(item["id"]),
        subdomain=str(item["subdomain"]),
        role=item["role"],
        active=bool(item["active"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
    )


def next_account_id(tenant_id: str) -> int:
    response = aws.dynamodb().update_item(
        TableName=table_name(),
        Key=serialize(keys.kommo_account_sequence(tenant_id)),
        UpdateExpression="ADD seq :one",
        ExpressionAttributeValues=values({":one": 1}),
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["seq"]["N"])


class AccountExists(Exception):
    """A new account's id is taken."""


class MasterTaken(Exception):
    """The tenant's master claim is another account's (``holder``)."""

    def __init__(self, holder: int) -> None:
        super().__init__(f"master is account {holder}")
        self.holder = holder


def put_account(tenant_id: str, account: Account, *, new: bool, was_master: bool = False) -> None:
    """Write an account, and the tenant's master claim with it in one transaction: a master
    claims it (refused with MasterTaken while another account holds it, so of concurrent
    requests one master wins), an account that stops being the master lets it go. ``new``:
    the id must be free (AccountExists); else the account must exist (ConditionFailed)."""
    item = {**keys.kommo_account(tenant_id, account.id), "type": "kommo_account"}
    item |= account.public()
    put: dict[str, Any] = {
        "TableName": table_name(),
        "Item": serialize(item),
        "ConditionExpression": "attribute_not_exists(PK)" if new else "attribute_exists(PK)",
    }
    master = account.role == "master"
    if master or was_master:
        claim = _claim(tenant_id, account.id) if master else _let_go(tenant_id, account.id)
        try:
            batch.transact([{"Put": put}, claim])
        except batch.TransactionCancelled as exc:
            account_reason, claim_reason = [*exc.reasons, "None", "None"][:2]
            if account_reason != "None":
                if new:
                    raise AccountExists(str(account.id)) from None
                raise ConditionFailed(str(account.id)) from exc
            if master or claim_reason == "None":
                raise MasterTaken(master_holder(tenant_id) or 0) from None
            # A master of before the claim, demoted while the claim is another's: the claim
            # is not this account's to let go; the account is written on its own.
        else:
            return
    try:
        with conditional(str(account.id)):
            aws.dynamodb().put_item(**put)
    except ConditionFailed:
        if new:
            raise AccountExists(str(account.id)) from None
        raise


def _claim(tenant_id: str, account_id: int) -> dict[str, Any]:
    item = {**keys.kommo_master(tenant_id), "type": "kommo_master", "account_id": account_id}
    return {
        "Put": {
            "TableName": table_name(),
            "Item": serialize(item),
            "ConditionExpression": "attribute_not_exists(PK) OR account_id = :me",
            "ExpressionAttributeValues": values({":me": account_id}),
        }
    }


def _let_go(tenant_id: str, account_id: int) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": table_name(),
            "Key": serialize(keys.kommo_master(tenant_id)),
            "ConditionExpression": "attribute_not_exists(PK) OR account_id = :me",
            "ExpressionAttributeValues": values({":me": account_id}),
        }
    }


def master_holder(tenant_id: str) -> int | None:
    """The account holding the tenant's master claim (None: no claim)."""
    item = get_item(keys.kommo_master(tenant_id))
    return int(item["account_id"]) if item else None


def drop_master_claim(tenant_id: str, holder: int) -> None:
    """Remove a claim that ``holder`` no longer backs (an account gone or no longer the
    master, after a crash between two writes); a claim another account took is kept."""
    with contextlib.suppress(ConditionFailed), conditional("master"):
        aws.dynamodb().delete_item(
            TableName=table_name(),
            Key=serialize(keys.kommo_master(tenant_id)),
            ConditionExpression="account_id = :holder",
            ExpressionAttributeValues=values({":holder": holder}),
        )


def get_account(tenant_id: str, account_id: int) -> Account | None:
    item = get_item(keys.kommo_account(tenant_id, account_id))
    return _account(item) if item else None


def list_accounts(tenant_id: str) -> list[Account]:
    prefix = keys.kommo_account(tenant_id)
    return [
        _account(item)
        for page in query_pages(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :a)",
            ExpressionAttributeValues=values({":pk": prefix["PK"], ":a": prefix["SK"]}),
        )
        for item in page
    ]


def delete_account(tenant_id: str, account_id: int) -> None:
    """Delete an account, and the tenant's master claim if it was this account's."""
    aws.dynamodb().delete_item(
        TableName=table_name(), Key=serialize(keys.kommo_account(tenant_id, account_id))
    )
    drop_master_claim(tenant_id, account_id)


# -- a run's parts: the master's roles, each slave's plan and live result -----------------
@dataclass(frozen=True, slots=True)
class SlaveResult:
    account_id: int
    subdomain: str
    status: str = "pending"  # pending | running | success | failed
    planned: bool = False
    roles_total: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    skipped: int = 0
    errors: tuple[str, ...] = ()
    error: str | None = None

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ROLE_COUNTS}


ROLE_COUNTS = ("created", "updated", "deleted", "skipped")


def _slave(item: Item) -> SlaveResult:
    return SlaveResult(
        account_id=int(item["account_id"]),
        subdomain=str(item["subdomain"]),
        status=str(item.get("status", "pending")),
        planned=bool(item.get("planned", False)),
        roles_total=int(item.get("roles_total", 0)),
        errors=tuple(item.get("errors", ())),
        error=item.get("error"),
        **{k: int(item.get(k, 0)) for k in ROLE_COUNTS},
    )


def _put(key: Mapping[str, str], body: Mapping[str, Any]) -> None:
    with translated():
        aws.dynamodb().put_item(TableName=table_name(), Item=serialize({**key, **body}))


def put_master_roles(tenant_id: str, run_id: str, roles: list[dict[str, Any]]) -> None:
    _put(keys.role_sync_master(tenant_id, run_id), {"roles": json.dumps(roles)})


def master_roles(tenant_id: str, run_id: str) -> list[dict[str, Any]]:
    item = get_item(keys.role_sync_master(tenant_id, run_id)) or {}
    roles: list[dict[str, Any]] = json.loads(str(item.get("roles", "[]")))
    return roles


def put_plan(tenant_id: str, run_id: str, slave: int, operations: list[dict[str, Any]]) -> None:
    _put(keys.role_sync_plan(tenant_id, run_id, slave), {"operations": operations})


def plan(tenant_id: str, run_id: str, slave: int) -> list[dict[str, Any]]:
    item = get_item(keys.role_sync_plan(tenant_id, run_id, slave)) or {}
    return list(item.get("operations", []))


def put_slave(tenant_id: str, run_id: str, slave: SlaveResult) -> None:
    body = {k: v for k, v in asdict(slave).items() if v not in (None, (), False)}
    _put(keys.role_sync_slave(tenant_id, run_id, slave.account_id), body)


def add_slave_counts(
    tenant_id: str, run_id: str, account_id: int, counts: Mapping[str, int], errors: list[str]
) -> None:
    """Add a batch's counts to the slave's live result (atomic)."""
    names = {f"#c{i}": name for i, name in enumerate(counts)}
    vals: dict[str, Any] = {f":c{i}": n for i, n in enumerate(counts.values())}
    expression = "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
    if errors:
        names["#e"] = "errors"
        vals[":e"] = errors
        vals[":none"] = []
        expression = f"SET #e = list_append(if_not_exists(#e, :none), :e) {expression}"
    with translated():
        aws.dynamodb().update_item(
            TableName=table_name(),
            Key=serialize(keys.role_sync_slave(tenant_id, run_id, account_id)),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values(vals),
        )


def set_slave(tenant_id: str, run_id: str, account_id: int, fields: Mapping[str, Any]) -> None:
    sets, names, vals = assignments(fields)
    with translated():
        aws.dynamodb().update_item(
            TableName=table_name(),
            Key=serialize(keys.role_sync_slave(tenant_id, run_id, account_id)),
            UpdateExpression=f"SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values(vals),
        )


def slaves(tenant_id: str, run_id: str) -> list[SlaveResult]:
    """Every slave's result of a run, in account order (one Query)."""
    key = keys.role_sync_slave(tenant_id, run_id)
    return [
        _slave(item)
        for page in query_pages(
            KeyConditionExpression="PK = :pk AND begins_with(SK, :s)",
            ExpressionAttributeValues=values({":pk": key["PK"], ":s": key["SK"]}),
        )
        for item in page
    ]


# -- sync logs ------------------------------------------------------------------------------
def put_logs(tenant_id: str, entries: Sequence[Mapping[str, Any]]) -> None:
    """Write a run's log entries, up to 100 per request."""
    puts = [
        {
            "Put": {
                "TableName": table_name(),
                "Item": serialize(
                    keys.sync_log(
                        tenant_id,
                        str(entry["finished_at"]),
                        str(entry["sync_id"]),
                        int(entry["slave_id"]),
                    )
                    | dict(entry)
                ),
            }
        }
        for entry in entries
    ]
    for start in range(0, len(puts), batch.TRANSACTION_LIMIT):
        batch.transact(puts[start : start + batch.TRANSACTION_LIMIT])


def list_logs(tenant_id: str, limit: int) -> list[Item]:
    """The newest log entries first."""
    page = first_page(
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues=values({":pk": keys.sync_log(tenant_id)["PK"]}),
        ScanIndexForward=False,
        Limit=limit,
    )
    return [without_keys(item) for item in page]

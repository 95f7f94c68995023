"""The token claim of a connection whose credentials rotate (OAuth2 refresh tokens).

One item per such connection records the version of its stored tokens, when its refresh
token was issued, and the claim of the one process allowed to refresh them: Secrets Manager
has no conditional writes, so the claim is a conditional update here. The item is also the
keep-alive's listing: a GSI2 partition per platform, every tenant's connections ordered by
their refresh token's age, so the keep-alive reads only those old enough (one Query, no
Scan).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ponte import aws
from ponte.repository import keys
from ponte.repository.errors import ConditionFailed, conditional, translated
from ponte.repository.table import query_pages, serialize, table_name, values


def _moment(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def claim(
    tenant_id: str,
    connection_id: str,
    *,
    holder: str,
    version: int | None,
    now: float,
    until: float,
) -> int | None:
    """Take the claim for ``holder`` until ``until`` unless another holds it (unexpired) or,
    with ``version``, a newer version is recorded: the recorded version, or None."""
    condition = "(attribute_not_exists(claim_until) OR claim_until < :now)"
    vals: dict[str, object] = {":holder": holder, ":until": until, ":now": now}
    if version is not None:
        condition += " AND (attribute_not_exists(version) OR version <= :version)"
        vals[":version"] = version
    try:
        with conditional(connection_id):
            response = aws.dynamodb().update_item(
                TableName=table_name(),
                Key=serialize(keys.token_claim(tenant_id, connection_id)),
                UpdateExpression="SET claim = :holder, claim_until = :until",
                ConditionExpression=condition,
                ExpressionAttributeValues=values(vals),
                ReturnValues="ALL_NEW",
            )
    except ConditionFailed:
        return None
    return int(response["Attributes"].get("version", {}).get("N", "0"))


def release(
    tenant_id: str,
    connection_id: str,
    *,
    platform: str,
    holder: str,
    version: int,
    refreshed_at: float,
) -> bool:
    """Record ``version`` and its refresh token's issue time (which places the connection in
    the keep-alive's listing) and let go of the claim, if ``holder`` holds it or nobody does.
    False when another process took the claim meanwhile (``holder``'s had expired)."""
    moment = _moment(refreshed_at)
    index = keys.token_claim_index(platform, moment, tenant_id, connection_id)
    try:
        with conditional(connection_id):
            aws.dynamodb().update_item(
                TableName=table_name(),
                Key=serialize(keys.token_claim(tenant_id, connection_id)),
                UpdateExpression=(
                    "SET version = :version, refreshed_at = :at, GSI2PK = :gpk, GSI2SK = :gsk, "
                    "tenant_id = :tenant, connection_id = :connection, platform = :platform "
                    "REMOVE claim, claim_until"
                ),
                ConditionExpression="attribute_not_exists(claim) OR claim = :holder",
                ExpressionAttributeValues=values(
                    {
                        ":version": version,
                        ":at": moment,
                        ":gpk": index["GSI2PK"],
                        ":gsk": index["GSI2SK"],
                        ":tenant": tenant_id,
                        ":connection": connection_id,
                        ":platform": platform,
                        ":holder": holder,
                    }
                ),
            )
    except ConditionFailed:
        return False
    return True


def abandon(tenant_id: str, connection_id: str, holder: str) -> None:
    """Let go of ``holder``'s claim, recording nothing."""
    try:
        with conditional(connection_id):
            aws.dynamodb().update_item(
                TableName=table_name(),
                Key=serialize(keys.token_claim(tenant_id, connection_id)),
                UpdateExpression="REMOVE claim, claim_until",
                ConditionExpression="claim = :holder",
                ExpressionAttributeValues=values({":holder": holder}),
            )
    except ConditionFailed:
        return


def delete(tenant_id: str, connection_id: str) -> None:
    with translated():
        aws.dynamodb().delete_item(
            TableName=table_name(), Key=serialize(keys.token_claim(tenant_id, connection_id))
        )


@dataclass(frozen=True, slots=True)
class Due:
    tenant_id: str
    connection_id: str
    refreshed_at: str
    position: str  # where a listing cut short goes on from (its sort key)


def issued_before(platform: str, before: float, *, after: str = "") -> Iterator[Due]:
    """Every tenant's connections of ``platform`` whose refresh token was issued before
    ``before`` (epoch seconds), oldest first; with ``after``, those past that position."""
    partition = keys.tokens_by_age(platform)
    upper = keys.token_age(_moment(before))
    condition = "GSI2PK = :p AND GSI2SK < :before"
    vals = {":p": partition, ":before": upper}
    if after >= upper:
        return
    if after:
        condition = "GSI2PK = :p AND GSI2SK BETWEEN :after AND :before"
        vals[":after"] = after
    for page in query_pages(
        IndexName=keys.GSI2,
        KeyConditionExpression=condition,
        ExpressionAttributeNames={"#sk": "GSI2SK"},
        ProjectionExpression="tenant_id, connection_id, refreshed_at, #sk",
        ExpressionAttributeValues=values(vals),
    ):
        for item in page:
            position = str(item["GSI2SK"])
            if position == after or position >= upper:
                continue
            yield Due(
                str(item["tenant_id"]),
                str(item["connection_id"]),
                str(item["refreshed_at"]),
                position,
            )

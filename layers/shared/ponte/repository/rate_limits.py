"""Fixed-window request counters: one atomic UpdateItem per request, expiring with TTL."""

from __future__ import annotations

from ponte import aws
from ponte.repository import keys
from ponte.repository.table import serialize, table_name, values


def hit(principal: str, window_start: int, expires_at: int) -> int:
    """Count one request in the window and return the window's total so far."""
    response = aws.dynamodb().update_item(
        TableName=table_name(),
        Key=serialize(keys.rate_window(principal, window_start)),
        UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :exp)",
        ExpressionAttributeValues=values({":one": 1, ":exp": expires_at}),
        ReturnValues="UPDATED_NEW",
    )
    return int(response["Attributes"]["hits"]["N"])

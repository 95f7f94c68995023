"""Secrets Manager: vendor tokens live here, never in the table, a response or a log line."""

from __future__ import annotations

from ponte import aws
from ponte.settings import get_settings


def name(tenant_id: str, vendor: str, account: str) -> str:
    return f"ponte/{get_settings().stage}/{tenant_id}/{vendor}/{account}"


def put(secret_name: str, value: str) -> None:
    """Create the secret, or give an existing one a new value."""
    client = aws.client("secretsmanager")
    try:
        client.put_secret_value(SecretId=secret_name, SecretString=value)
    except client.exceptions.ResourceNotFoundException:
        key = get_settings().secrets_kms_key_id
        try:
            client.create_secret(
                Name=secret_name, SecretString=value, **({"KmsKeyId": key} if key else {})
            )
        except client.exceptions.ResourceExistsException:  # created meanwhile: update it
            client.put_secret_value(SecretId=secret_name, SecretString=value)


def get(secret_name: str) -> str:
    value: str = aws.client("secretsmanager").get_secret_value(SecretId=secret_name)["SecretString"]
    return value


def delete(secret_name: str) -> None:
    """Delete with a 7-day recovery window (a mistaken DELETE can be undone)."""
    client = aws.client("secretsmanager")
    try:
        client.delete_secret(SecretId=secret_name, RecoveryWindowInDays=7)
    except client.exceptions.ResourceNotFoundException:
        return

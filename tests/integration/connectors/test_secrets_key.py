"""A customer-managed KMS key, when the stack is given one, encrypts the secrets it creates."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from ponte.adapters import secret_store
from ponte.settings import get_settings
from tests.integration.connectors.conftest import Connectors


@pytest.fixture
def customer_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    key: str = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    monkeypatch.setenv("SECRETS_KMS_KEY_ID", key)  # what the SecretsKmsKeyArn parameter sets
    get_settings.cache_clear()
    yield key
    monkeypatch.undo()
    get_settings.cache_clear()


def test_a_connections_credentials_are_encrypted_with_the_customer_key(
    connectors: Connectors, customer_key: str
) -> None:
    connection_id, token = connectors.hubspot_connection(contacts=1)

    name = secret_store.name(connectors.tenant.id, "hubspot", connection_id)
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    assert secrets.describe_secret(SecretId=name).get("KmsKeyId") == customer_key
    assert token in secrets.get_secret_value(SecretId=name)["SecretString"]
    assert connectors.run(connection_id)["status"] == "success"  # and the worker reads it

"""SQS: the connector run queue (a run and its continuations are messages)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ponte import aws


def send(queue_url: str, body: Mapping[str, Any]) -> None:
    aws.client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(dict(body)))

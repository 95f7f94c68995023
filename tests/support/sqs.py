"""An SQS event as Lambda's event source mapping delivers it (one record per body)."""

from __future__ import annotations

from typing import Any


def sqs_event(*bodies: str, queue_arn: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"message-{i}",
                "receiptHandle": f"receipt-{i}",
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767225600000",
                    "SenderId": "123456789012",
                    "ApproximateFirstReceiveTimestamp": "1767225600000",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": queue_arn.split(":")[3],
            }
            for i, body in enumerate(bodies)
        ]
    }

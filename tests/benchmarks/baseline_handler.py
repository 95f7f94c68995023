"""The reference: a minimal Powertools HTTP handler (Logger + resolver + one route)."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

logger = Logger()
app = APIGatewayHttpResolver()


@app.get("/api/integration/v1/health")
def health() -> dict[str, Any]:
    return {"status": "healthy"}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)

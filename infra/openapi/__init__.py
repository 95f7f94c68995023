"""OpenAPI documents of Ponte's APIs, generated from the handlers (``python -m openapi``)."""

import os

# The function modules read their settings when imported, as at a cold start; describing
# them touches no AWS resource.
os.environ.setdefault("TABLE_NAME", "ponte-openapi")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

"""OpenAPI documents of Ponte's APIs, generated from the handlers (``python -m openapi``)."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

# Describing a function touches no AWS resource, but its module reads its settings when
# imported, as at a cold start: these stand in for what the template would set.
_IMPORT_ENVIRONMENT = {"TABLE_NAME": "ponte-openapi", "AWS_DEFAULT_REGION": "us-east-1"}


def function_modules(*names: str) -> list[ModuleType]:
    """The modules (``functions.<name>.app`` or a full dotted name), imported with the
    stand-in settings only while they load: the process's environment is left as it was."""
    added = {k: v for k, v in _IMPORT_ENVIRONMENT.items() if k not in os.environ}
    os.environ.update(added)
    try:
        return [importlib.import_module(n if "." in n else f"functions.{n}.app") for n in names]
    finally:
        for name in added:
            del os.environ[name]
        if added:  # settings read under the stand-ins must not outlive them
            from ponte.settings import get_settings

            get_settings.cache_clear()

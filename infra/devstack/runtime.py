"""In-process Lambda runtime: the template's handlers, imported and called as Lambda would.

``moto_hook()`` makes moto's Lambda backend run them too, so Step Functions tasks,
``lambda.invoke`` and SQS event-source mappings reach the real handlers without a container.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from aws_lambda_powertools.logging import logger as powertools_logger

from devstack.aws_calls import acting_as
from devstack.moto_fixes import patched_moto
from devstack.template import Function
from ponte.observability import logger


@dataclass
class LambdaContext:
    """The attributes Powertools and our handlers read from a Lambda context."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class FunctionError(Exception):
    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class LambdaRuntime:
    def __init__(self, functions: dict[str, Function], names: dict[str, str], arns: dict[str, str]):
        self.functions = functions
        self.names = names  # logical id -> physical name
        self.arns = arns  # logical id -> ARN
        self._by_name = {name: logical for logical, name in names.items()}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._lock = threading.Lock()
        self.invocations: list[str] = []

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        with self._lock:
            if logical_id not in self._handlers:
                fn = self.functions[logical_id]
                module = importlib.import_module(fn.module)
                self._handlers[logical_id] = getattr(module, fn.attribute)
            return self._handlers[logical_id]

    def context(self, logical_id: str) -> LambdaContext:
        fn = self.functions[logical_id]
        return LambdaContext(
            function_name=self.names[logical_id],
            memory_limit_in_mb=fn.memory,
            invoked_function_arn=self.arns[logical_id],
            timeout_seconds=fn.timeout,
        )

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call the handler; an exception becomes :class:`FunctionError` (Lambda's errorType).
        A function's first invocation is its container's cold start, as on Lambda (one process
        hosts every function here, so Powertools' process-wide flag is raised again)."""
        self.invocations.append(logical_id)
        cold = logical_id not in self._handlers
        handler = self.handler(logical_id)
        if cold:
            powertools_logger.is_cold_start = True
        try:
            with acting_as(logical_id):
                return handler(event, self.context(logical_id))
        except Exception as exc:
            logger.error(
                "function failed",
                extra={"function": logical_id, "trace": traceback.format_exc(limit=5)},
            )
            raise FunctionError(type(exc).__name__, str(exc)) from exc

    def logical_id(self, function_name_or_arn: str) -> str | None:
        name = function_name_or_arn.rsplit(":function:", 1)[-1].split(":", 1)[0]
        return self._by_name.get(name)

    @contextmanager
    def moto_hook(self) -> Iterator[None]:
        """Route moto's Lambda invocations (by function name) to the in-process handlers."""
        from moto.awslambda.models import LambdaFunction

        runtime = self

        def invoke_in_process(fn: Any, event: str | None = None) -> tuple[str, bool, str]:
            logical_id = runtime.logical_id(fn.function_name)
            if logical_id is None:
                message = f"{fn.function_name} is not a function of the template"
                return (
                    json.dumps({"errorType": "ResourceNotFound", "errorMessage": message}),
                    True,
                    "",
                )
            payload = json.loads(event) if isinstance(event, str) and event else (event or {})
            try:
                result = runtime.invoke(logical_id, payload)
            except FunctionError as exc:
                body = {"errorType": exc.error_type, "errorMessage": str(exc)}
                return json.dumps(body), True, ""
            return json.dumps(result, default=str), False, ""

        with (
            mock.patch.object(LambdaFunction, "_invoke_lambda", invoke_in_process),
            patched_moto(),
        ):
            yield

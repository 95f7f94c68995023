"""In-process Lambda runtime: the template's handlers, imported and called as Lambda would.

Lambda runs one invocation at a time in a container and starts another container for a
concurrent one. So does this runtime: a function's first container is its module as imported;
an invocation that finds every container of its function busy gets a new one, the module's
code run again into a module object of its own (its own resolver, with its own current event
and context: Powertools keeps them on the app object). Shared code (``ponte``) stays one copy,
as a layer's module-level caches are shared by nothing on Lambda but are thread-safe here.

``moto_hook()`` makes moto's Lambda backend run them too, so Step Functions tasks,
``lambda.invoke`` and SQS event-source mappings reach the real handlers without a container.
"""

from __future__ import annotations

import importlib
import importlib.util
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
        self._idle: dict[str, list[Callable[[Any, Any], Any]]] = {}  # containers not in use
        self._started: set[str] = set()  # functions whose first container exists
        self._lock = threading.Lock()
        self.invocations: list[str] = []

    def handler(self, logical_id: str) -> Callable[[Any, Any], Any]:
        """The function's first container's handler (its module as imported)."""
        with self._lock:
            if logical_id not in self._handlers:
                fn = self.functions[logical_id]
                module = importlib.import_module(fn.module)
                self._handlers[logical_id] = getattr(module, fn.attribute)
            return self._handlers[logical_id]

    def _container(self, logical_id: str) -> tuple[Callable[[Any, Any], Any], bool]:
        """An idle container's handler, else a new container's; and whether it is new."""
        with self._lock:
            idle = self._idle.setdefault(logical_id, [])
            if idle:
                return idle.pop(), False
            # Decided under the lock: two calls that both find no idle container never both
            # take the first one.
            first = logical_id not in self._started
            self._started.add(logical_id)
        if first:
            return self.handler(logical_id), True
        fn = self.functions[logical_id]
        spec = importlib.util.find_spec(fn.module)
        if spec is None or spec.loader is None:  # imported once already: never here
            raise FunctionError("ImportModuleError", f"no module {fn.module}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return getattr(module, fn.attribute), True

    def context(self, logical_id: str) -> LambdaContext:
        fn = self.functions[logical_id]
        return LambdaContext(
            function_name=self.names[logical_id],
            memory_limit_in_mb=fn.memory,
            invoked_function_arn=self.arns[logical_id],
            timeout_seconds=fn.timeout,
        )

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Call the handler in a container of its own for the call; an exception becomes
        :class:`FunctionError` (Lambda's errorType). A new container's first invocation is a
        cold start, as on Lambda (one process hosts every function here, so Powertools'
        process-wide flag is raised again)."""
        self.invocations.append(logical_id)
        handler, cold = self._container(logical_id)
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
        finally:
            with self._lock:
                self._idle[logical_id].append(handler)

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

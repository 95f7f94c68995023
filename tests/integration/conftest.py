"""Integration tests run the real template on moto, in-process.

moto starts here, before any application module is imported, so no client can reach AWS.
The local stack (the same code as `make dev`) provisions the template's resources, serves its
routes over HTTP on an ephemeral port, and runs every Lambda in-process.
"""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)
os.environ.pop("AWS_PROFILE", None)

from moto import mock_aws

_MOCK = mock_aws(
    # Not lambda.use_docker=False: that only echoes events; the local stack's runtime hook
    # runs the real handlers instead.
    config={"stepfunctions": {"execute_state_machine": True}}
)
_MOCK.start()

import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TextIO  # noqa: E402

import boto3  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402

from devstack import privilege  # noqa: E402
from devstack.aws_calls import CallLog  # noqa: E402
from devstack.provision import Provisioned, reset_tables  # noqa: E402
from devstack.stack import LocalStack, run_local_stack  # noqa: E402
from devstack.template import Template  # noqa: E402
from ponte.domain.tenancy import Scope  # noqa: E402
from ponte.services import tenancy  # noqa: E402
from tests.integration.fuzz.probe import STATS  # noqa: E402
from tests.support.documents import CheckedClient  # noqa: E402
from tests.support.virtual_time import VirtualClock, virtual_time  # noqa: E402

# `make test` names a directory here: every AWS call each function makes is recorded and
# saved there with the template's policies, for the least-privilege check that follows.
CALL_LOG_DIR = os.environ.get("PONTE_CALL_LOG_DIR")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    state_dir = tmp_path_factory.mktemp("ponte-state")
    if not CALL_LOG_DIR:
        with run_local_stack(state_dir=state_dir) as local:
            yield local
        return
    log = CallLog(Template.region, Template.account)
    with log.installed(), run_local_stack(state_dir=state_dir) as local:
        yield local
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        privilege.save(Path(CALL_LOG_DIR), log, local.provisioned.template, worker)


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    """A client of the stack; every JSON answer it gets that an OpenAPI document describes is
    checked against it strictly (``tests.support.documents``)."""
    with CheckedClient(base_url=stack.base_url, timeout=30) as client:
        yield client


# Tests share the table: each works in its own tenant (`tenant` makes a new one), so what
# other tests stored is invisible to it, as another customer's data is in production. The
# table is emptied only when it has grown past this many items, because moto answers a Query
# on a global secondary index by reading every item of the table. A huge value (no reset at
# all) is how the suite is checked for tests that lean on an empty table.
TABLE_ITEM_LIMIT = int(os.environ.get("PONTE_TEST_TABLE_LIMIT", "1000"))


@dataclass
class _TableKeeper:
    provisioned: Provisioned
    session: boto3.session.Session = field(default_factory=boto3.session.Session)
    # Times the table was emptied: a fixture shared by several tests seeds again when it grows.
    resets: int = 0

    def __post_init__(self) -> None:
        # One session and client for all tests: a new boto3 session costs ~70 ms.
        self.client = self.session.client("dynamodb")

    def items(self) -> int:
        """moto counts the items on each DescribeTable (AWS refreshes it every ~6 hours)."""
        table = self.client.describe_table(TableName=self.provisioned.table_name)["Table"]
        return int(table["ItemCount"])

    def reset(self) -> None:
        reset_tables(self.provisioned, self.session)
        self.resets += 1


@pytest.fixture(scope="session")
def _table(stack: LocalStack) -> _TableKeeper:
    return _TableKeeper(stack.provisioned)


@pytest.fixture(autouse=True)
def _environment_kept() -> Iterator[None]:
    """A test that leaves the process environment changed (an endpoint, a table name) sends
    every later test elsewhere: fail it, by name, and put the environment back."""
    before = dict(os.environ)
    yield
    names = (before.keys() | os.environ.keys()) - {"PYTEST_CURRENT_TEST"}
    changed = sorted(k for k in names if before.get(k) != os.environ.get(k))
    if changed:
        os.environ.clear()
        os.environ.update(before)
        pytest.fail(f"the test left the environment changed: {', '.join(changed)}")


@pytest.fixture(autouse=True)
def _bounded_table(request: pytest.FixtureRequest) -> Iterator[None]:
    """An empty table before a test marked `fresh_table`; after any test of the stack, an
    emptied table if it has grown past TABLE_ITEM_LIMIT items (a cheap DescribeTable)."""
    if "stack" not in request.fixturenames:
        yield
        return
    table: _TableKeeper = request.getfixturevalue("_table")
    if request.node.get_closest_marker("fresh_table"):
        table.reset()
    yield
    if table.items() > TABLE_ITEM_LIMIT:
        table.reset()


@dataclass
class TenantFixture:
    id: str
    stack: LocalStack

    def api_key(self, scope: Scope = Scope.FULL, *, rate_limit: int | None = None) -> str:
        return tenancy.create_api_client(self.id, f"test {scope}", scope, rate_limit).api_key

    def token(self, role: str = "admin", **kwargs: object) -> str:
        return self.stack.idp.mint(self.id, role, **kwargs)  # type: ignore[arg-type]

    def headers(self, credential: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential}"}


def make_tenant(stack: LocalStack) -> TenantFixture:
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    tenancy.create_tenant(tenant_id, f"Tenant {tenant_id}")
    return TenantFixture(tenant_id, stack)


@pytest.fixture
def tenant(stack: LocalStack) -> TenantFixture:
    return make_tenant(stack)


@pytest.fixture
def other_tenant(stack: LocalStack) -> TenantFixture:
    return make_tenant(stack)


@pytest.fixture
def clock() -> Iterator[VirtualClock]:
    with virtual_time() as virtual:
        yield virtual


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def browser_page() -> Iterator[object]:
    """A page of Debian's headless chromium, driven by Playwright (`make test` installs it)."""
    if not Path(CHROMIUM).exists():
        pytest.fail("no headless browser: install Debian's chromium package (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="pt-BR")
        try:
            yield context.new_page()
        finally:
            browser.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: tests are handed out a file at a time, and a long module handed out
    last keeps one worker busy after the others are done."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


# The fuzz suite's figures: each pytest-xdist worker hands its own to the controller, which
# prints one summary for the run (these hooks live here because the controller loads this
# conftest, not the fuzz folder's).
def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fuzz"] = STATS.dump()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    dumped = getattr(node, "workeroutput", {}).get("fuzz")
    if dumped:
        STATS.add(dumped)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STATS.requests and not hasattr(terminalreporter.config, "workeroutput"):
        terminalreporter.write_line(STATS.summary())


class _ThisThread(io.TextIOBase):
    """A stream for one thread's writes: the CLI's output. What the stack's own threads
    print meanwhile (a worker's log or metric line) goes on to where it went."""

    def __init__(self, elsewhere: TextIO) -> None:
        self.thread, self.elsewhere, self.text = threading.get_ident(), elsewhere, io.StringIO()

    def write(self, text: str) -> int:
        if threading.get_ident() == self.thread:
            return self.text.write(text)
        return self.elsewhere.write(text)

    def flush(self) -> None:
        self.elsewhere.flush()


@pytest.fixture
def cli(
    stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
):  # type: ignore[no-untyped-def]
    """``cli(*argv)`` runs `ponte` on the stack: (exit code, its JSON output or text);
    ``cli.stderr`` holds what it printed there."""
    from ponte import aws
    from ponte.settings import get_settings
    from ponte_cli.main import main

    # The CLI points the process at its target through the environment (it sets variables
    # that may have been absent, which monkeypatch would not restore): put it all back after.
    saved = dict(os.environ)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .ponte/dev.json from a developer's `make dev`

    def run(*argv: str, table: bool = True) -> tuple[int, object]:
        out, err = _ThisThread(sys.stdout), _ThisThread(sys.stderr)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main((["--table", stack.table_name] if table else []) + list(argv))
        text, run.stderr = out.text.getvalue(), err.text.getvalue()  # type: ignore[attr-defined]
        return code, (json.loads(text) if text.strip().startswith(("{", "[")) else text.strip())

    yield run
    monkeypatch.undo()
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()
    aws.reset_clients()

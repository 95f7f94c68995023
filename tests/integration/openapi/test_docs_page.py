"""The local stack's /docs: each API's document as generated, and Swagger UI listing every
API in a real headless browser, with nothing fetched from outside the stack."""

from __future__ import annotations

import httpx

from devstack.apidocs import document_path
from devstack.stack import LocalStack
from openapi.apis import APIS
from openapi.spec import document


def test_the_stack_serves_each_document_as_generated(api: httpx.Client) -> None:
    for described in APIS:
        answer = api.get(document_path(described.name))
        assert answer.status_code == 200, described.name
        assert answer.json() == document(described)


def test_docs_lists_every_api_in_swagger_ui(stack: LocalStack, browser_page: object) -> None:
    from playwright.sync_api import Page, Request, expect

    page: Page = browser_page  # type: ignore[assignment]
    outside: list[str] = []

    def watch(request: Request) -> None:
        if not request.url.startswith(stack.base_url):
            outside.append(request.url)

    page.on("request", watch)
    page.goto(f"{stack.base_url}/docs")
    for described in APIS:
        expect(page.locator("#apis").get_by_role("link", name=described.title)).to_be_visible()
    picker = page.locator(".topbar select")
    expect(picker).to_be_visible()
    assert picker.locator("option").all_inner_texts() == [a.title for a in APIS]

    expect(page.locator(".info .title")).to_contain_text(APIS[0].title)
    expect(page.locator(".opblock").first).to_be_visible()  # the operations rendered
    picker.select_option(label="Connectors API")
    expect(page.locator(".info .title")).to_contain_text("Connectors API")
    expect(page.get_by_text("/api/v1/sync/connections", exact=True).first).to_be_visible()
    assert outside == []

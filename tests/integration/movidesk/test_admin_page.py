"""The Movidesk admin page in a real headless browser (Debian's chromium, driven by
Playwright): sign in through the local identity provider, set sync times, refuse a 6-day
period, sync 3 days with progress and the result line, find a synced ticket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ponte.services import movidesk as service
from tests.integration.movidesk.conftest import Movidesk
from tests.support.virtual_time import VirtualClock, virtual_time

SCREENSHOT = Path(".ponte/movidesk-page.png")


@pytest.fixture(autouse=True)
def clock() -> Iterator[VirtualClock]:
    """The browser reads the real date: the stack's clock starts there too."""
    with virtual_time(datetime.now(UTC)) as virtual:
        yield virtual


def test_an_admin_sets_times_syncs_and_finds_a_ticket(
    movidesk: Movidesk, browser_page: object, clock: VirtualClock
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    movidesk.configure()
    ids = movidesk.fake.add(movidesk.token, 30, at=clock.now() - timedelta(days=1))
    movidesk.fake.add(movidesk.token, 5, at=clock.now() - timedelta(days=6))  # outside 3 days
    base = movidesk.stack.base_url

    page.goto(f"{base}/admin/integrations/movidesk/tickets")
    expect(page.get_by_role("heading", name="Entrar (ambiente local)")).to_be_visible()
    page.get_by_label("Tenant").fill(movidesk.tenant.id)
    page.get_by_label("Papel").select_option("admin")
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", name="Sincronização Automática")).to_be_visible()
    expect(page.get_by_text("Token configurado")).to_be_visible()

    for time in ("08:00", "18:00"):
        page.get_by_label("Novo horário").fill(time)
        page.get_by_role("button", name="Adicionar horário").click()
        expect(page.get_by_role("button", name=f"Remover {time}")).to_be_visible()
    assert len(service.schedule_names(movidesk.tenant.id)) == 2
    page.get_by_role("button", name="Remover 18:00").click()
    expect(page.get_by_role("button", name="Remover 18:00")).to_have_count(0)
    assert len(service.schedule_names(movidesk.tenant.id)) == 1

    today = page.get_by_label("Até", exact=True).input_value()
    six_days_before = (datetime.fromisoformat(today) - timedelta(days=5)).date().isoformat()
    page.get_by_label("De", exact=True).fill(six_days_before)
    page.get_by_role("button", name="Sincronizar Agora").click()
    expect(page.get_by_text("O período pode ter no máximo 5 dias")).to_be_visible()
    assert movidesk.get("/runs").json()["data"] == []

    three_days_before = (datetime.fromisoformat(today) - timedelta(days=2)).date().isoformat()
    page.get_by_label("De", exact=True).fill(three_days_before)
    page.get_by_role("button", name="Sincronizar Agora").click()
    expect(
        page.get_by_text("Sincronização concluída! Novos: 30, Atualizados: 0, Total: 30")
    ).to_be_visible(timeout=60_000)

    ticket = movidesk.fake.accounts[movidesk.token].tickets[ids[3]]
    page.get_by_label("Buscar").fill(ticket["protocol"])
    page.get_by_role("button", name="Filtrar").click()
    expect(page.get_by_role("cell", name=ticket["subject"])).to_be_visible()
    expect(page.locator("#ticket-rows tr")).to_have_count(1)
    expect(page.get_by_role("cell", name="Manual")).to_be_visible()  # the recent runs
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

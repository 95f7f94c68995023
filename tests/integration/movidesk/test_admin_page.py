"""The Movidesk admin page in a real headless browser (Debian's chromium, driven by
Playwright): sign in through the local identity provider, set sync times, refuse a 6-day
period, sync 3 days with progress and the result line, find a synced ticket; on a phone
(390 px) every field of a ticket and a run as a labelled card, the next runs as dates, the
token's state, the progress after a refusal and a ticket's detail; on a wide screen (1280
px) the tables as tables and a row that opens its ticket, by mouse or keyboard."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ponte.domain.movidesk import ZONE as SAO_PAULO
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


NEXT_RUN = re.compile(r"(dom|seg|ter|qua|qui|sex|sáb)\., \d\d/\d\d às (08|18):00")
DAY = r"\d\d/\d\d/\d{4}"
TICKET_LABELS = ("Ticket", "Assunto", "Status", "Cliente", "Atualizado")
RUN_LABELS = ("Início", "Origem", "Período", "Status", "Resultado")
HISTORY = [
    {"status": "Novo", "changedDate": "2025-10-15T12:00:00", "justification": None,
     "changedBy": {"id": "7", "businessName": "Agente Ana"}},
    {"status": "Em atendimento", "changedDate": "2025-10-15T12:30:00",
     "justification": "Em análise", "changedBy": {"id": "7", "businessName": "Agente Ana"}},
]  # fmt: skip


def _sign_in(page: Any, movidesk: Movidesk) -> None:
    from playwright.sync_api import expect

    page.goto(f"{movidesk.stack.base_url}/admin/integrations/movidesk/tickets")
    page.get_by_label("Tenant").fill(movidesk.tenant.id)
    page.get_by_label("Papel").select_option("admin")
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", name="Sincronização Automática")).to_be_visible()


def _no_sideways_scroll(page: Any) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width <= inner, (width, inner)


def _placeholder_fits(page: Any, selector: str) -> None:
    """The placeholder's text is no wider than the field's text box."""
    text, room = page.eval_on_selector(
        selector,
        """(field) => {
            const style = getComputedStyle(field);
            const context = document.createElement("canvas").getContext("2d");
            context.font = style.font;
            const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
            return [context.measureText(field.placeholder).width, field.clientWidth - padding];
        }""",
    )
    assert text <= room, (selector, text, room)


def _card_shows_every_field(page: Any, row: Any, labels: tuple[str, ...]) -> None:
    """Each cell of the row is visible with its label, inside the screen's width."""
    from playwright.sync_api import expect

    inner = page.evaluate("innerWidth")
    for index, label in enumerate(labels):
        cell = row.locator("td").nth(index)
        expect(cell.locator(".cell-label")).to_have_text(label)
        expect(cell.locator(".cell-label")).to_be_visible()
        box = cell.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= inner, (label, box)


def test_on_a_phone_every_field_shows_and_the_page_says_what_happened(
    movidesk: Movidesk, browser_page: object, clock: VirtualClock
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    movidesk.fake.add_account(movidesk.token)
    synced = movidesk.fake.add(movidesk.token, 4, at=clock.now() - timedelta(days=1), actions=2)
    _sign_in(page, movidesk)
    token = page.get_by_label("Token da API do Movidesk")

    # The state alone says whether a token is set; the field says what to do.
    expect(page.locator("#notice")).to_be_hidden()  # no blank band while there is no notice
    expect(page.locator("#token-state")).to_have_text("Token não configurado")
    expect(token).to_have_attribute("placeholder", "Cole o token da API")
    token.fill(movidesk.token)
    page.get_by_role("button", name="Salvar token").click()
    expect(page.locator("#token-state")).to_have_text("Token configurado")
    expect(token).to_have_attribute("placeholder", "Cole um novo token para trocar")
    expect(token).to_have_value("")
    expect(page.get_by_text("Token não configurado")).to_have_count(0)

    page.get_by_label("Endereço da conta no Movidesk").fill("https://Suporte-Acme.movidesk.com/")
    page.get_by_role("button", name="Salvar endereço").click()
    expect(page.get_by_label("Endereço da conta no Movidesk")).to_have_value("suporte-acme")
    for time in ("08:00", "18:00"):
        page.get_by_label("Novo horário").fill(time)
        page.get_by_role("button", name="Adicionar horário").click()
        expect(page.get_by_role("button", name=f"Remover {time}")).to_be_visible()
    next_runs = page.get_by_role("list", name="Próximas execuções").get_by_role("listitem")
    expect(next_runs.first).to_be_visible()
    texts = next_runs.all_inner_texts()
    assert 2 <= len(texts) <= 4, texts  # what is left of today's times, and tomorrow's
    for text in texts:
        assert NEXT_RUN.fullmatch(text), text

    page.get_by_role("button", name="Sincronizar Agora").click()
    expect(page.locator("#sync-result")).to_have_text(
        "Sincronização concluída! Novos: 4, Atualizados: 0, Total: 4", timeout=60_000
    )
    page.get_by_role("button", name="Sincronizar Agora").click()
    expect(page.locator("#sync-result")).to_have_text(
        "Sincronização concluída! Novos: 0, Atualizados: 0, Total: 0", timeout=60_000
    )
    expect(page.locator("#sync-summary")).to_have_text(
        "4 tickets lidos no Movidesk, 4 sem alterações desde a última sincronização."
    )
    expect(page.locator("#progress-box")).to_be_visible()
    today = page.get_by_label("Até", exact=True).input_value()
    ten_days = (datetime.fromisoformat(today) - timedelta(days=9)).date().isoformat()
    page.get_by_label("De", exact=True).fill(ten_days)
    page.get_by_role("button", name="Sincronizar Agora").click()
    expect(page.locator("#sync-result")).to_have_text("O período pode ter no máximo 5 dias")
    expect(page.locator("#progress-box")).to_be_hidden()
    expect(page.locator("#sync-summary")).to_have_text("")

    # Every field of a ticket and of a run, labelled, without sideways scrolling.
    expect(page.locator("#ticket-rows tr")).to_have_count(4)
    expect(page.locator("#run-rows tr")).to_have_count(2)
    _no_sideways_scroll(page)
    _placeholder_fits(page, "#q")
    _card_shows_every_field(page, page.locator("#ticket-rows tr").first, TICKET_LABELS)
    newest_run = page.locator("#run-rows tr").first
    _card_shows_every_field(page, newest_run, RUN_LABELS)
    expect(newest_run.locator("td").nth(2)).to_have_text(re.compile(f"Período{DAY} até {DAY}"))
    expect(newest_run.locator("td").nth(4)).to_contain_text("4 lidos, 4 sem alterações")

    # A synced ticket's detail: its conversation and clients, and its page in Movidesk.
    ticket = movidesk.fake.accounts[movidesk.token].tickets[synced[0]]
    page.get_by_role("button", name=f"Ver detalhes do ticket {ticket['protocol']}").click()
    detail = page.get_by_role("dialog")
    expect(detail.get_by_role("heading", name=f"Ticket {ticket['protocol']}")).to_be_visible()
    expect(detail.get_by_role("list", name="Conversa").get_by_role("listitem")).to_have_count(2)
    expect(detail.get_by_text(ticket["actions"][1]["description"])).to_be_visible()
    expect(detail.get_by_role("list", name="Clientes")).to_contain_text(
        ticket["clients"][0]["businessName"]
    )
    link = detail.get_by_role("link", name="Abrir no Movidesk")
    expect(link).to_have_attribute(
        "href", f"https://suporte-acme.movidesk.com/Ticket/Edit/{synced[0]}"
    )
    _no_sideways_scroll(page)
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()

    # A ticket stored with its status history (the fake has none to sync).
    movidesk.store_ticket(
        {"id": 770001, "protocol": "2025770001", "subject": "Rede lenta no laboratório",
         "status": "Em atendimento", "baseStatus": "InAttendance",
         "clients": [{"id": "9", "businessName": "Escola Norte", "email": "norte@example.com"}],
         "actions": [{"id": 1, "type": 2, "description": "A rede está lenta desde ontem.",
                      "createdDate": "2025-10-15T12:00:00"},
                     {"id": 2, "type": 1, "description": "Verificando o roteador.",
                      "createdDate": "2025-10-15T12:30:00"}],
         "statusHistories": HISTORY, "lastUpdate": "2025-10-15T12:30:00"},
        clock.now(),
    )  # fmt: skip
    page.get_by_role("button", name="Início").click()
    button = page.get_by_role("button", name="Ver detalhes do ticket 2025770001")
    button.click()
    expect(detail.get_by_text("Rede lenta no laboratório")).to_be_visible()
    history = detail.get_by_role("list", name="Histórico de status").get_by_role("listitem")
    expect(history).to_have_count(2)
    expect(history.nth(1)).to_contain_text("Em atendimento")
    expect(history.nth(1)).to_contain_text(
        "15/10/2025, 09:30 · Agente Ana · Justificativa: Em análise"
    )
    expect(detail.get_by_role("list", name="Clientes")).to_contain_text("norte@example.com")
    expect(detail.get_by_role("list", name="Conversa")).to_contain_text("Interna")
    page.screenshot(path=str(SCREENSHOT.with_name("movidesk-detail-390.png")))
    detail.get_by_role("button", name="Fechar").click()
    expect(detail).to_be_hidden()
    expect(button).to_be_focused()


def test_on_a_wide_screen_the_tables_stay_tables_and_a_row_opens_its_ticket(
    movidesk: Movidesk, browser_page: object, clock: VirtualClock
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    page.set_viewport_size({"width": 1280, "height": 900})
    movidesk.configure()
    now = clock.now().astimezone(SAO_PAULO)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ids = movidesk.fake.add(movidesk.token, 2, at=midnight + (now - midnight) / 2)  # today
    movidesk.run_manual(now.date().isoformat(), now.date().isoformat())
    _sign_in(page, movidesk)

    expect(page.locator("#ticket-rows tr")).to_have_count(2)
    expect(page.locator("#run-rows tr")).to_have_count(1)
    for table, header in (("#tickets-table", "Cliente"), ("#runs-table", "Resultado")):
        assert page.eval_on_selector(table, "t => getComputedStyle(t).display") == "table"
        expect(page.locator(table).get_by_role("columnheader", name=header)).to_be_visible()
        expect(page.locator(f"{table} .cell-label").first).to_be_hidden()
        cell = page.locator(f"{table} tbody td").first
        assert cell.evaluate("td => getComputedStyle(td).display") == "table-cell"
    expect(page.locator("#run-rows td").nth(2)).to_have_text(re.compile(DAY))
    _no_sideways_scroll(page)
    _placeholder_fits(page, "#q")

    ticket = movidesk.fake.accounts[movidesk.token].tickets[ids[1]]
    page.get_by_role("cell", name=ticket["subject"]).click()  # anywhere on the row
    detail = page.get_by_role("dialog")
    expect(detail.get_by_role("heading", name=f"Ticket {ticket['protocol']}")).to_be_visible()
    expect(detail.get_by_text("Para abrir o ticket no Movidesk")).to_be_visible()  # no subdomain
    expect(detail.get_by_role("link", name="Abrir no Movidesk")).to_be_hidden()
    expect(detail.get_by_text("O histórico de status ainda não vem")).to_be_visible()
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()

    button = page.get_by_role("button", name=f"Ver detalhes do ticket {ticket['protocol']}")
    button.focus()
    page.keyboard.press("Enter")  # by keyboard
    expect(detail.get_by_role("heading", name=f"Ticket {ticket['protocol']}")).to_be_visible()
    expect(detail.get_by_role("button", name="Fechar")).to_be_focused()
    page.keyboard.press("Escape")
    expect(detail).to_be_hidden()
    expect(button).to_be_focused()

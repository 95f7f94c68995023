"""/admin/people in a real headless browser (Debian's chromium, through Playwright): sign in
through the local identity provider, settle a conflict, search, open a person's card and
timeline, move to their guardian; at desktop and phone widths."""

from __future__ import annotations

from typing import Any

from tests.integration.connectors.conftest import Connectors
from tests.integration.people.conftest import School, cpf


def _sign_in(page: Any, school: School, role: str = "admin", email: str = "") -> None:
    from playwright.sync_api import expect

    page.goto(f"{school.stack.base_url}/admin/people")
    expect(page.get_by_role("heading", name="Entrar (ambiente local)")).to_be_visible()
    page.get_by_label("Tenant").fill(school.tenant.id)
    if email:
        page.get_by_label("E-mail").fill(email)
    page.get_by_label("Papel").select_option(role)
    page.get_by_role("button", name="Entrar").click()
    expect(page.get_by_role("heading", name="Buscar")).to_be_visible()  # signed in


def _no_sideways_scroll(page: Any) -> None:
    width, inner = page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert width <= inner, (width, inner)


def _school_with_a_conflict(school: School, connectors: Connectors) -> tuple[str, str]:
    """Two siblings and their guardian; a Zendesk user whose email is Ana's and whose phone
    is Caio's (a conflict), and a ticket that user asked."""
    guardian = {"name": "Marta Souza", "email": "marta@familia.com.br"}
    school.students(
        {"code": "S1", "name": "Ana Lima", "email": "ana@aluno.edu.br", "cpf": cpf(1),
         "guardians": [guardian]},
        {"code": "S2", "name": "Caio Lima", "email": "caio@aluno.edu.br", "cpf": cpf(2),
         "phone": "+55 11 98888-7777", "guardians": [guardian]},
    )  # fmt: skip
    connection, subdomain = connectors.zendesk_connection()
    zendesk = connectors.zendesk
    user = {"email": "ana@aluno.edu.br", "phone": "11988887777"}
    mixed = zendesk.add(subdomain, "users", 1, fields=user)[0]
    asked = {"requester_id": mixed, "subject": "Boleto de março"}
    ticket = zendesk.add(subdomain, "tickets", 1, fields=asked)[0]
    assert connectors.run(connection)["status"] == "success"
    return str(mixed), str(ticket)


def test_an_admin_settles_a_conflict_and_follows_a_student_to_their_guardian_on_a_desktop(
    school: School, connectors: Connectors, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    page.set_viewport_size({"width": 1280, "height": 900})
    _, ticket = _school_with_a_conflict(school, connectors)
    _sign_in(page, school)

    conflicts = page.get_by_role("list", name="Vínculos a decidir").get_by_role("listitem")
    expect(conflicts).to_have_count(1)
    expect(conflicts.first).to_contain_text("Zendesk")
    conflicts.first.get_by_role("button", name="É Caio Lima (Aluno(a), por telefone)").click()
    expect(page.locator("#notice")).to_have_text("Vínculo confirmado: Caio Lima.")
    expect(page.get_by_text("Nenhum vínculo a decidir.")).to_be_visible()

    page.get_by_label("Nome, e-mail ou CPF").fill("caio lima")
    page.get_by_role("button", name="Buscar").click()
    results = page.get_by_role("list", name="Pessoas encontradas").get_by_role("listitem")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("2 registros vinculados")  # the user and its ticket
    results.first.get_by_role("button", name="Caio Lima").click()
    expect(page.get_by_role("heading", name="Caio Lima")).to_be_visible()
    expect(page.locator("#card")).to_contain_text(cpf(2))  # an admin sees the whole CPF
    entries = page.get_by_role("list", name="Registros nos outros sistemas").get_by_role("listitem")
    expect(entries).to_have_count(2)
    expect(entries.filter(has_text="Usuário")).to_contain_text("Confirmado")  # the decision
    opened = entries.filter(has_text="Boleto de março")
    expect(opened).to_contain_text("Vinculado")  # through its requester
    link = opened.get_by_role("link", name="abrir no Zendesk")
    assert str(link.get_attribute("href")).endswith(f"/agent/tickets/{ticket}")

    page.get_by_role("button", name="Marta Souza").click()
    expect(page.get_by_role("heading", name="Marta Souza")).to_be_visible()
    expect(page.locator("#card")).to_contain_text("Ana Lima")
    expect(page.locator("#card")).to_contain_text("Caio Lima")
    expect(page.get_by_text("Nenhum registro vinculado a esta pessoa.")).to_be_visible()
    _no_sideways_scroll(page)


def test_a_coordinator_on_a_phone_finds_their_units_people_with_cpfs_masked(
    school: School, connectors: Connectors, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    school.students(
        {"code": "S1", "name": "Ana Lima", "email": "ana@aluno.edu.br", "cpf": cpf(1)},
        {"code": "S9", "name": "Ana Norte", "email": "norte@aluno.edu.br", "cpf": cpf(9),
         "course_code": "ENF001"},
    )  # fmt: skip
    # The coordinator of the TECH area, whose unit is CAMPUS_CENTRO (S9 studies elsewhere).
    _sign_in(page, school, role="coordinator", email="coord.tech@faculdade.edu.br")
    # The pages' shared styles: a button is the accent colour, a secondary one white.
    expect(page.get_by_role("button", name="Buscar")).to_have_css(
        "background-color", "rgb(31, 95, 191)"
    )
    expect(page.get_by_role("button", name="Sair")).to_have_css(
        "background-color", "rgb(255, 255, 255)"
    )
    page.get_by_label("Nome, e-mail ou CPF").fill("ana")
    page.get_by_role("button", name="Buscar").click()
    results = page.get_by_role("list", name="Pessoas encontradas").get_by_role("listitem")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Ana Lima")
    expect(results.first).to_contain_text(f"***.{cpf(1)[3:6]}.{cpf(1)[6:9]}-**")
    expect(results.first).to_contain_text("0 registros vinculados")
    results.first.get_by_role("button", name="Ana Lima").click()
    expect(page.get_by_role("heading", name="Ana Lima")).to_be_visible()
    expect(page.locator("#card")).to_contain_text("CAMPUS_CENTRO")
    expect(page.locator("#card")).not_to_contain_text(cpf(1))
    expect(page.get_by_text("Nenhum registro vinculado a esta pessoa.")).to_be_visible()
    _no_sideways_scroll(page)

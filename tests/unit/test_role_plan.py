"""How a slave's roles are made the master's (seed 001): match by name, normalised rights."""

from __future__ import annotations

from typing import Any

from ponte.domain.kommo import normalize_rights, plan_roles


def role(name: str, role_id: int = 0, **rights: Any) -> dict[str, Any]:
    return {"id": role_id, "name": name, "rights": rights}


def test_create_update_delete_and_skip() -> None:
    master = [role("Vendas", mail_access=True), role("Suporte"), role("Novo")]
    slave = [role("vendas ", 1), role("Suporte", 2), role("Antigo", 3)]

    plan = plan_roles(master, slave)

    assert [(op["op"], op["name"]) for op in plan.operations] == [
        ("create", "Novo"),
        ("update", "vendas "),
        ("delete", "Antigo"),
    ]
    assert plan.skipped == 1


def test_system_roles_are_never_deleted() -> None:
    plan = plan_roles(
        [role("Vendas")], [role("Vendas", 1), role("Admin", 2), role("ADMINISTRATOR", 3)]
    )

    assert plan.operations == []
    assert plan.skipped == 3


def test_rights_that_kommo_applies_the_same_compare_equal() -> None:
    broad = {"leads": {"view": "M", "edit": "A", "delete": "A", "export": "A"}}
    applied = {
        "leads": {"view": "M", "edit": "M", "delete": "M", "export": "M"},
        "mail_access": False,
        "catalog_access": False,
        "status_rights": [],
    }
    stages = [
        {"pipeline_id": 2, "status_id": 1, "rights": {"view": "A"}},
        {"pipeline_id": 1, "status_id": 9, "rights": {"view": "D"}},
    ]

    assert normalize_rights(broad) == normalize_rights(applied)
    assert normalize_rights({"status_rights": stages}) == normalize_rights(
        {"status_rights": list(reversed(stages)), "mail_access": False}
    )
    assert normalize_rights({"mail_access": True}) != normalize_rights({})

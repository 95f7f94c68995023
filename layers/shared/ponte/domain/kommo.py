"""Kommo role sync: accounts, and how a slave's roles are made the master's.

Roles match by name (trimmed, any case). A slave role whose rights differ from the master's
after normalisation is updated; a master role the slave lacks is created; a slave role the
master lacks is deleted — except system roles (admin, administrator), which are never deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

SYSTEM_ROLES = frozenset({"admin", "administrator"})
RoleKind = Literal["master", "slave"]
# Kommo's rights levels, from the broadest: all, group, only-responsible ("main"), denied.
_RANK = {"A": 0, "G": 1, "M": 2, "D": 3}
_ENTITIES = ("leads", "contacts", "companies")


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    subdomain: str
    role: RoleKind
    active: bool
    created_at: str
    updated_at: str

    def public(self) -> dict[str, Any]:
        """The account as the API shows it (the token never is)."""
        return {
            "id": self.id,
            "subdomain": self.subdomain,
            "role": self.role,
            "active": self.active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def role_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _stricter(*levels: Any) -> Any:
    known = [lv for lv in levels if lv in _RANK]
    return max(known, key=_RANK.__getitem__) if known else levels[0]


def normalize_rights(rights: dict[str, Any] | None) -> dict[str, Any]:
    """Rights as Kommo applies them, so two spellings of the same rights compare equal: a
    right is never broader than view (edit, export), delete never broader than edit;
    stage rights in a stable order; absent flags are false, absent stage rights empty."""
    rights = json.loads(json.dumps(rights or {}))
    for entity in _ENTITIES:
        actions = rights.get(entity)
        if not isinstance(actions, dict):
            continue
        view = actions.get("view")
        if "edit" in actions:
            actions["edit"] = _stricter(actions["edit"], view)
        if "export" in actions:
            actions["export"] = _stricter(actions["export"], view)
        if "delete" in actions:
            actions["delete"] = _stricter(actions["delete"], view, actions.get("edit"))
    rights["mail_access"] = bool(rights.get("mail_access", False))
    rights["catalog_access"] = bool(rights.get("catalog_access", False))
    stages = rights.get("status_rights") or []
    rights["status_rights"] = sorted(
        stages, key=lambda s: (str(s.get("pipeline_id")), str(s.get("status_id")))
    )
    return rights


@dataclass(slots=True)
class RolePlan:
    """What a slave needs: operations in order (create, update, delete) and what is kept."""

    operations: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0


def plan_roles(master: list[dict[str, Any]], slave: list[dict[str, Any]]) -> RolePlan:
    wanted: dict[str, dict[str, Any]] = {}
    for role in master:
        wanted.setdefault(role_key(str(role["name"])), role)
    present: dict[str, dict[str, Any]] = {}
    extra: list[dict[str, Any]] = []
    for role in slave:
        key = role_key(str(role["name"]))
        if key in present:  # a second slave role of the same name: not the master's
            extra.append(role)
        else:
            present[key] = role
    result = RolePlan()
    for key, role in wanted.items():
        rights = role.get("rights") or {}
        found = present.get(key)
        if found is None:
            result.operations.append({"op": "create", "name": role["name"], "rights": rights})
        elif normalize_rights(found.get("rights")) != normalize_rights(rights):
            result.operations.append(
                {"op": "update", "id": found["id"], "name": found["name"], "rights": rights}
            )
        else:
            result.skipped += 1
    for key, role in [
        *((k, r) for k, r in present.items() if k not in wanted),
        *((role_key(str(r["name"])), r) for r in extra),
    ]:
        if key in SYSTEM_ROLES:
            result.skipped += 1  # system roles are never deleted
        else:
            result.operations.append({"op": "delete", "id": role["id"], "name": role["name"]})
    order = {"create": 0, "update": 1, "delete": 2}
    result.operations.sort(key=lambda op: order[op["op"]])  # stable: master order within
    return result

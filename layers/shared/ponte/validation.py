"""Validation errors in the APIs' Portuguese, keyed by dotted field path."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Pydantic error types in the APIs' Portuguese; a model may raise its own Portuguese messages
# (ValueError in a validator), which pass through as they are.
_MESSAGES = {
    "missing": "Campo obrigatório",
    "string_type": "Deve ser um texto",
    "string_too_short": "Deve ter ao menos {min_length} caractere(s)",
    "string_too_long": "Deve ter no máximo {max_length} caracteres",
    "int_type": "Deve ser um número inteiro",
    "int_parsing": "Deve ser um número inteiro",
    "float_type": "Deve ser um número",
    "float_parsing": "Deve ser um número",
    "bool_type": "Deve ser verdadeiro ou falso",
    "bool_parsing": "Deve ser verdadeiro ou falso",
    "list_type": "Deve ser uma lista",
    "dict_type": "Deve ser um objeto",
    "model_type": "Deve ser um objeto",
    "enum": "Valor inválido. Opções: {expected}",
    "literal_error": "Valor inválido. Opções: {expected}",
    "greater_than_equal": "Deve ser maior ou igual a {ge}",
    "less_than_equal": "Deve ser menor ou igual a {le}",
    "too_short": "Deve ter ao menos {min_length} item(ns)",
    "too_long": "Deve ter no máximo {max_length} itens",
    "extra_forbidden": "Campo não permitido",
}


TOKEN_CHARACTERS = "Use apenas caracteres ASCII visíveis (sem acentos, espaços ou controles)"


def header_safe(value: str) -> str:
    """A credential that travels in an HTTP header (a vendor token): printable ASCII, no
    space. Anything else cannot be sent (httpx refuses to encode it), so it is refused when
    it is given, and the message never repeats it."""
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError(TOKEN_CHARACTERS)
    return value


def field_errors(raw: Iterable[Any]) -> dict[str, list[str]]:
    """Pydantic validation errors keyed by dotted field path, with Portuguese messages."""
    result: dict[str, list[str]] = {}
    for item in raw:
        name = ".".join(str(part) for part in item.get("loc", ())) or "body"
        kind = str(item.get("type", ""))
        if kind in {"too_long", "too_short"} and isinstance(item.get("input"), str):
            kind = f"string_{kind}"  # a text's length is in characters, not items
        template = _MESSAGES.get(kind)
        if (
            kind in {"too_short", "string_too_short"}
            and (item.get("ctx") or {}).get("actual_length") == 0
            and isinstance(item.get("input"), str)
        ):
            message = "Campo obrigatório"
        elif kind == "value_error":
            message = str(item.get("ctx", {}).get("error") or item.get("msg"))
        elif template:
            try:
                message = template.format(**(item.get("ctx") or {}))
            except (KeyError, IndexError):
                message = template.split(".")[0]
        else:
            message = "Valor inválido"
        result.setdefault(name, []).append(message)
    return result

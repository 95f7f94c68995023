"""A person's identifiers as Ponte compares them across systems.

Each system writes an email, a CPF or a phone its own way (``Ana@Escola.br ``,
``123.456.789-09``, ``(11) 98765-4321``); two records name the same person only when the
normalised forms are equal. A value that cannot be one (an email without a domain, a CPF
whose check digits are wrong, a number no carrier could dial) identifies nobody.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ponte.domain import cpf as cpf_rules

# Brazil: a number written without a country code is a Brazilian one.
DEFAULT_REGION = "BR"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


class By(StrEnum):
    """What a link matched on, in the order a person reads them."""

    EMAIL = "email"
    CPF = "cpf"
    PHONE = "phone"


@dataclass(frozen=True, order=True)
class Identifier:
    by: By
    value: str

    @property
    def text(self) -> str:
        """``email#ana@escola.br``: how an identifier is written in keys and messages."""
        return f"{self.by.value}#{self.value}"

    @classmethod
    def parse(cls, text: str) -> Identifier | None:
        by, _, value = text.partition("#")
        try:
            return cls(By(by), value) if value else None
        except ValueError:
            return None


def email(raw: object) -> str | None:
    """Trimmed and lower-cased; None for what cannot be an address."""
    if not isinstance(raw, str):
        return None
    value = raw.strip().lower()
    return value if _EMAIL.match(value) else None


def cpf(raw: object) -> str | None:
    """11 ASCII digits once dots, dashes and spaces are gone, with valid check digits."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = f"{raw:011d}"
    if not isinstance(raw, str):
        return None
    digits = cpf_rules.normalize(raw).replace(" ", "").replace("/", "")
    return digits if cpf_rules.has_valid_check_digits(digits) else None


def phone(raw: object, region: str = DEFAULT_REGION) -> str | None:
    """E.164 (``+5511987654321``); a number without a country code is ``region``'s."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        return None
    import phonenumbers  # its metadata costs ~0.1 s to load: only where a phone is read

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_NORMALISE = {By.EMAIL: email, By.CPF: cpf, By.PHONE: phone}


def identify(by: By, raw: object) -> Identifier | None:
    value = _NORMALISE[by](raw)
    return Identifier(by, value) if value else None


def collect(pairs: Iterable[tuple[By, object]]) -> frozenset[Identifier]:
    """The identifiers among raw values, those that identify nobody left out."""
    found = (identify(by, raw) for by, raw in pairs)
    return frozenset(i for i in found if i is not None)

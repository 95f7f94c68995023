"""CPF (Brazilian taxpayer id): 11 digits once ``.`` and ``-`` are stripped, two check digits.

A digit is an ASCII digit: full-width or superscript digits look like digits to
``str.isdigit`` and ``int``, but are no CPF (they would sit beside the same CPF in ASCII,
unique only by how they were typed)."""

from __future__ import annotations


def normalize(raw: str) -> str:
    return raw.replace(".", "").replace("-", "").strip()


def is_digits(cpf: str) -> bool:
    """11 ASCII digits."""
    return len(cpf) == 11 and cpf.isascii() and cpf.isdigit()


def has_valid_check_digits(cpf: str) -> bool:
    if not is_digits(cpf) or cpf == cpf[0] * 11:
        return False
    digits = [int(c) for c in cpf]
    for position in (9, 10):
        total = sum(
            d * w for d, w in zip(digits[:position], range(position + 1, 1, -1), strict=True)
        )
        check = (total * 10) % 11 % 10
        if digits[position] != check:
            return False
    return True

"""CPF (Brazilian taxpayer id): 11 digits once ``.`` and ``-`` are stripped, two check digits."""

from __future__ import annotations


def normalize(raw: str) -> str:
    return raw.replace(".", "").replace("-", "").strip()


def has_valid_check_digits(cpf: str) -> bool:
    if len(cpf) != 11 or not cpf.isdigit() or cpf == cpf[0] * 11:
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

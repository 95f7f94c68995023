"""One rule everywhere: what is a digit to the API is an ASCII digit. Python's str.isdigit,
int() and a regex's \\d also take superscript, full-width or Arabic-Indic digits."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ponte.connectors.base import normalised_time
from ponte.domain import cpf
from ponte.domain.academic import Student
from ponte.domain.hierarchy import PapelNaTurma

FULL_WIDTH_CPF = "\uff15\uff12\uff19\uff19\uff18\uff12\uff12\uff14\uff17\uff12\uff15"  # 52998224725
SUPERSCRIPT_CPF = "\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u2070\u00b9"


def test_a_role_number_is_ascii_digits() -> None:
    assert PapelNaTurma.parse("3") is PapelNaTurma.Professor
    assert PapelNaTurma.parse(" professor ") is PapelNaTurma.Professor
    for raw in ("\u00b2", "\uff13", "\u0663", "9" * 5000, "1_0", "+3"):
        assert PapelNaTurma.parse(raw) is None, raw


def test_a_cpf_is_eleven_ascii_digits() -> None:
    assert cpf.is_digits("52998224725")
    assert cpf.has_valid_check_digits("52998224725")
    for raw in (FULL_WIDTH_CPF, SUPERSCRIPT_CPF, "5299822472\u0665"):
        assert not cpf.is_digits(raw)
        assert not cpf.has_valid_check_digits(raw)  # never int("¹"): no ValueError


@pytest.mark.parametrize("raw", [FULL_WIDTH_CPF, SUPERSCRIPT_CPF, "529.982.247-2\uff15"])
def test_a_student_with_a_cpf_of_other_digits_is_refused_saying_why(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Student.model_validate(
            {"code": "s1", "name": "Ana", "email": "a@x.com", "course_code": "C", "cpf": raw}
        )
    assert "de 0 a 9" in str(refused.value)
    ascii_cpf = Student.model_validate(
        {
            "code": "s1",
            "name": "Ana",
            "email": "a@x.com",
            "course_code": "C",
            "cpf": "529.982.247-25",
        }
    )
    assert ascii_cpf.cpf == "52998224725"


def test_vendor_epoch_milliseconds_are_ascii_digits() -> None:
    assert normalised_time("1700000000000") == "2023-11-14T22:13:20.000Z"
    with pytest.raises(ValueError):
        normalised_time("\uff11700000000000")  # read as an ISO text, which it is not either

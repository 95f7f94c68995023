"""The hierarchy API's enums: numbers and names as the API documents them."""

from __future__ import annotations

from enum import IntEnum


class TipoInstituicao(IntEnum):
    Matriz = 1
    Filial = 2


TipoUnidade = TipoInstituicao  # units have the same two documented kinds


class StatusTurma(IntEnum):
    Ativa = 1
    Inativa = 2
    Suspensa = 3

    @classmethod
    def of(cls, stored: str) -> StatusTurma:
        """A turma's stored status (active/inactive/suspended) as the API's documented enum."""
        return {"inactive": cls.Inativa, "suspended": cls.Suspensa}.get(stored, cls.Ativa)


class PapelNaTurma(IntEnum):
    Aluno = 1
    Atleta = 2
    Professor = 3
    Treinador = 4
    Coordenador = 5
    Monitor = 6

    @classmethod
    def parse(cls, raw: str) -> PapelNaTurma | None:
        """A role by name (any case) or number, as ``buscar-usuarios?papel=`` takes it."""
        text = raw.strip()
        if text.isascii() and text.isdigit():  # a superscript or full-width digit is none
            return cls(int(text)) if len(text) < 4 and int(text) in cls._value2member_map_ else None
        return next((role for role in cls if role.name.casefold() == text.casefold()), None)


STAFF = frozenset(
    {PapelNaTurma.Professor, PapelNaTurma.Treinador, PapelNaTurma.Coordenador, PapelNaTurma.Monitor}
)

"""Checks of one value of an import file. Each checker returns the value as it is staged
(always a string) or raises ``Bad`` with the reason. Reasons never repeat the value of a
personal field (DNI, names): reports and logs carry no personal data."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date


class Bad(ValueError):
    """The value is wrong; the message says why."""


Checker = Callable[[str], str]

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,19}")
TRUE = frozenset({"1", "S", "SI", "SÍ", "TRUE", "T", "X"})
FALSE = frozenset({"", "0", "N", "NO", "FALSE", "F"})
EARLIEST_BIRTH = date(1900, 1, 1)


def text(max_len: int, required: bool = True) -> Checker:
    def check(value: str) -> str:
        value = value.strip()
        if required and not value:
            raise Bad("vacío")
        if len(value) > max_len:
            raise Bad(f"tiene {len(value)} caracteres; el máximo es {max_len}")
        return value

    return check


def co_hogar(value: str) -> str:
    if len(value) <= 20 and value.isascii() and value.isalnum():  # the common case, fast
        return value
    value = value.strip()
    if not value:
        raise Bad("vacío")
    if not _CODE.fullmatch(value):
        raise Bad(f"'{value[:30]}' no es un código de hogar (letras, dígitos y '-', hasta 20)")
    return value


def dni(value: str) -> str:
    value = value.strip()
    if not value:
        raise Bad("DNI vacío")
    if not (value.isascii() and value.isdigit()):
        raise Bad("el DNI solo admite dígitos")
    if len(value) != 8:
        raise Bad(f"el DNI debe tener 8 dígitos (tiene {len(value)})")
    return value


def digits(length: int, what: str, required: bool = True, pad: bool = False) -> Checker:
    def check(value: str) -> str:
        value = value.strip()
        if not value and not required:
            return ""
        if not (value.isascii() and value.isdigit()) or len(value) > length:
            raise Bad(f"'{value[:20]}' no es {what} ({length} dígitos)")
        if pad:
            return value.zfill(length)
        if len(value) != length:
            raise Bad(f"'{value[:20]}' no es {what} ({length} dígitos)")
        return value

    return check


def parse_date(value: str) -> date:
    """ISO (2025-03-31) or dd/mm/yyyy (31/03/2025)."""
    if len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    value = value.strip()
    try:
        if "/" in value:
            day, month, year = value.split("/")
            if len(year) != 4:
                raise ValueError
            return date(int(year), int(month), int(day))
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        shown = value[:20] if value else "(vacía)"
        raise Bad(f"fecha no válida {shown}: use AAAA-MM-DD o dd/mm/aaaa") from None


def any_date(value: str) -> str:
    return parse_date(value).isoformat()


def birth_date(on: date) -> Checker:
    """A birth date, not after ``on`` (the day of the import) nor before 1900."""

    def check(value: str) -> str:
        born = parse_date(value)
        if born > on:
            raise Bad("la fecha de nacimiento está en el futuro")
        if born < EARLIEST_BIRTH:
            raise Bad("la fecha de nacimiento es anterior a 1900")
        return born.isoformat()

    return check


def one_of(values: tuple[str, ...], what: str) -> Checker:
    allowed = frozenset(values)

    def check(value: str) -> str:
        value = value.strip().upper()
        if value not in allowed:
            raise Bad(f"'{value[:20]}' no es {what} ({' / '.join(values)})")
        return value

    return check


def flag(value: str) -> str:
    value = value.strip().upper()
    if value in TRUE:
        return "1"
    if value in FALSE:
        return "0"
    raise Bad(f"'{value[:10]}' no es sí/no (1/0, S/N)")

"""Which members are miembros objetivo on a given day (Title V, process 7: "tener miembros
objetivo"; issue 4): a gestante; a niño/a of 0–36 months; a niño/a, adolescente or joven in
school age, from 36 months until they turn 19. Computed, not stored, because it changes with
the calendar; ``kind_expr`` is the same rule as SQL for set-based queries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import case
from sqlalchemy.sql.elements import ColumnElement

from engine.padron.models import Miembro

GESTANTE = "gestante"
NINO_0_36 = "nino_0_36_meses"
ESCOLAR = "escolar"
KINDS = (GESTANTE, NINO_0_36, ESCOLAR)
ESCOLAR_HASTA_ANOS = 19
NINO_HASTA_MESES = 36


def _minus_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):  # 31 March − 1 month → 28/29 February
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def cutoffs(on: date) -> tuple[date, date]:
    """Born after the first date: under 36 months; after the second: under 19 years."""
    return _minus_months(on, NINO_HASTA_MESES), _minus_months(on, ESCOLAR_HASTA_ANOS * 12)


def member_kind(fecha_nacimiento: date, gestante: bool, on: date) -> str | None:
    """The member's kind on ``on``, or None when they are not a miembro objetivo."""
    if gestante:
        return GESTANTE
    nino, escolar = cutoffs(on)
    if fecha_nacimiento > nino:
        return NINO_0_36
    if fecha_nacimiento > escolar:
        return ESCOLAR
    return None


def kind_expr(on: date) -> ColumnElement[str]:
    nino, escolar = cutoffs(on)
    return case(
        (Miembro.gestante.is_(True), GESTANTE),
        (Miembro.fecha_nacimiento > nino, NINO_0_36),
        (Miembro.fecha_nacimiento > escolar, ESCOLAR),
        else_=None,
    )

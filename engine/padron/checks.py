"""The checks of an import that need the whole set (duplicates, references between the two
files and to the padrón), as SQL over the staging tables. Each reports file, line, column
and reason, without personal data."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from engine.padron.csvfiles import ErrorLog
from engine.padron.models import Hogar, Miembro
from engine.padron.staging import STG_HOGAR, STG_MIEMBRO

SH, SM = STG_HOGAR, STG_MIEMBRO


def _repeated(column, table) -> Select:  # type: ignore[no-untyped-def,type-arg]
    """(line, first line) of each row whose ``column`` value appeared on an earlier line."""
    first = (
        select(column.label("value"), func.min(table.c.line).label("first"))
        .group_by(column)
        .having(func.count() > 1)
        .subquery()
    )
    return (
        select(table.c.line, first.c.first)
        .join(first, first.c.value == column)
        .where(table.c.line > first.c.first)
        .order_by(table.c.line)
    )


def _titular_elsewhere() -> Select:  # type: ignore[type-arg]
    """Titular DNIs that already hold another hogar of the padrón, not in this file."""
    return (
        select(SH.c.line, Hogar.co_hogar)
        .join(Hogar, and_(Hogar.dni_titular == SH.c.dni_titular, Hogar.co_hogar != SH.c.co_hogar))
        .where(~exists().where(SH.c.co_hogar == Hogar.co_hogar).correlate(Hogar))
        .order_by(SH.c.line)
    )


def _member_without_hogar() -> Select:  # type: ignore[type-arg]
    return (
        select(SM.c.line, SM.c.co_hogar)
        .where(~exists().where(SH.c.co_hogar == SM.c.co_hogar))
        .order_by(SM.c.line)
    )


def _member_elsewhere() -> Select:  # type: ignore[type-arg]
    """Member DNIs already in another hogar of the padrón that this import does not bring."""
    other = aliased(Hogar)
    return (
        select(SM.c.line, other.co_hogar)
        .join(Miembro, Miembro.dni == SM.c.dni)
        .join(other, other.id == Miembro.hogar_id)
        .where(other.co_hogar != SM.c.co_hogar)
        .where(~exists().where(SH.c.co_hogar == other.co_hogar))
        .order_by(SM.c.line)
    )


CHECKS: tuple[tuple[str, str, Callable[[], Select], Callable[[object], str]], ...] = (  # type: ignore[type-arg]
    (
        "hogares",
        "co_hogar",
        lambda: _repeated(SH.c.co_hogar, SH),
        lambda first: f"hogar repetido: el mismo co_hogar está en la línea {first}",
    ),
    (
        "hogares",
        "dni_titular",
        lambda: _repeated(SH.c.dni_titular, SH),
        lambda first: f"titular repetido: el mismo DNI es titular del hogar de la línea {first}",
    ),
    (
        "hogares",
        "dni_titular",
        _titular_elsewhere,
        lambda co: f"el DNI ya es titular del hogar {co} del padrón, que no viene en este archivo",
    ),
    (
        "miembros",
        "dni",
        lambda: _repeated(SM.c.dni, SM),
        lambda first: f"miembro repetido: el mismo DNI está en la línea {first}",
    ),
    (
        "miembros",
        "co_hogar",
        _member_without_hogar,
        lambda co: f"el hogar {co} no está en el archivo de hogares",
    ),
    (
        "miembros",
        "dni",
        _member_elsewhere,
        lambda co: f"el DNI ya es miembro del hogar {co} del padrón, que no viene en este archivo",
    ),
)


def check_staged(session: Session, files: dict[str, str], log: ErrorLog) -> None:
    """Runs every set check; ``files`` names the file of each role ('hogares', 'miembros')."""
    for role, column, query, reason in CHECKS:
        for line, detail in session.execute(query().limit(log.room + 1)):
            log.add(files[role], line, column, reason(detail))

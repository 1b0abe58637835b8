"""Applies a checked import to the padrón: a handful of set-based statements from the staging
tables (UPDATE … FROM for what changed, INSERT … SELECT for what is new, one DELETE for the
members a hogar no longer has). Rows that did not change are not touched."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    and_,
    case,
    delete,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from engine.padron.models import Hogar, HogarEstadoHistorial, Miembro
from engine.padron.staging import STG_HOGAR, STG_MIEMBRO
from engine.padron.states import HISTORY_COLUMNS

SH, SM = STG_HOGAR, STG_MIEMBRO
ELEGIBLE_CSE = ("PE", "PNE")
CAUSA_INGRESO = "Ingreso al padrón: relación de hogares del SISFOH (proceso 07)"
CAUSA_INGRESO_VALIDADO = (
    "Ingreso al padrón: relación de hogares del SISFOH, admitido en la primera validación "
    "(proceso 07): clasificación socioeconómica pobre extremo o pobre no extremo, vigente"
)
CAUSA_VALIDACION = (
    "Primera validación (proceso 07): clasificación socioeconómica SISFOH pobre extremo o "
    "pobre no extremo, vigente"
)

# padron_hogar column ← staging column
HOGAR_COLUMNS = {
    "ubigeo": "ubigeo",
    "centro_poblado": "centro_poblado",
    "ut_unit_id": "ut_unit_id",
    "direccion": "direccion",
    "dni_titular": "dni_titular",
    "titular_ap_paterno": "ap_paterno",
    "titular_ap_materno": "ap_materno",
    "titular_nombres": "nombres",
    "cse": "cse",
    "cse_vigencia_fin": "cse_vigencia_fin",
}
MIEMBRO_COLUMNS = ("ap_paterno", "ap_materno", "nombres", "fecha_nacimiento", "sexo", "gestante")
OPTIONAL_CODES = ("codigo_modular_ie", "codigo_renipress")


def elegible(cse, vigencia, on: date):  # type: ignore[no-untyped-def]
    """The first validation's rule (Title V, process 7.1): SISFOH classifies the hogar as
    pobre extremo or pobre no extremo, and the classification is in force on ``on``."""
    return and_(cse.in_(ELEGIBLE_CSE), vigencia >= on)


def any_known_hogar(session: Session) -> bool:
    """Whether a staged hogar is already in the padrón. When none is (a first load), the
    updates, the removal of members and the re-validation have nothing to touch: a staged
    member already in the padrón would be in a hogar outside the file, which the set checks
    refuse (``checks._member_elsewhere``)."""
    return bool(session.scalar(select(exists().where(Hogar.co_hogar == SH.c.co_hogar))))


def update_hogares(session: Session, at: datetime) -> int:
    differs = or_(*[Hogar.__table__.c[h] != SH.c[s] for h, s in HOGAR_COLUMNS.items()])
    values = {h: SH.c[s] for h, s in HOGAR_COLUMNS.items()} | {"updated_at": at}
    statement = (
        update(Hogar)
        .where(Hogar.co_hogar == SH.c.co_hogar, differs)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount


def insert_hogares(session: Session, batch_id: int, at: datetime, on: date) -> tuple[int, int]:
    """New hogares enter as 'potencial', or directly as 'validado' when the first validation
    admits them: one history row each (entry, with its cause), no second pass."""
    admitted = elegible(SH.c.cse, SH.c.cse_vigencia_fin, on)
    rows = select(
        *[SH.c[s] for s in HOGAR_COLUMNS.values()],
        SH.c.co_hogar,
        case((admitted, "validado"), else_="potencial"),
        literal(False, Boolean),
        literal(batch_id, Integer),
        literal(at, Hogar.created_at.type),
        literal(at, Hogar.updated_at.type),
    ).where(~exists().where(Hogar.co_hogar == SH.c.co_hogar))
    columns = [*HOGAR_COLUMNS, "co_hogar", "estado", "reincorporado", "alta_batch_id"]
    inserted = _count(
        session,
        Hogar.__table__.insert().from_select([*columns, "created_at", "updated_at"], rows),
    )
    insert_entries(session, batch_id, at)
    validated = session.scalar(
        select(func.count()).where(Hogar.alta_batch_id == batch_id, Hogar.estado == "validado")
    )
    return inserted, validated or 0


def insert_entries(
    session: Session, batch_id: int, at: datetime, ids: ColumnElement[int] | None = None
) -> None:
    """The history row of each hogar the batch brought in: its entry into the padrón (from no
    state to its first), with the cause; ``ids``: the rows' ids, else their column's default."""
    history = select(
        *([] if ids is None else [ids]),
        Hogar.id,
        null(),
        Hogar.estado,
        literal(at, HogarEstadoHistorial.fecha.type),
        case((Hogar.estado == "validado", CAUSA_INGRESO_VALIDADO), else_=CAUSA_INGRESO),
        null(),
        null(),
        literal(batch_id, Integer),
    ).where(Hogar.alta_batch_id == batch_id)
    columns = HISTORY_COLUMNS if ids is None else ["id", *HISTORY_COLUMNS]
    session.execute(HogarEstadoHistorial.__table__.insert().from_select(columns, history))


def _count(session: Session, statement) -> int:  # type: ignore[no-untyped-def]
    """Rows an INSERT … SELECT wrote (psycopg reports them only when asked to keep them)."""
    return session.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def _member_source() -> Select:  # type: ignore[type-arg]
    return select(SM, Hogar.id.label("hogar_id")).join(Hogar, Hogar.co_hogar == SM.c.co_hogar)


def update_miembros(session: Session, at: datetime, with_codes: bool) -> int:
    src = _member_source().subquery("src")
    m = Miembro.__table__.c
    differs = [m.hogar_id != src.c.hogar_id, *[m[c] != src.c[c] for c in MIEMBRO_COLUMNS]]
    values = {"hogar_id": src.c.hogar_id, **{c: src.c[c] for c in MIEMBRO_COLUMNS}}
    if with_codes:
        for c in OPTIONAL_CODES:
            given = src.c[c] != ""
            differs.append(and_(given, m[c].is_distinct_from(src.c[c])))
            values[c] = case((given, src.c[c]), else_=m[c])
    statement = (
        update(Miembro)
        .where(m.dni == src.c.dni, or_(*differs))
        .values({**values, "updated_at": at})
        .execution_options(synchronize_session=False)
    )
    return session.execute(statement).rowcount


def insert_miembros(session: Session, at: datetime) -> int:
    src = _member_source().subquery("src")
    rows = select(
        src.c.hogar_id,
        src.c.dni,
        *[src.c[c] for c in MIEMBRO_COLUMNS],
        *[func.nullif(src.c[c], "") for c in OPTIONAL_CODES],
        literal(at, Miembro.created_at.type),
        literal(at, Miembro.updated_at.type),
    ).where(~exists().where(Miembro.dni == src.c.dni))
    columns = ["hogar_id", "dni", *MIEMBRO_COLUMNS, *OPTIONAL_CODES, "created_at", "updated_at"]
    return _count(session, Miembro.__table__.insert().from_select(columns, rows))


def delete_missing_miembros(session: Session, batch_id: int) -> int:
    """Members of the imported hogares that the file no longer lists leave the padrón (only
    hogares that were already there can have such members)."""
    stale = (
        select(Miembro.id)
        .join(Hogar, Hogar.id == Miembro.hogar_id)
        .join(SH, SH.c.co_hogar == Hogar.co_hogar)
        .where(
            or_(Hogar.alta_batch_id.is_(None), Hogar.alta_batch_id != batch_id),
            ~exists().where(SM.c.dni == Miembro.dni),
        )
    )
    statement = delete(Miembro).where(Miembro.id.in_(stale))
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount


def waiting_eligible(on: date) -> Select:  # type: ignore[type-arg]
    """Hogares of this import already in the padrón that the first validation now admits."""
    return (
        select(Hogar.id)
        .join(SH, SH.c.co_hogar == Hogar.co_hogar)
        .where(
            Hogar.estado.in_(("potencial", "en_espera_clasificacion")),
            elegible(Hogar.cse, Hogar.cse_vigencia_fin, on),
        )
    )

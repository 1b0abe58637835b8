"""The Entidad Pagadora's response file → abonado / no abonado per hogar.

All or nothing: the file is checked whole (trailer: count, total paid, sha256; every line:
format, hogar in the order, not repeated, same account and amount as ordered; every hogar
of the order answered) before anything is applied; a bad file is refused with a report that
names the file and the lines. The lines are staged in a temporary table in chunks (bounded
memory) and the checks and the update are SQL over the whole set.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import DomainError
from engine.padron.models import Hogar
from engine.padron.staging import Stager
from engine.pagos import archivos
from engine.pagos.archivos import ArchivoRechazado
from engine.pagos.liquidacion import Progress, _quiet, liquidacion_of, reached, require
from engine.pagos.models import (
    MOTIVOS_RECHAZO,
    Abono,
    Cierre,
    Linea,
    Liquidacion,
    SolicitudCuenta,
)

SAMPLE = 20
RESULTADOS_EP = ("abonado", "rechazado")


def _staging_table() -> Table:
    return Table(
        f"pagos_tmp_respuesta_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("linea", Integer),
        Column("co_hogar", String),
        Column("cuenta", String),
        Column("monto_centimos", BigInteger),
        Column("resultado", String),
        Column("motivo", String),
        prefixes=["TEMPORARY"],
    )


def _row_error(number: int, row: list[str]) -> str | None:
    if len(row) != len(archivos.RESPUESTA_COLUMNS):
        return f"línea {number}: {len(row)} columnas, se esperan {len(archivos.RESPUESTA_COLUMNS)}"
    co, _cuenta, monto, resultado, motivo = row
    if not co:
        return f"línea {number}: falta co_hogar"
    if not monto.isdigit():
        return f"línea {number}: monto_centimos '{monto}' no es un entero de céntimos"
    if resultado not in RESULTADOS_EP:
        return f"línea {number}: resultado '{resultado}' no es abonado ni rechazado"
    valid_reason = motivo in MOTIVOS_RECHAZO if resultado == "rechazado" else motivo == ""
    if not valid_reason:
        return f"línea {number}: motivo '{motivo}' no corresponde a una línea {resultado}"
    return None


class _Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.total = 0

    def add(self, message: str) -> None:
        self.total += 1
        self.sample(message)

    def sample(self, message: str) -> None:
        if len(self.errors) < SAMPLE:
            self.errors.append(message)


def _stage(session: Session, reader: archivos.Reader, table: Table, report: _Report) -> tuple:
    stager = Stager(session, table)
    lines = paid = 0
    for number, row in reader.rows():
        lines += 1
        problem = _row_error(number, row)
        if problem:
            report.add(problem)
            continue
        if row[3] == "abonado":
            paid += int(row[2])
        stager.add([str(number), *row])
    stager.flush()
    return lines, paid


def _checks(session: Session, liq: Liquidacion, t: Table, report: _Report) -> None:
    """SQL over the staged lines: repeated, unknown, other account or amount, missing."""
    first = (
        select(t.c.co_hogar, func.min(t.c.linea).label("primera"), func.max(t.c.linea))
        .group_by(t.c.co_hogar)
        .having(func.count() > 1)
    )
    for co, primera, otra in session.execute(first.limit(SAMPLE)):
        report.add(f"línea {otra}: hogar {co} repetido (ya está en la línea {primera})")
    ordered = (
        select(Hogar.co_hogar, Cierre.cuenta, Abono.apertura, Abono.monto_centimos)
        .select_from(Abono)
        .join(Hogar, Hogar.id == Abono.hogar_id)
        .join(Cierre, and_(Cierre.liquidacion_id == liq.id, Cierre.hogar_id == Abono.hogar_id))
        .where(Abono.liquidacion_id == liq.id)
        .subquery("o")
    )
    joined = t.outerjoin(ordered, ordered.c.co_hogar == t.c.co_hogar)
    wrong_account = and_(
        ~ordered.c.apertura,
        t.c.cuenta != func.coalesce(ordered.c.cuenta, ""),
    )
    problem = case(
        (ordered.c.co_hogar.is_(None), "no está en la orden de pago (hogar o cuenta desconocidos)"),
        (wrong_account, literal_column("'cuenta desconocida '") + t.c.cuenta),
        (t.c.monto_centimos != ordered.c.monto_centimos, "monto distinto del ordenado"),
        (and_(t.c.resultado == "abonado", t.c.cuenta == ""), "abonado sin número de cuenta"),
        else_=None,
    ).label("problema")
    bad = select(t.c.linea, t.c.co_hogar, problem).select_from(joined).subquery()
    count = session.scalar(select(func.count()).where(bad.c.problema.is_not(None)))
    rows = session.execute(
        select(bad).where(bad.c.problema.is_not(None)).order_by(bad.c.linea).limit(SAMPLE)
    )
    report.total += count or 0
    for linea, co, why in rows:
        report.sample(f"línea {linea}: hogar {co}: {why}")
    missing = select(ordered.c.co_hogar).where(
        ~select(t.c.co_hogar).where(t.c.co_hogar == ordered.c.co_hogar).exists()
    )
    n_missing = session.scalar(select(func.count()).select_from(missing.subquery())) or 0
    if n_missing:
        sample = ", ".join(session.scalars(missing.order_by(ordered.c.co_hogar).limit(5)))
        report.add(f"faltan {n_missing} hogar(es) de la orden en la respuesta (p. ej. {sample})")


def _apply(session: Session, liq: Liquidacion, t: Table) -> None:
    source = (
        select(t.c.resultado, t.c.motivo, t.c.cuenta, Hogar.id.label("hogar_id"))
        .join(Hogar, Hogar.co_hogar == t.c.co_hogar)
        .subquery()
    )
    session.execute(
        update(Abono)
        .where(Abono.liquidacion_id == liq.id, Abono.hogar_id == source.c.hogar_id)
        .values(
            estado=source.c.resultado,
            motivo=func.nullif(source.c.motivo, ""),
            cuenta_abonada=case((source.c.resultado == "abonado", source.c.cuenta), else_=None),
        )
        .execution_options(synchronize_session=False)
    )
    rejected = select(Abono.hogar_id).where(
        Abono.liquidacion_id == liq.id, Abono.estado == "rechazado"
    )
    session.execute(  # frees their periods for a re-payment once the cause is corrected
        update(Linea)
        .where(Linea.liquidacion_id == liq.id, Linea.hogar_id.in_(rejected))
        .values(rechazada=True)
        .execution_options(synchronize_session=False)
    )
    session.execute(  # the opening failed with it: requested again with a later abono
        update(SolicitudCuenta)
        .where(
            SolicitudCuenta.hogar_id.in_(rejected.where(Abono.apertura)),
            SolicitudCuenta.estado == "solicitada",
        )
        .values(estado="rechazada")
        .execution_options(synchronize_session=False)
    )
    opened = (
        select(Abono.hogar_id, Abono.cuenta_abonada)
        .where(Abono.liquidacion_id == liq.id, Abono.apertura, Abono.estado == "abonado")
        .subquery()
    )
    session.execute(
        update(Hogar)
        .where(Hogar.id == opened.c.hogar_id, Hogar.cuenta_ep.is_(None))
        .values(cuenta_ep=opened.c.cuenta_abonada, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(SolicitudCuenta)
        .where(SolicitudCuenta.hogar_id == opened.c.hogar_id)
        .values(estado="abierta", cuenta=opened.c.cuenta_abonada)
        .execution_options(synchronize_session=False)
    )


def registrar_respuesta(
    session: Session, periodo: str, path: Path | str, *, progress: Progress = _quiet
) -> dict[str, Any]:
    """Applies the response file, or raises ArchivoRechazado (nothing applied)."""
    path = Path(path)
    liq = liquidacion_of(session, periodo, lock=True)
    require(liq, "ordenado")
    if reached(liq, "respondido"):
        if path.is_file() and archivos.file_sha256(path) == liq.respuesta_sha256:
            return resumen_respuesta(session, liq) | {"ya_registrada": True}
        raise DomainError(
            f"ya se registró la respuesta del período {periodo} ({liq.respuesta_archivo})"
        )
    reader = archivos.Reader(path, archivos.RESPUESTA_COLUMNS, periodo)
    trailer = reader.open()
    table = _staging_table()
    connection = session.connection()
    table.create(connection)
    try:
        report = _Report()
        lines, paid = _stage(session, reader, table, report)
        progress(lines // 2, liq.hogares)
        if lines != trailer.lineas:
            report.add(f"la línea final declara {trailer.lineas} líneas y hay {lines}")
        if paid != trailer.total_centimos:
            report.add(
                f"la línea final declara {trailer.total_centimos} céntimos abonados y las "
                f"líneas suman {paid}"
            )
        connection.execute(text(f"CREATE INDEX {table.name}_co ON {table.name} (co_hogar)"))
        _checks(session, liq, table, report)
        if report.total:
            raise ArchivoRechazado(path, report.errors, report.total)
        _apply(session, liq, table)
    finally:
        table.drop(connection)
    liq.respuesta_archivo, liq.respuesta_sha256 = str(path), archivos.file_sha256(path)
    liq.estado, liq.updated_at = "respondido", utcnow()
    liq.respuesta_at = liq.updated_at
    progress(liq.hogares, liq.hogares)
    return resumen_respuesta(session, liq) | {"ya_registrada": False}


def resumen_respuesta(session: Session, liq: Liquidacion) -> dict[str, Any]:
    rows = session.execute(
        select(Abono.estado, Abono.motivo, func.count(), func.sum(Abono.monto_centimos))
        .where(Abono.liquidacion_id == liq.id)
        .group_by(Abono.estado, Abono.motivo)
    ).all()
    out: dict[str, Any] = {"periodo": liq.periodo, "archivo": liq.respuesta_archivo}
    for estado in ("abonado", "rechazado", "ordenado"):
        out[f"{estado}s"] = sum(n for e, _, n, _ in rows if e == estado)
        out[f"{estado}s_centimos"] = int(sum(s or 0 for e, _, _, s in rows if e == estado))
    out["rechazos_por_motivo"] = {m: n for e, m, n, _ in rows if e == "rechazado"}
    return out

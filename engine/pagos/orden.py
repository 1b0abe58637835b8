"""The payment-order file to the Entidad Pagadora (V.2 11: "el Programa instruye a la
Entidad Pagadora realizar el abono … en las cuentas individuales de los titulares"): one
line per hogar of the liquidation, streamed from the database in hogar order (by id) (bounded
memory; the same liquidation always gives the same bytes, so a redelivered call that
writes it again writes the same file)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from engine.config import load_settings
from engine.db import utcnow
from engine.padron.models import Hogar
from engine.pagos import archivos
from engine.pagos.liquidacion import Progress, _quiet, liquidacion_of, reached, require
from engine.pagos.models import Abono, Cierre, Liquidacion


def pagos_dir(periodo: str) -> Path:
    return load_settings().var_dir / "pagos" / periodo


def _rows(session: Session, liq: Liquidacion, progress: Progress) -> Iterator[Sequence[object]]:
    query = (
        select(
            Hogar.co_hogar,
            Cierre.dni_titular,
            Hogar.titular_ap_paterno,
            Hogar.titular_ap_materno,
            Hogar.titular_nombres,
            Cierre.cuenta,
            Abono.apertura,
            Abono.monto_centimos,
            Abono.periodos,
        )
        .select_from(Abono)
        .join(Hogar, Hogar.id == Abono.hogar_id)
        .join(Cierre, and_(Cierre.liquidacion_id == liq.id, Cierre.hogar_id == Abono.hogar_id))
        .where(Abono.liquidacion_id == liq.id)
        .order_by(Abono.hogar_id)  # the primary key's order: no sort
    )
    result = session.execute(query, execution_options={"yield_per": archivos.CHUNK})
    for done, row in enumerate(result, start=1):
        co, dni, pat, mat, nombres, cuenta, apertura, monto, periodos = row
        yield (
            co,
            dni,
            f"{pat} {mat}, {nombres}",
            cuenta or "",
            "apertura_abono" if apertura else "abono",
            monto,
            periodos,
        )
        if done % 100_000 == 0:
            progress(done, liq.hogares)


def generar_orden(
    session: Session,
    periodo: str,
    *,
    directorio: Path | None = None,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    liq = liquidacion_of(session, periodo, lock=True)
    require(liq, "liquidado")
    path = (directorio or pagos_dir(periodo)) / f"orden-{periodo}.csv"
    if reached(liq, "ordenado") and liq.orden_archivo:
        stored = Path(liq.orden_archivo)
        if stored.is_file() and archivos.file_sha256(stored) == liq.orden_sha256:
            return _summary(liq) | {"ya_generada": True}
        path = stored  # lost or damaged: written again, byte for byte (checked below)
    trailer = archivos.write(
        path, archivos.ORDEN_COLUMNS, periodo, _rows(session, liq, progress), amount=5
    )
    if trailer.lineas != liq.hogares or trailer.total_centimos != liq.total_centimos:
        raise archivos.ArchivoRechazado(
            path, [f"la orden no cuadra con la liquidación: {trailer} vs {liq.hogares}"]
        )
    sha = archivos.file_sha256(path)
    if liq.orden_sha256 and sha != liq.orden_sha256:
        raise archivos.ArchivoRechazado(path, ["la orden rehecha difiere de la registrada"])
    liq.orden_archivo, liq.orden_sha256 = str(path), sha
    if not reached(liq, "ordenado"):
        liq.estado = "ordenado"
    liq.updated_at = utcnow()
    progress(liq.hogares, liq.hogares)
    return _summary(liq) | {"ya_generada": False}


def _summary(liq: Liquidacion) -> dict[str, Any]:
    return {
        "periodo": liq.periodo,
        "archivo": liq.orden_archivo,
        "sha256": liq.orden_sha256,
        "lineas": liq.hogares,
        "total_centimos": liq.total_centimos,
    }

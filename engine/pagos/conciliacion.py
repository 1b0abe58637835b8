"""The reconciliation report of a liquidation (V.2 11): ordered vs paid vs rejected, to the
céntimo, against the liquidation's lines and the two files' trailers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.pagos import archivos
from engine.pagos.liquidacion import liquidacion_of, reached, require
from engine.pagos.models import Abono, Linea, Liquidacion
from engine.pagos.respuesta import resumen_respuesta


def soles(centimos: int) -> str:
    sign = "-" if centimos < 0 else ""
    return f"{sign}S/ {abs(centimos) // 100:,}.{abs(centimos) % 100:02d}"


def _trailer_total(path: str | None) -> int | None:
    if not path or not Path(path).is_file():
        return None
    reader = archivos.Reader(Path(path), ())
    return reader.open().total_centimos


def informe(session: Session, liq: Liquidacion) -> dict[str, Any]:
    respuesta = resumen_respuesta(session, liq)
    lines_total = session.scalar(
        select(func.coalesce(func.sum(Linea.monto_centimos), 0)).where(
            Linea.liquidacion_id == liq.id
        )
    )
    ordered_count, ordered_total = session.execute(
        select(func.count(), func.coalesce(func.sum(Abono.monto_centimos), 0)).where(
            Abono.liquidacion_id == liq.id
        )
    ).one()
    paid, rejected = respuesta["abonados_centimos"], respuesta["rechazados_centimos"]
    checks = {
        "ordenado_igual_liquidado": int(ordered_total) == liq.total_centimos == int(lines_total),
        "ordenado_igual_abonado_mas_rechazado": int(ordered_total) == paid + rejected,
        "sin_pendientes": respuesta["ordenados"] == 0,
        "orden_archivo_igual_liquidado": _trailer_total(liq.orden_archivo) == liq.total_centimos,
        "respuesta_archivo_igual_abonado": _trailer_total(liq.respuesta_archivo) == paid,
    }
    return {
        "periodo": liq.periodo,
        "hogares_ordenados": int(ordered_count),
        "ordenado_centimos": int(ordered_total),
        "abonados": respuesta["abonados"],
        "abonado_centimos": paid,
        "rechazados": respuesta["rechazados"],
        "rechazado_centimos": rejected,
        "rechazos_por_motivo": respuesta["rechazos_por_motivo"],
        "pendientes": respuesta["ordenados"],
        "diferencia_centimos": int(ordered_total) - paid - rejected,
        "ordenado": soles(int(ordered_total)),
        "abonado": soles(paid),
        "rechazado": soles(rejected),
        "verificaciones": checks,
        "cuadra": all(checks.values()),
    }


def conciliar(session: Session, periodo: str) -> dict[str, Any]:
    liq = liquidacion_of(session, periodo, lock=True)
    require(liq, "respondido")
    if reached(liq, "conciliado"):
        return liq.conciliacion | {"ya_conciliado": True}
    liq.conciliacion = informe(session, liq)
    liq.estado, liq.updated_at = "conciliado", utcnow()
    return liq.conciliacion | {"ya_conciliado": False}

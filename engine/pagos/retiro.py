"""The service for the withdrawal of the incentive (Title V, process 12): puntos de pago per
centro poblado and cycle for the hogares abonados, incidents recorded per point, and the
reprogramming of a cycle for force majeure."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, Integer, func, insert, literal, select, update
from sqlalchemy.orm import Session

from engine.errors import NotFound, ValidationError
from engine.padron.models import Hogar
from engine.pagos.liquidacion import liquidacion_of, require
from engine.pagos.models import Abono, Incidencia, PuntoPago


def _points_summary(session: Session, liq_id: int, ciclo: int) -> dict[str, Any]:
    n, hogares, monto, inicio, fin, reprog = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(PuntoPago.hogares), 0),
            func.coalesce(func.sum(PuntoPago.monto_centimos), 0),
            func.min(PuntoPago.fecha_inicio),
            func.max(PuntoPago.fecha_fin),
            func.coalesce(func.max(PuntoPago.reprogramaciones), 0),
        ).where(PuntoPago.liquidacion_id == liq_id, PuntoPago.ciclo == ciclo)
    ).one()
    return {
        "ciclo": ciclo,
        "puntos_pago": n,
        "hogares_abonados": int(hogares),
        "monto_centimos": int(monto),
        "fecha_inicio": str(inicio) if inicio else None,
        "fecha_fin": str(fin) if fin else None,
        "reprogramaciones": int(reprog),
    }


def programar_retiro(
    session: Session, periodo: str, ciclo: int, fecha_inicio: date, dias: int
) -> dict[str, Any]:
    """One punto de pago per centro poblado with hogares abonados in the period (V.2 12, 1)."""
    liq = liquidacion_of(session, periodo, lock=True)
    require(liq, "respondido")
    exists = session.scalar(
        select(func.count()).where(PuntoPago.liquidacion_id == liq.id, PuntoPago.ciclo == ciclo)
    )
    if not exists:
        per_cp = (
            select(
                literal(liq.id, Integer),
                literal(ciclo, Integer),
                Hogar.ubigeo,
                Hogar.centro_poblado,
                Hogar.ut_unit_id,
                func.count(),
                func.sum(Abono.monto_centimos),
                literal(fecha_inicio, Date),
                literal(fecha_inicio + timedelta(days=dias - 1), Date),
                literal(0, Integer),
            )
            .join(Hogar, Hogar.id == Abono.hogar_id)
            .where(Abono.liquidacion_id == liq.id, Abono.estado == "abonado")
            .group_by(Hogar.ubigeo, Hogar.centro_poblado, Hogar.ut_unit_id)
        )
        columns = [
            "liquidacion_id",
            "ciclo",
            "ubigeo",
            "centro_poblado",
            "ut_unit_id",
            "hogares",
            "monto_centimos",
            "fecha_inicio",
            "fecha_fin",
            "reprogramaciones",
        ]
        session.execute(insert(PuntoPago).from_select(columns, per_cp))
    return _points_summary(session, liq.id, ciclo) | {"periodo": periodo}


def reprogramar(session: Session, periodo: str, ciclo: int, nueva_fecha: date) -> dict[str, Any]:
    """Moves the cycle's dates to start on ``nueva_fecha`` (force majeure, V.2 12)."""
    liq = liquidacion_of(session, periodo, lock=True)
    first, last = session.execute(
        select(func.min(PuntoPago.fecha_inicio), func.max(PuntoPago.fecha_fin)).where(
            PuntoPago.liquidacion_id == liq.id, PuntoPago.ciclo == ciclo
        )
    ).one()
    if first is None:
        raise NotFound(f"no hay puntos de pago del ciclo {ciclo} del período {periodo}")
    shift = (nueva_fecha - first).days
    if shift <= 0:
        raise ValidationError("nueva_fecha", "la reprogramación debe ser posterior al inicio")
    session.execute(
        update(PuntoPago)
        .where(PuntoPago.liquidacion_id == liq.id, PuntoPago.ciclo == ciclo)
        .values(
            fecha_inicio=nueva_fecha,
            fecha_fin=last + timedelta(days=shift),
            reprogramaciones=PuntoPago.reprogramaciones + 1,
        )
    )
    return _points_summary(session, liq.id, ciclo) | {"periodo": periodo}


def registrar_incidencias(
    session: Session,
    periodo: str,
    incidencias: list[dict[str, Any]],
    *,
    instance_id: int | None,
    idempotency_key: str,
) -> dict[str, Any]:
    liq = liquidacion_of(session, periodo)
    already = session.scalar(
        select(func.count()).where(Incidencia.idempotency_key == idempotency_key)
    )
    if not already:
        points = dict(
            session.execute(
                select(PuntoPago.centro_poblado, func.max(PuntoPago.id))
                .where(PuntoPago.liquidacion_id == liq.id)
                .group_by(PuntoPago.centro_poblado)
            ).all()
        )
        for item in incidencias:  # a supervisor's list: a handful per task
            session.add(
                Incidencia(
                    punto_id=points.get(item["centro_poblado"]),
                    liquidacion_id=liq.id,
                    centro_poblado=item["centro_poblado"],
                    tipo=item["tipo"],
                    descripcion=item.get("descripcion", ""),
                    fecha=date.fromisoformat(item["fecha"]),
                    instance_id=instance_id,
                    idempotency_key=idempotency_key,
                )
            )
        session.flush()
    total = session.scalar(select(func.count()).where(Incidencia.liquidacion_id == liq.id))
    sin_punto = session.scalar(
        select(func.count()).where(
            Incidencia.idempotency_key == idempotency_key, Incidencia.punto_id.is_(None)
        )
    )
    return {"registradas": len(incidencias), "total_periodo": total, "sin_punto": sin_punto}

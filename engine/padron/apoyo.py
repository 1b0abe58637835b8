"""Apoyo familiar (Title V, process 10): selection of the hogares that did not fulfil their
co-responsibilities or are at risk (set-based, per UT and period), the sesiones de apoyo
grupal and visitas domiciliarias the gestores record, and the information on specialised
services. The hogares stay afiliados, in the verification cycle: nothing changes state."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Integer, case, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session, aliased

from engine.padron.models import Hogar
from engine.padron.records import ApoyoActividad, ApoyoHogar, CumplimientoHogar

INCUMPLIMIENTO, RIESGO = "incumplimiento", "riesgo"


def seleccionar(
    session: Session, periodo: str, ut_unit_id: int, instance_id: int
) -> dict[str, Any]:
    """Hogares afiliados of the UT whose result in ``periodo`` was no_cumplio
    (incumplimiento) or no_verificado, or that failed in an earlier period (riesgo)."""
    before = aliased(CumplimientoHogar)
    earlier_failure = exists().where(
        before.hogar_id == Hogar.id, before.periodo < periodo, before.resultado == "no_cumplio"
    )
    now = CumplimientoHogar.resultado
    motivo = case((now == "no_cumplio", INCUMPLIMIENTO), else_=RIESGO)
    chosen = (
        select(
            literal(periodo),
            Hogar.id,
            literal(ut_unit_id, Integer),
            motivo,
            literal(instance_id, Integer),
            literal(0, Integer),
        )
        .join(CumplimientoHogar, CumplimientoHogar.hogar_id == Hogar.id)
        .where(
            CumplimientoHogar.periodo == periodo,
            Hogar.ut_unit_id == ut_unit_id,
            Hogar.estado == "afiliado",
            (now != "cumplio") | earlier_failure,
            ~exists().where(ApoyoHogar.periodo == periodo, ApoyoHogar.hogar_id == Hogar.id),
        )
    )
    columns = ["periodo", "hogar_id", "ut_unit_id", "motivo", "instance_id", "orientaciones"]
    session.execute(insert(ApoyoHogar).from_select(columns, chosen))
    return resumen(session, periodo, instance_id)


def _selected(session: Session, periodo: str, instance_id: int, codes: list[str]) -> dict[str, int]:
    return dict(
        session.execute(
            select(Hogar.co_hogar, Hogar.id)
            .join(ApoyoHogar, ApoyoHogar.hogar_id == Hogar.id)
            .where(
                ApoyoHogar.periodo == periodo,
                ApoyoHogar.instance_id == instance_id,
                Hogar.co_hogar.in_(codes),
            )
        ).all()
    )


def registrar_actividad(
    session: Session,
    periodo: str,
    instance_id: int,
    *,
    tipo: str,
    fecha: date,
    lugar: str,
    temas: str,
    hogares: list[str],
    servicios: list[dict[str, str]],
) -> dict[str, Any]:
    """Records one sesión grupal or visita domiciliaria; every hogar named (and every hogar
    told of a specialised service) must be one this instance selected."""
    codes = sorted(set(hogares) | {s["co_hogar"] for s in servicios})
    known = _selected(session, periodo, instance_id, codes)
    unknown = [c for c in codes if c not in known]
    if unknown:
        shown = ", ".join(unknown[:10])
        return {"aceptado": False, "errores": [f"hogares no seleccionados para apoyo: {shown}"]}
    activity = ApoyoActividad(
        periodo=periodo,
        tipo=tipo,
        fecha=fecha,
        lugar=lugar,
        temas=temas,
        hogares=sorted(set(hogares)),
        servicios=servicios,
        instance_id=instance_id,
    )
    session.add(activity)
    session.execute(
        update(ApoyoHogar)
        .where(
            ApoyoHogar.periodo == periodo,
            ApoyoHogar.hogar_id.in_([known[c] for c in set(hogares)]),
        )
        .values(orientaciones=ApoyoHogar.orientaciones + 1)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return {
        "aceptado": True,
        "errores": [],
        "actividad_id": activity.id,
        "hogares": len(set(hogares)),
        "servicios_informados": len(servicios),
    }


def resumen(session: Session, periodo: str, instance_id: int) -> dict[str, Any]:
    selected = dict(
        session.execute(
            select(ApoyoHogar.motivo, func.count())
            .where(ApoyoHogar.periodo == periodo, ApoyoHogar.instance_id == instance_id)
            .group_by(ApoyoHogar.motivo)
        ).all()
    )
    oriented = session.scalar(
        select(func.count()).where(
            ApoyoHogar.periodo == periodo,
            ApoyoHogar.instance_id == instance_id,
            ApoyoHogar.orientaciones > 0,
        )
    )
    activities = dict(
        session.execute(
            select(ApoyoActividad.tipo, func.count())
            .where(ApoyoActividad.instance_id == instance_id)
            .group_by(ApoyoActividad.tipo)
        ).all()
    )
    services = sum(
        len(s)
        for s in session.scalars(
            select(ApoyoActividad.servicios).where(ApoyoActividad.instance_id == instance_id)
        )
    )
    return {
        "periodo": periodo,
        "seleccionados": sum(selected.values()),
        "por_incumplimiento": selected.get(INCUMPLIMIENTO, 0),
        "por_riesgo": selected.get(RIESGO, 0),
        "orientados": oriented or 0,
        "sesiones_grupales": activities.get("sesion_grupal", 0),
        "visitas_domiciliarias": activities.get("visita_domiciliaria", 0),
        "servicios_informados": services,
    }

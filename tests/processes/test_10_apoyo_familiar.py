"""Proceso 10 — Apoyo familiar (Manual de Operaciones, V.2 10).

In the UT of a hogar that did not comply in a closed period: selection, the CTZ's plan, a
sesión de apoyo grupal and a visita domiciliaria (each first refused for a hogar not
selected), information on specialised services, the summary and the supervision. The
hogares stay afiliados, in the verification cycle."""

from __future__ import annotations

from sqlalchemy import select

from engine.clock import today
from engine.org.models import Unit
from engine.padron import Hogar
from engine.padron.records import ApoyoHogar, CumplimientoHogar
from tests.processes.padron_walks import closed_period
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p10_apoyo_familiar"
PERIODO = "2026-B6"


def _actividad(hogares: list[str], siguiente: str, servicios=()) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "fecha_actividad": today().isoformat(),
        "lugar_actividad": "Local comunal",
        "temas_tratados": "Controles de crecimiento y asistencia escolar",
        "hogares_atendidos": hogares,
        "servicios_informados": list(servicios),
        "siguiente_actividad": siguiente,
    }


def test_apoyo_familiar_en_una_unidad_territorial(process_db) -> None:  # type: ignore[no-untyped-def]
    closed_period(process_db, PERIODO)
    with process_db.transaction() as s:
        failed, ut = s.execute(
            select(Hogar.co_hogar, Unit.code)
            .join(CumplimientoHogar, CumplimientoHogar.hogar_id == Hogar.id)
            .join(Unit, Unit.id == Hogar.ut_unit_id)
            .where(
                CumplimientoHogar.periodo == PERIODO, CumplimientoHogar.resultado == "no_cumplio"
            )
            .order_by(Hogar.co_hogar)
        ).first()
    ctt = staff(process_db, "Coordinador Técnico Territorial", ut)
    ctz = staff(process_db, "Coordinador Técnico Zonal", ut)
    gestor = staff(process_db, "Gestor Local", ut)
    walk = Walk(process_db, KEY, ctt, {"periodo": PERIODO}, scope=ut)
    walk.do(
        "programar_apoyo",
        ctz,
        {
            "siguiente_actividad": "sesion_grupal",
            "indicaciones": "Priorice los hogares con gestantes",
        },
    )
    walk.do(
        "registrar_sesion_grupal", gestor, _actividad(["NO-SELECCIONADO"], "visita_domiciliaria")
    )
    assert walk.waiting_at() == ["registrar_sesion_grupal"]
    walk.do("registrar_sesion_grupal", gestor, _actividad([failed], "visita_domiciliaria"))
    walk.do("registrar_visita", gestor, _actividad(["NO-SELECCIONADO"], "concluir"))
    assert walk.waiting_at() == ["registrar_visita"]
    servicio = {"co_hogar": failed, "problema": "Violencia familiar", "servicio": "CEM"}
    walk.do("registrar_visita", gestor, _actividad([failed], "concluir", [servicio]))
    walk.do(
        "supervisar_apoyo",
        staff(process_db, "Especialista en Apoyo Familiar"),
        {"conformidad_apoyo": "conforme"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Lista de hogares seleccionados para apoyo familiar",
        "Hogares con orientación e información para el cumplimiento de corresponsabilidades",
    ]
    resumen = walk.documents()[-1].content
    assert resumen["orientados"] == 1 and resumen["sesiones_grupales"] == 1
    assert resumen["visitas_domiciliarias"] == 1 and resumen["servicios_informados"] == 1
    with process_db.transaction() as s:
        assert s.scalar(select(Hogar.estado).where(Hogar.co_hogar == failed)) == "afiliado"
        orientaciones = s.scalar(
            select(ApoyoHogar.orientaciones)
            .join(Hogar, Hogar.id == ApoyoHogar.hogar_id)
            .where(Hogar.co_hogar == failed, ApoyoHogar.periodo == PERIODO)
        )
    assert orientaciones == 2


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

"""Proceso 04 — Seguimiento y evaluación (Manual de Operaciones, V.2 4).

One instance per period, driven by timers: the period closes (intermediate timer), the units
responsible for goals report under a deadline (boundary timer on the collection), the UPP
consolidates, measures, evaluates and reports; goals at risk raise an alert and
recommendations that the Director approves and that are followed up every 30 days (timer);
in the annual cycle, evaluation studies are proposed, approved, communicated and supervised.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.errors import PermissionDenied, ValidationError
from engine.notifications import Notification
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p04_seguimiento_evaluacion"
COORDINADOR = "Coordinador de Seguimiento y Evaluación"
ESPECIALISTA = "Especialista en Seguimiento"
JEFES = {
    "remitir_avance_uoal": "Jefe de la Unidad de Operaciones de Afiliación y Liquidación",
    "remitir_avance_uvcc": (
        "Jefe de la Unidad de Verificación de Cumplimiento de Corresponsabilidades"
    ),
    "remitir_avance_ua": "Jefe de la Unidad de Administración",
}
CIERRE = {"mensual": 30, "trimestral": 90, "semestral": 180, "anual": 365}
RECOJO = ["acopiar_sistemas", "remitir_avance_ua", "remitir_avance_uoal", "remitir_avance_uvcc"]


def _organizacion(tipo: str, periodo: str) -> dict[str, Any]:
    return {
        "periodo_seguimiento": periodo,
        "tipo_periodo": tipo,
        "politicas_seguimiento_midis": "Lineamientos de seguimiento y evaluación del MIDIS",
        "normas_tecnicas_midis": "Directiva de seguimiento y evaluación del MIDIS",
        "pei_pesem": "PEI 2024-2027 y PESEM MIDIS 2024-2030",
        "estrategia_incluir_para_crecer": "Eje 1: nutrición infantil; eje 2: desarrollo infantil",
        "poi_vigente": "POI 2026 aprobado por RDE N° 010-2026",
        "fuente_siaf": "Unidad Ejecutora 001 JUNTOS, reporte de ejecución por meta",
        "fuente_sitc": "Reportes de afiliación, padrón y transferencias del SITC",
        "formatos_enviados": "Formato F-01 de avance de metas físicas y financieras",
        "dias_plazo_remision": 10,
    }


def _avance(code: str) -> dict[str, Any]:
    return {
        f"avance_metas_{code}": f"Metas de la Unidad {code.upper()}: programado 100, ejecutado 92.",
        f"porcentaje_avance_fisico_{code}": 92,
        f"dificultades_{code}": "Retrasos por lluvias en zonas rurales.",
    }


SISTEMAS = {
    "fecha_corte_siaf": "2026-03-31",
    "pim_soles": "1034567890.00",
    "devengado_soles": "250123456.78",
    "reporte_sipp": "SIPP, avance de metas al 31/03",
    "reporte_sitc": "SITC: padrón, cumplimiento y transferencias por UT, marzo",
}
INDICADORES = {
    "indicadores_insumo": "Gestores locales por hogar: 1/350",
    "indicadores_proceso": "Verificación oportuna: 97 %",
    "indicadores_producto": "Hogares con transferencia completa: 93 %",
    "hogares_afiliados": 690000,
    "hogares_abonados": 655000,
    "porcentaje_ejecucion_presupuestal": 24.2,
}
INFORME = {
    "diagnostico_desempeno": "Desempeño dentro de lo programado salvo en la Amazonía.",
    "conclusiones_informe": "Mantener la programación; reforzar la verificación en Loreto.",
}


def _evaluacion(en_riesgo: bool, campo: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "variaciones_fisicas": "Afiliación 8 % por debajo de lo programado.",
        "variaciones_financieras": "Devengado 2 % por debajo de lo programado.",
        "analisis_indicadores": "La afiliación se retrasó por el cierre de vías en la Amazonía.",
        "nivel_cumplimiento_poi": 92,
        "metas_en_riesgo": en_riesgo,
        "requiere_verificacion_campo": campo,
    }
    if en_riesgo:
        data["detalle_metas_en_riesgo"] = "Meta de afiliación de Loreto (UOAL): proyectado 80 %."
    return data


def _through_collection(walk: Walk, db, tipo: str, *, last: str, late: bool = False) -> None:  # type: ignore[no-untyped-def]
    """From the organised period to the consolidation task; ``last`` reports last.

    (Each walk lets a different branch reach the parallel join last, so every order is walked.)"""
    assert walk.waiting_at() == []  # waiting for the period to close
    walk.pass_time(timedelta(days=CIERRE[tipo] - 1))
    assert walk.waiting_at() == []
    walk.pass_time(timedelta(days=CIERRE[tipo] + 1))
    assert walk.waiting_at() == RECOJO
    order = [t for t in RECOJO if t != last] + [last]
    for n, element in enumerate(order):
        if late and n == 2:  # the deadline runs from the close of the period
            walk.pass_time(timedelta(days=CIERRE[tipo] + 12))
            assert walk.waiting_at() == sorted(["reiterar_requerimiento", *order[2:]])
            walk.do("reiterar_requerimiento", staff(db, ESPECIALISTA))
        walk.do(element, *_recojo(db, element))
    assert walk.waiting_at() == ["consolidar_informacion"]


def _recojo(db, element: str) -> tuple[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    if element == "acopiar_sistemas":
        return staff(db, ESPECIALISTA), SISTEMAS
    return staff(db, JEFES[element]), _avance(element.removeprefix("remitir_avance_"))


def _start(db, tipo: str, periodo: str) -> Walk:  # type: ignore[no-untyped-def]
    coordinador = staff(db, COORDINADOR)
    walk = Walk(db, KEY, coordinador)
    walk.do("organizar_periodo", coordinador, _organizacion(tipo, periodo))
    return walk


def _consistent_and_measured(walk: Walk, db) -> None:  # type: ignore[no-untyped-def]
    walk.do(
        "consolidar_informacion",
        staff(db, ESPECIALISTA),
        {
            "consolidado_resumen": "Información de 3 Unidades y 3 sistemas.",
            "informacion_consistente": True,
        },
    )
    walk.do("medir_indicadores", staff(db, "Analista Estadístico"), INDICADORES)


def _report_approved(walk: Walk, db) -> None:  # type: ignore[no-untyped-def]
    walk.do("elaborar_informe_seguimiento", staff(db, ESPECIALISTA), INFORME)
    walk.do(
        "revisar_informe_seguimiento",
        staff(db, COORDINADOR),
        {"decision_informe_seguimiento": "conforme"},
    )


def _notices(db, instance_id: int) -> list[Notification]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        rows = list(s.scalars(select(Notification).where(Notification.instance_id == instance_id)))
        s.expunge_all()
        return rows


REMISION_POI = {
    "fecha_remision_poi": "2026-04-20",
    "memorando_direccion_ejecutiva": "Memorando N° 120-2026-MIDIS/PNADP-UPP",
    "oficio_pliego_midis": "Oficio N° 045-2026-MIDIS/PNADP-DE",
    "oficio_contraloria": "Oficio N° 046-2026-MIDIS/PNADP-DE",
    "oficio_mef": "Oficio N° 047-2026-MIDIS/PNADP-DE",
}


def test_mes_sin_alertas_con_una_unidad_fuera_de_plazo(process_db) -> None:  # type: ignore[no-untyped-def]
    walk = _start(process_db, "mensual", "2026-03")
    _through_collection(walk, process_db, "mensual", last="acopiar_sistemas", late=True)
    _consistent_and_measured(walk, process_db)
    walk.do("evaluar_avance_metas", staff(process_db, ESPECIALISTA), _evaluacion(False, False))
    _report_approved(walk, process_db)
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Reporte de seguimiento a los indicadores de desempeño",
        "Informe de seguimiento y evaluación de la ejecución presupuestal",
        "Informe de avance de los indicadores del Programa Presupuestal",
        "Reporte gerencial",
    ]
    reporte, informe, avance_pp, gerencial = walk.documents()
    assert informe.title == "Informe de seguimiento mensual de la ejecución presupuestal — 2026-03"
    assert informe.content["pim_soles"] == "1034567890.00"
    assert informe.content["reporte_indicadores"] == reporte.reference
    assert avance_pp.content["hogares_abonados"] == 655000
    assert gerencial.content["metas_en_riesgo"] is False
    assert _notices(process_db, walk.id) == []


def test_trimestre_con_subsanacion_spot_check_alerta_y_seguimiento_de_medidas(process_db) -> None:  # type: ignore[no-untyped-def]
    especialista = staff(process_db, ESPECIALISTA)
    walk = _start(process_db, "trimestral", "2026-T1")
    _through_collection(walk, process_db, "trimestral", last="remitir_avance_uoal")
    walk.do(
        "consolidar_informacion",
        especialista,
        {
            "consolidado_resumen": "Información de 3 Unidades y 3 sistemas.",
            "informacion_consistente": False,
            "inconsistencias_detectadas": "Hogares abonados de la UOAL no cuadran con el SITC.",
        },
    )
    walk.do(
        "coordinar_subsanacion",
        especialista,
        {
            "unidades_coordinadas": "UOAL",
            "correcciones_realizadas": "Se excluyeron abonos anulados.",
        },
    )
    _consistent_and_measured(walk, process_db)
    walk.do("evaluar_avance_metas", especialista, _evaluacion(True, True))
    walk.do(
        "realizar_verificacion_campo",
        especialista,
        {
            "unidad_territorial_verificada": "UT Loreto - Iquitos, distrito de Belén",
            "proceso_verificado": "Afiliación",
            "fecha_verificacion": "2026-04-08",
            "muestra_verificada": 40,
            "hallazgos_verificacion": "Fichas de afiliación pendientes de digitación.",
        },
    )
    walk.do("elaborar_informe_seguimiento", especialista, INFORME)
    walk.do(
        "revisar_informe_seguimiento",
        staff(process_db, COORDINADOR),
        {
            "decision_informe_seguimiento": "observado",
            "observaciones_informe_seguimiento": "Incluya los hallazgos del Spot Check.",
        },
    )
    assert walk.waiting_at() == ["elaborar_informe_seguimiento"]
    _report_approved(walk, process_db)
    walk.do("remitir_informe_poi", "jefe.upp", REMISION_POI)

    (alerta,) = _notices(process_db, walk.id)
    assert alerta.recipient == "Director Ejecutivo"
    assert alerta.subject == "Alerta: metas en riesgo en el periodo 2026-T1"
    recomendaciones = {
        "recomendaciones": "Brigada de digitación de fichas en Loreto.",
        "unidades_involucradas": "UOAL, UT Loreto - Iquitos",
        "plazo_implementacion": "2026-05-31",
    }
    walk.do("formular_recomendaciones", especialista, recomendaciones)
    walk.do(
        "aprobar_recomendaciones",
        "director",
        {"decision_recomendaciones": "observadas", "observaciones_recomendaciones": "Costee."},
    )
    walk.do("formular_recomendaciones", especialista, recomendaciones)
    walk.do("aprobar_recomendaciones", "director", {"decision_recomendaciones": "aprobadas"})

    assert walk.waiting_at() == []  # follow-up every 30 days
    walk.pass_time(timedelta(days=31))
    walk.do(
        "informar_avance_medidas",
        especialista,
        {
            "avance_medidas": "Brigada contratada; digitación al 40 %.",
            "porcentaje_recomendaciones_implementadas": 40,
            "medidas_implementadas": False,
        },
    )
    assert walk.waiting_at() == []
    walk.pass_time(timedelta(days=31))
    walk.do(
        "informar_avance_medidas",
        especialista,
        {
            "avance_medidas": "Digitación concluida.",
            "porcentaje_recomendaciones_implementadas": 100,
            "medidas_implementadas": True,
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Reporte de seguimiento a los indicadores de desempeño",
        "Informe de verificación puntual de campo (Spot Check)",
        "Informe de seguimiento y evaluación de la ejecución presupuestal",
        "Informe de avance de los indicadores del Programa Presupuestal",
        "Reporte gerencial",
        "Informe de avance del POI",
        "Informe de avance de la implementación de recomendaciones",
        "Informe de avance de la implementación de recomendaciones",
    ]
    docs = walk.documents()
    assert docs[1].content["muestra"] == 40
    assert docs[2].title.startswith("Informe de seguimiento trimestral")
    assert docs[5].content["avance_fisico_pct"] == {"UOAL": 92, "UVCC": 92, "UA": 92}
    assert [d.content["implementadas_pct"] for d in docs[6:]] == [40, 100]


def test_ano_con_recomendaciones_desestimadas_y_estudios_de_evaluacion(process_db) -> None:  # type: ignore[no-untyped-def]
    walk = _start(process_db, "anual", "2026")
    _through_collection(walk, process_db, "anual", last="remitir_avance_uvcc")
    _consistent_and_measured(walk, process_db)
    walk.do("evaluar_avance_metas", staff(process_db, ESPECIALISTA), _evaluacion(True, False))
    _report_approved(walk, process_db)
    walk.do("remitir_informe_poi", "jefe.upp", REMISION_POI)
    walk.do(
        "formular_recomendaciones",
        staff(process_db, ESPECIALISTA),
        {
            "recomendaciones": "Reprogramar la meta de afiliación.",
            "unidades_involucradas": "UOAL",
            "plazo_implementacion": "2027-01-31",
        },
    )
    walk.do(
        "aprobar_recomendaciones",
        "director",
        {
            "decision_recomendaciones": "desestimadas",
            "observaciones_recomendaciones": "Año cerrado.",
        },
    )
    evaluador = staff(process_db, "Especialista en evaluación")
    propuesta = {
        "necesidades_evaluacion": "Efecto del incentivo en la asistencia escolar secundaria.",
        "recomendaciones_sistematizadas": "UVCC y DGSE piden medir la deserción escolar.",
        "estudios_propuestos": "Evaluación de resultados de la corresponsabilidad en educación.",
        "costo_estimado_estudios": "350000.00",
    }
    walk.do("identificar_necesidades_evaluacion", evaluador, propuesta)
    walk.do(
        "aprobar_propuesta_estudios",
        "director",
        {"decision_estudios": "observada", "observaciones_estudios": "Incluya la Amazonía."},
    )
    walk.do("identificar_necesidades_evaluacion", evaluador, propuesta)
    walk.do("aprobar_propuesta_estudios", "director", {"decision_estudios": "aprobada"})
    walk.do(
        "supervisar_estudios",
        evaluador,
        {"estado_estudios": "en ejecución", "avance_estudios": "Plan de trabajo aprobado."},
    )
    assert walk.waiting_at() == []
    walk.pass_time(timedelta(days=31))
    walk.do(
        "supervisar_estudios",
        evaluador,
        {"estado_estudios": "concluidos", "avance_estudios": "Informe final con conformidad."},
    )
    assert walk.state == "completed"
    kinds = walk.document_kinds()
    assert kinds[-2:] == ["Oficio", "Informe de supervisión de estudios de evaluación"]
    assert "Informe de avance de la implementación de recomendaciones" not in kinds
    oficio, informe = walk.documents()[-2:]
    assert (
        oficio.content["destinatario"] == "Dirección General de Seguimiento y Evaluación del MIDIS"
    )
    assert informe.content["comunicados_con"] == oficio.reference
    assert walk.documents()[1].title == "Evaluación anual de la ejecución presupuestal — 2026"


def test_semestre_sin_alertas_y_ano_con_estudios_desestimados(process_db) -> None:  # type: ignore[no-untyped-def]
    walk = _start(process_db, "semestral", "2026-S1")
    _through_collection(walk, process_db, "semestral", last="remitir_avance_ua")
    _consistent_and_measured(walk, process_db)
    walk.do("evaluar_avance_metas", staff(process_db, ESPECIALISTA), _evaluacion(False, False))
    _report_approved(walk, process_db)
    walk.do("remitir_informe_poi", "jefe.upp", REMISION_POI)
    assert walk.state == "completed"
    assert "Informe de avance del POI" in walk.document_kinds()

    walk = _start(process_db, "anual", "2025")
    _through_collection(walk, process_db, "anual", last="acopiar_sistemas")
    _consistent_and_measured(walk, process_db)
    walk.do("evaluar_avance_metas", staff(process_db, ESPECIALISTA), _evaluacion(False, False))
    _report_approved(walk, process_db)
    walk.do("remitir_informe_poi", "jefe.upp", REMISION_POI)
    walk.do(
        "identificar_necesidades_evaluacion",
        staff(process_db, "Especialista en evaluación"),
        {
            "necesidades_evaluacion": "Evaluación de impacto del acompañamiento familiar.",
            "recomendaciones_sistematizadas": "La DGSE ya programó una evaluación similar.",
            "estudios_propuestos": "Evaluación de impacto del apoyo familiar.",
            "costo_estimado_estudios": "500000",
        },
    )
    walk.do(
        "aprobar_propuesta_estudios",
        "director",
        {"decision_estudios": "desestimada", "observaciones_estudios": "La hará la DGSE."},
    )
    assert walk.state == "completed"
    assert "Oficio" not in walk.document_kinds()


def test_solo_los_cargos_del_carril_actuan_y_solo_los_iniciadores_inician(process_db) -> None:  # type: ignore[no-untyped-def]
    for outsider in ("gl.cajamarca", staff(process_db, ESPECIALISTA), "director"):
        with pytest.raises(PermissionDenied):
            Walk(process_db, KEY, outsider)
    walk = Walk(process_db, KEY, "jefe.upp")  # the owner may start it too
    walk.refuses("organizar_periodo", staff(process_db, ESPECIALISTA))
    walk.do(
        "organizar_periodo", staff(process_db, COORDINADOR), _organizacion("mensual", "2026-05")
    )
    walk.pass_time(timedelta(days=31))
    walk.refuses("remitir_avance_uoal", "jefe.uvcc")
    walk.refuses("remitir_avance_uoal", "esp.afiliaciones")  # in the UOAL, not its Jefe
    walk.refuses("remitir_avance_uvcc", "jefe.uoal")
    walk.refuses("remitir_avance_ua", "jefe.upp")
    with pytest.raises(ValidationError):  # money is a string with at most two decimals
        walk.do("acopiar_sistemas", staff(process_db, ESPECIALISTA), {**SISTEMAS, "pim_soles": 1.5})
    walk.refuses(
        "acopiar_sistemas", staff(process_db, "Especialista en Seguimiento - Coordinación Técnica")
    )
    walk.refuses("acopiar_sistemas", staff(process_db, "Analista Estadístico"))


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

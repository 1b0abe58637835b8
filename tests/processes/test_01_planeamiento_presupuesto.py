"""Proceso 01 — Planeamiento y presupuesto (Manual de Operaciones, V.2 1).

One instance per fiscal year: Programación → Formulación → Aprobación → Implementación, where
the Unidad de Administración requests Certificaciones de Crédito Presupuestario, the UPP
handles modificaciones presupuestarias, and the monthly follow-up closes the year.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import runtime
from engine.errors import PermissionDenied, ValidationError
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p01_planeamiento_presupuesto"

DE = "Director Ejecutivo"
JUPP = "Jefe de la Unidad de Planeamiento y Presupuesto"
EPP = "Especialista en Planeamiento y Presupuesto"
EPR = "Especialista en Presupuesto"
JUA = "Jefe de la Unidad de Administración"
JUOAL = "Jefe de la Unidad de Operaciones de Afiliación y Liquidación"
JUVCC = "Jefe de la Unidad de Verificación de Cumplimiento de Corresponsabilidades"

PLAN_ACCION = {
    "ejercicio_fiscal": 2027,
    "plan_accion_estrategica": "RDE N° 120-2026-MIDIS/PNADP-DE",
    "objetivos_estrategicos": "Ampliar la cobertura en distritos de pobreza extrema.",
    "lineamientos_politica": "DS N° 008-2013-MIDIS",
    "pesem_midis": "RM N° 101-2016-MIDIS",
    "pei_midis": "RM N° 027-2017-MIDIS",
    "directiva_pliego": "Directiva N° 004-2026-MIDIS/SG/OGPP",
    "equipo_tecnico": "Jefe de la UPP, dos especialistas de la UPP, un especialista de la UOAL.",
}
PROGRAMA = {
    "programa_presupuestal": "PP 0049 Programa Nacional de Apoyo Directo a los Más Pobres",
    "tipo_diseno_pp": "Programa presupuestal en continuidad sin rediseño",
    "norma_dgpp": "RD N° 0024-2026-EF/50.01",
    "cambios_anexo2": "Se actualizan los indicadores de producto y la población objetivo.",
    "productos_actividades": "Incentivos monetarios; verificación de corresponsabilidades.",
}
METAS_UOAL = {
    "hogares_meta_afiliacion": 35000,
    "hogares_meta_abonados": 720000,
    "presupuesto_meta_uoal": "850000000.00",
    "sustento_metas_uoal": "Padrón 2026 y proyección de afiliaciones.",
}
METAS_UVCC = {
    "hogares_meta_verificacion": 700000,
    "presupuesto_meta_uvcc": "12000000",
    "sustento_metas_uvcc": "Seis periodos de verificación.",
}
CONSOLIDACION = {
    "programacion_unidades": [
        {"unidad": "Unidad de Administración", "metas_fisicas": "12 procesos", "monto": "9000000"},
        {"unidad": "Unidades Territoriales", "metas_fisicas": "16 UT", "monto": "48000000.50"},
    ],
    "asistencia_tecnica_programacion": "Talleres con cada unidad según el instructivo.",
    "anteproyecto_poi": "Anteproyecto del POI 2027 con 48 actividades.",
    "demanda_global": "920000000",
}
MULTIANUAL = {
    "insumos_cuantificados": "Incentivos, personal CAS, movilidad, útiles.",
    "monto_anio_siguiente": "930000000",
    "monto_anio_subsiguiente": "945000000",
    "registro_siaf_programacion": True,
    "fecha_registro_siaf": "2026-05-15",
}
FORMULACION = {
    "presupuesto_preasignado": "900000000",
    "metas_actualizadas": "Se ajustan metas de afiliación a 33 000 hogares.",
    "asignacion_prioridades": "Prioridad a incentivos y verificación.",
    "registro_siaf_formulacion": True,
    "informe_formulacion": "Informe N° 050-2026-MIDIS/PNADP-UPP.",
}
SUSTENTACION = {
    "sustentacion_pliego": "2026-06-12",
    "sustentacion_mef": "2026-07-08",
    "sustentacion_congreso": "2026-10-20",
    "apoyo_tecnico_upp": "Fichas técnicas por producto.",
    "resultado_sustentacion": "Demanda sustentada; se mantiene el pre-asignado.",
}
AJUSTE = {
    "ley_presupuesto": "Ley N° 32185",
    "presupuesto_aprobado": "905000000",
    "ajustes_poi": "Se redistribuyen 5 millones a verificación.",
    "metas_por_proceso": "Afiliación 33 000; abonados 720 000.",
    "metas_por_ut": "Cajamarca 90 000; Puno 60 000; …",
    "informe_final": "Informe N° 090-2026-MIDIS/PNADP-UPP.",
}
MIDIS_APRUEBA = {
    "decision_midis": "Aprobado",
    "opinion_ogpp": "Informe N° 300-2026-MIDIS/SG/OGPP",
    "resolucion_midis": "RM N° 250-2026-MIDIS",
    "pia": "905000000",
}
PCA = {"pim": "905000000", "pca": "880000000", "fecha_pca": "2027-01-05"}
CCP = {
    "unidad_requirente": "Unidad de Comunicación e Imagen",
    "requerimiento": "Servicio de impresión de cartillas para hogares.",
    "monto_ccp": "45000.00",
    "meta_presupuestaria": "0012",
    "clasificador_gasto": "2.3.2 2.4 4",
    "pca_disponible": True,
}
EVALUACION_CCP = {
    "alineado_poi": True,
    "saldo_meta": "120000",
    "recomendacion_ccp": "Aprobar",
    "sustento_evaluacion_ccp": "Actividad prevista en el POI.",
}
MODIFICACION = {
    "unidad_responsable_meta": "Unidad de Tecnologías de Información",
    "tipo_modificacion": "Habilitación y anulación entre metas",
    "monto_modificacion": "250000",
    "metas_afectadas": "Habilita meta 0020 (licencias), anula meta 0018 (equipos).",
    "sustento_modificacion": "Cambio de prioridad por renovación de licencias.",
}


def people(db):  # type: ignore[no-untyped-def]
    return {name: staff(db, name) for name in (DE, JUPP, EPP, EPR, JUA, JUOAL, JUVCC)}


def programacion(walk: Walk, p: dict[str, str], observe: bool = False) -> None:
    walk.do("emitir_plan_accion", p[DE], PLAN_ACCION)
    walk.do("actualizar_programa_presupuestal", p[EPP], PROGRAMA)
    if observe:
        walk.do(
            "visar_programa_presupuestal",
            p[JUPP],
            {"decision_visado_pp": "Observado", "observaciones_visado_pp": "Falta el Anexo 2."},
        )
        assert walk.waiting_at() == ["actualizar_programa_presupuestal"]
        walk.do("actualizar_programa_presupuestal", p[EPP], PROGRAMA)
    walk.do("visar_programa_presupuestal", p[JUPP], {"decision_visado_pp": "Visado"})
    walk.do(
        "remitir_programa_presupuestal",
        p[DE],
        {
            "oficio_remision_pp": "Oficio N° 210-2026-MIDIS/PNADP-DE",
            "fecha_remision_pp": "2026-03-30",
        },
    )
    assert walk.waiting_at() == ["programar_metas_afiliacion", "programar_metas_verificacion"]
    # both operative units program their goals at once, in either order
    if observe:
        walk.do("programar_metas_verificacion", p[JUVCC], METAS_UVCC)
        assert walk.waiting_at() == ["programar_metas_afiliacion"]
        walk.do("programar_metas_afiliacion", p[JUOAL], METAS_UOAL)
    else:
        walk.do("programar_metas_afiliacion", p[JUOAL], METAS_UOAL)
        assert walk.waiting_at() == ["programar_metas_verificacion"]
        walk.do("programar_metas_verificacion", p[JUVCC], METAS_UVCC)
    assert walk.waiting_at() == ["consolidar_programacion"]
    walk.do("consolidar_programacion", p[EPP], CONSOLIDACION)
    if observe:
        walk.do(
            "considerar_demanda_global",
            p[DE],
            {"decision_demanda_de": "Observado", "observaciones_demanda_de": "Revisar UT."},
        )
        walk.do("consolidar_programacion", p[EPP], CONSOLIDACION)
    walk.do("considerar_demanda_global", p[DE], {"decision_demanda_de": "Conforme"})
    walk.do("registrar_programacion_multianual", p[EPR], MULTIANUAL)


def formulacion(walk: Walk, p: dict[str, str], observe: bool = False) -> None:
    walk.do("formular_poi", p[EPP], FORMULACION)
    if observe:
        walk.do(
            "revisar_formulacion",
            p[JUPP],
            {
                "decision_formulacion_upp": "Observado",
                "observaciones_formulacion_upp": "Sin sustento.",
            },
        )
        walk.do("formular_poi", p[EPP], FORMULACION)
    walk.do("revisar_formulacion", p[JUPP], {"decision_formulacion_upp": "Conforme"})
    if observe:
        walk.do(
            "aprobar_proyecto_poi",
            p[DE],
            {"decision_proyecto_de": "Observado", "observaciones_proyecto_de": "Priorizar UT."},
        )
        assert walk.waiting_at() == ["formular_poi"]
        walk.do("formular_poi", p[EPP], FORMULACION)
        walk.do("revisar_formulacion", p[JUPP], {"decision_formulacion_upp": "Conforme"})
    walk.do("aprobar_proyecto_poi", p[DE], {"decision_proyecto_de": "Aprobado"})
    walk.do("sustentar_demanda", p[DE], SUSTENTACION)


def aprobacion(walk: Walk, p: dict[str, str], observe: bool = False) -> None:
    walk.do("ajustar_programacion", p[EPP], AJUSTE)
    if observe:
        walk.do(
            "aprobar_poi_final",
            p[DE],
            {"decision_final_de": "Observado", "observaciones_final_de": "Ajustar metas."},
        )
        walk.do("ajustar_programacion", p[EPP], AJUSTE)
    walk.do("aprobar_poi_final", p[DE], {"decision_final_de": "Aprobado"})
    if observe:
        walk.do(
            "registrar_aprobacion_midis",
            p[EPP],
            {
                "decision_midis": "Observado",
                "opinion_ogpp": "Informe N° 280-2026-MIDIS/SG/OGPP",
                "observaciones_midis": "Desagregar metas por UT.",
            },
        )
        assert walk.waiting_at() == ["ajustar_programacion"]
        walk.do("ajustar_programacion", p[EPP], AJUSTE)
        walk.do("aprobar_poi_final", p[DE], {"decision_final_de": "Aprobado"})
    walk.do("registrar_aprobacion_midis", p[EPP], MIDIS_APRUEBA)
    walk.do("registrar_pca", p[EPR], PCA)


def year_in_execution(db, observe: bool = False):  # type: ignore[no-untyped-def]
    p = people(db)
    walk = Walk(db, KEY, p[JUPP])
    programacion(walk, p, observe)
    formulacion(walk, p, observe)
    aprobacion(walk, p, observe)
    assert walk.waiting_at() == ["registrar_propuesta_modificacion", "solicitar_ccp"]
    return walk, p


def request_ccp(walk: Walk, p: dict[str, str], **changes) -> None:  # type: ignore[no-untyped-def]
    walk.do("solicitar_ccp", p[JUA], {**CCP, **changes})


def test_ciclo_anual_sin_observaciones_certificacion_aprobada_y_cierre(process_db) -> None:  # type: ignore[no-untyped-def]
    walk, p = year_in_execution(process_db)
    assert walk.document_kinds() == [
        "Programa Presupuestal actualizado",
        "Plan Operativo y Presupuesto anual formulado",
    ]
    programa, poi = walk.documents()
    assert programa.content["ejercicio_fiscal"] == 2027
    assert programa.content["oficio_remision"] == "Oficio N° 210-2026-MIDIS/PNADP-DE"
    assert poi.content["presupuesto_preasignado"] == "900000000"

    request_ccp(walk, p)
    # the request goes to the UPP and a new one can be made at once
    assert walk.waiting_at() == ["evaluar_ccp", "registrar_propuesta_modificacion", "solicitar_ccp"]
    walk.do("evaluar_ccp", p[EPR], EVALUACION_CCP)
    walk.do("aprobar_ccp", p[JUPP], {"decision_ccp": "Aprobada", "numero_certificacion": "0000345"})
    assert walk.document_kinds()[-1] == "Certificación de Crédito Presupuestario"
    ccp = walk.documents()[-1]
    assert ccp.content["numero_siaf"] == "0000345" and ccp.content["monto"] == "45000.00"
    assert ccp.content["unidad_requirente"] == "Unidad de Comunicación e Imagen"

    walk.pass_time(timedelta(days=31))
    assert "analizar_ejecucion" in walk.waiting_at()
    seguimiento = {
        "periodo_seguimiento": "2027-01",
        "avance_ejecucion": 7.5,
        "asistencia_tecnica_metas": "Reunión con la UOAL sobre el calendario de abonos.",
        "cierre_ejercicio": False,
    }
    walk.do("analizar_ejecucion", p[EPP], seguimiento)
    assert "analizar_ejecucion" not in walk.waiting_at()
    walk.pass_time(timedelta(days=31))
    walk.do(
        "analizar_ejecucion",
        p[EPP],
        {
            **seguimiento,
            "periodo_seguimiento": "2027-12",
            "avance_ejecucion": 98.2,
            "cierre_ejercicio": True,
        },
    )
    # closing the year ends the standing request tasks too
    assert walk.state == "completed"
    assert walk.waiting_at() == []


def test_observaciones_en_programacion_formulacion_y_aprobacion(process_db) -> None:  # type: ignore[no-untyped-def]
    walk, _ = year_in_execution(process_db, observe=True)
    # the observed loops do not issue documents twice
    assert walk.document_kinds() == [
        "Programa Presupuestal actualizado",
        "Plan Operativo y Presupuesto anual formulado",
    ]
    assert walk.state == "running"


def test_certificaciones_rechazada_sin_pca_y_concurrentes(process_db) -> None:  # type: ignore[no-untyped-def]
    walk, p = year_in_execution(process_db)
    request_ccp(walk, p, requerimiento="Compra de mobiliario.", pca_disponible=False)
    # without PCA the request does not go to the UPP: the Especialista en Presupuesto is told
    assert walk.waiting_at() == ["registrar_propuesta_modificacion", "solicitar_ccp"]
    assert walk.notices() == [(EPR, "Requerimiento sin PCA disponible: Compra de mobiliario.")]

    request_ccp(walk, p, requerimiento="Servicio de courier.")
    request_ccp(walk, p, requerimiento="Pasajes para supervisión.", monto_ccp="8000")
    assert walk.waiting_at().count("evaluar_ccp") == 2
    first, second = [t for t in walk.open_tasks() if t.element_id == "evaluar_ccp"]
    with process_db.write_transaction() as s:
        actor = runtime.actor_for_login(s, p[EPR])
        runtime.claim(s, second.id, actor)
        runtime.complete(s, second.id, actor, {**EVALUACION_CCP, "recomendacion_ccp": "Rechazar"})
    walk.run_services()
    walk.do(
        "aprobar_ccp",
        p[JUPP],
        {"decision_ccp": "Rechazada", "motivo_rechazo_ccp": "La meta 0012 no tiene saldo."},
    )
    assert "Certificación de Crédito Presupuestario" not in walk.document_kinds()
    assert walk.notices()[-1] == (
        JUA,
        "Solicitud de CCP rechazada: Pasajes para supervisión.",
    )
    with process_db.write_transaction() as s:
        actor = runtime.actor_for_login(s, p[EPR])
        runtime.claim(s, first.id, actor)
        runtime.complete(s, first.id, actor, EVALUACION_CCP)
    walk.run_services()
    walk.do("aprobar_ccp", p[JUPP], {"decision_ccp": "Aprobada", "numero_certificacion": "0000400"})
    (ccp,) = [d for d in walk.documents() if d.kind == "Certificación de Crédito Presupuestario"]
    assert ccp.content["requerimiento"] == "Servicio de courier."
    assert walk.waiting_at() == ["registrar_propuesta_modificacion", "solicitar_ccp"]


def test_modificaciones_observada_improcedente_denegada_y_reformulacion(process_db) -> None:  # type: ignore[no-untyped-def]
    walk, p = year_in_execution(process_db)
    kinds_before = walk.document_kinds()

    # observada → subsanada → procede → aprobada → reformulación observada y aprobada
    walk.do("registrar_propuesta_modificacion", p[EPR], MODIFICACION)
    walk.do(
        "evaluar_modificacion",
        p[JUPP],
        {
            "decision_modificacion_upp": "Observada",
            "observaciones_modificacion_upp": "Falta sustento.",
        },
    )
    walk.do("subsanar_modificacion", p[EPR], {"subsanacion_modificacion": "Se adjunta informe."})
    walk.do("evaluar_modificacion", p[JUPP], {"decision_modificacion_upp": "Procede"})
    walk.do(
        "formalizar_modificacion",
        p[EPR],
        {
            "nivel_aprobacion_modificacion": "Pliego MIDIS",
            "resultado_modificacion": "Aprobada",
            "documento_modificacion": "RM N° 040-2027-MIDIS",
            "requiere_reformulacion": True,
        },
    )
    assert walk.document_kinds()[len(kinds_before) :] == ["Nota de Modificación Presupuestaria"]
    reformulacion = {
        "metas_reformuladas": "Meta 0020: 300 licencias.",
        "presupuesto_reformulado": "905000000",
        "sustento_reformulacion": "Modificación aprobada por RM N° 040-2027-MIDIS.",
    }
    walk.do("reformular_poi", p[EPP], reformulacion)
    walk.do(
        "aprobar_reformulacion",
        p[DE],
        {"decision_reformulacion_de": "Observado", "observaciones_reformulacion_de": "Precisar."},
    )
    walk.do("reformular_poi", p[EPP], reformulacion)
    walk.do("aprobar_reformulacion", p[DE], {"decision_reformulacion_de": "Aprobado"})
    nota, reformulado = walk.documents()[len(kinds_before) :]
    assert reformulado.kind == "Plan Operativo y Presupuesto anual reformulado"
    assert reformulado.content["metas"] == "Meta 0020: 300 licencias."
    assert nota.content["documento"] == "RM N° 040-2027-MIDIS"

    # aprobada sin reformulación
    walk.do(
        "registrar_propuesta_modificacion", p[EPR], {**MODIFICACION, "monto_modificacion": "1000"}
    )
    walk.do("evaluar_modificacion", p[JUPP], {"decision_modificacion_upp": "Procede"})
    walk.do(
        "formalizar_modificacion",
        p[EPR],
        {
            "nivel_aprobacion_modificacion": "Institucional (nota de modificación en el SIAF)",
            "resultado_modificacion": "Aprobada",
            "documento_modificacion": "Nota N° 0000123",
            "requiere_reformulacion": False,
        },
    )
    # improcedente, and denegada by the Pliego: the head of the unit is told
    walk.do("registrar_propuesta_modificacion", p[EPR], MODIFICACION)
    walk.do(
        "evaluar_modificacion",
        p[JUPP],
        {
            "decision_modificacion_upp": "Improcedente",
            "observaciones_modificacion_upp": "Fuera de plazo.",
        },
    )
    walk.do(
        "registrar_propuesta_modificacion",
        p[EPR],
        {**MODIFICACION, "tipo_modificacion": "Crédito suplementario"},
    )
    walk.do("evaluar_modificacion", p[JUPP], {"decision_modificacion_upp": "Procede"})
    walk.do(
        "formalizar_modificacion",
        p[EPR],
        {
            "nivel_aprobacion_modificacion": "Pliego MIDIS",
            "resultado_modificacion": "Denegada",
            "requiere_reformulacion": False,
        },
    )
    assert walk.document_kinds()[len(kinds_before) :] == [
        "Nota de Modificación Presupuestaria",
        "Plan Operativo y Presupuesto anual reformulado",
        "Nota de Modificación Presupuestaria",
    ]
    jefe_uti = "Jefe de la Unidad de Tecnologías de Información"
    assert walk.notices() == [
        (jefe_uti, "Modificación presupuestaria no aprobada: Habilitación y anulación entre metas"),
        (jefe_uti, "Modificación presupuestaria no aprobada: Crédito suplementario"),
    ]
    assert walk.waiting_at() == ["registrar_propuesta_modificacion", "solicitar_ccp"]


def test_solo_los_cargos_del_carril_y_los_iniciadores(process_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied), process_db.write_transaction() as s:
        runtime.start_instance(s, KEY, runtime.actor_for_login(s, staff(process_db, EPR)))
    with pytest.raises(PermissionDenied), process_db.write_transaction() as s:
        runtime.start_instance(s, KEY, runtime.actor_for_login(s, "gl.cajamarca"))

    p = people(process_db)
    walk = Walk(process_db, KEY, p[DE])
    walk.refuses("emitir_plan_accion", p[JUPP])
    walk.refuses("emitir_plan_accion", "jefe.ut.cajamarca")
    walk.do("emitir_plan_accion", p[DE], PLAN_ACCION)
    walk.refuses("actualizar_programa_presupuestal", p[EPR])
    walk.refuses(
        "actualizar_programa_presupuestal",
        staff(process_db, "Especialista en Organización y Métodos"),
    )
    walk.do("actualizar_programa_presupuestal", p[EPP], PROGRAMA)
    walk.refuses("visar_programa_presupuestal", p[EPP])  # the one who prepared it
    with pytest.raises(ValidationError, match="observaciones_visado_pp"):
        walk.do("visar_programa_presupuestal", p[JUPP], {"decision_visado_pp": "Observado"})
    walk.do("visar_programa_presupuestal", p[JUPP], {"decision_visado_pp": "Visado"})

    walk, p = year_in_execution(process_db)
    walk.refuses("solicitar_ccp", p[EPR])
    walk.refuses("solicitar_ccp", staff(process_db, "Coordinador de Logística"))
    request_ccp(walk, p)
    walk.refuses("evaluar_ccp", p[JUA])
    walk.refuses("evaluar_ccp", p[EPP])
    walk.do("evaluar_ccp", p[EPR], EVALUACION_CCP)
    walk.refuses("aprobar_ccp", p[EPR])
    walk.refuses("aprobar_ccp", p[JUA])


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

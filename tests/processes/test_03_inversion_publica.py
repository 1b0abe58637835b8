"""Proceso 03 — Inversión pública (Manual de Operaciones, V.2 3).

One instance per public investment project (PIP): idea → not fractioned → pre-investment study
→ viability by the OPI Sectorial → expediente técnico and its consistency → execution with the
follow-up of the Comité de Seguimiento for prioritised PIPs → liquidation and closing →
operation → ex-post evaluation, issuing the SNIP formats along the way.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import runtime
from engine.errors import PermissionDenied
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p03_inversion_publica"

JUPP = "Jefe de la Unidad de Planeamiento y Presupuesto"
EPIP = "Especialista en Proyectos de Inversión Pública"
EPR = "Especialista en Presupuesto"
JUA = "Jefe de la Unidad de Administración"

IDEA = {
    "unidad_proponente": "Unidad de Tecnologías de Información",
    "nombre_idea": "Mejoramiento del servicio de información del padrón de hogares",
    "problema_necesidad": "El sistema del padrón no soporta la carga de los periodos de abono.",
    "alineamiento_idea": "PEI MIDIS OEI.03; POI 2027, actividad 5.",
    "cartera_iniciativas": "CI-2027-004",
    "marco_normativo": "Ley N° 27293 y su Reglamento; Ley General del Sistema de Presupuesto.",
    "monto_estimado": "3500000",
    "asistencia_tecnica_idea": "Taller de identificación del problema con la UTI.",
    "uf_inscrita_banco": False,
}
NO_FRACCIONADO = {
    "analisis_fraccionamiento": "No forma parte de otro PIP del Programa.",
    "es_fraccionado": False,
}
TDR = {
    "modalidad_estudio": "Contratación de consultoría",
    "nivel_estudio": "Perfil",
    "alcance_estudio": "Diagnóstico, alternativas, evaluación social.",
    "costo_estudio": "80000",
    "plazo_estudio_dias": 90,
}
ESTUDIO = {
    "problema_central": "Baja disponibilidad del sistema del padrón.",
    "alternativas": "A: renovación de servidores; B: servicio en nube.",
    "alternativa_seleccionada": "B: servicio en nube.",
    "monto_inversion": "3200000.00",
    "rentabilidad_social": "Costo-efectividad: S/ 4.40 por hogar.",
    "sostenibilidad": "Operación a cargo de la UTI con recursos ordinarios.",
}
VIABLE = {
    "resultado_opi": "Viable",
    "informe_opi": "Informe Técnico N° 020-2027-MIDIS/SG/OGPP-OPI",
    "codigo_snip": "312456",
    "pip_priorizado": True,
}
EXPEDIENTE = {
    "modalidad_ejecucion": "Administración indirecta (por contrata)",
    "descripcion_expediente": "Migración, licencias, capacitación.",
    "monto_expediente": "3350000",
    "plazo_ejecucion_dias": 240,
}
AVANCE = {
    "periodo_avance": "2027-09",
    "avance_fisico": 40,
    "avance_financiero": 35.5,
    "monto_devengado": "1180000",
    "ejecucion_concluida": False,
}
SOSEM = {
    "fecha_comite": "2027-09-30",
    "situacion_pip": "En riesgo",
    "medidas_recomendadas": "Acelerar la conformidad de la migración.",
}


def people(db):  # type: ignore[no-untyped-def]
    return {name: staff(db, name) for name in (JUPP, EPIP, EPR, JUA)}


def to_opi(walk: Walk, p: dict[str, str], idea=IDEA, tdr=TDR) -> None:  # type: ignore[no-untyped-def]
    walk.do("registrar_idea", p[EPIP], idea)
    walk.do("verificar_fraccionamiento", p[EPIP], NO_FRACCIONADO)
    walk.do("elaborar_terminos_referencia", p[EPIP], tdr)
    walk.do("elaborar_estudio_preinversion", p[EPIP], ESTUDIO)
    walk.do("aprobar_estudio_preinversion", p[JUPP], {"decision_estudio_uf": "Conforme"})
    assert walk.waiting_at() == ["registrar_evaluacion_opi"]


def close_and_operate(walk: Walk, p: dict[str, str]) -> None:
    walk.do(
        "liquidar_proyecto",
        p[JUA],
        {
            "monto_liquidado": "3348000.00",
            "resolucion_liquidacion": "RA N° 055-2028-MIDIS/PNADP-UA",
            "fecha_liquidacion": "2028-03-15",
        },
    )
    walk.do(
        "elaborar_informe_cierre",
        p[JUA],
        {"logro_objetivos": "Disponibilidad de 99,5 %.", "cumplimiento_metas": "100 % de metas."},
    )
    walk.do(
        "asignar_recursos_operacion",
        p[EPR],
        {
            "monto_operacion_anual": "420000",
            "meta_operacion": "0031",
            "unidad_operadora": "Unidad de Tecnologías de Información",
            "inicio_operacion": "2028-04-01",
        },
    )
    assert walk.waiting_at() == []  # the ex-post evaluation waits for a period of operation


def test_pip_priorizado_con_observaciones_hasta_la_evaluacion_ex_post(process_db) -> None:  # type: ignore[no-untyped-def]
    p = people(process_db)
    walk = Walk(process_db, KEY, p[EPIP])
    walk.do("registrar_idea", p[EPIP], IDEA)
    assert walk.document_kinds() == ["Formato SNIP 01"]  # the UF was not yet registered
    walk.do("verificar_fraccionamiento", p[EPIP], NO_FRACCIONADO)
    walk.do("elaborar_terminos_referencia", p[EPIP], TDR)
    walk.do("elaborar_estudio_preinversion", p[EPIP], ESTUDIO)
    walk.do(
        "aprobar_estudio_preinversion",
        p[JUPP],
        {"decision_estudio_uf": "Observado", "observaciones_estudio_uf": "Sustentar costos."},
    )
    assert walk.waiting_at() == ["elaborar_estudio_preinversion"]
    walk.do("elaborar_estudio_preinversion", p[EPIP], ESTUDIO)
    walk.do("aprobar_estudio_preinversion", p[JUPP], {"decision_estudio_uf": "Conforme"})
    walk.do(
        "registrar_evaluacion_opi",
        p[EPIP],
        {
            "resultado_opi": "Observado",
            "informe_opi": "Informe N° 011-2027-OPI",
            "observaciones_opi": "Precisar la demanda.",
        },
    )
    assert walk.waiting_at() == ["elaborar_estudio_preinversion"]
    walk.do("elaborar_estudio_preinversion", p[EPIP], ESTUDIO)
    walk.do("aprobar_estudio_preinversion", p[JUPP], {"decision_estudio_uf": "Conforme"})
    walk.do("registrar_evaluacion_opi", p[EPIP], VIABLE)
    assert walk.waiting_at() == ["elaborar_expediente_tecnico"]

    walk.do("elaborar_expediente_tecnico", p[JUA], EXPEDIENTE)
    walk.do(
        "verificar_consistencia",
        p[EPIP],
        {"resultado_consistencia": "Inconsistente", "variaciones": "Cambia la alternativa."},
    )
    assert walk.waiting_at() == ["elaborar_expediente_tecnico"]
    walk.do("elaborar_expediente_tecnico", p[JUA], EXPEDIENTE)
    walk.do(
        "verificar_consistencia",
        p[EPIP],
        {
            "resultado_consistencia": "Con modificaciones sustentadas",
            "variaciones": "Incremento de 4,7 % por licencias.",
        },
    )
    walk.do("registrar_avance_ejecucion", p[JUA], AVANCE)
    walk.do("registrar_seguimiento_sosem", p[EPIP], SOSEM)
    assert walk.waiting_at() == []  # next period
    walk.pass_time(timedelta(days=31))
    walk.do(
        "registrar_avance_ejecucion",
        p[JUA],
        {
            **AVANCE,
            "periodo_avance": "2027-10",
            "avance_fisico": 100,
            "avance_financiero": 100,
            "monto_devengado": "3348000",
            "ejecucion_concluida": True,
        },
    )
    walk.do("registrar_seguimiento_sosem", p[EPIP], {**SOSEM, "situacion_pip": "Adecuada"})
    close_and_operate(walk, p)
    walk.pass_time(timedelta(days=366))
    walk.do(
        "evaluar_ex_post",
        p[JUA],
        {
            "coordinacion_opi": "Oficio N° 090-2029-MIDIS/PNADP-UA",
            "metas_alcanzadas": "Sistema disponible en los 6 periodos de abono.",
            "resultados_obtenidos": "Reducción de 30 % en reclamos por abono.",
            "conclusiones_ex_post": "Resultados según lo previsto.",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Formato SNIP 01",
        "Términos de Referencia",
        "Estudio de Pre inversión",
        "Formato SNIP 03",
        "Estudio de Pre inversión",  # the study is issued again after the OPI's observations
        "Formato SNIP 03",
        "Expediente Técnico",
        "Expediente Técnico",
        "Informe Técnico sobre Modificaciones en la Fase de Inversión",
        "Formato SNIP 15",
        "Formatos SNIP-18 y SNIP-19",
        "Formatos SNIP-18 y SNIP-19",
        "Proyecto de inversión pública ejecutado",
        "Liquidación del proyecto de inversión pública",
        "Formato SNIP 14",
        "Evaluación Ex post",
    ]
    docs = {d.kind: d for d in walk.documents()}
    assert docs["Formato SNIP 15"].content["resultado"] == "Con modificaciones sustentadas"
    assert docs["Formato SNIP 03"].content["monto_inversion"] == "3200000.00"
    assert docs["Formato SNIP 14"].content["monto_liquidado"] == "3348000.00"
    assert docs["Formatos SNIP-18 y SNIP-19"].content["periodo"] == "2027-10"
    assert docs["Evaluación Ex post"].title == "Evaluación ex post del PIP 312456"


def test_pip_no_priorizado_con_uf_inscrita_y_plan_de_trabajo(process_db) -> None:  # type: ignore[no-untyped-def]
    p = people(process_db)
    walk = Walk(process_db, KEY, p[JUPP])
    to_opi(
        walk,
        p,
        {**IDEA, "uf_inscrita_banco": True},
        {**TDR, "modalidad_estudio": "Elaboración directa por la UF"},
    )
    walk.do("registrar_evaluacion_opi", p[EPIP], {**VIABLE, "pip_priorizado": False})
    walk.do("elaborar_expediente_tecnico", p[JUA], EXPEDIENTE)
    walk.do(
        "verificar_consistencia",
        p[EPIP],
        {"resultado_consistencia": "Consistente", "variaciones": "Ninguna."},
    )
    walk.do("registrar_avance_ejecucion", p[JUA], {**AVANCE, "ejecucion_concluida": True})
    assert walk.waiting_at() == ["liquidar_proyecto"]  # no Comité de Seguimiento
    assert walk.document_kinds() == [
        "Plan de Trabajo",
        "Estudio de Pre inversión",
        "Formato SNIP 03",
        "Expediente Técnico",
        "Formato SNIP 15",
        "Proyecto de inversión pública ejecutado",
    ]
    close_and_operate(walk, p)


def test_idea_fraccionada_no_se_admite(process_db) -> None:  # type: ignore[no-untyped-def]
    p = people(process_db)
    walk = Walk(process_db, KEY, p[EPIP])
    walk.do("registrar_idea", p[EPIP], {**IDEA, "uf_inscrita_banco": True})
    walk.do(
        "verificar_fraccionamiento",
        p[EPIP],
        {"analisis_fraccionamiento": "Es un componente del PIP 298765.", "es_fraccionado": True},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []
    assert walk.notices() == [
        (
            "Jefe de la Unidad de Tecnologías de Información",
            "Idea de proyecto no admitida (fraccionamiento): " + IDEA["nombre_idea"],
        )
    ]


def test_pip_no_viable(process_db) -> None:  # type: ignore[no-untyped-def]
    p = people(process_db)
    walk = Walk(process_db, KEY, p[EPIP])
    to_opi(walk, p, {**IDEA, "unidad_proponente": "Unidad de Comunicación e Imagen"})
    walk.do(
        "registrar_evaluacion_opi",
        p[EPIP],
        {"resultado_opi": "No viable", "informe_opi": "Informe N° 030-2027-OPI"},
    )
    assert walk.state == "completed"
    assert "Expediente Técnico" not in walk.document_kinds()
    assert walk.notices()[-1][0] == "Jefe de la Unidad de Comunicación e Imagen"


def test_solo_los_cargos_del_carril_y_los_iniciadores(process_db) -> None:  # type: ignore[no-untyped-def]
    for login in ("jefe.uti", staff(process_db, EPR), "ctt.cusco"):
        with pytest.raises(PermissionDenied), process_db.write_transaction() as s:
            runtime.start_instance(s, KEY, runtime.actor_for_login(s, login))
    p = people(process_db)
    walk = Walk(process_db, KEY, p[EPIP])
    walk.refuses("registrar_idea", "jefe.uti")
    walk.refuses("registrar_idea", staff(process_db, "Especialista en Organización y Métodos"))
    to_opi(walk, p)
    walk.do("registrar_evaluacion_opi", p[EPIP], VIABLE)
    walk.refuses("elaborar_expediente_tecnico", p[EPIP])
    walk.refuses("elaborar_expediente_tecnico", staff(process_db, "Coordinador de Logística"))
    walk.do("elaborar_expediente_tecnico", p[JUA], EXPEDIENTE)
    walk.refuses("verificar_consistencia", p[JUA])


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

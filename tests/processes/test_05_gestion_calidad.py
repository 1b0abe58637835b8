"""Proceso 05 — Gestión de calidad (Manual de Operaciones, V.2 5).

The PDCA cycle on a process to improve: plan (UPP opinion, Director's approval), execution
with technical assistance, evaluation after the period set in the plan (a timer), and the
Director's revision with its three outcomes — partial errors start a new cycle, no relevant
errors apply the changes at scale, insurmountable errors abandon them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.errors import PermissionDenied
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p05_gestion_calidad"
ESPECIALISTA = "Especialista en Gestión de Calidad - Coordinación Técnica"

NECESIDAD = {
    "lineamientos_politica_calidad": "Lineamientos de Política de Gestión de la Calidad (MIDIS)",
    "plan_accion_estrategica": "Plan de Acción Estratégica 2026-2028, objetivo 3",
    "documento_percepcion_usuario": "Informe sobre atenciones realizadas N° 0003-2026",
    "necesidades_mejora": "Reclamos recurrentes por pagos no cobrados por desconocer la fecha.",
    "proceso_a_mejorar": "Servicio para el retiro del incentivo monetario",
    "unidad_responsable_proceso": "Unidad de Operaciones de Afiliación y Liquidación",
}


def _plan(dias: int = 30) -> dict[str, Any]:
    return {
        "datos_proceso": "En 2026-03 hubo 140 reclamos; 60 % por desconocer la fecha de pago.",
        "objetivo_mejora": "Reducir los reclamos por desconocimiento de la fecha de pago.",
        "especificaciones_resultado": "Menos de 30 reclamos mensuales por esta causa.",
        "indicador_mejora": "Reclamos mensuales por desconocimiento de la fecha de pago",
        "meta_indicador": "< 30",
        "acciones_mejora": "Aviso por SMS tres días antes del pago (UOAL, desde abril).",
        "plazo_ejecucion_dias": dias,
    }


ASISTENCIA = {
    "fecha_asistencia": "2026-04-02",
    "modalidad_asistencia": "virtual",
    "participantes_asistencia": "Especialistas de la UOAL y Comunicadores de las UT",
    "temas_asistencia": "Especificaciones del aviso y registro de los envíos",
    "acuerdos_asistencia": "La UOAL reporta semanalmente los avisos enviados.",
}
SEGUIMIENTO = {
    "acciones_ejecutadas": "Se enviaron avisos a 95 % de los hogares de las UT piloto.",
    "variaciones_observadas": "Dos UT con números de teléfono desactualizados.",
    "registros_control": "Reporte semanal de envíos de la UOAL, abril-mayo",
}


def _evaluacion(resultado: str) -> dict[str, Any]:
    return {
        "valor_indicador_obtenido": "41",
        "comparacion_objetivos": "Bajaron los reclamos pero no se alcanzó la meta de menos de 30.",
        "conclusiones_evaluacion": "Hay mejora; falta actualizar teléfonos en dos UT.",
        "resultado_propuesto": resultado,
    }


def _revision(decision: str) -> dict[str, Any]:
    return {"decision_revision": decision, "fundamento_revision": f"Decisión: {decision}."}


RETRO = {
    "lecciones_aprendidas": "Validar los datos de contacto antes de diseñar un aviso masivo.",
    "mejoras_planificacion": "Incluir la calidad de datos en la línea de base.",
}


def _start(db) -> tuple[Walk, str]:  # type: ignore[no-untyped-def]
    especialista = staff(db, ESPECIALISTA)
    walk = Walk(db, KEY, especialista)
    walk.do("identificar_necesidad_mejora", especialista, NECESIDAD)
    return walk, especialista


def _execute_and_evaluate(walk: Walk, especialista: str, dias: int, resultado: str) -> None:
    walk.do("brindar_asistencia_tecnica", especialista, ASISTENCIA)
    assert walk.waiting_at() == []  # executing: waits for the period set in the plan
    walk.pass_time(timedelta(days=dias - 1))
    assert walk.waiting_at() == []
    walk.pass_time(timedelta(days=dias + 1))
    walk.do("registrar_seguimiento_ejecucion", especialista, SEGUIMIENTO)
    walk.do("evaluar_resultados", especialista, _evaluacion(resultado))


def test_errores_parciales_abren_un_nuevo_ciclo_que_luego_se_aplica_a_gran_escala(
    process_db,
) -> None:  # type: ignore[no-untyped-def]
    walk, especialista = _start(process_db)
    walk.do("planificar_mejora", especialista, _plan(30))
    walk.do(
        "opinar_plan_mejora",
        "jefe.upp",
        {"decision_upp_plan": "observado", "opinion_upp_plan": "Precise la línea de base."},
    )
    assert walk.waiting_at() == ["planificar_mejora"]
    walk.do("planificar_mejora", especialista, _plan(30))
    walk.do("opinar_plan_mejora", "jefe.upp", {"decision_upp_plan": "favorable"})
    walk.do(
        "aprobar_plan_mejora",
        "director",
        {"decision_director_plan": "observado", "observaciones_director_plan": "Incluya las UT."},
    )
    assert walk.waiting_at() == ["planificar_mejora"]
    walk.do("planificar_mejora", especialista, _plan(30))
    walk.do("opinar_plan_mejora", "jefe.upp", {"decision_upp_plan": "favorable"})
    walk.do("aprobar_plan_mejora", "director", {"decision_director_plan": "aprobado"})
    _execute_and_evaluate(walk, especialista, 30, "errores parciales")
    walk.do("revisar_y_actualizar", "director", _revision("nuevo ciclo"))

    assert walk.waiting_at() == ["planificar_mejora"]  # second PDCA cycle
    walk.do("planificar_mejora", especialista, _plan(60))
    walk.do("opinar_plan_mejora", "jefe.upp", {"decision_upp_plan": "favorable"})
    walk.do("aprobar_plan_mejora", "director", {"decision_director_plan": "aprobado"})
    _execute_and_evaluate(walk, especialista, 60, "sin errores relevantes")
    walk.do("revisar_y_actualizar", "director", _revision("aplicar a gran escala"))
    walk.do(
        "aplicar_a_gran_escala",
        "coord.tecnico",
        {
            "unidades_alcanzadas": "Todas las Unidades Territoriales",
            "fecha_aplicacion": "2026-08-01",
            "documento_aplicacion": "Memorando Múltiple N° 012-2026-MIDIS/PNADP-DE",
        },
    )
    walk.do("registrar_retroalimentacion", especialista, RETRO)

    assert walk.state == "completed"
    assert walk.data["ciclo_pdca"] == 2
    assert walk.document_kinds() == [
        "Plan de mejora continua",
        "Informe de asistencia técnica en gestión de calidad",
        "Informe del seguimiento y medición de los procesos",
        "Plan de mejora continua",
        "Informe de asistencia técnica en gestión de calidad",
        "Informe del seguimiento y medición de los procesos",
        "Disposición de aplicación a gran escala de mejoras",
    ]
    docs = walk.documents()
    assert docs[0].title.endswith("ciclo 1") and docs[3].title.endswith("ciclo 2")
    assert docs[3].content["plazo_ejecucion_dias"] == 60
    assert docs[5].content["resultado_propuesto"] == "sin errores relevantes"
    assert docs[6].content["plan"] == docs[3].reference
    assert docs[6].content["ciclos"] == 2


def test_errores_insalvables_abandonan_las_modificaciones(process_db) -> None:  # type: ignore[no-untyped-def]
    walk, especialista = _start(process_db)
    walk.do("planificar_mejora", especialista, _plan(15))
    walk.do("opinar_plan_mejora", "jefe.upp", {"decision_upp_plan": "favorable"})
    walk.do("aprobar_plan_mejora", "director", {"decision_director_plan": "aprobado"})
    _execute_and_evaluate(walk, especialista, 15, "errores insalvables")
    walk.do("revisar_y_actualizar", "director", _revision("abandonar las modificaciones"))
    walk.do("registrar_retroalimentacion", especialista, RETRO)
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Plan de mejora continua",
        "Informe de asistencia técnica en gestión de calidad",
        "Informe del seguimiento y medición de los procesos",
        "Constancia de abandono de modificaciones",
    ]
    abandono = walk.documents()[-1]
    assert abandono.body == "Decisión: abandonar las modificaciones."
    assert abandono.content["ciclos"] == 1


def test_solo_los_cargos_del_carril_actuan_y_solo_los_iniciadores_inician(process_db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        Walk(process_db, KEY, "gl.cajamarca")
    walk = Walk(process_db, KEY, "director")  # the owner may start it too
    especialista = staff(process_db, ESPECIALISTA)
    # another specialist of the same Coordinación Técnica, not in quality management
    walk.refuses(
        "identificar_necesidad_mejora",
        staff(process_db, "Especialista en Seguimiento - Coordinación Técnica"),
    )
    walk.refuses("identificar_necesidad_mejora", "director")
    walk.do("identificar_necesidad_mejora", especialista, NECESIDAD)
    walk.do("planificar_mejora", especialista, _plan(20))
    walk.refuses("opinar_plan_mejora", especialista)
    walk.refuses(
        "opinar_plan_mejora", staff(process_db, "Especialista en Planeamiento y Presupuesto")
    )
    walk.do("opinar_plan_mejora", "jefe.upp", {"decision_upp_plan": "favorable"})
    walk.refuses("aprobar_plan_mejora", "coord.tecnico")
    walk.refuses("aprobar_plan_mejora", "jefe.upp")


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

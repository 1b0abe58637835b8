"""Proceso 02 — Organización y métodos (Manual de Operaciones, V.2 2).

One instance per normative document: proposal of a unit → UPP technical report → legal report
and visa of Asesoría Jurídica → approval by Resolución de Dirección Ejecutiva (or, for the
Manual de Operaciones, by the MIDIS with a Resolución Ministerial) → implementation schedule →
compliance survey with reminders to the units that do not comply → annual evaluation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import runtime
from engine.errors import PermissionDenied, ValidationError
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p02_organizacion_metodos"

DE = "Director Ejecutivo"
JUPP = "Jefe de la Unidad de Planeamiento y Presupuesto"
EOM = "Especialista en Organización y Métodos"
JUAJ = "Jefe de la Unidad de Asesoría Jurídica"

DIRECTIVA = {
    "unidad_formuladora": "Unidad de Verificación del Cumplimiento de Corresponsabilidades",
    "tipo_documento": "Directiva",
    "nombre_documento": "Directiva de verificación de corresponsabilidades en salud",
    "diagnostico_situacional": "El 12 % de las verificaciones se registra fuera de plazo.",
    "alineamiento": "PEI 2024-2027, OEI.02; Plan de Acción Estratégica 2027.",
    "sustentacion_tecnica": "Se unifican los plazos y formatos de verificación.",
    "informe_tecnico_unidad": "Informe N° 015-2027-MIDIS/PNADP-UVCC",
    "validacion_unidades": "Validado por la UOAL y la UTI.",
}
MANUAL = {
    **DIRECTIVA,
    "unidad_formuladora": "Unidad de Planeamiento y Presupuesto",
    "tipo_documento": "Manual de Operaciones",
    "nombre_documento": "Actualización del Manual de Operaciones del Programa JUNTOS",
    "informe_tecnico_unidad": "Informe N° 030-2027-MIDIS/PNADP-UPP",
}
CONVENIO = {
    **DIRECTIVA,
    "unidad_formuladora": "Unidad de Operaciones de Afiliación y Liquidación",
    "tipo_documento": "Convenio específico",
    "nombre_documento": "Convenio específico con el RENIEC para la validación de identidad",
    "contraparte_convenio": "Registro Nacional de Identificación y Estado Civil",
}
EVALUACION = {
    "criterios_tecnicos": "Estructura según la directiva de documentos normativos.",
    "conclusion_upp": "La propuesta es técnicamente viable.",
    "resultado_evaluacion_upp": "Favorable",
}
LEGAL = {
    "base_legal": "DS N° 012-2012-MIDIS; Ley N° 29792.",
    "conclusion_legal": "Es legalmente viable.",
    "decision_uaj": "Visado",
}
CRONOGRAMA = {
    "acciones_cronograma": [
        {
            "accion": "Capacitación a las UT",
            "fecha": "2027-05-10",
            "responsable": "Unidades Territoriales",
        },
        {
            "accion": "Adecuación del SITC",
            "fecha": "2027-06-01",
            "responsable": "Unidad de Tecnologías de Información",
        },
    ]
}
ENCUESTA = {"unidades_encuestadas": 12, "resultados_encuesta": "10 de 12 unidades la aplican."}


def people(db):  # type: ignore[no-untyped-def]
    return {name: staff(db, name) for name in (DE, JUPP, EOM, JUAJ)}


def to_legal(walk: Walk, p: dict[str, str], proposal: dict) -> None:  # type: ignore[type-arg]
    walk.do("registrar_propuesta", p[EOM], proposal)
    walk.do("evaluar_propuesta", p[EOM], EVALUACION)
    walk.do("firmar_informe_upp", p[JUPP], {"decision_informe_upp": "Conforme"})
    assert walk.waiting_at() == ["elaborar_informe_legal"]


def implement(walk: Walk, p: dict[str, str]) -> None:
    walk.do(
        "presentar_documento",
        p[EOM],
        {
            "fecha_presentacion": "2027-04-20",
            "unidades_participantes": ["Unidades Territoriales", "Unidad de Administración"],
            "innovaciones": "Nuevos plazos de registro.",
        },
    )
    walk.do("elaborar_cronograma", p[EOM], CRONOGRAMA)
    walk.do(
        "registrar_ejecucion_cronograma",
        p[EOM],
        {"acciones_ejecutadas": "Capacitación en 16 UT.", "avance_cronograma": 100},
    )
    assert walk.waiting_at() == []  # the survey waits for the first months of application


def annual(walk: Walk, p: dict[str, str], conclusion: str) -> None:
    walk.pass_time(timedelta(days=366))
    walk.do(
        "evaluar_cumplimiento_anual",
        p[EOM],
        {
            "periodo_evaluado": "2027",
            "nivel_cumplimiento": 91.5,
            "hallazgos_evaluacion": "Dos UT registran fuera de plazo.",
            "resultado_evaluacion_anual": conclusion,
        },
    )


def test_directiva_aprobada_por_resolucion_implementada_con_recordatorios_y_evaluada(
    process_db,
) -> None:  # type: ignore[no-untyped-def]
    p = people(process_db)
    walk = Walk(process_db, KEY, p[EOM])
    to_legal(walk, p, DIRECTIVA)
    walk.do("elaborar_informe_legal", p[JUAJ], LEGAL)
    assert walk.waiting_at() == ["aprobar_documento"]
    walk.do("aprobar_documento", p[DE], {"decision_de": "Aprobado", "vigencia_desde": "2027-04-15"})
    assert walk.document_kinds() == [
        "Informe Técnico",
        "Informe Legal",
        "Resolución de Dirección Ejecutiva",
        "Directiva",
    ]
    informe, legal, resolucion, directiva = walk.documents()
    assert resolucion.content["informe_tecnico_upp"] == informe.reference
    assert resolucion.content["informe_legal"] == legal.reference
    assert resolucion.content["informe_unidad_formuladora"] == DIRECTIVA["informe_tecnico_unidad"]
    assert directiva.title == DIRECTIVA["nombre_documento"]
    assert directiva.content["aprobado_por"] == resolucion.reference

    implement(walk, p)
    assert walk.document_kinds()[-1] == "Cronograma de implementación"
    assert walk.documents()[-1].content["acciones"] == CRONOGRAMA["acciones_cronograma"]

    walk.pass_time(timedelta(days=61))
    incumplen = ["Unidad de Administración", "Unidad de Comunicación e Imagen"]
    walk.do("aplicar_encuesta", p[EOM], {**ENCUESTA, "unidades_incumplen": incumplen})
    assert walk.waiting_at() == []
    assert [n[0] for n in walk.notices()] == [
        "Jefe de la Unidad de Administración",
        "Jefe de la Unidad de Comunicación e Imagen",
    ]
    assert all(s.startswith("Recordatorio de cumplimiento") for _, s in walk.notices())
    walk.pass_time(timedelta(days=31))  # after the reminders' term, compliance is checked again
    walk.do("aplicar_encuesta", p[EOM], {**ENCUESTA, "unidades_incumplen": []})
    assert len(walk.notices()) == 2

    annual(walk, p, "Continúa vigente")
    assert walk.state == "running"
    annual(walk, p, "Sin vigencia")
    assert walk.state == "completed"
    kinds = walk.document_kinds()
    assert kinds.count("Informe Técnico") == 3  # UPP's report and two annual evaluations
    assert walk.documents()[-1].content["conclusion"] == "Sin vigencia"


def test_manual_de_operaciones_con_observaciones_va_al_midis(process_db) -> None:  # type: ignore[no-untyped-def]
    p = people(process_db)
    walk = Walk(process_db, KEY, p[JUPP])
    walk.do("registrar_propuesta", p[EOM], MANUAL)
    # UPP observes: the head of the proposing unit is told and the corrected version is registered
    walk.do("evaluar_propuesta", p[EOM], {**EVALUACION, "resultado_evaluacion_upp": "Observada"})
    assert walk.waiting_at() == ["registrar_propuesta"]
    assert walk.notices()[-1][0] == JUPP
    walk.do("registrar_propuesta", p[EOM], MANUAL)
    walk.do("evaluar_propuesta", p[EOM], EVALUACION)
    walk.do(
        "firmar_informe_upp",
        p[JUPP],
        {"decision_informe_upp": "Observado", "observaciones_informe_upp": "Precise criterios."},
    )
    assert walk.waiting_at() == ["evaluar_propuesta"]
    walk.do("evaluar_propuesta", p[EOM], EVALUACION)
    walk.do("firmar_informe_upp", p[JUPP], {"decision_informe_upp": "Conforme"})
    walk.do("elaborar_informe_legal", p[JUAJ], {**LEGAL, "decision_uaj": "Observado"})
    assert walk.waiting_at() == ["registrar_propuesta"]
    to_legal(walk, p, MANUAL)
    walk.do("elaborar_informe_legal", p[JUAJ], LEGAL)
    # the Manual de Operaciones is not approved by the Dirección Ejecutiva: it goes to the MIDIS
    assert walk.waiting_at() == ["remitir_mop_midis"]
    walk.do(
        "remitir_mop_midis",
        p[DE],
        {
            "decision_remision_de": "Observado",
            "observaciones_remision_de": "Incluir el mapa de procesos.",
        },
    )
    to_legal(walk, p, MANUAL)
    walk.do("elaborar_informe_legal", p[JUAJ], LEGAL)
    walk.do(
        "remitir_mop_midis",
        p[DE],
        {"decision_remision_de": "Remitir al MIDIS", "oficio_remision_midis": "Oficio N° 400-2027"},
    )
    walk.do(
        "registrar_resolucion_ministerial",
        p[EOM],
        {
            "resultado_midis": "Observado por el MIDIS",
            "observaciones_midis": "Ajustar el Título V.",
        },
    )
    assert walk.waiting_at() == ["registrar_propuesta"]
    to_legal(walk, p, MANUAL)
    walk.do("elaborar_informe_legal", p[JUAJ], LEGAL)
    walk.do(
        "remitir_mop_midis",
        p[DE],
        {"decision_remision_de": "Remitir al MIDIS", "oficio_remision_midis": "Oficio N° 455-2027"},
    )
    walk.do(
        "registrar_resolucion_ministerial",
        p[EOM],
        {
            "resultado_midis": "Aprobado por Resolución Ministerial",
            "resolucion_ministerial": "RM N° 150-2027-MIDIS",
        },
    )
    kinds = walk.document_kinds()
    assert "Resolución de Dirección Ejecutiva" not in kinds
    assert kinds[-1] == "Manual de Operaciones"
    manual = walk.documents()[-1]
    assert manual.content["resolucion_ministerial"] == "RM N° 150-2027-MIDIS"
    assert len(walk.notices()) == 4  # one per observation

    implement(walk, p)
    walk.pass_time(timedelta(days=61))
    walk.do("aplicar_encuesta", p[EOM], {**ENCUESTA, "unidades_incumplen": []})
    annual(walk, p, "Requiere actualización")
    # the proposing unit presents the updated version: the cycle starts again
    assert walk.waiting_at() == ["registrar_propuesta"]
    assert walk.document_kinds()[-1] == "Informe Técnico"


def test_convenio_observado_por_la_direccion_y_propuesta_improcedente(process_db) -> None:  # type: ignore[no-untyped-def]
    p = people(process_db)
    walk = Walk(process_db, KEY, p[EOM])
    without_counterpart = {k: v for k, v in CONVENIO.items() if k != "contraparte_convenio"}
    with pytest.raises(ValidationError, match="contraparte_convenio"):  # required for a convenio
        walk.do("registrar_propuesta", p[EOM], without_counterpart)
    to_legal(walk, p, CONVENIO)
    walk.do("elaborar_informe_legal", p[JUAJ], LEGAL)
    walk.do(
        "aprobar_documento",
        p[DE],
        {"decision_de": "Observado", "observaciones_de": "Precisar obligaciones."},
    )
    assert walk.waiting_at() == ["registrar_propuesta"]
    walk.do("registrar_propuesta", p[EOM], CONVENIO)
    walk.do(
        "evaluar_propuesta",
        p[EOM],
        {
            **EVALUACION,
            "resultado_evaluacion_upp": "Improcedente",
            "conclusion_upp": "El RENIEC ya brinda el servicio por convenio marco.",
        },
    )
    assert walk.state == "completed"
    recipient, subject = walk.notices()[-1]
    assert recipient == "Jefe de la Unidad de Operaciones de Afiliación y Liquidación"
    assert subject.startswith("Propuesta improcedente")
    assert walk.document_kinds() == ["Informe Técnico", "Informe Legal"]


def test_solo_los_cargos_del_carril_y_los_iniciadores(process_db) -> None:  # type: ignore[no-untyped-def]
    for login in (staff(process_db, "Especialista en Presupuesto"), "jefe.uvcc", "gl.cajamarca"):
        with pytest.raises(PermissionDenied), process_db.write_transaction() as s:
            runtime.start_instance(s, KEY, runtime.actor_for_login(s, login))
    p = people(process_db)
    walk = Walk(process_db, KEY, p[EOM])
    walk.refuses(
        "registrar_propuesta", staff(process_db, "Especialista en Planeamiento y Presupuesto")
    )
    walk.refuses("registrar_propuesta", "jefe.uvcc")
    walk.do("registrar_propuesta", p[EOM], DIRECTIVA)
    walk.do("evaluar_propuesta", p[EOM], EVALUACION)
    walk.refuses("firmar_informe_upp", p[EOM])
    walk.do("firmar_informe_upp", p[JUPP], {"decision_informe_upp": "Conforme"})
    walk.refuses("elaborar_informe_legal", staff(process_db, "Abogado", "OCI"))
    walk.refuses("elaborar_informe_legal", p[JUPP])
    walk.do("elaborar_informe_legal", p[JUAJ], LEGAL)
    walk.refuses("aprobar_documento", p[JUPP])
    walk.refuses("aprobar_documento", staff(process_db, "Coordinador Técnico"))


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

"""Proceso 06 — Orientación y atención al usuario (Manual de Operaciones, V.2 6).

One instance per solicitud de atención, registered in a Unidad Territorial or at the sede
central: immediate answer, or derivation to the competent unit, investigation under an SLA
timer with escalation, review of the answer, response and the user's satisfaction; plus the
monthly processing of the information that feeds the Gestión de Calidad process (05).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.errors import PermissionDenied, ValidationError
from engine.notifications import Notification
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p06_orientacion_atencion_usuario"
COORDINADOR = "Coordinador de Servicio de Orientación y Atención al Público"
OPERADOR = "Operador de la Línea Gratuita y Atención Presencial"


def _solicitud(**changes: Any) -> dict[str, Any]:
    data = {
        "tipo_solicitud": "reclamo",
        "canal_atencion": "atención presencial",
        "fecha_recepcion": "2026-03-02",
        "nombre_solicitante": "María Chuquimango Tasilla",
        "tipo_documento_identidad": "DNI",
        "numero_documento_identidad": "41234567",
        "es_usuario_programa": True,
        "co_hogar": "H0601",
        "descripcion_solicitud": "No recibió el incentivo del último periodo de pago.",
        "resolucion_inmediata": False,
    }
    return {**data, **changes}


def _derivacion(unidad: str) -> dict[str, Any]:
    return {
        "unidad_competente": unidad,
        "fecha_derivacion": "2026-03-03",
        "documento_derivacion": "Memorando N° 041-2026-MIDIS/PNADP-UCI",
        "asunto_derivacion": "Verificar por qué el hogar no figura en la liquidación del periodo.",
    }


def _investigacion(medidas: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "hechos_verificados": "Suspendido por un error de digitación del cumplimiento.",
        "resultado_investigacion": "fundada",
        "respuesta_propuesta": "Se corrigió el registro; se le pagará en el próximo periodo.",
        "medidas_correctivas": medidas,
    }
    if medidas:
        data["descripcion_medidas_correctivas"] = "Doble revisión del registro de cumplimiento."
    return data


SATISFACCION = {"contacto_logrado": True, "nivel_satisfaccion": "satisfecho"}


def _notices(db, instance_id: int) -> list[Notification]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        rows = list(s.scalars(select(Notification).where(Notification.instance_id == instance_id)))
        s.expunge_all()
        return rows


def test_reclamo_en_una_ut_investigado_por_la_ut_con_plazo_vencido_y_medidas(process_db) -> None:  # type: ignore[no-untyped-def]
    comunicador = staff(process_db, "Comunicador", "UT-CAJ")
    coordinador = staff(process_db, COORDINADOR)
    walk = Walk(process_db, KEY, comunicador, {"tipo_inicio": "solicitud_unidad_territorial"})
    assert walk.waiting_at() == ["registrar_solicitud_ut"]
    walk.do("registrar_solicitud_ut", comunicador, _solicitud())
    walk.do("derivar_solicitud", coordinador, _derivacion("unidad_territorial"))
    assert walk.waiting_at() == ["investigar_ut"]
    assert walk.task("investigar_ut").candidate == "Jefe de Unidad Territorial"

    walk.pass_time(timedelta(days=31))  # a reclamo has 30 days: escalated, still open
    assert walk.waiting_at() == ["investigar_ut", "requerir_atencion"]
    (aviso,) = _notices(process_db, walk.id)
    assert aviso.recipient == "Jefe de la Unidad de Comunicación e Imagen"
    assert aviso.subject.startswith("Plazo de atención vencido: reclamo")
    walk.do(
        "requerir_atencion",
        coordinador,
        {
            "fecha_requerimiento": "2026-04-03",
            "medio_requerimiento": "memorando",
            "detalle_requerimiento": "Al Jefe de la UT Cajamarca, plazo de 5 días.",
        },
    )

    walk.do("investigar_ut", "jefe.ut.cajamarca", _investigacion(medidas=True))
    walk.do(
        "revisar_respuesta",
        coordinador,
        {"decision_respuesta": "observado", "observaciones_respuesta": "Precise la fecha de pago."},
    )
    assert walk.waiting_at() == ["investigar_ut"]  # back to the same unit
    walk.do("investigar_ut", "jefe.ut.cajamarca", _investigacion(medidas=True))
    walk.do("revisar_respuesta", coordinador, {"decision_respuesta": "conforme"})
    assert walk.waiting_at() == ["registrar_satisfaccion"]
    walk.do("registrar_satisfaccion", staff(process_db, OPERADOR), SATISFACCION)

    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Respuesta de la Solicitud de Atención",
        "Registro de medidas correctivas",
        "Registro de satisfacción del usuario",
    ]
    respuesta, medidas, satisfaccion = walk.documents()
    assert respuesta.content["unidad_competente"] == "unidad_territorial"
    assert respuesta.content["resuelta_en_el_momento"] is False
    assert respuesta.body.startswith("Se corrigió el registro")
    assert medidas.content["medidas"] == "Doble revisión del registro de cumplimiento."
    assert satisfaccion.content["nivel_satisfaccion"] == "satisfecho"


def test_consulta_resuelta_en_el_momento_en_la_sede_central(process_db) -> None:  # type: ignore[no-untyped-def]
    operador = staff(process_db, OPERADOR)
    walk = Walk(process_db, KEY, operador, {"tipo_inicio": "solicitud_sede_central"})
    assert walk.waiting_at() == ["registrar_solicitud_central"]
    walk.do(
        "registrar_solicitud_central",
        operador,
        _solicitud(
            tipo_solicitud="consulta",
            canal_atencion="línea gratuita",
            descripcion_solicitud="¿Cuándo es la próxima fecha de pago en su distrito?",
            resolucion_inmediata=True,
            respuesta_inmediata="El próximo pago en su distrito es el 15 de marzo.",
        ),
    )
    assert walk.waiting_at() == ["registrar_satisfaccion"]
    walk.do(
        "registrar_satisfaccion", operador, {**SATISFACCION, "reconocimiento_usuario": "Gracias"}
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Respuesta de la Solicitud de Atención",
        "Registro de satisfacción del usuario",
    ]
    respuesta = walk.documents()[0]
    assert respuesta.content["resuelta_en_el_momento"] is True
    assert respuesta.title == "Respuesta a la consulta de María Chuquimango Tasilla"


@pytest.mark.parametrize(
    ("unidad", "tarea", "jefe"),
    [
        (
            "afiliacion_y_liquidacion",
            "investigar_uoal",
            "Jefe de la Unidad de Operaciones de Afiliación y Liquidación",
        ),
        (
            "verificacion_de_corresponsabilidades",
            "investigar_uvcc",
            "Jefe de la Unidad de Verificación de Cumplimiento de Corresponsabilidades",
        ),
        ("administracion", "investigar_ua", "Jefe de la Unidad de Administración"),
    ],
)
def test_solicitud_de_la_sede_central_investigada_por_una_unidad_tecnica(
    process_db, unidad: str, tarea: str, jefe: str
) -> None:  # type: ignore[no-untyped-def]
    operador = staff(process_db, OPERADOR)
    walk = Walk(process_db, KEY, operador, {"tipo_inicio": "solicitud_sede_central"})
    walk.do("registrar_solicitud_central", operador, _solicitud(tipo_solicitud="pedido"))
    walk.do("derivar_solicitud", staff(process_db, COORDINADOR), _derivacion(unidad))
    assert walk.waiting_at() == [tarea]
    walk.do(tarea, staff(process_db, jefe), _investigacion())
    walk.do("revisar_respuesta", staff(process_db, COORDINADOR), {"decision_respuesta": "conforme"})
    walk.do("registrar_satisfaccion", operador, SATISFACCION)
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Respuesta de la Solicitud de Atención",
        "Registro de satisfacción del usuario",
    ]
    assert _notices(process_db, walk.id) == []  # answered within the SLA


def test_la_sede_central_deriva_a_la_ut_del_ambito_de_la_solicitud(process_db) -> None:  # type: ignore[no-untyped-def]
    """Started centrally with the UT as scope: central lanes stay central, the UT's Jefe
    investigates, and the Jefe of another UT does not see it."""
    operador = staff(process_db, OPERADOR)
    walk = Walk(process_db, KEY, operador, {"tipo_inicio": "solicitud_sede_central"}, "UT-PUN")
    walk.do("registrar_solicitud_central", operador, _solicitud(tipo_solicitud="queja"))
    walk.do("derivar_solicitud", staff(process_db, COORDINADOR), _derivacion("unidad_territorial"))
    walk.refuses("investigar_ut", "jefe.ut.cajamarca")
    walk.do("investigar_ut", "jefe.ut.puno", _investigacion())
    walk.do("revisar_respuesta", staff(process_db, COORDINADOR), {"decision_respuesta": "conforme"})
    walk.do("registrar_satisfaccion", operador, SATISFACCION)
    assert walk.state == "completed"


def test_una_solicitud_de_una_ut_no_la_ve_el_personal_de_otra_ut(process_db) -> None:  # type: ignore[no-untyped-def]
    comunicador = staff(process_db, "Comunicador", "UT-CAJ")
    walk = Walk(process_db, KEY, comunicador, {"tipo_inicio": "solicitud_unidad_territorial"})
    walk.refuses("registrar_solicitud_ut", staff(process_db, "Comunicador", "UT-PUN"))
    walk.refuses("registrar_solicitud_ut", "gl.cajamarca")  # same UT, not the position
    walk.refuses("registrar_solicitud_ut", staff(process_db, OPERADOR))
    with pytest.raises(ValidationError):  # "resolved on the spot" needs the answer given
        walk.do("registrar_solicitud_ut", comunicador, _solicitud(resolucion_inmediata=True))
    walk.do("registrar_solicitud_ut", comunicador, _solicitud(tipo_solicitud="denuncia"))
    walk.refuses("derivar_solicitud", comunicador)
    walk.do("derivar_solicitud", staff(process_db, COORDINADOR), _derivacion("unidad_territorial"))
    walk.refuses("investigar_ut", "jefe.ut.puno")
    walk.refuses("investigar_ut", "ctt.cusco")  # holds the Jefe de UT Cusco as encargo
    with pytest.raises(PermissionDenied):
        Walk(process_db, KEY, "gl.cajamarca", {"tipo_inicio": "solicitud_unidad_territorial"})


def test_procesamiento_mensual_observado_y_con_propuestas_de_mejora(process_db) -> None:  # type: ignore[no-untyped-def]
    coordinador = staff(process_db, COORDINADOR)
    walk = Walk(process_db, KEY, coordinador, {"tipo_inicio": "procesamiento_mensual"})
    mes = {
        "periodo_atenciones": "2026-03",
        "total_consultas": 820,
        "total_sugerencias": 12,
        "total_pedidos": 95,
        "total_reclamos": 140,
        "total_quejas": 9,
        "total_denuncias": 3,
        "atendidas_en_plazo": 1010,
        "atendidas_fuera_de_plazo": 51,
        "pendientes_al_cierre": 18,
        "analisis_atenciones": "Los reclamos por pagos no cobrados se concentran en Puno.",
        "hay_propuestas_mejora": True,
        "propuestas_mejora": "Publicar el cronograma de pagos por distrito en la línea gratuita.",
    }
    walk.do("sistematizar_atenciones", coordinador, mes)
    walk.refuses("revisar_informe_atenciones", coordinador)
    walk.do(
        "revisar_informe_atenciones",
        "jefe.uci",
        {
            "decision_informe_atenciones": "observado",
            "observaciones_informe_atenciones": "Desagregue por Unidad Territorial.",
        },
    )
    walk.do("sistematizar_atenciones", coordinador, mes)
    walk.do("revisar_informe_atenciones", "jefe.uci", {"decision_informe_atenciones": "conforme"})
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Informe sobre atenciones realizadas",
        "Propuesta de implementación de mejoras",
    ]
    informe, propuesta = walk.documents()
    assert informe.content["total"] == 1079
    assert propuesta.content["informe"] == informe.reference
    (aviso,) = _notices(process_db, walk.id)
    assert aviso.recipient == "Especialista en Gestión de Calidad - Coordinación Técnica"
    assert aviso.subject.startswith(informe.reference)


def test_procesamiento_mensual_sin_propuestas_de_mejora(process_db) -> None:  # type: ignore[no-untyped-def]
    coordinador = staff(process_db, COORDINADOR)
    walk = Walk(process_db, KEY, coordinador, {"tipo_inicio": "procesamiento_mensual"})
    walk.do(
        "sistematizar_atenciones",
        coordinador,
        {
            "periodo_atenciones": "2026-04",
            "total_consultas": 700,
            "total_sugerencias": 5,
            "total_pedidos": 60,
            "total_reclamos": 80,
            "total_quejas": 2,
            "total_denuncias": 0,
            "atendidas_en_plazo": 840,
            "atendidas_fuera_de_plazo": 2,
            "pendientes_al_cierre": 5,
            "analisis_atenciones": "Atención dentro de los plazos; sin problemas recurrentes.",
            "hay_propuestas_mejora": False,
        },
    )
    walk.do("revisar_informe_atenciones", "jefe.uci", {"decision_informe_atenciones": "conforme"})
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe sobre atenciones realizadas"]
    assert len(_notices(process_db, walk.id)) == 1


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

"""Process 15 — Gestión de la Tecnología de Información (Manual de Operaciones, V.2 15).

One instance per requerimiento to the Unidad de Tecnologías de Información, registered by the
Mesa de Ayuda and attended in one of the three stages of the process: infrastructure and
support (I.1), systems development from the requirement to the post-implementation evaluation
(I.2), operations of the systems and the database (I.3). Every gateway branch is walked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import runtime
from engine.errors import PermissionDenied, ValidationError
from engine.notifications import Notification
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p15_gestion_tecnologia_informacion"

HELP_DESK = "Técnico de Soporte y Help Desk"
RED = "Administrador de Red"
TIC = "Especialista de proyectos de TIC"
JEFE = "Jefe de la Unidad de Tecnologías de Información"
COORD_DESARROLLO = "Coordinador de Desarrollo"
PROGRAMADOR = "Analista Programador"
CALIDAD = "Analista de Calidad de Sistemas"
COORD_OPERACIONES = "Coordinador de Operaciones y calidad"
DBA = "Administrador de base de datos"


def requerimiento(objeto: str, **extra: Any) -> dict[str, Any]:
    return {
        "unidad_solicitante": "Unidad de Operaciones de Afiliación y Liquidación",
        "solicitante": "Lucía Ortiz Campos, Especialista en Afiliaciones",
        "documento_referencia": "Memorando N° 0120-2026-MIDIS/PNADP-UOAL",
        "objeto_requerimiento": objeto,
        "descripcion_requerimiento": "Detalle del requerimiento de la unidad usuaria.",
        "prioridad_requerimiento": "media",
        **extra,
    }


def registrado(db, objeto: str, **extra: Any) -> Walk:  # type: ignore[no-untyped-def]
    help_desk = staff(db, HELP_DESK)
    walk = Walk(db, KEY, help_desk)
    assert walk.waiting_at() == ["registrar_requerimiento"]
    return walk.do("registrar_requerimiento", help_desk, requerimiento(objeto, **extra))


def atencion(resultado: str) -> dict[str, Any]:
    return {
        "diagnostico_soporte": "El equipo no accede a la red del Programa.",
        "accion_realizada": "Se revisó el cableado y la configuración de red.",
        "resultado_soporte": resultado,
    }


# -- I.1 Gestión de la Infraestructura de TI ---------------------------------------------


def test_soporte_con_nivel_de_servicio_vencido_segundo_nivel_y_reapertura(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    help_desk, red = staff(db, HELP_DESK), staff(db, RED)
    walk = registrado(db, "soporte técnico")
    assert walk.waiting_at() == ["atender_soporte"]

    walk.pass_time(timedelta(days=3))  # SLA of the first level: an alert, the task stays
    assert walk.waiting_at() == ["atender_soporte"]
    with db.transaction() as s:
        avisos = list(s.scalars(select(Notification).where(Notification.instance_id == walk.id)))
    assert [a.recipient for a in avisos] == ["Coordinador Soporte y Comunicaciones"]
    assert "Memorando N° 0120-2026" in avisos[0].subject

    walk.do("atender_soporte", help_desk, atencion("segundo nivel"))
    assert walk.waiting_at() == ["atender_segundo_nivel"]
    walk.do(
        "atender_segundo_nivel",
        red,
        {
            "componente_afectado": "red de datos",
            "solucion_segundo_nivel": "Se reemplazó el puerto del switch.",
            "hallazgo_seguridad": False,
        },
    )
    walk.do(
        "confirmar_conformidad",
        help_desk,
        {"conformidad_usuario": "no conforme", "comentario_usuario": "Sigue lento."},
    )
    assert walk.waiting_at() == ["atender_soporte"]  # reopened
    walk.do("atender_soporte", help_desk, atencion("resuelto"))
    walk.do("confirmar_conformidad", help_desk, {"conformidad_usuario": "conforme"})

    assert walk.state == "completed"
    assert walk.document_kinds() == ["Ficha de atención de soporte técnico"]
    ficha = walk.documents()[0]
    assert ficha.content["conformidad"] == "conforme"
    assert ficha.content["unidad_solicitante"].startswith("Unidad de Operaciones")


def test_segundo_nivel_con_riesgo_de_seguridad_emite_recomendaciones(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    help_desk, red = staff(db, HELP_DESK), staff(db, RED)
    walk = registrado(db, "servicios de comunicación")
    walk.do("atender_soporte", help_desk, atencion("segundo nivel"))
    walk.do(
        "atender_segundo_nivel",
        red,
        {
            "componente_afectado": "seguridad informática",
            "solucion_segundo_nivel": "Se bloqueó el acceso remoto no autorizado.",
            "hallazgo_seguridad": True,
            "recomendaciones_seguridad": "Cambiar contraseñas y activar doble factor en la VPN.",
        },
    )
    assert walk.waiting_at() == ["confirmar_conformidad"]
    walk.do("confirmar_conformidad", help_desk, {"conformidad_usuario": "conforme"})

    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Informe de recomendaciones de seguridad informática",
        "Ficha de atención de soporte técnico",
    ]
    recomendaciones = walk.documents()[0]
    assert "doble factor" in recomendaciones.content["recomendaciones"]
    assert recomendaciones.title.endswith("seguridad informática")


def test_equipamiento_observado_aprobado_adquirido_e_implantado(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    help_desk, red, tic = staff(db, HELP_DESK), staff(db, RED), staff(db, TIC)
    walk = registrado(db, "equipamiento")
    walk.do("atender_soporte", help_desk, atencion("adquisición"))
    requerimiento_ti = {
        "bien_servicio_requerido": "Switch de 48 puertos",
        "especificaciones_tecnicas": "Switch administrable capa 3, 48 puertos PoE.",
        "cantidad_requerida": 2,
        "valor_estimado": "18500.00",
        "justificacion_adquisicion": "Renovación de la red de la sede central.",
    }
    walk.do("elaborar_requerimiento_adquisicion", tic, requerimiento_ti)
    walk.do(
        "aprobar_requerimiento_adquisicion",
        "jefe.uti",
        {"decision_jefe_adquisicion": "observado", "comentario_jefe_adquisicion": "Precisar PoE."},
    )
    assert walk.waiting_at() == ["elaborar_requerimiento_adquisicion"]
    walk.do("elaborar_requerimiento_adquisicion", tic, requerimiento_ti)
    walk.do(
        "aprobar_requerimiento_adquisicion", "jefe.uti", {"decision_jefe_adquisicion": "aprobado"}
    )

    assert walk.waiting_at() == []  # waiting for the Unidad de Administración
    assert walk.document_kinds() == ["Requerimiento de adquisiciones y contrataciones"]
    assert walk.documents()[0].content["valor_estimado"] == "18500.00"

    walk.message("bienes_ti_entregados", {"orden_compra": "OC 0456-2026"}, "jefe.uti")
    assert walk.waiting_at() == ["implantar_infraestructura"]
    walk.do(
        "implantar_infraestructura",
        red,
        {
            "infraestructura_implantada": "Dos switches capa 3 en el centro de datos",
            "orden_compra_servicio": "OC 0456-2026",
            "fecha_implantacion": "2026-06-15",
            "pruebas_funcionamiento": True,
        },
    )
    walk.do("confirmar_conformidad", help_desk, {"conformidad_usuario": "conforme"})

    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Requerimiento de adquisiciones y contrataciones",
        "Acta de implantación de infraestructura de TI",
        "Ficha de atención de soporte técnico",
    ]
    assert walk.documents()[1].content["orden"] == "OC 0456-2026"


def test_adquisicion_rechazada_se_informa_a_la_unidad(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = registrado(db, "equipamiento")
    walk.do("atender_soporte", staff(db, HELP_DESK), atencion("adquisición"))
    walk.do(
        "elaborar_requerimiento_adquisicion",
        staff(db, TIC),
        {
            "bien_servicio_requerido": "Impresora a color",
            "especificaciones_tecnicas": "Láser color A3.",
            "cantidad_requerida": 1,
            "valor_estimado": "4200",
            "justificacion_adquisicion": "Impresión de material de difusión.",
        },
    )
    walk.do(
        "aprobar_requerimiento_adquisicion",
        "jefe.uti",
        {
            "decision_jefe_adquisicion": "rechazado",
            "comentario_jefe_adquisicion": "Se atiende con el servicio de impresión vigente.",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe técnico"]
    assert walk.documents()[0].title.startswith("Requerimiento no atendido")


# -- I.2 Gestión de Desarrollo de los Sistemas de Información ---------------------------

ANALISIS = {
    "nombre_sistema": "Sistema de Gestión de Incidencias",
    "requisitos_funcionales": "Registrar, derivar y cerrar incidencias de afiliación.",
    "diseno_solucion": "Aplicación web con base de datos relacional.",
}
CONSTRUCCION = {
    "version_sistema": "1.0.0",
    "componentes_desarrollados": "Módulos de registro, derivación y reportes.",
    "repositorio_codigo": "git.juntos.gob.pe/uti/incidencias",
}
IMPLANTACION = {
    "respaldo_previo": True,
    "fecha_puesta_produccion": "2026-08-01",
    "ambiente_produccion": "Servidor de aplicaciones de la sede central",
    "usuarios_capacitados": 25,
}
MANUALES = {"manual_usuario": "Intranet/UTI/manuales/sgi.pdf", "instructivos": "Intranet/UTI/sgi"}


def pruebas(resultado: str, defectos: int = 0) -> dict[str, Any]:
    return {
        "resultado_pruebas": resultado,
        "casos_probados": 40,
        "defectos_encontrados": defectos,
        "informe_pruebas": "Pruebas funcionales y de regresión.",
    }


def evaluacion(decision: str) -> dict[str, Any]:
    return {
        "tipo_desarrollo": "sistema nuevo",
        "analisis_factibilidad": "Se cuenta con personal y plataforma.",
        "esfuerzo_estimado_dias": 60,
        "decision_factibilidad": decision,
    }


def test_desarrollo_con_defectos_observaciones_del_usuario_y_ciclo_de_mejora(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    coord, programador, calidad = (
        staff(db, COORD_DESARROLLO),
        staff(db, PROGRAMADOR),
        staff(db, CALIDAD),
    )
    operaciones = staff(db, COORD_OPERACIONES)
    walk = registrado(db, "desarrollo de sistema")
    assert walk.waiting_at() == ["evaluar_requerimiento_sistema"]
    walk.do("evaluar_requerimiento_sistema", coord, evaluacion("viable"))
    walk.do(
        "aprobar_desarrollo",
        "jefe.uti",
        {
            "decision_jefe_desarrollo": "aprobado",
            "prioridad_desarrollo": "alta",
            "fecha_compromiso": "2026-07-31",
        },
    )
    walk.do("analizar_disenar", programador, ANALISIS)
    walk.do("desarrollar_sistema", programador, CONSTRUCCION)
    walk.do("probar_sistema", calidad, pruebas("observado", defectos=3))
    assert walk.waiting_at() == ["desarrollar_sistema"]
    walk.do("desarrollar_sistema", programador, {**CONSTRUCCION, "version_sistema": "1.0.1"})
    walk.do("probar_sistema", calidad, pruebas("conforme"))
    walk.do(
        "registrar_conformidad_usuario",
        coord,
        {
            "aceptacion_usuario": "observado",
            "acta_conformidad": "Acta 007-2026",
            "observaciones_usuario": "Falta el reporte por UT.",
        },
    )
    assert walk.waiting_at() == ["desarrollar_sistema"]
    walk.do("desarrollar_sistema", programador, {**CONSTRUCCION, "version_sistema": "1.1.0"})
    walk.do("probar_sistema", calidad, pruebas("conforme"))
    walk.do(
        "registrar_conformidad_usuario",
        coord,
        {"aceptacion_usuario": "conforme", "acta_conformidad": "Acta 008-2026"},
    )
    walk.do("elaborar_manuales", programador, MANUALES)
    walk.do("implantar_sistema", operaciones, IMPLANTACION)
    assert walk.waiting_at() == []  # thirty days of operation before the evaluation
    assert walk.document_kinds() == [
        "Manual de usuario e instructivos del aplicativo",
        "Acta de implementación de sistema de información",
    ]
    acta = walk.documents()[1]
    assert acta.content["version"] == "1.1.0"
    assert acta.content["acta_conformidad_usuario"] == "Acta 008-2026"

    walk.pass_time(timedelta(days=31))
    walk.do(
        "evaluar_post_implantacion",
        coord,
        {
            "resultado_post_implantacion": "requiere mejoras",
            "indicadores_post": "12 incidencias; tiempos de respuesta altos.",
            "mejoras_propuestas": "Optimizar consultas del reporte por UT.",
        },
    )
    assert walk.waiting_at() == ["analizar_disenar"]  # a new maintenance cycle
    walk.do("analizar_disenar", programador, ANALISIS)
    walk.do("desarrollar_sistema", programador, {**CONSTRUCCION, "version_sistema": "1.2.0"})
    walk.do("probar_sistema", calidad, pruebas("conforme"))
    walk.do(
        "registrar_conformidad_usuario",
        coord,
        {"aceptacion_usuario": "conforme", "acta_conformidad": "Acta 015-2026"},
    )
    walk.do("elaborar_manuales", programador, MANUALES)
    walk.do("implantar_sistema", operaciones, IMPLANTACION)
    walk.pass_time(timedelta(days=31))
    walk.do(
        "evaluar_post_implantacion",
        coord,
        {"resultado_post_implantacion": "satisfactorio", "indicadores_post": "Sin incidencias."},
    )

    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Manual de usuario e instructivos del aplicativo",
        "Acta de implementación de sistema de información",
        "Informe de evaluación post implantación",
        "Manual de usuario e instructivos del aplicativo",
        "Acta de implementación de sistema de información",
        "Informe de evaluación post implantación",
    ]
    assert walk.documents()[-1].content["resultado"] == "satisfactorio"
    assert walk.documents()[-2].content["version"] == "1.2.0"


def test_requerimiento_observado_vuelve_a_la_mesa_de_ayuda_y_luego_no_es_viable(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    coord, help_desk = staff(db, COORD_DESARROLLO), staff(db, HELP_DESK)
    walk = registrado(db, "mantenimiento de sistema")
    walk.do("evaluar_requerimiento_sistema", coord, evaluacion("observado"))
    assert walk.waiting_at() == ["registrar_requerimiento"]
    walk.do(
        "registrar_requerimiento",
        help_desk,
        requerimiento(
            "mantenimiento de sistema", descripcion_requerimiento="Precisado con el área usuaria."
        ),
    )
    walk.do("evaluar_requerimiento_sistema", coord, evaluacion("no viable"))
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe técnico"]


def test_desarrollo_rechazado_por_el_jefe_de_ti(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = registrado(db, "desarrollo de sistema")
    walk.do("evaluar_requerimiento_sistema", staff(db, COORD_DESARROLLO), evaluacion("viable"))
    walk.do(
        "aprobar_desarrollo",
        "jefe.uti",
        {
            "decision_jefe_desarrollo": "rechazado",
            "comentario_jefe_desarrollo": "Lo cubre el sistema del MIDIS.",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe técnico"]


# -- I.3 Gestión de Operaciones de los Sistemas de Información y la Base de Datos --------

INSUMOS = {
    "padrón de hogares": {
        "listado_sisfoh": "SISFOH/listado-preliminar-2026-05.csv",
        "cronograma_proceso": "Cronograma de afiliación 2026",
    },
    "formatos de verificación": {
        "formatos_verificacion_origen": "Formatos de verificación de salud y educación, 2026-3",
        "cronograma_proceso": "Cronograma de verificación 2026",
    },
    "padrón de hogares abonados": {"cronograma_proceso": "Cronograma de transferencias 2026"},
    "extracción y análisis de información": {},
}
PRODUCTOS = {
    "padrón de hogares": "Padrón de Hogares",
    "formatos de verificación": "Formatos de verificación de cumplimiento de corresponsabilidades",
    "padrón de hogares abonados": "Padrón de Hogares abonados",
    "extracción y análisis de información": "Informe de extracción y análisis de información",
}


@pytest.mark.parametrize("producto", list(PRODUCTOS))
def test_operaciones_genera_el_producto_pedido(process_db, producto: str) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    dba, calidad = staff(db, DBA), staff(db, CALIDAD)
    walk = registrado(db, "información", producto_solicitado=producto, **INSUMOS[producto])
    assert walk.waiting_at() == ["procesar_informacion"]
    proceso = {
        "respaldo_base_datos": True,
        "periodo_operacion": "2026-05",
        "registros_procesados": 125400,
        "detalle_procesamiento": "Carga, depuración y cruce con la base del Programa.",
    }
    walk.do("procesar_informacion", dba, proceso)
    if producto == "padrón de hogares":  # one walk through the data-quality loop
        walk.do(
            "control_calidad_datos",
            calidad,
            {
                "resultado_calidad_datos": "observado",
                "inconsistencias_detectadas": 312,
                "informe_calidad_datos": "Hogares duplicados por DNI del titular.",
            },
        )
        assert walk.waiting_at() == ["procesar_informacion"]
        walk.do("procesar_informacion", dba, {**proceso, "registros_procesados": 125088})
    walk.do(
        "control_calidad_datos",
        calidad,
        {
            "resultado_calidad_datos": "conforme",
            "inconsistencias_detectadas": 0,
            "informe_calidad_datos": "Sin inconsistencias.",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [PRODUCTOS[producto]]
    (documento,) = walk.documents()
    assert documento.content["periodo"] == "2026-05"
    if producto == "padrón de hogares":
        assert documento.content["registros"] == 125088
        assert documento.content["listado_sisfoh"].startswith("SISFOH/")


def test_un_pedido_de_informacion_exige_sus_insumos(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    help_desk = staff(db, HELP_DESK)
    walk = Walk(db, KEY, help_desk)
    with pytest.raises(ValidationError) as err:
        walk.do("registrar_requerimiento", help_desk, requerimiento("información"))
    assert err.value.field == "producto_solicitado"
    with pytest.raises(ValidationError) as err:
        walk.do(
            "registrar_requerimiento",
            help_desk,
            requerimiento("información", producto_solicitado="padrón de hogares"),
        )
    assert err.value.field in ("listado_sisfoh", "cronograma_proceso")
    assert walk.waiting_at() == ["registrar_requerimiento"]


# -- who may do what ----------------------------------------------------------------------


def test_solo_la_unidad_de_ti_inicia_y_cada_tarea_es_de_su_cargo(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    for outsider in ("jefe.ua", "gl.cajamarca", staff(db, "Secretaria", "UTI")):
        with pytest.raises(PermissionDenied), db.write_transaction() as s:
            runtime.start_instance(s, KEY, runtime.actor_for_login(s, outsider))

    walk = Walk(db, KEY, "jefe.uti")  # the Jefe derives a memorando to the Mesa de Ayuda
    for intruder in (staff(db, PROGRAMADOR), "jefe.ua", "gl.cajamarca"):
        walk.refuses("registrar_requerimiento", intruder)
    walk.do(
        "registrar_requerimiento",
        staff(db, HELP_DESK),
        requerimiento("información", producto_solicitado="extracción y análisis de información"),
    )
    walk.refuses("procesar_informacion", staff(db, PROGRAMADOR))
    walk.refuses("procesar_informacion", staff(db, RED))


def test_quien_desarrolla_no_prueba_su_propio_trabajo(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = registrado(db, "desarrollo de sistema")
    walk.do("evaluar_requerimiento_sistema", staff(db, COORD_DESARROLLO), evaluacion("viable"))
    walk.do(
        "aprobar_desarrollo",
        "jefe.uti",
        {
            "decision_jefe_desarrollo": "aprobado",
            "prioridad_desarrollo": "media",
            "fecha_compromiso": "2026-09-30",
        },
    )
    walk.do("analizar_disenar", staff(db, PROGRAMADOR), ANALISIS)
    # The Jefe de TI, above the Analista Programador, takes the construction himself…
    task_id = walk.task("desarrollar_sistema").id
    with db.write_transaction() as s:
        runtime.take_over(s, task_id, runtime.actor_for_login(s, "jefe.uti"))
        runtime.complete(s, task_id, runtime.actor_for_login(s, "jefe.uti"), CONSTRUCCION)
    walk.run_services()
    # …and, above the Analista de Calidad too, may take the tests but not complete them.
    task_id = walk.task("probar_sistema").id
    with db.write_transaction() as s:
        runtime.take_over(s, task_id, runtime.actor_for_login(s, "jefe.uti"))
    separacion = pytest.raises(PermissionDenied, match="separación de funciones")
    with separacion, db.write_transaction() as s:
        runtime.complete(s, task_id, runtime.actor_for_login(s, "jefe.uti"), pruebas("conforme"))
    # The tests go back to the pool for an Analista de Calidad.
    with db.write_transaction() as s:
        runtime.reassign(s, task_id, runtime.actor_for_login(s, "jefe.uti"), None)
    walk.do("probar_sistema", staff(db, CALIDAD), pruebas("conforme"))
    assert walk.waiting_at() == ["registrar_conformidad_usuario"]


def test_cada_rama_del_proceso_fue_recorrida(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

"""Proceso 14 — Gestión de recursos humanos (Manual de Operaciones, V.2 14): perfiles,
reclutamiento, selección y contratación CAS con registro e inducción, movimientos,
capacitación, evaluación de desempeño, control de asistencia, planillas y bienestar social,
recorridos rama por rama por quienes ocupan los cargos."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engine.db import Database
from engine.errors import PermissionDenied
from engine.org.people import add_user, assign
from tests.processes.support import PASSWORD, Walk, assert_every_branch_walked, staff

Gente = dict[str, str]

KEY = "p14_gestion_recursos_humanos"
JEFE_UA = "Jefe de la Unidad de Administración"
COORD = "Coordinador de Recursos Humanos"
JEFE_UT = "Jefe de Unidad Territorial"


@pytest.fixture(scope="module")
def gente(process_db: Database) -> Gente:
    cargos = {
        "coord": COORD,
        "esp": "Especialista en Recursos Humanos",
        "tec": "Técnico en Recursos Humanos",
        "social": "Asistente Social",
        "jefe_ua": JEFE_UA,
        "presupuesto": "Especialista en Presupuesto",
        "control_previo": "Especialista en Control Previo",
        "tesoreria": "Especialista en Tesorería",
        "director": "Director Ejecutivo",
        "jefe_uci": "Jefe de la Unidad de Comunicación e Imagen",
        "contabilidad": "Especialista en Contabilidad",
    }
    gente = {k: staff(process_db, v) for k, v in cargos.items()}
    gente["jefe_ut"] = staff(process_db, JEFE_UT, "UT-CAJ")
    gente["administrador_ut"] = staff(process_db, "Administrador", "UT-CAJ")
    gente["gestor"] = staff(process_db, "Gestor Local", "UT-CAJ")
    return gente


def solicitud(tipo: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tipo_accion_rrhh": tipo,
        "cargo_solicitante": COORD,
        "unidad_solicitante": "Unidad de Administración",
        "documento_solicitud": "Plan de trabajo de Recursos Humanos 2026",
        "asunto_solicitud": f"Acción de {tipo}",
        "insumos_referidos": ["Lineamientos de Política de Recursos Humanos"],
        "decision_admision_rrhh": "procede",
    }
    data.update(extra)
    return data


def iniciar(process_db: Database, gente: Gente, tipo: str, **extra: Any) -> Walk:
    walk = Walk(process_db, KEY, gente["coord"])
    assert walk.waiting_at() == ["registrar_solicitud_rrhh"]
    walk.do("registrar_solicitud_rrhh", gente["coord"], solicitud(tipo, **extra))
    return walk


def test_solicitud_que_no_procede(process_db: Database, gente: Gente) -> None:
    walk = Walk(process_db, KEY, gente["jefe_uci"])
    walk.do(
        "registrar_solicitud_rrhh",
        gente["coord"],
        solicitud(
            "capacitacion",
            cargo_solicitante="Jefe de la Unidad de Comunicación e Imagen",
            decision_admision_rrhh="no_procede",
            motivo_no_procede_rrhh="El curso no está en el plan de capacitación.",
        ),
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []
    assert walk.notices() == [
        (
            "Jefe de la Unidad de Comunicación e Imagen",
            "Solicitud de recursos humanos no atendida: Acción de capacitacion",
        )
    ]


def test_perfil_de_puesto_observado_dos_veces_y_aprobado(
    process_db: Database, gente: Gente
) -> None:
    walk = iniciar(process_db, gente, "perfil_puesto")
    perfil = {
        "denominacion_puesto": "Gestor Local",
        "unidad_organica": "Unidad Territorial",
        "mision_puesto": "Acompañar a los hogares usuarios",
        "funciones_puesto": "Visitar hogares, verificar corresponsabilidades",
        "formacion_academica": "Bachiller en ciencias sociales",
        "experiencia_general_anios": 2,
        "experiencia_especifica_anios": 1,
        "conocimientos_puesto": "Programas sociales, quechua",
        "competencias_puesto": "Trabajo en equipo, empatía",
    }
    walk.do("elaborar_perfil", gente["esp"], perfil)
    walk.do(
        "revisar_perfil",
        gente["coord"],
        {"decision_perfil_coord": "observado", "observaciones_perfil_coord": "Idioma."},
    )
    walk.do("elaborar_perfil", gente["esp"], perfil)
    walk.do("revisar_perfil", gente["coord"], {"decision_perfil_coord": "conforme"})
    walk.do(
        "aprobar_perfil",
        gente["jefe_ua"],
        {"decision_perfil_jefe": "observado", "observaciones_perfil_jefe": "Experiencia."},
    )
    assert walk.waiting_at() == ["elaborar_perfil"]
    walk.do("elaborar_perfil", gente["esp"], {**perfil, "experiencia_especifica_anios": 2})
    walk.do("revisar_perfil", gente["coord"], {"decision_perfil_coord": "conforme"})
    walk.do("aprobar_perfil", gente["jefe_ua"], {"decision_perfil_jefe": "aprobado"})
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Perfil de puesto"]
    assert walk.documents()[0].content["experiencia_especifica"] == 2
    assert walk.notices() == [
        (COORD, "Solicitud de recursos humanos atendida: Acción de perfil_puesto")
    ]


def requerimiento_ut(**extra: Any) -> dict[str, Any]:
    return solicitud(
        "reclutamiento_seleccion",
        cargo_solicitante=JEFE_UT,
        unidad_solicitante="Unidad Territorial Cajamarca",
        documento_solicitud="Memorando N° 210-2026-MIDIS/PNADP-UTCAJ",
        asunto_solicitud="Contratación de un Gestor Local",
        insumos_referidos=["Términos de Referencia", "Requerimiento de necesidad de personal"],
        puesto_requerido="Gestor Local",
        numero_plazas=1,
        terminos_referencia="TdR del Gestor Local para la provincia de Cajabamba",
        requerimiento_personal="Memorando N° 210-2026-MIDIS/PNADP-UTCAJ",
        **extra,
    )


VERIFICADO = {
    "perfil_aprobado": True,
    "remuneracion_mensual": "2800.00",
    "plazo_contrato_meses": 6,
    "monto_requerido": "16800.00",
    "decision_verificacion": "conforme",
}
CERTIFICADO = {
    "decision_certificacion": "otorgada",
    "numero_certificacion": "0000451",
    "monto_certificado": "16800.00",
    "fuente_financiamiento": "Recursos Ordinarios",
}


def convocatoria(numero: str) -> dict[str, Any]:
    return {
        "numero_convocatoria": numero,
        "fecha_publicacion_convocatoria": "2026-12-01",
        "fecha_fin_postulacion": "2026-12-15",
        "etapas_evaluacion": ["evaluación curricular", "entrevista personal"],
        "comite_seleccion": "Coordinador de RR. HH., Especialista de RR. HH., Jefe de la UT",
    }


GANADOR = {
    "numero_entrevistados": 4,
    "ganador_declarado": True,
    "nombre_ganador": "Rosa Chuquilín Alvarado",
    "dni_ganador": "41234567",
    "puntaje_ganador": 86.5,
}


def hasta_la_convocatoria(process_db: Database, gente: Gente) -> Walk:
    walk = Walk(process_db, KEY, gente["jefe_ut"])  # ámbito: la UT Cajamarca
    walk.do("registrar_solicitud_rrhh", gente["coord"], requerimiento_ut())
    walk.do("verificar_requerimiento_personal", gente["esp"], VERIFICADO)
    walk.do("certificar_presupuesto", gente["presupuesto"], CERTIFICADO)
    walk.do(
        "autorizar_contratacion",
        gente["director"],
        {"decision_autorizacion_contratacion": "autorizado"},
    )
    walk.do("elaborar_convocatoria", gente["esp"], convocatoria("CAS N° 101-2026"))
    return walk


def test_contratacion_cas_con_requerimiento_observado_y_convocatoria_desierta(
    process_db: Database, gente: Gente
) -> None:
    walk = Walk(process_db, KEY, gente["jefe_ut"])
    walk.do("registrar_solicitud_rrhh", gente["coord"], requerimiento_ut())
    walk.do(
        "verificar_requerimiento_personal",
        gente["esp"],
        {
            **VERIFICADO,
            "perfil_aprobado": False,
            "decision_verificacion": "observado",
            "observaciones_verificacion": "Falta el perfil aprobado del puesto.",
        },
    )
    assert walk.waiting_at() == ["registrar_solicitud_rrhh"]  # la UT subsana
    walk.do("registrar_solicitud_rrhh", gente["coord"], requerimiento_ut())
    walk.do("verificar_requerimiento_personal", gente["esp"], VERIFICADO)
    walk.do("certificar_presupuesto", gente["presupuesto"], CERTIFICADO)
    walk.do(
        "autorizar_contratacion",
        gente["director"],
        {"decision_autorizacion_contratacion": "autorizado"},
    )
    walk.do("elaborar_convocatoria", gente["esp"], convocatoria("CAS N° 100-2026"))
    assert walk.document_kinds() == ["Bases de convocatoria CAS"]
    assert walk.documents()[0].content["certificacion"] == "0000451"
    assert walk.waiting_at() == []  # difusión de la convocatoria
    walk.pass_time(timedelta(days=15))
    walk.do(
        "evaluar_curricular",
        gente["esp"],
        {"numero_postulantes": 3, "numero_aptos": 0, "resultados_curricular": "Nadie cumple"},
    )
    assert walk.document_kinds()[-1] == "Acta de declaratoria de proceso desierto"
    walk.do(
        "decidir_nueva_convocatoria",
        gente["coord"],
        {"decision_desierto": "nueva_convocatoria"},
    )
    walk.do("elaborar_convocatoria", gente["esp"], convocatoria("CAS N° 104-2026"))
    walk.pass_time(timedelta(days=15))
    walk.do(
        "evaluar_curricular",
        gente["esp"],
        {"numero_postulantes": 9, "numero_aptos": 4, "resultados_curricular": "4 aptos"},
    )
    walk.do("entrevistar_postulantes", gente["coord"], GANADOR)
    walk.do(
        "suscribir_contrato",
        gente["jefe_ua"],
        {
            "suscripcion_contrato": "suscrito",
            "numero_contrato_cas": "CAS-0231-2026",
            "inicio_contrato": "2027-01-02",
            "fin_contrato": "2027-06-30",
        },
    )
    walk.do(
        "registrar_personal",
        gente["tec"],
        {
            "codigo_airhsp": "000123",
            "alta_t_registro": True,
            "legajo_abierto": True,
            "fecha_registro_personal": "2027-01-02",
        },
    )
    walk.do(
        "realizar_induccion",
        gente["esp"],
        {
            "fecha_induccion": "2027-01-04",
            "temas_induccion": ["Misión, visión y objetivos del Programa", "Funciones del puesto"],
            "induccion_en_unidad": "Coordinador Técnico Territorial de Cajamarca",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Bases de convocatoria CAS",
        "Acta de declaratoria de proceso desierto",
        "Bases de convocatoria CAS",
        "Acta de resultados finales del proceso CAS",
        "Contrato Administrativo de Servicios",
        "Constancia de personal incorporado",
        "Constancia de inducción",
    ]
    incorporado = walk.documents()[5]
    assert incorporado.title == "Rosa Chuquilín Alvarado — Gestor Local"
    assert incorporado.content["unidad"] == "Unidad Territorial Cajamarca"
    assert walk.notices() == [
        (JEFE_UT, "Solicitud de recursos humanos atendida: Contratación de un Gestor Local")
    ]


def test_sin_ganador_y_ganador_que_no_suscribe_hasta_cancelar(
    process_db: Database, gente: Gente
) -> None:
    walk = hasta_la_convocatoria(process_db, gente)
    walk.pass_time(timedelta(days=15))
    walk.do(
        "evaluar_curricular",
        gente["esp"],
        {"numero_postulantes": 5, "numero_aptos": 2, "resultados_curricular": "2 aptos"},
    )
    walk.do(
        "entrevistar_postulantes",
        gente["coord"],
        {"numero_entrevistados": 2, "ganador_declarado": False},
    )
    walk.do(
        "decidir_nueva_convocatoria", gente["coord"], {"decision_desierto": "nueva_convocatoria"}
    )
    walk.do("elaborar_convocatoria", gente["esp"], convocatoria("CAS N° 110-2026"))
    walk.pass_time(timedelta(days=15))
    walk.do(
        "evaluar_curricular",
        gente["esp"],
        {"numero_postulantes": 6, "numero_aptos": 1, "resultados_curricular": "1 apto"},
    )
    walk.do("entrevistar_postulantes", gente["coord"], GANADOR)
    walk.do("suscribir_contrato", gente["jefe_ua"], {"suscripcion_contrato": "no_suscrito"})
    walk.do(
        "decidir_nueva_convocatoria",
        gente["coord"],
        {"decision_desierto": "cancelar_requerimiento", "sustento_desierto": "Ya no se requiere"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Bases de convocatoria CAS",
        "Acta de declaratoria de proceso desierto",
        "Bases de convocatoria CAS",
        "Acta de resultados finales del proceso CAS",
        "Acta de declaratoria de proceso desierto",
    ]
    assert walk.notices() == [
        (JEFE_UT, "Solicitud de recursos humanos no atendida: Contratación de un Gestor Local")
    ]


def test_contratacion_sin_certificacion_presupuestal(process_db: Database, gente: Gente) -> None:
    walk = Walk(process_db, KEY, gente["jefe_ut"])
    walk.do("registrar_solicitud_rrhh", gente["coord"], requerimiento_ut())
    walk.do("verificar_requerimiento_personal", gente["esp"], VERIFICADO)
    walk.do(
        "certificar_presupuesto",
        gente["presupuesto"],
        {"decision_certificacion": "denegada", "motivo_denegacion": "Sin saldo en la genérica"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []
    assert walk.notices()[0][0] == JEFE_UT


def test_contratacion_no_autorizada_por_el_director(process_db: Database, gente: Gente) -> None:
    walk = Walk(process_db, KEY, gente["jefe_ut"])
    walk.do("registrar_solicitud_rrhh", gente["coord"], requerimiento_ut())
    walk.do("verificar_requerimiento_personal", gente["esp"], VERIFICADO)
    walk.do("certificar_presupuesto", gente["presupuesto"], CERTIFICADO)
    walk.do(
        "autorizar_contratacion",
        gente["director"],
        {
            "decision_autorizacion_contratacion": "no_autorizado",
            "observaciones_autorizacion_contratacion": "Priorizar la UT Puno",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []


MOVIMIENTO = {
    "tipo_movimiento": "rotacion",
    "servidor_movimiento": "Santos Chilón Vásquez",
    "dni_movimiento": "40123456",
    "puesto_origen": "Gestor Local — UT Cajamarca",
    "puesto_destino": "Gestor Local — UT La Libertad",
    "fecha_efectiva": "2027-01-01",
    "informe_movimiento": "Informe N° 031-2026: necesidad de servicio",
    "opinion_tecnica": "favorable",
}


def test_movimiento_autorizado_se_resuelve_y_registra(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "movimiento_personal")
    walk.do("evaluar_movimiento", gente["esp"], MOVIMIENTO)
    walk.do("revisar_movimiento", gente["jefe_ua"], {"decision_movimiento_jefe": "procede"})
    walk.do("autorizar_movimiento", gente["director"], {"decision_movimiento_de": "autorizado"})
    assert walk.document_kinds() == ["Resolución de Dirección Ejecutiva"]
    resolucion = walk.documents()[0]
    assert resolucion.title == "Acción de personal (rotacion): Santos Chilón Vásquez"
    walk.do(
        "registrar_movimiento",
        gente["tec"],
        {
            "fecha_registro_movimiento": "2026-12-28",
            "legajo_actualizado": True,
            "planilla_actualizada": True,
        },
    )
    assert walk.state == "completed"


def test_movimiento_que_no_procede(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "movimiento_personal")
    walk.do("evaluar_movimiento", gente["esp"], {**MOVIMIENTO, "opinion_tecnica": "desfavorable"})
    walk.do(
        "revisar_movimiento",
        gente["jefe_ua"],
        {"decision_movimiento_jefe": "no_procede", "observaciones_movimiento_jefe": "Sin plaza"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []


def test_movimiento_no_autorizado(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "movimiento_personal")
    walk.do("evaluar_movimiento", gente["esp"], {**MOVIMIENTO, "tipo_movimiento": "cese"})
    walk.do("revisar_movimiento", gente["jefe_ua"], {"decision_movimiento_jefe": "procede"})
    walk.do(
        "autorizar_movimiento",
        gente["director"],
        {"decision_movimiento_de": "no_autorizado", "observaciones_movimiento_de": "Esperar"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []


CAPACITACION = {
    "tema_capacitacion": "Gestión por procesos",
    "objetivo_capacitacion": "Implementar el mapa de procesos",
    "modalidad_capacitacion": "virtual",
    "proveedor_capacitacion": "ENAP",
    "participantes_programados": 40,
    "horas_lectivas": 24,
    "costo_capacitacion": "6000.00",
    "inicio_capacitacion": "2027-02-01",
    "fin_capacitacion": "2027-02-15",
}


def test_capacitacion_observada_aprobada_y_ejecutada(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "capacitacion")
    walk.do("programar_capacitacion", gente["esp"], CAPACITACION)
    walk.do(
        "aprobar_capacitacion",
        gente["jefe_ua"],
        {"decision_capacitacion": "observado", "observaciones_capacitacion": "Incluir UT."},
    )
    walk.do(
        "programar_capacitacion", gente["esp"], {**CAPACITACION, "participantes_programados": 60}
    )
    walk.do("aprobar_capacitacion", gente["jefe_ua"], {"decision_capacitacion": "aprobado"})
    walk.do(
        "ejecutar_capacitacion",
        gente["esp"],
        {
            "participantes_asistentes": 57,
            "participantes_aprobados": 52,
            "satisfaccion_capacitacion": "buena",
            "conclusion_capacitacion": "2027-02-15",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe de personal capacitado"]
    assert walk.documents()[0].content["aprobados"] == 52


def test_capacitacion_rechazada(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "capacitacion")
    walk.do("programar_capacitacion", gente["esp"], CAPACITACION)
    walk.do(
        "aprobar_capacitacion",
        gente["jefe_ua"],
        {"decision_capacitacion": "rechazado", "observaciones_capacitacion": "Sin presupuesto"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []


def test_evaluacion_de_desempeno_con_plan_de_mejora_e_informe_observado(
    process_db: Database, gente: Gente
) -> None:
    walk = iniciar(process_db, gente, "evaluacion_desempeno")
    walk.do(
        "programar_evaluacion",
        gente["esp"],
        {
            "periodo_evaluado": "2026-II",
            "servidores_a_evaluar": 1850,
            "instrumento_evaluacion": "Factores: resultados, competencias",
            "fecha_limite_evaluacion": "2027-01-15",
        },
    )
    assert walk.waiting_at() == []
    walk.pass_time(timedelta(days=16))
    resultados = {
        "servidores_evaluados": 1800,
        "rendimiento_distinguido": 90,
        "buen_rendimiento": 1690,
        "sujetos_observacion": 20,
        "evaluaciones_pendientes": 50,
        "resumen_evaluacion": "Resultados del segundo semestre",
    }
    walk.do("consolidar_evaluacion", gente["esp"], resultados)
    walk.do(
        "definir_plan_mejora",
        gente["coord"],
        {
            "acciones_mejora": "Acompañamiento del jefe inmediato",
            "capacitaciones_recomendadas": "Registro de visitas",
            "plazo_mejora_meses": 6,
        },
    )
    walk.do(
        "aprobar_informe_evaluacion",
        gente["jefe_ua"],
        {
            "decision_informe_evaluacion": "observado",
            "observaciones_informe_evaluacion": "Completar las 50 pendientes",
        },
    )
    assert walk.waiting_at() == ["consolidar_evaluacion"]
    walk.do(
        "consolidar_evaluacion",
        gente["esp"],
        {
            **resultados,
            "servidores_evaluados": 1850,
            "sujetos_observacion": 0,
            "buen_rendimiento": 1760,
            "evaluaciones_pendientes": 0,
        },
    )
    walk.do(
        "aprobar_informe_evaluacion", gente["jefe_ua"], {"decision_informe_evaluacion": "aprobado"}
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe de evaluación de desempeño"]
    assert walk.documents()[0].content["evaluados"] == 1850


def incidencia(tipo: str, **extra: Any) -> dict[str, Any]:
    return {
        "servidor_incidencia": "Teresa Gálvez Ruiz",
        "dni_incidencia": "42345678",
        "tipo_incidencia": tipo,
        "inicio_incidencia": "2026-11-10",
        "fin_incidencia": "2026-11-30",
        "dias_incidencia": 21,
        "sustento_incidencia": "Documento presentado por la UT",
        **extra,
    }


def asistencia_ut(process_db: Database, gente: Gente) -> Walk:
    walk = Walk(process_db, KEY, gente["administrador_ut"])
    walk.do(
        "registrar_solicitud_rrhh",
        gente["coord"],
        solicitud(
            "control_asistencia",
            cargo_solicitante="Administrador",
            unidad_solicitante="Unidad Territorial Cajamarca",
            asunto_solicitud="Incidencia de asistencia",
            insumos_referidos=["Certificado de Incapacidad Temporal de Trabajo"],
            numero_citt="A-778812",
        ),
    )
    return walk


REGISTRO_JUSTIFICADO = {
    "condicion_asistencia": "justificada",
    "dias_descuento": 0,
    "fecha_registro_asistencia": "2026-12-01",
}


def test_descanso_medico_con_citt_conforme(process_db: Database, gente: Gente) -> None:
    walk = asistencia_ut(process_db, gente)
    walk.do(
        "registrar_incidencia",
        gente["tec"],
        incidencia("descanso_medico_citt", citt_incidencia="A-778812"),
    )
    assert walk.waiting_at() == ["validar_citt"]
    walk.do(
        "validar_citt",
        gente["social"],
        {
            "resultado_citt": "conforme",
            "dias_subsidiados": 1,
            "tramite_subsidio": True,
            "seguimiento_social": "Visita domiciliaria programada",
        },
    )
    walk.do(
        "registrar_en_asistencia",
        gente["tec"],
        {**REGISTRO_JUSTIFICADO, "condicion_asistencia": "justificada_con_subsidio"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Registro de control de asistencia"]
    assert walk.documents()[0].content["condicion"] == "justificada_con_subsidio"
    assert walk.notices() == [
        ("Administrador", "Solicitud de recursos humanos atendida: Incidencia de asistencia")
    ]


def test_citt_observado_se_registra_como_inasistencia(process_db: Database, gente: Gente) -> None:
    walk = asistencia_ut(process_db, gente)
    walk.do(
        "registrar_incidencia",
        gente["tec"],
        incidencia("descanso_medico_citt", citt_incidencia="A-000001"),
    )
    walk.do(
        "validar_citt",
        gente["social"],
        {
            "resultado_citt": "observado",
            "dias_subsidiados": 0,
            "tramite_subsidio": False,
            "seguimiento_social": "El certificado no corresponde al servidor",
        },
    )
    assert walk.notices() == [
        ("Administrador", "Incidencia de asistencia no justificada: Teresa Gálvez Ruiz")
    ]
    walk.do(
        "registrar_en_asistencia",
        gente["tec"],
        {
            **REGISTRO_JUSTIFICADO,
            "condicion_asistencia": "injustificada_con_descuento",
            "dias_descuento": 21,
        },
    )
    assert walk.state == "completed"
    assert walk.documents()[0].content["dias_descuento"] == 21


def test_permiso_aprobado_y_licencia_denegada(process_db: Database, gente: Gente) -> None:
    walk = asistencia_ut(process_db, gente)
    walk.do("registrar_incidencia", gente["tec"], incidencia("permiso", dias_incidencia=1))
    assert walk.waiting_at() == ["resolver_incidencia"]
    walk.do("resolver_incidencia", gente["coord"], {"decision_incidencia": "aprobado"})
    walk.do("registrar_en_asistencia", gente["tec"], REGISTRO_JUSTIFICADO)
    assert walk.state == "completed"

    walk = asistencia_ut(process_db, gente)
    walk.do("registrar_incidencia", gente["tec"], incidencia("licencia_sin_goce"))
    walk.do(
        "resolver_incidencia",
        gente["coord"],
        {"decision_incidencia": "denegado", "motivo_incidencia": "Presentada fuera de plazo"},
    )
    walk.do(
        "registrar_en_asistencia",
        gente["tec"],
        {
            **REGISTRO_JUSTIFICADO,
            "condicion_asistencia": "injustificada_con_descuento",
            "dias_descuento": 21,
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Registro de control de asistencia"]


PLANILLA = {
    "servidores_en_planilla": 1830,
    "monto_bruto": "5124000.00",
    "monto_descuentos": "18450.30",
    "aporte_essalud": "204300.00",
    "monto_neto": "5105549.70",
    "expediente_siaf": "0004512",
}


def test_planilla_observada_en_cada_revision_autorizada_y_pagada(
    process_db: Database, gente: Gente
) -> None:
    walk = iniciar(process_db, gente, "planilla")
    walk.do(
        "cerrar_asistencia_mensual",
        gente["tec"],
        {
            "periodo_planilla": "2026-11",
            "servidores_activos": 1830,
            "faltas_injustificadas": 12,
            "minutos_tardanza": 3400,
            "dias_licencia_sin_goce": 21,
            "dias_descanso_medico": 64,
        },
    )
    assert walk.document_kinds() == ["Reporte mensual de asistencia"]
    walk.do("procesar_planilla", gente["esp"], PLANILLA)
    walk.do(
        "revisar_planilla",
        gente["coord"],
        {"decision_planilla_coord": "observado", "observaciones_planilla_coord": "Tardanzas"},
    )
    walk.do("procesar_planilla", gente["esp"], PLANILLA)
    walk.do("revisar_planilla", gente["coord"], {"decision_planilla_coord": "conforme"})
    walk.do(
        "control_previo_planilla",
        gente["control_previo"],
        {"decision_control_previo": "observado", "observaciones_control_previo": "Falta CITT"},
    )
    assert walk.waiting_at() == ["procesar_planilla"]
    walk.do("procesar_planilla", gente["esp"], PLANILLA)
    walk.do("revisar_planilla", gente["coord"], {"decision_planilla_coord": "conforme"})
    walk.do(
        "control_previo_planilla", gente["control_previo"], {"decision_control_previo": "conforme"}
    )
    walk.do(
        "autorizar_planilla",
        gente["jefe_ua"],
        {"decision_planilla_jefe": "observado", "observaciones_planilla_jefe": "Revisar neto"},
    )
    walk.do("procesar_planilla", gente["esp"], PLANILLA)
    walk.do("revisar_planilla", gente["coord"], {"decision_planilla_coord": "conforme"})
    walk.do(
        "control_previo_planilla", gente["control_previo"], {"decision_control_previo": "conforme"}
    )
    walk.do("autorizar_planilla", gente["jefe_ua"], {"decision_planilla_jefe": "autorizado"})
    assert walk.document_kinds() == ["Reporte mensual de asistencia", "Planilla de pago"]
    planilla = walk.documents()[1]
    assert planilla.title == "Planilla CAS 2026-11"
    assert planilla.content["neto"] == "5105549.70"
    walk.do(
        "registrar_pago_planilla",
        gente["tesoreria"],
        {
            "fecha_pago_planilla": "2026-11-28",
            "comprobante_pago": "TR-2026-1187",
            "monto_pagado": "5105549.70",
            "boletas_entregadas": True,
        },
    )
    assert walk.state == "completed"


def bienestar(recursos: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tipo_servicio_bienestar": "campana_de_salud" if recursos else "tramite_essalud",
        "beneficiarios_bienestar": "Personal de la sede central",
        "diagnostico_social": "Alta incidencia de anemia",
        "requiere_recursos": recursos,
    }
    if recursos:
        data["costo_bienestar"] = "3500.00"
    return data


EJECUTADO = {
    "fecha_servicio_bienestar": "2026-12-10",
    "beneficiarios_atendidos": 120,
    "resultado_bienestar": "Tamizaje de hemoglobina a 120 servidores",
    "requiere_seguimiento": True,
}


def test_bienestar_sin_recursos(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "bienestar_social")
    walk.do("evaluar_caso_bienestar", gente["social"], bienestar(recursos=False))
    assert walk.waiting_at() == ["ejecutar_bienestar"]
    walk.do("ejecutar_bienestar", gente["social"], EJECUTADO)
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe de servicio de bienestar"]


def test_bienestar_con_recursos_aprobado_y_rechazado(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "bienestar_social")
    walk.do("evaluar_caso_bienestar", gente["social"], bienestar(recursos=True))
    walk.do("aprobar_bienestar", gente["jefe_ua"], {"decision_bienestar": "aprobado"})
    walk.do("ejecutar_bienestar", gente["social"], EJECUTADO)
    assert walk.state == "completed"
    assert walk.documents()[0].content["requiere_recursos"] is True

    walk = iniciar(process_db, gente, "bienestar_social")
    walk.do("evaluar_caso_bienestar", gente["social"], bienestar(recursos=True))
    walk.do(
        "aprobar_bienestar",
        gente["jefe_ua"],
        {"decision_bienestar": "rechazado", "observaciones_bienestar": "Sin presupuesto"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []


def test_quien_no_es_iniciador_no_puede_iniciar(process_db: Database, gente: Gente) -> None:
    with pytest.raises(PermissionDenied):
        Walk(process_db, KEY, gente["gestor"])


def test_otros_cargos_no_ven_ni_toman_las_tareas(process_db: Database, gente: Gente) -> None:
    walk = Walk(process_db, KEY, gente["jefe_ut"])
    walk.refuses("registrar_solicitud_rrhh", gente["jefe_ut"])  # quien solicita no califica
    walk.refuses("registrar_solicitud_rrhh", gente["esp"])
    walk.refuses("registrar_solicitud_rrhh", gente["jefe_uci"])
    walk.do("registrar_solicitud_rrhh", gente["coord"], requerimiento_ut())
    walk.refuses("verificar_requerimiento_personal", gente["tec"])
    walk.refuses("verificar_requerimiento_personal", gente["administrador_ut"])
    walk.do("verificar_requerimiento_personal", gente["esp"], VERIFICADO)
    walk.refuses("certificar_presupuesto", gente["esp"])
    walk.refuses("certificar_presupuesto", gente["contabilidad"])
    walk.do("certificar_presupuesto", gente["presupuesto"], CERTIFICADO)
    walk.refuses("autorizar_contratacion", gente["jefe_ua"])
    walk.refuses("autorizar_contratacion", gente["jefe_ut"])


def test_quien_procesa_la_planilla_no_la_revisa(process_db: Database, gente: Gente) -> None:
    """Una persona encargada a la vez como especialista y como coordinador de Recursos Humanos
    no revisa la planilla que ella misma procesó."""
    with process_db.write_transaction() as s:
        add_user(s, "enc.rrhh", "Encargado de Recursos Humanos", PASSWORD)
        for cargo in (46, 44):  # Especialista en RR. HH.; Coordinador de RR. HH.
            assign(s, "enc.rrhh", cargo, date(2026, 1, 1), date(2099, 12, 31), kind="encargo")
    walk = iniciar(process_db, gente, "planilla")
    walk.do(
        "cerrar_asistencia_mensual",
        gente["tec"],
        {
            "periodo_planilla": "2026-12",
            "servidores_activos": 1830,
            "faltas_injustificadas": 0,
            "minutos_tardanza": 0,
            "dias_licencia_sin_goce": 0,
            "dias_descanso_medico": 0,
        },
    )
    walk.do("procesar_planilla", "enc.rrhh", PLANILLA)
    with pytest.raises(PermissionDenied):
        walk.do("revisar_planilla", "enc.rrhh", {"decision_planilla_coord": "conforme"})
    walk.do("revisar_planilla", gente["coord"], {"decision_planilla_coord": "conforme"})
    assert walk.waiting_at() == ["control_previo_planilla"]


def test_every_branch_walked(process_db: Database) -> None:
    assert_every_branch_walked(process_db, KEY)

"""Process 16 — Administración y Finanzas (Manual de Operaciones, V.2 16).

One instance per document or requerimiento that enters the Unidad de Administración through
trámite documentario and is derived to the process that attends it: adquisición de bienes y
servicios (cuadro de necesidades → PAC → contratación → almacén → control patrimonial, then
the payment), ejecución de gastos with control previo, ejecución de ingresos, custodia de
cartas fianza, estados financieros y presupuestarios, and trámite documentario proper
(distribution, remission abroad, archive). Every gateway branch is walked.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import runtime
from engine.errors import PermissionDenied, ValidationError
from engine.notifications import Notification
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p16_administracion_finanzas"

ARCHIVO_TEC = "Técnico de Archivo"
ARCHIVO_ESP = "Especialista en Archivo"
PROGRAMACION = "Especialista en Programación"
PRESUPUESTO = "Especialista en Presupuesto"
ADQUISICIONES = "Especialista en Adquisiciones y Contrataciones"
ALMACEN_ESP = "Especialista de Almacén"
ALMACEN_TEC = "Técnico en Almacén"
PATRIMONIO = "Especialista en Patrimonio"
LOGISTICA = "Coordinador de Logística"
CONTABILIDAD = "Especialista en Contabilidad"
CONTROL_PREVIO = "Especialista en Control Previo"
TESORERIA = "Especialista en Tesorería"
COORD_TESORERIA = "Coordinador de Tesorería"
COORD_CONTABILIDAD = "Coordinador de Contabilidad"

JEFE_UA = "jefe.ua"
DIRECTOR = "director"


def documento(tramite: str, entradas: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "remitente": "Unidad Territorial Cajamarca",
        "numero_documento": "Memorando N° 0345-2026-MIDIS/PNADP-UTCAJ",
        "asunto_documento": "Requerimiento a la Unidad de Administración",
        "folios": 12,
        "entradas_adjuntas": entradas,
        "tipo_tramite": tramite,
        "revision_documento": "completo",
        **extra,
    }


def registrado(db, tramite: str, entradas: list[str], **extra: Any) -> Walk:  # type: ignore[no-untyped-def]
    archivo = staff(db, ARCHIVO_TEC)
    walk = Walk(db, KEY, archivo)
    assert walk.waiting_at() == ["registrar_documento"]
    walk.do("registrar_documento", archivo, documento(tramite, entradas, **extra))
    assert walk.document_kinds()[:1] == ["Hoja de trámite"]
    return walk


def necesidad(objeto: str, previsto: bool) -> dict[str, Any]:
    return {
        "unidad_requirente": "Unidad Territorial Cajamarca",
        "descripcion_necesidad": "Computadoras portátiles" if objeto == "bienes" else "Courier",
        "tipo_objeto": objeto,
        "cantidad_necesidad": 20,
        "valor_estimado_necesidad": "84000.00",
        "meta_presupuestal": "Meta 0012 — Gestión del Programa",
        "previsto_en_pac": previsto,
    }


def adquisicion(db, objeto: str, previsto: bool = True) -> Walk:  # type: ignore[no-untyped-def]
    walk = registrado(
        db,
        "adquisición de bienes y servicios",
        [
            "Requerimiento de bienes y servicios",
            "Necesidades y requerimientos de las Unidades del Programa",
        ],
    )
    walk.do("consolidar_cuadro_necesidades", staff(db, PROGRAMACION), necesidad(objeto, previsto))
    return walk


CERTIFICADO = {
    "decision_certificacion": "certificado",
    "numero_certificacion": "CCP 0987-2026",
    "monto_certificado": "84000.00",
}
BUENA_PRO = {
    "tipo_procedimiento": "adjudicación simplificada",
    "numero_procedimiento": "AS-SM-014-2026-JUNTOS",
    "resultado_seleccion": "buena pro consentida",
    "postor_ganador": "Tecnología Andina S.A.C.",
    "ruc_postor": "20512345678",
    "monto_adjudicado": "79800.50",
}
CONTRATO = {
    "numero_contrato": "Contrato N° 021-2026-JUNTOS",
    "fecha_suscripcion": "2026-04-10",
    "plazo_ejecucion_dias": 30,
    "garantia_fiel_cumplimiento": True,
}


def contratar(walk: Walk, db) -> None:  # type: ignore[no-untyped-def]
    walk.do("certificar_credito", staff(db, PRESUPUESTO), CERTIFICADO)
    walk.do("conducir_contratacion", staff(db, ADQUISICIONES), BUENA_PRO)
    walk.do("suscribir_contrato", JEFE_UA, CONTRATO)


def devengado(tipo: str, **extra: Any) -> dict[str, Any]:
    return {
        "tipo_gasto": tipo,
        "numero_expediente": "EXP-2026-00411",
        "registro_siaf": "0000004521",
        "beneficiario_pago": "Tecnología Andina S.A.C.",
        "monto_gasto": "79800.50",
        **extra,
    }


GIRO = {
    "medio_pago": "transferencia a cuenta",
    "numero_comprobante_pago": "CP 1203",
    "fecha_giro": "2026-05-20",
}


def pagar(walk: Walk, db, tipo: str = "pago a proveedores", **extra: Any) -> None:  # type: ignore[no-untyped-def]
    """The gasto from the devengado to the authorised giro."""
    walk.do("registrar_devengado", staff(db, CONTABILIDAD), devengado(tipo, **extra))
    walk.do("control_previo", staff(db, CONTROL_PREVIO), {"resultado_control_previo": "conforme"})
    walk.do("girar_pago", staff(db, TESORERIA), GIRO)
    walk.do("autorizar_giro", staff(db, COORD_TESORERIA), {"decision_giro": "autorizado"})


# -- Trámite documentario: recepción y revisión ------------------------------------------


def test_documento_incompleto_se_devuelve_al_remitente(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    archivo = staff(db, ARCHIVO_TEC)
    walk = Walk(db, KEY, archivo)
    walk.do(
        "registrar_documento",
        archivo,
        documento(
            "ejecución de gastos",
            ["Expediente de pago"],
            revision_documento="incompleto",
            motivo_devolucion="Falta la conformidad del área usuaria.",
        ),
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Cargo de devolución de documento"]
    assert walk.documents()[0].content["motivo"] == "Falta la conformidad del área usuaria."


# -- Adquisición de bienes y servicios ---------------------------------------------------


def test_bienes_fuera_del_pac_desde_la_necesidad_hasta_el_pago(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    programacion, almacen = staff(db, PROGRAMACION), staff(db, ALMACEN_ESP)
    walk = adquisicion(db, "bienes", previsto=False)
    assert walk.waiting_at() == ["formular_pac"]
    pac = {
        "tipo_pac": "modificación del PAC",
        "anio_pac": 2026,
        "procesos_programados": 1,
        "monto_total_pac": "84000.00",
        "sustento_pac": "Renovación de equipos de la UT Cajamarca.",
    }
    walk.do("formular_pac", programacion, pac)
    walk.do(
        "revisar_pac", JEFE_UA, {"decision_ua_pac": "observado", "observaciones_ua_pac": "Valor."}
    )
    assert walk.waiting_at() == ["formular_pac"]
    walk.do("formular_pac", programacion, pac)
    walk.do("revisar_pac", JEFE_UA, {"decision_ua_pac": "conforme"})
    walk.do(
        "aprobar_pac", DIRECTOR, {"decision_de_pac": "observado", "observaciones_de_pac": "Meta."}
    )
    assert walk.waiting_at() == ["formular_pac"]
    walk.do("formular_pac", programacion, pac)
    walk.do("revisar_pac", JEFE_UA, {"decision_ua_pac": "conforme"})
    walk.do("aprobar_pac", DIRECTOR, {"decision_de_pac": "aprobado"})
    assert walk.waiting_at() == ["certificar_credito"]

    walk.do("certificar_credito", staff(db, PRESUPUESTO), CERTIFICADO)
    walk.do(
        "conducir_contratacion",
        staff(db, ADQUISICIONES),
        {
            "tipo_procedimiento": "adjudicación simplificada",
            "numero_procedimiento": "AS-SM-013-2026-JUNTOS",
            "resultado_seleccion": "desierto",
        },
    )
    assert walk.waiting_at() == ["conducir_contratacion"]  # a new convocatoria
    walk.do("conducir_contratacion", staff(db, ADQUISICIONES), BUENA_PRO)
    walk.do("suscribir_contrato", JEFE_UA, CONTRATO)
    assert walk.waiting_at() == ["recibir_bienes"]
    walk.do(
        "recibir_bienes",
        almacen,
        {
            "guia_remision": "GR 001-000452",
            "cantidad_recibida": 18,
            "recepcion_bienes": "observado",
            "observaciones_recepcion": "Faltan 2 equipos.",
        },
    )
    assert walk.waiting_at() == ["recibir_bienes"]
    walk.do(
        "recibir_bienes",
        almacen,
        {"guia_remision": "GR 001-000460", "cantidad_recibida": 20, "recepcion_bienes": "conforme"},
    )
    walk.do(
        "distribuir_bienes",
        staff(db, ALMACEN_TEC),
        {
            "unidad_destino_bienes": "Unidad Territorial Cajamarca",
            "cantidad_entregada": 20,
            "bien_patrimonial": True,
        },
    )
    walk.do(
        "registrar_patrimonio",
        staff(db, PATRIMONIO),
        {
            "codigo_patrimonial": "740899500123",
            "responsable_custodia": "Jefe de Unidad Territorial Cajamarca",
            "ubicacion_bien": "Sede UT Cajamarca",
        },
    )
    walk.do("registrar_seguimiento_pac", programacion, {"estado_proceso_pac": "ejecutado"})
    assert walk.waiting_at() == ["registrar_devengado"]  # the provider's expediente de pago
    pagar(walk, db)

    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Hoja de trámite",
        "Cuadro de Necesidades",
        "Resolución de Dirección Ejecutiva",
        "Contrato",
        "Nota de entrada a almacén",
        "Pedido Comprobante de Salida (PECOSA)",
        "Ficha de asignación de bien patrimonial",
        "Comprobante de pago",
        "Reporte de ejecución presupuestaria",
    ]
    docs = {d.kind: d for d in walk.documents()}
    assert docs["Resolución de Dirección Ejecutiva"].title == "Dispone la modificación del PAC 2026"
    assert docs["Contrato"].content["ruc"] == "20512345678"
    assert docs["Nota de entrada a almacén"].content["cantidad"] == 20
    assert docs["Ficha de asignación de bien patrimonial"].content["codigo"] == "740899500123"
    assert docs["Comprobante de pago"].content["monto"] == "79800.50"


def test_servicio_previsto_en_el_pac_con_conformidad_observada(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    logistica = staff(db, LOGISTICA)
    walk = adquisicion(db, "servicios", previsto=True)
    assert walk.waiting_at() == ["certificar_credito"]
    contratar(walk, db)
    assert walk.waiting_at() == ["conformidad_servicio"]
    walk.do(
        "conformidad_servicio",
        logistica,
        {
            "informe_area_usuaria": "Informe N° 044-2026-UTCAJ",
            "resultado_conformidad_servicio": "observado",
            "observaciones_servicio": "Entregas fuera de plazo.",
        },
    )
    assert walk.waiting_at() == ["conformidad_servicio"]
    walk.do(
        "conformidad_servicio",
        logistica,
        {
            "informe_area_usuaria": "Informe N° 051-2026-UTCAJ",
            "resultado_conformidad_servicio": "conforme",
        },
    )
    walk.do(
        "registrar_seguimiento_pac",
        staff(db, PROGRAMACION),
        {"estado_proceso_pac": "ejecutado parcialmente", "comentario_seguimiento_pac": "1 de 3"},
    )
    pagar(walk, db)
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Hoja de trámite",
        "Cuadro de Necesidades",
        "Contrato",
        "Acta de conformidad del servicio",
        "Comprobante de pago",
        "Reporte de ejecución presupuestaria",
    ]
    assert walk.documents()[3].content["informe_area_usuaria"] == "Informe N° 051-2026-UTCAJ"


def test_bienes_no_patrimoniales_no_pasan_por_control_patrimonial(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = adquisicion(db, "bienes", previsto=True)
    contratar(walk, db)
    walk.do(
        "recibir_bienes",
        staff(db, ALMACEN_ESP),
        {"guia_remision": "GR 003-000101", "cantidad_recibida": 20, "recepcion_bienes": "conforme"},
    )
    walk.do(
        "distribuir_bienes",
        staff(db, ALMACEN_TEC),
        {
            "unidad_destino_bienes": "Unidad de Tecnologías de Información",
            "cantidad_entregada": 20,
            "bien_patrimonial": False,
        },
    )
    assert walk.waiting_at() == ["registrar_seguimiento_pac"]
    walk.do(
        "registrar_seguimiento_pac", staff(db, PROGRAMACION), {"estado_proceso_pac": "ejecutado"}
    )
    pagar(walk, db)
    assert walk.state == "completed"
    assert "Ficha de asignación de bien patrimonial" not in walk.document_kinds()
    assert "Pedido Comprobante de Salida (PECOSA)" in walk.document_kinds()


def test_sin_credito_presupuestario_no_se_contrata(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = adquisicion(db, "bienes", previsto=True)
    walk.do(
        "certificar_credito",
        staff(db, PRESUPUESTO),
        {
            "decision_certificacion": "sin disponibilidad",
            "motivo_sin_credito": "Meta sin saldo.",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Hoja de trámite", "Cuadro de Necesidades", "Informe técnico"]
    assert walk.documents()[-1].content["motivo"] == "Meta sin saldo."


# -- Ejecución de ingresos y gastos ------------------------------------------------------


def test_incentivos_con_control_previo_y_giro_observados(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    contabilidad, tesoreria = staff(db, CONTABILIDAD), staff(db, TESORERIA)
    walk = registrado(
        db,
        "ejecución de gastos",
        ["Expediente de pago", "Resolución de Dirección Ejecutiva que autoriza los incentivos"],
    )
    incentivo = devengado(
        "incentivo monetario",
        beneficiario_pago="Hogares afiliados — Entidad Pagadora",
        monto_gasto="18500000.00",
        numero_resolucion_incentivos="RDE N° 045-2026-MIDIS/PNADP-DE",
    )
    walk.do("registrar_devengado", contabilidad, incentivo)
    walk.do(
        "control_previo",
        staff(db, CONTROL_PREVIO),
        {
            "resultado_control_previo": "observado",
            "observaciones_control_previo": "Falta el padrón de hogares abonados.",
        },
    )
    assert walk.waiting_at() == ["registrar_devengado"]
    walk.do("registrar_devengado", contabilidad, incentivo)
    walk.do("control_previo", staff(db, CONTROL_PREVIO), {"resultado_control_previo": "conforme"})
    giro = {**GIRO, "medio_pago": "carta orden al Banco de la Nación"}
    walk.do("girar_pago", tesoreria, giro)
    walk.do(
        "autorizar_giro",
        staff(db, COORD_TESORERIA),
        {"decision_giro": "observado", "observaciones_giro": "Corregir la fecha."},
    )
    assert walk.waiting_at() == ["girar_pago"]
    walk.do("girar_pago", tesoreria, giro)
    walk.do("autorizar_giro", staff(db, COORD_TESORERIA), {"decision_giro": "autorizado"})

    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Hoja de trámite",
        "Constancia de abono del incentivo monetario",
        "Reporte de ejecución presupuestaria",
    ]
    abono = walk.documents()[1]
    assert abono.content["resolucion"] == "RDE N° 045-2026-MIDIS/PNADP-DE"
    assert abono.content["medio"] == "carta orden al Banco de la Nación"


def test_ejecucion_de_ingresos(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = registrado(db, "ejecución de ingresos", ["Requerimiento de atención de trámites"])
    walk.do(
        "registrar_ingreso",
        staff(db, TESORERIA),
        {
            "concepto_ingreso": "reversión de incentivos no cobrados",
            "monto_ingreso": "35200.00",
            "documento_sustento_ingreso": "Oficio del Banco de la Nación N° 112-2026",
            "registro_siaf_ingreso": "0000000873",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Hoja de trámite",
        "Recibo de ingreso",
        "Reporte de ejecución presupuestaria",
    ]
    assert walk.documents()[2].content["fase"] == "ingreso recaudado"


def carta(vence: date, numero: str = "CF-0012345") -> dict[str, Any]:
    return {
        "entidad_financiera": "Banco de Crédito del Perú",
        "numero_carta_fianza": numero,
        "monto_carta_fianza": "7980.05",
        "fecha_vencimiento_carta": vence.isoformat(),
        "contrato_garantizado": "Contrato N° 021-2026-JUNTOS",
    }


def test_carta_fianza_alertada_renovada_y_devuelta(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    tesoreria, coordinador = staff(db, TESORERIA), staff(db, COORD_TESORERIA)
    walk = registrado(db, "custodia de carta fianza", ["Requerimiento de atención de trámites"])
    walk.do("registrar_carta_fianza", tesoreria, carta(date.today() + timedelta(days=40)))
    assert walk.waiting_at() == ["resolver_carta_fianza"]

    walk.pass_time(timedelta(days=10))  # 30 days before expiry: nothing yet
    with db.transaction() as s:
        query = select(Notification).where(Notification.instance_id == walk.id)
        assert list(s.scalars(query)) == []
    walk.pass_time(timedelta(days=26))  # fifteen days before expiry: the alert
    with db.transaction() as s:
        avisos = list(s.scalars(query))
    assert [a.recipient for a in avisos] == ["Coordinador de Tesorería"]
    assert avisos[0].subject == "Carta fianza por vencer: CF-0012345"
    assert walk.waiting_at() == ["resolver_carta_fianza"]

    walk.do(
        "resolver_carta_fianza",
        coordinador,
        {"decision_carta_fianza": "renovar", "sustento_carta_fianza": "Vence antes de la entrega."},
    )
    assert walk.waiting_at() == ["registrar_carta_fianza"]
    walk.do("registrar_carta_fianza", tesoreria, carta(date.today() + timedelta(days=120), "CF-2"))
    walk.do(
        "resolver_carta_fianza",
        coordinador,
        {"decision_carta_fianza": "devolver", "sustento_carta_fianza": "Conformidad otorgada."},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Hoja de trámite",
        "Constancia de custodia de carta fianza",
        "Constancia de custodia de carta fianza",
        "Cargo de devolución de carta fianza",
    ]
    assert walk.documents()[-1].content["carta"] == "CF-2"


def test_carta_fianza_ejecutada_ingresa_como_ingreso(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = registrado(db, "custodia de carta fianza", ["Requerimiento de atención de trámites"])
    walk.do("registrar_carta_fianza", staff(db, TESORERIA), carta(date.today() + timedelta(90)))
    walk.do(
        "resolver_carta_fianza",
        staff(db, COORD_TESORERIA),
        {"decision_carta_fianza": "ejecutar", "sustento_carta_fianza": "Contrato resuelto."},
    )
    assert walk.waiting_at() == ["registrar_ingreso"]
    walk.do(
        "registrar_ingreso",
        staff(db, TESORERIA),
        {
            "concepto_ingreso": "ejecución de carta fianza",
            "monto_ingreso": "7980.05",
            "documento_sustento_ingreso": "Solicitud de ejecución de carta fianza",
            "registro_siaf_ingreso": "0000000911",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Hoja de trámite",
        "Constancia de custodia de carta fianza",
        "Solicitud de ejecución de carta fianza",
        "Recibo de ingreso",
        "Reporte de ejecución presupuestaria",
    ]


# -- Estados financieros y presupuestarios -----------------------------------------------

EEFF = {
    "periodo_eeff": "2026-T1",
    "tipo_periodo_eeff": "trimestral",
    "conciliaciones_realizadas": True,
    "notas_eeff": "Notas a los estados financieros del primer trimestre.",
}


def test_estados_financieros_observados_aprobados_y_presentados(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    contabilidad, coordinador = staff(db, CONTABILIDAD), staff(db, COORD_CONTABILIDAD)
    walk = registrado(
        db,
        "estados financieros y presupuestarios",
        ["Plan Operativo y Presupuesto Institucional Aprobado"],
    )
    walk.do("elaborar_eeff", contabilidad, EEFF)
    walk.do(
        "revisar_eeff",
        coordinador,
        {"decision_revision_eeff": "observado", "observaciones_revision_eeff": "Conciliar bancos."},
    )
    assert walk.waiting_at() == ["elaborar_eeff"]
    walk.do("elaborar_eeff", contabilidad, EEFF)
    walk.do("revisar_eeff", coordinador, {"decision_revision_eeff": "conforme"})
    walk.do(
        "aprobar_eeff",
        JEFE_UA,
        {"decision_aprobacion_eeff": "observado", "observaciones_aprobacion_eeff": "Nota 5."},
    )
    assert walk.waiting_at() == ["elaborar_eeff"]
    walk.do("elaborar_eeff", contabilidad, EEFF)
    walk.do("revisar_eeff", coordinador, {"decision_revision_eeff": "conforme"})
    walk.do("aprobar_eeff", JEFE_UA, {"decision_aprobacion_eeff": "aprobado"})
    assert walk.document_kinds()[-1] == "Estados Financieros y Presupuestarios"
    walk.do(
        "registrar_presentacion_dgcp",
        coordinador,
        {"fecha_presentacion_dgcp": "2026-04-30", "constancia_presentacion": "DGCP-2026-000731"},
    )
    assert walk.state == "completed"
    assert walk.documents()[-1].content["periodo"] == "2026-T1"


# -- Trámite documentario: distribución, remisión y archivo -------------------------------

ARCHIVAR = {
    "serie_documental": "Correspondencia oficial",
    "ubicacion_archivo": "Archivo Central, estante 4",
    "plazo_conservacion_anios": 5,
}


def test_documento_distribuido_a_una_unidad_y_archivado(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = registrado(
        db,
        "trámite documentario",
        ["Requerimiento de atención de trámites"],
        destino_documento="unidad del Programa",
    )
    walk.do(
        "distribuir_documento",
        staff(db, ARCHIVO_TEC),
        {
            "unidad_destino_documento": "Unidad de Asesoría Jurídica",
            "recibido_por": "Secretaria de la UAJ",
            "fecha_entrega_documento": "2026-03-02",
        },
    )
    walk.do("archivar_documento", staff(db, ARCHIVO_ESP), ARCHIVAR)
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Hoja de trámite", "Cargo de entrega de documento"]


def test_documento_remitido_al_exterior_y_archivado(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    walk = registrado(
        db,
        "trámite documentario",
        ["Documento para despacho a entidades externas"],
        destino_documento="entidad externa",
    )
    walk.do(
        "remitir_documento",
        staff(db, ARCHIVO_TEC),
        {
            "entidad_destino_externa": "Ministerio de Desarrollo e Inclusión Social",
            "medio_envio": "mensajería",
            "numero_guia_envio": "G-2026-1180",
            "fecha_remision": "2026-03-03",
        },
    )
    assert walk.waiting_at() == ["archivar_documento"]
    walk.do("archivar_documento", staff(db, ARCHIVO_ESP), ARCHIVAR)
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Hoja de trámite", "Cargo de remisión de documento"]
    assert walk.documents()[1].content["destino"].startswith("Ministerio de Desarrollo")


def test_el_registro_exige_las_entradas_de_cada_tramite(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    archivo = staff(db, ARCHIVO_TEC)
    walk = Walk(db, KEY, archivo)
    for tramite, entradas, extra in (
        ("trámite documentario", ["Requerimiento de atención de trámites"], {}),
        ("ejecución de gastos", ["Requerimiento de atención de trámites"], {}),
        ("adquisición de bienes y servicios", ["Plan Anual de Contrataciones"], {}),
        ("ejecución de ingresos", ["Expediente de pago"], {"revision_documento": "incompleto"}),
    ):
        with pytest.raises(ValidationError):
            walk.do("registrar_documento", archivo, documento(tramite, entradas, **extra))
    assert walk.waiting_at() == ["registrar_documento"]


# -- who may do what ----------------------------------------------------------------------


def test_solo_la_unidad_de_administracion_inicia_y_cada_tarea_es_de_su_cargo(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    secretaria_ua = staff(db, "Secretaria", "UA")
    for outsider in ("jefe.uti", "gl.cajamarca", secretaria_ua, staff(db, PRESUPUESTO)):
        with pytest.raises(PermissionDenied), db.write_transaction() as s:
            runtime.start_instance(s, KEY, runtime.actor_for_login(s, outsider))

    walk = Walk(db, KEY, JEFE_UA)
    for intruder in (secretaria_ua, "jefe.uti", "gl.cajamarca", staff(db, ARCHIVO_ESP)):
        walk.refuses("registrar_documento", intruder)
    walk.do(
        "registrar_documento",
        staff(db, ARCHIVO_TEC),
        documento("ejecución de gastos", ["Expediente de pago"]),
    )
    walk.do("registrar_devengado", staff(db, CONTABILIDAD), devengado("pago al personal"))
    for intruder in (staff(db, TESORERIA), staff(db, CONTABILIDAD), "jefe.uti"):
        walk.refuses("control_previo", intruder)


def separacion():  # type: ignore[no-untyped-def]
    return pytest.raises(PermissionDenied, match="separación de funciones")


def test_quien_elabora_o_gira_no_revisa_ni_autoriza_lo_suyo(process_db) -> None:  # type: ignore[no-untyped-def]
    db = process_db
    coord_contabilidad = staff(db, COORD_CONTABILIDAD)
    walk = registrado(
        db,
        "estados financieros y presupuestarios",
        ["Plan Operativo y Presupuesto Institucional Aprobado"],
    )
    # The Coordinador de Contabilidad takes over the elaboration (Title IV.C)…
    task_id = walk.task("elaborar_eeff").id
    with db.write_transaction() as s:
        actor = runtime.actor_for_login(s, coord_contabilidad)
        runtime.take_over(s, task_id, actor)
        runtime.complete(s, task_id, actor, EEFF)
    walk.run_services()
    # …so another person must review it.
    task_id = walk.task("revisar_eeff").id
    with separacion(), db.write_transaction() as s:
        actor = runtime.actor_for_login(s, coord_contabilidad)
        runtime.claim(s, task_id, actor)
        runtime.complete(s, task_id, actor, {"decision_revision_eeff": "conforme"})
    assert walk.waiting_at() == ["revisar_eeff"]

    # Same with the giro: the Coordinador de Tesorería who issues a giro cannot authorise it.
    coord_tesoreria = staff(db, COORD_TESORERIA)
    walk = registrado(db, "ejecución de gastos", ["Expediente de pago"])
    walk.do("registrar_devengado", staff(db, CONTABILIDAD), devengado("viáticos y pasajes"))
    walk.do("control_previo", staff(db, CONTROL_PREVIO), {"resultado_control_previo": "conforme"})
    task_id = walk.task("girar_pago").id
    with db.write_transaction() as s:
        actor = runtime.actor_for_login(s, coord_tesoreria)
        runtime.take_over(s, task_id, actor)
        runtime.complete(s, task_id, actor, GIRO)
    walk.run_services()
    task_id = walk.task("autorizar_giro").id
    with separacion(), db.write_transaction() as s:
        actor = runtime.actor_for_login(s, coord_tesoreria)
        runtime.claim(s, task_id, actor)
        runtime.complete(s, task_id, actor, {"decision_giro": "autorizado"})
    assert walk.waiting_at() == ["autorizar_giro"]


def test_cada_rama_del_proceso_fue_recorrida(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

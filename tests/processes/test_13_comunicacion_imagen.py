"""Proceso 13 — Comunicación e imagen (Manual de Operaciones, V.2 13): cada rama del
requerimiento comunicacional (apoyo a procesos operativos, prensa, publicaciones, seguimiento
de medios, Plan de Comunicaciones, ceremonias), recorrida por quienes ocupan los cargos."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from engine.db import Database
from engine.errors import PermissionDenied
from engine.org.people import add_user, assign
from tests.processes.support import PASSWORD, Walk, assert_every_branch_walked, staff

Gente = dict[str, str]

KEY = "p13_comunicacion_imagen"
JEFE = "Jefe de la Unidad de Comunicación e Imagen"
JEFE_UOAL = "Jefe de la Unidad de Operaciones de Afiliación y Liquidación"


@pytest.fixture(scope="module")
def gente(process_db: Database) -> Gente:
    cargos = {
        "jefe": JEFE,
        "desarrollo": "Especialista en comunicación para el desarrollo",
        "prensa": "Especialista en prensa",
        "planeamiento": "Especialista en planeamiento comunicacional",
        "interna": "Especialista en comunicación interna",
        "audiovisuales": "Técnico en Audiovisuales",
        "upp": "Jefe de la Unidad de Planeamiento y Presupuesto",
        "director": "Director Ejecutivo",
        "uoal": JEFE_UOAL,
        "jefe_ut": "Jefe de Unidad Territorial",
        "jefe_ua": "Jefe de la Unidad de Administración",
    }
    gente = {k: staff(process_db, v) for k, v in cargos.items()}
    gente["jefe_ut"] = staff(process_db, "Jefe de Unidad Territorial", "UT-CAJ")
    gente["gestor"] = staff(process_db, "Gestor Local", "UT-CAJ")
    return gente


def requerimiento(tipo: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "tipo_actividad": tipo,
        "cargo_solicitante": JEFE,
        "unidad_solicitante": "Unidad de Comunicación e Imagen",
        "documento_requerimiento": "Plan de Comunicaciones 2026, actividad 3.2",
        "asunto_requerimiento": f"Actividad de {tipo}",
        "fecha_requerida": "2026-12-15",
        "insumos_referidos": [
            "Lineamientos de Política Comunicacional del MIDIS",
            "Manual de identidad gráfica de JUNTOS adaptada del MIDIS",
        ],
        "decision_admision": "procede",
    }
    data.update(extra)
    return data


def iniciar(process_db: Database, gente: Gente, tipo: str, **extra: Any) -> Walk:
    walk = Walk(process_db, KEY, gente["jefe"])
    assert walk.waiting_at() == ["recibir_requerimiento"]
    walk.do("recibir_requerimiento", gente["jefe"], requerimiento(tipo, **extra))
    return walk


def test_requerimiento_que_no_procede_se_comunica_al_solicitante(
    process_db: Database, gente: Gente
) -> None:
    walk = Walk(process_db, KEY, gente["uoal"])
    walk.do(
        "recibir_requerimiento",
        gente["jefe"],
        requerimiento(
            "prensa",
            cargo_solicitante=JEFE_UOAL,
            decision_admision="no_procede",
            motivo_no_procede="La difusión corresponde a la Oficina General de Comunicaciones.",
        ),
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []
    assert walk.notices() == [
        (JEFE_UOAL, "Requerimiento comunicacional no atendido: Actividad de prensa")
    ]


def test_apoyo_a_pagos_desde_una_unidad_territorial_con_piezas_observadas(
    process_db: Database, gente: Gente
) -> None:
    walk = Walk(process_db, KEY, gente["jefe_ut"])  # su ámbito es la UT Cajamarca
    walk.do(
        "recibir_requerimiento",
        gente["jefe"],
        requerimiento(
            "apoyo_operativo",
            cargo_solicitante="Jefe de Unidad Territorial",
            unidad_solicitante="Unidad Territorial Cajamarca",
            documento_requerimiento="Memorando N° 112-2026-MIDIS/PNADP-UTCAJ",
            asunto_requerimiento="Difusión de fechas de pago de diciembre",
        ),
    )
    assert walk.waiting_at() == ["disenar_estrategia_operativa"]
    walk.do(
        "disenar_estrategia_operativa",
        gente["desarrollo"],
        {
            "proceso_operativo": "pagos",
            "publico_objetivo": "Titulares de hogares abonados",
            "ambito_intervencion": "Provincias de Cajabamba y San Marcos",
            "mensajes_clave": "Cobre su incentivo del 10 al 20 de diciembre",
            "canales_difusion": ["radio local", "perifoneo"],
            "fechas_canales_pago": "10-20 de diciembre; Banco de la Nación y agentes",
            "inicio_difusion": "2026-12-01",
            "fin_difusion": "2026-12-20",
        },
    )
    piezas = {
        "piezas_operativas": [
            {"tipo_pieza": "spot radial", "soporte": "magnético", "cantidad": 1},
            {"tipo_pieza": "guion para perifoneo", "soporte": "impreso", "cantidad": 40},
        ],
        "identidad_grafica_operativa": True,
        "archivos_operativos": "//uci/piezas/pagos-dic",
    }
    walk.do("producir_piezas_operativas", gente["audiovisuales"], piezas)
    walk.do(
        "revisar_piezas_operativas",
        gente["jefe"],
        {
            "decision_piezas_operativas": "observado",
            "observaciones_piezas_operativas": "Incluir el horario de atención de la agencia.",
        },
    )
    assert walk.waiting_at() == ["producir_piezas_operativas"]
    walk.do("producir_piezas_operativas", gente["audiovisuales"], piezas)
    walk.do("revisar_piezas_operativas", gente["jefe"], {"decision_piezas_operativas": "aprobado"})
    assert walk.document_kinds() == ["Comunicación institucional"]
    doc = walk.documents()[0]
    assert doc.title == "Comunicación para el proceso operativo: pagos"
    assert doc.content["solicitante"] == "Unidad Territorial Cajamarca"
    assert len(doc.content["piezas"]) == 2
    walk.do(
        "registrar_difusion_operativa",
        gente["desarrollo"],
        {
            "fecha_inicio_difundida": "2026-12-01",
            "unidades_territoriales_difusion": "UT Cajamarca",
            "poblacion_alcanzada": 12500,
            "medios_utilizados": "Radio Líder, perifoneo en 12 centros poblados",
        },
    )
    assert walk.state == "completed"
    assert walk.notices() == [
        (
            "Jefe de Unidad Territorial",
            "Requerimiento comunicacional atendido: Difusión de fechas de pago de diciembre",
        )
    ]


def nota(tipo: str = "nota_prensa", **extra: Any) -> dict[str, Any]:
    return {
        "tipo_accion_prensa": tipo,
        "tema_prensa": "JUNTOS llega a 700 mil hogares",
        "contenido_prensa": "El Programa JUNTOS informa…",
        "medios_objetivo": ["prensa escrita", "radio"],
        "fecha_accion_prensa": "2026-12-05",
        **extra,
    }


def test_nota_de_prensa_observada_emitida_y_difundida(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "prensa")
    walk.do("preparar_accion_prensa", gente["prensa"], nota())
    walk.do(
        "revisar_accion_prensa",
        gente["jefe"],
        {"decision_prensa_jefe": "observado", "observaciones_prensa_jefe": "Citar la fuente."},
    )
    assert walk.waiting_at() == ["preparar_accion_prensa"]
    walk.do("preparar_accion_prensa", gente["prensa"], nota())
    walk.do("revisar_accion_prensa", gente["jefe"], {"decision_prensa_jefe": "aprobado"})
    assert walk.document_kinds() == ["Nota de prensa"]
    assert walk.documents()[0].body == "El Programa JUNTOS informa…"
    walk.do(
        "difundir_nota_prensa",
        gente["prensa"],
        {
            "fecha_difusion_nota": "2026-12-05",
            "medios_que_publicaron": "Andina, RPP",
            "numero_publicaciones": 2,
            "enlace_nota_portal": "https://www.juntos.gob.pe/notas/700mil",
        },
    )
    assert walk.state == "completed"


def test_conferencia_de_prensa_con_vocero_observado_y_luego_autorizado(
    process_db: Database, gente: Gente
) -> None:
    walk = iniciar(process_db, gente, "prensa")
    conferencia = nota("conferencia_prensa", vocero_propuesto="Jefe de la UOAL")
    walk.do("preparar_accion_prensa", gente["prensa"], conferencia)
    walk.do("revisar_accion_prensa", gente["jefe"], {"decision_prensa_jefe": "aprobado"})
    assert walk.waiting_at() == ["autorizar_vocero"]
    walk.do(
        "autorizar_vocero",
        gente["director"],
        {"decision_vocero": "observado", "indicaciones_vocero": "Que hable la Dirección."},
    )
    assert walk.waiting_at() == ["preparar_accion_prensa"]
    walk.do("preparar_accion_prensa", gente["prensa"], {**conferencia, "vocero_propuesto": "DE"})
    walk.do("revisar_accion_prensa", gente["jefe"], {"decision_prensa_jefe": "aprobado"})
    walk.do(
        "autorizar_vocero",
        gente["director"],
        {"decision_vocero": "autorizado", "vocero_designado": "Directora Ejecutiva"},
    )
    walk.do(
        "realizar_accion_prensa",
        gente["prensa"],
        {
            "fecha_realizacion_prensa": "2026-12-05",
            "lugar_prensa": "Sede central",
            "medios_participantes": "TV Perú, Exitosa, La República",
            "numero_medios": 3,
            "cobertura_lograda": "Tres notas televisivas",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Registro de conferencia de prensa, entrevista o reunión"]
    assert walk.documents()[0].content["vocero"] == "Directora Ejecutiva"


def test_accion_de_prensa_desestimada(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "prensa")
    walk.do("preparar_accion_prensa", gente["prensa"], nota("entrevista", vocero_propuesto="X"))
    walk.do(
        "revisar_accion_prensa",
        gente["jefe"],
        {"decision_prensa_jefe": "desestimado", "observaciones_prensa_jefe": "No es oportuna."},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == []
    assert walk.notices()[0][1].startswith("Requerimiento comunicacional no atendido")


PORTAL = {
    "seccion_portal": "publicaciones",
    "titulo_publicacion": "Memoria Anual 2025",
    "contenido_publicacion": "Memoria Anual aprobada",
    "unidad_fuente": "Unidad de Comunicación e Imagen",
}
PUBLICADO = {
    "fecha_publicacion_portal": "2026-04-30",
    "url_publicacion": "https://www.juntos.gob.pe/memoria-2025",
    "coordinado_con_uti": True,
}


def test_memoria_anual_observada_aprobada_y_publicada(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "publicacion", tipo_publicacion="memoria_anual")
    assert walk.waiting_at() == ["aportar_informacion_memoria"]
    walk.do(
        "aportar_informacion_memoria",
        gente["upp"],
        {
            "anio_memoria": 2025,
            "logros_principales": "Ampliación a 21 regiones",
            "metas_fisicas": "98 % de metas del POI",
            "ejecucion_presupuestal": 97.5,
            "hogares_abonados": 702000,
        },
    )
    borrador = {
        "capitulos_memoria": "Presentación, gestión, resultados",
        "unidades_aportantes": "UPP, UOAL, UVCC",
        "borrador_memoria": "//uci/memoria-2025.pdf",
    }
    walk.do("consolidar_memoria", gente["planeamiento"], borrador)
    walk.do(
        "revisar_memoria",
        gente["jefe"],
        {"decision_memoria_jefe": "observado", "observaciones_memoria_jefe": "Faltan fotos."},
    )
    walk.do("consolidar_memoria", gente["planeamiento"], borrador)
    walk.do("revisar_memoria", gente["jefe"], {"decision_memoria_jefe": "aprobado"})
    walk.do(
        "aprobar_memoria",
        gente["director"],
        {"decision_memoria_de": "observado", "observaciones_memoria_de": "Ajustar cifras."},
    )
    assert walk.waiting_at() == ["consolidar_memoria"]
    walk.do("consolidar_memoria", gente["planeamiento"], borrador)
    walk.do("revisar_memoria", gente["jefe"], {"decision_memoria_jefe": "aprobado"})
    walk.do("aprobar_memoria", gente["director"], {"decision_memoria_de": "aprobado"})
    assert walk.document_kinds() == ["Memoria Anual"]
    memoria = walk.documents()[0]
    assert memoria.title == "Memoria Anual 2025"
    assert memoria.content["hogares_abonados"] == 702000
    walk.do("preparar_publicacion_portal", gente["planeamiento"], PORTAL)
    walk.do("revisar_publicacion_portal", gente["jefe"], {"decision_portal": "aprobado"})
    walk.do("publicar_en_portal", gente["planeamiento"], PUBLICADO)
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Memoria Anual",
        "Información publicada en el portal institucional",
    ]
    assert walk.documents()[1].content["url"] == "https://www.juntos.gob.pe/memoria-2025"


def test_publicacion_en_el_portal_observada_y_publicada(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "publicacion", tipo_publicacion="portal_institucional")
    assert walk.waiting_at() == ["preparar_publicacion_portal"]
    contenido = {**PORTAL, "seccion_portal": "convocatorias", "titulo_publicacion": "Convocatoria"}
    walk.do("preparar_publicacion_portal", gente["planeamiento"], contenido)
    walk.do(
        "revisar_publicacion_portal",
        gente["jefe"],
        {"decision_portal": "observado", "observaciones_portal": "Falta el cronograma."},
    )
    walk.do("preparar_publicacion_portal", gente["planeamiento"], contenido)
    walk.do("revisar_publicacion_portal", gente["jefe"], {"decision_portal": "aprobado"})
    walk.do("publicar_en_portal", gente["planeamiento"], PUBLICADO)
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Información publicada en el portal institucional"]


def test_material_de_difusion_observado_y_emitido(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "publicacion", tipo_publicacion="material_difusion")
    material = {
        "tipo_material": "tríptico",
        "contenido_material": "Qué es JUNTOS y cómo cumplir las corresponsabilidades",
        "tiraje": 20000,
        "identidad_grafica_material": True,
        "archivos_material": "//uci/triptico-2026",
    }
    walk.do("disenar_material_difusion", gente["audiovisuales"], material)
    walk.do(
        "revisar_material_difusion",
        gente["jefe"],
        {"decision_material": "observado", "observaciones_material": "Usar el logo del MIDIS."},
    )
    walk.do("disenar_material_difusion", gente["audiovisuales"], material)
    walk.do("revisar_material_difusion", gente["jefe"], {"decision_material": "aprobado"})
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Material de difusión"]
    assert walk.documents()[0].content["tiraje"] == 20000


def medios(alerta: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "fecha_seguimiento": "2026-12-02",
        "medios_revisados": ["prensa escrita", "radio", "redes sociales"],
        "noticias_registradas": 7,
        "noticias_positivas": 5,
        "noticias_negativas": 2 if alerta else 0,
        "resumen_medios": "Cobertura de pagos en la sierra sur",
        "senal_alerta": alerta,
    }
    if alerta:
        data["descripcion_alerta"] = "Denuncia radial de cobros indebidos en un distrito"
    return data


def test_seguimiento_de_medios_sin_alerta(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "seguimiento_medios")
    walk.do("evaluar_medios", gente["prensa"], medios(alerta=False))
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Reporte diario de seguimiento de medios"]
    assert walk.documents()[0].content["senal_alerta"] is False


def test_alerta_recordada_a_la_direccion_y_comunicado_oficial(
    process_db: Database, gente: Gente
) -> None:
    walk = iniciar(process_db, gente, "seguimiento_medios")
    walk.do("evaluar_medios", gente["prensa"], medios(alerta=True))
    walk.do(
        "reportar_alerta",
        gente["jefe"],
        {
            "nivel_alerta": "alto",
            "analisis_alerta": "Puede afectar la confianza de los hogares",
            "respuesta_propuesta": "comunicado_oficial",
        },
    )
    assert walk.waiting_at() == ["atender_alerta"]
    walk.pass_time(timedelta(days=2))
    assert walk.waiting_at() == ["atender_alerta"]  # el recordatorio no cierra la tarea
    assert (
        "Director Ejecutivo",
        "Señal de alerta pendiente de respuesta: Actividad de seguimiento_medios",
    ) in walk.notices()
    walk.do(
        "atender_alerta",
        gente["director"],
        {"decision_alerta": "emitir_comunicado", "indicaciones_director": "Aclarar que es gratis."},
    )
    walk.do(
        "elaborar_comunicado",
        gente["prensa"],
        {
            "titulo_comunicado": "JUNTOS no cobra por la afiliación",
            "texto_comunicado": "El Programa JUNTOS comunica…",
            "medios_comunicado": ["portal institucional", "radio"],
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Reporte diario de seguimiento de medios",
        "Comunicado oficial",
    ]
    assert walk.documents()[1].content["indicaciones"] == "Aclarar que es gratis."


def test_alerta_de_la_que_la_direccion_toma_conocimiento(
    process_db: Database, gente: Gente
) -> None:
    walk = iniciar(process_db, gente, "seguimiento_medios")
    walk.do("evaluar_medios", gente["prensa"], medios(alerta=True))
    walk.do(
        "reportar_alerta",
        gente["jefe"],
        {
            "nivel_alerta": "bajo",
            "analisis_alerta": "Publicación aislada en redes",
            "respuesta_propuesta": "sin_respuesta_publica",
        },
    )
    walk.do("atender_alerta", gente["director"], {"decision_alerta": "tomar_conocimiento"})
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Reporte diario de seguimiento de medios"]


def test_plan_de_comunicaciones_observado_aprobado_y_seguido_cada_trimestre(
    process_db: Database, gente: Gente
) -> None:
    walk = iniciar(process_db, gente, "plan_comunicaciones")
    plan = {
        "anio_plan": 2027,
        "objetivos_comunicacionales": "Posicionar a JUNTOS como programa de desarrollo",
        "estrategia_prensa": "Notas mensuales",
        "estrategia_relaciones_publicas": "Eventos con autoridades regionales",
        "estrategia_comunicacion_interna": "Boletín quincenal",
        "estrategia_comunicacion_desarrollo": "Radio local en quechua y aimara",
        "presupuesto_plan": "185000.00",
        "alineado_midis": True,
    }
    walk.do("formular_plan", gente["planeamiento"], plan)
    walk.do(
        "revisar_plan",
        gente["jefe"],
        {"decision_plan_jefe": "observado", "observaciones_plan_jefe": "Precisar metas."},
    )
    walk.do("formular_plan", gente["planeamiento"], plan)
    walk.do("revisar_plan", gente["jefe"], {"decision_plan_jefe": "aprobado"})
    walk.do(
        "aprobar_plan",
        gente["director"],
        {"decision_plan_de": "observado", "observaciones_plan_de": "Reducir presupuesto."},
    )
    walk.do("formular_plan", gente["planeamiento"], {**plan, "presupuesto_plan": "150000"})
    walk.do("revisar_plan", gente["jefe"], {"decision_plan_jefe": "aprobado"})
    walk.do("aprobar_plan", gente["director"], {"decision_plan_de": "aprobado"})
    assert walk.document_kinds() == ["Plan de Comunicaciones"]
    assert walk.documents()[0].content["presupuesto"] == "150000"
    assert walk.waiting_at() == []  # espera el trimestre
    walk.pass_time(timedelta(days=91))
    seguimiento = {
        "trimestre_plan": 1,
        "actividades_programadas": 12,
        "actividades_ejecutadas": 10,
        "avance_plan": 83.3,
        "decision_seguimiento_plan": "continuar",
    }
    walk.do("evaluar_cumplimiento_plan", gente["planeamiento"], seguimiento)
    assert walk.waiting_at() == []
    walk.pass_time(timedelta(days=182))
    walk.do(
        "evaluar_cumplimiento_plan",
        gente["planeamiento"],
        {**seguimiento, "trimestre_plan": 2, "decision_seguimiento_plan": "cerrar"},
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Plan de Comunicaciones",
        "Informe de seguimiento del Plan de Comunicaciones",
        "Informe de seguimiento del Plan de Comunicaciones",
    ]
    assert walk.documents()[2].title == "Seguimiento del Plan de Comunicaciones 2027, trimestre 2"


def test_ceremonia_observada_y_realizada(process_db: Database, gente: Gente) -> None:
    walk = iniciar(process_db, gente, "ceremonia")
    ceremonia = {
        "modalidad_ceremonia": "organizada_por_el_programa",
        "nombre_ceremonia": "Aniversario del Programa JUNTOS",
        "fecha_ceremonia": "2026-04-07",
        "lugar_ceremonia": "Sede central",
        "funcionarios_participantes": "Dirección Ejecutiva y jefes de unidad",
        "programa_protocolar": "Himno, palabras, reconocimientos",
    }
    walk.do("organizar_ceremonia", gente["interna"], ceremonia)
    walk.do(
        "aprobar_ceremonia",
        gente["jefe"],
        {"decision_ceremonia": "observado", "observaciones_ceremonia": "Invitar al MIDIS."},
    )
    walk.do("organizar_ceremonia", gente["interna"], ceremonia)
    walk.do("aprobar_ceremonia", gente["jefe"], {"decision_ceremonia": "aprobado"})
    walk.do(
        "registrar_ceremonia",
        gente["interna"],
        {
            "fecha_realizacion_ceremonia": "2026-04-07",
            "asistentes_ceremonia": 150,
            "cobertura_ceremonia": "Nota de prensa y transmisión en redes",
        },
    )
    assert walk.state == "completed"
    assert walk.document_kinds() == ["Informe de ceremonia institucional"]


def test_quien_no_es_iniciador_no_puede_iniciar(process_db: Database, gente: Gente) -> None:
    with pytest.raises(PermissionDenied):
        Walk(process_db, KEY, gente["gestor"])


def test_otros_cargos_no_ven_ni_toman_las_tareas(process_db: Database, gente: Gente) -> None:
    walk = Walk(process_db, KEY, gente["jefe_ut"])
    walk.refuses("recibir_requerimiento", gente["jefe_ut"])  # el solicitante no la califica
    walk.refuses("recibir_requerimiento", gente["prensa"])
    walk.refuses("recibir_requerimiento", gente["jefe_ua"])
    walk.do("recibir_requerimiento", gente["jefe"], requerimiento("prensa"))
    walk.refuses("preparar_accion_prensa", gente["desarrollo"])
    walk.refuses("preparar_accion_prensa", gente["jefe"])
    walk.do("preparar_accion_prensa", gente["prensa"], nota("entrevista", vocero_propuesto="X"))
    walk.do("revisar_accion_prensa", gente["jefe"], {"decision_prensa_jefe": "aprobado"})
    walk.refuses("autorizar_vocero", gente["jefe"])
    walk.refuses("autorizar_vocero", gente["jefe_ut"])


def test_quien_prepara_la_accion_de_prensa_no_la_aprueba(
    process_db: Database, gente: Gente
) -> None:
    """Una persona encargada a la vez de la prensa y de la Jefatura no revisa lo que preparó."""
    with process_db.write_transaction() as s:
        add_user(s, "enc.uci", "Encargada de prensa y jefatura", PASSWORD)
        for cargo in (82, 76):  # Especialista en prensa; Jefe de la UCI
            assign(s, "enc.uci", cargo, date(2026, 1, 1), date(2099, 12, 31), kind="encargo")
    walk = iniciar(process_db, gente, "prensa")
    walk.do("preparar_accion_prensa", "enc.uci", nota())
    with pytest.raises(PermissionDenied):
        walk.do("revisar_accion_prensa", "enc.uci", {"decision_prensa_jefe": "aprobado"})
    walk.do(
        "revisar_accion_prensa",
        gente["jefe"],
        {"decision_prensa_jefe": "desestimado", "observaciones_prensa_jefe": "Prueba"},
    )
    assert walk.state == "completed"


def test_every_branch_walked(process_db: Database) -> None:
    assert_every_branch_walked(process_db, KEY)

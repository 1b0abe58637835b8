"""Proceso 07 — Afiliación (Manual de Operaciones, V.2 7) on a generated padrón.

The relación of the SISFOH through the process (refused files go back, nothing applied);
an ACV per centro poblado: convocation by the Comunicador, results per hogar (refused, then
right), a solicitante outside the list who waits for SISFOH, formalización in two
deliveries with the CTZ's observation, and the padrón de nuevos hogares afiliados; an ACV
where no hogar is validated.
"""

from __future__ import annotations

from sqlalchemy import select

from engine.clock import today
from engine.padron import Hogar
from engine.padron.records import Legajo
from tests.processes.padron_walks import (
    acv_place,
    attach,
    member_codes,
    padron_files,
    task_data,
)
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p07_afiliacion"
ESPECIALISTA = "Especialista en Afiliaciones"


def estado(walk: Walk, co: str) -> str:
    with walk.db.transaction() as s:
        return s.scalar(select(Hogar.estado).where(Hogar.co_hogar == co)) or ""


def test_relacion_del_sisfoh_rechazada_y_luego_importada(process_db) -> None:  # type: ignore[no-untyped-def]
    especialista = staff(process_db, ESPECIALISTA)
    hogares, miembros = padron_files()
    walk = Walk(process_db, KEY, especialista, {"tipo_inicio": "relacion_sisfoh"})
    bad = miembros.read_bytes().replace(b"gestante", b"embarazo", 1)  # a missing column
    data = {
        "oficio_sisfoh": "Oficio N° 101-2026-MIDIS/SISFOH",
        "adjunto_hogares": attach(
            walk, "recibir_relacion_sisfoh", especialista, "hogares.csv", hogares.read_bytes()
        ),
        "adjunto_miembros": attach(
            walk, "recibir_relacion_sisfoh", especialista, "miembros.csv", bad
        ),
    }
    walk.do("recibir_relacion_sisfoh", especialista, data)
    assert walk.waiting_at() == ["recibir_relacion_sisfoh"]
    refused = task_data(walk, "recibir_relacion_sisfoh")["importacion"]
    assert refused["aceptado"] is False and "gestante" in refused["errores"][0]["motivo"]
    data["adjunto_miembros"] = attach(
        walk, "recibir_relacion_sisfoh", especialista, "miembros.csv", miembros.read_bytes()
    )
    walk.do("recibir_relacion_sisfoh", especialista, data)
    assert walk.state == "completed"
    assert walk.data["importacion"]["aceptado"] is True
    assert walk.document_kinds() == ["Relación de hogares elegibles segmentada"]
    assert walk.documents()[0].content["unidades_territoriales"]


def _resultados(codes: list[str], cumplen: bool = True) -> list[dict[str, object]]:
    return [{"co_hogar": c, "cumple": cumplen} for c in codes]


def _acv(process_db, tag: str, hogares: int):  # type: ignore[no-untyped-def]
    ubigeo, cp, ut = acv_place(process_db, tag, hogares)
    ctz = staff(process_db, "Coordinador Técnico Zonal", ut)
    walk = Walk(
        process_db,
        KEY,
        ctz,
        {"tipo_inicio": "acv", "ubigeo": ubigeo, "centro_poblado": cp},
        scope=ut,
    )
    walk.do(
        "programar_acv",
        ctz,
        {
            "fecha_programada": today().isoformat(),
            "lugar_acv": "Local comunal",
            "gestor_responsable": "Gestor Local de la zona",
        },
    )
    convocatoria = {
        "medios_convocatoria": ["perifoneo", "reunion_autoridades"],
        "agenda_acv": "Validación de los criterios categóricos",
    }
    walk.do("convocar_acv", staff(process_db, "Comunicador", ut), convocatoria)
    codes = [
        h["co_hogar"] for h in task_data(walk, "registrar_resultados_acv")["relacion"]["relacion"]
    ]
    return walk, ut, ctz, codes


def _acta(resultados: list[dict[str, object]], solicitantes=()) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "numero_acta": "Acta 001-2026",
        "fecha_acv": today().isoformat(),
        "asistentes": 40,
        "resultados_acv": resultados,
        "solicitantes": list(solicitantes),
    }


def _formalizacion(walk: Walk, co: str) -> dict[str, object]:
    return {
        "co_hogar": co,
        "copia_dni": True,
        "declaracion_jurada": True,
        "acuerdo_compromiso": True,
        "miembros": member_codes(walk.db, co),
    }


def test_acv_resultados_solicitante_formalizacion_y_padron(process_db) -> None:  # type: ignore[no-untyped-def]
    walk, ut, ctz, codes = _acv(process_db, "A", 5)
    gestor = staff(process_db, "Gestor Local", ut)
    walk.refuses("registrar_resultados_acv", staff(process_db, "Gestor Local", "UT-PUN"))
    walk.do("registrar_resultados_acv", gestor, _acta(_resultados(["NO-ES-DE-LA-ACV"])))
    assert walk.waiting_at() == ["registrar_resultados_acv"]  # refused, nothing applied
    assert task_data(walk, "registrar_resultados_acv")["registro_acv"]["aceptado"] is False
    solicitante = {
        "dni_titular": "09876543",
        "ap_paterno": "Condori",
        "nombres": "Juana",
        "cumple": True,
    }
    resultados = [{"co_hogar": codes[0], "cumple": False, "motivo": "Reside hace 3 meses"}]
    walk.do(
        "registrar_resultados_acv",
        gestor,
        _acta(resultados + _resultados(codes[1:]), [solicitante]),
    )
    assert estado(walk, codes[0]) == "potencial"
    acv_id = task_data(walk, "formalizar_afiliacion")["relacion"]["acv_id"]
    assert estado(walk, f"ACV{acv_id}-09876543") == "en_espera_clasificacion"

    # first delivery: one hogar, one without its signed acuerdo (observado)
    incomplete = {**_formalizacion(walk, codes[2]), "acuerdo_compromiso": False}
    walk.do(
        "formalizar_afiliacion",
        gestor,
        {
            "formalizaciones": [_formalizacion(walk, codes[1]), incomplete],
            "cerrar_formalizacion": False,
        },
    )
    observados = task_data(walk, "formalizar_afiliacion")["formalizacion"]["observados"]
    assert observados[0]["co_hogar"] == codes[2]
    assert walk.waiting_at() == ["formalizar_afiliacion"]  # hogares still to formalize
    rest = [_formalizacion(walk, c) for c in codes[2:]]
    walk.do(
        "formalizar_afiliacion", gestor, {"formalizaciones": rest[:1], "cerrar_formalizacion": True}
    )
    walk.do(
        "supervisar_formalizacion",
        ctz,
        {
            "decision_supervision": "observado",
            "observaciones_supervision": "Formalice los hogares que faltan.",
        },
    )
    walk.do(
        "formalizar_afiliacion", gestor, {"formalizaciones": rest[1:], "cerrar_formalizacion": True}
    )
    walk.do("supervisar_formalizacion", ctz, {"decision_supervision": "conforme"})
    assert walk.state == "completed"
    assert all(estado(walk, c) == "afiliado" for c in codes[1:])
    assert walk.document_kinds() == [
        "Relación de hogares para la Asamblea Comunal de Validación",
        "Acta de la Asamblea Comunal de Validación",
        "Padrón de nuevos hogares afiliados",
    ]
    padron = walk.documents()[-1].content
    assert padron["total"] == len(codes) - 1
    with process_db.transaction() as s:
        kinds = s.scalars(
            select(Legajo.tipo)
            .join(Hogar, Hogar.id == Legajo.hogar_id)
            .where(Hogar.co_hogar == codes[1])
        ).all()
    assert sorted(kinds) == ["acuerdo_compromiso", "copia_dni", "declaracion_jurada"]


def test_acv_sin_hogares_validados(process_db) -> None:  # type: ignore[no-untyped-def]
    walk, ut, _ctz, codes = _acv(process_db, "B", 2)
    gestor = staff(process_db, "Gestor Local", ut)
    walk.do("registrar_resultados_acv", gestor, _acta(_resultados(codes, cumplen=False)))
    assert walk.state == "completed"
    assert walk.data["registro_acv"]["validados_acv"] == 0
    assert all(estado(walk, c) == "potencial" for c in codes)


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

"""Proceso 09 — Verificación del cumplimiento de corresponsabilidades (Manual, V.2 9).

One period on the generated padrón: extraction and formats (downloadable as CSV, XLSX and
PDF), distribution, results refused then registered from a format's CSV and the form in
several deliveries, the outcome per hogar in cumplimiento_hogar, a revisión adicional
refused then applied, and the reporte nominal with the hogares not verified."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from engine.clock import today
from engine.padron import Hogar, Miembro
from engine.padron.formatos import export_formato
from engine.padron.records import (
    CumplimientoHogar,
    VerificacionFormato,
    VerificacionMiembro,
    VerificacionPeriodo,
)
from tests.processes.padron_walks import attach, ensure_padron, task_data
from tests.processes.support import Walk, assert_every_branch_walked, staff

KEY = "p09_verificacion_corresponsabilidades"
ESPECIALISTA = "Especialista en Verificación de Cumplimiento de Corresponsabilidades"
COORDINADOR = "Coordinador de Verificación de Cumplimiento de Corresponsabilidades"
PERIODO = "2026-B5"


def _pairs(process_db, formato: int | None = None) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    with process_db.transaction() as s:
        query = (
            select(VerificacionMiembro.formato_id, Miembro.dni)
            .join(Miembro, Miembro.id == VerificacionMiembro.miembro_id)
            .join(VerificacionPeriodo, VerificacionPeriodo.id == VerificacionMiembro.periodo_id)
            .where(
                VerificacionMiembro.formato_id.is_not(None), VerificacionPeriodo.periodo == PERIODO
            )
            .order_by(Miembro.dni)
        )
        if formato:
            query = query.where(VerificacionMiembro.formato_id == formato)
        return [{"formato_id": f, "dni": d} for f, d in s.execute(query)]


def test_periodo_de_verificacion(process_db) -> None:  # type: ignore[no-untyped-def]
    ensure_padron(process_db)
    especialista = staff(process_db, ESPECIALISTA)
    coordinador = staff(process_db, COORDINADOR)
    walk = Walk(
        process_db, KEY, especialista, {"periodo": PERIODO, "fecha_corte": today().isoformat()}
    )
    extraccion = task_data(walk, "distribuir_formatos")["extraccion"]
    assert extraccion["miembros"] > 0 and extraccion["formatos_ie"] > 0
    with process_db.transaction() as s:
        formato = s.scalar(
            select(VerificacionFormato.id)
            .join(VerificacionPeriodo, VerificacionPeriodo.id == VerificacionFormato.periodo_id)
            .where(VerificacionPeriodo.periodo == PERIODO)
            .order_by(VerificacionFormato.id)
        )
        files = {f: export_formato(s, formato, f) for f in ("csv", "xlsx", "pdf")}
    assert files["pdf"].startswith(b"%PDF")
    assert load_workbook(io.BytesIO(files["xlsx"])).active.max_row >= 3
    walk.do(
        "distribuir_formatos",
        especialista,
        {"fecha_distribucion": today().isoformat(), "medio_distribucion": "aplicativo"},
    )

    pairs = [p for p in _pairs(process_db) if p["formato_id"] != formato]
    bad = [
        {**pairs[0], "resultado": "cumplio"},
        {"formato_id": formato, "dni": "00000000", "resultado": "cumplio"},
    ]
    walk.do(
        "registrar_resultados",
        especialista,
        {"resultados": bad, "adjunto_resultados": None, "cerrar_registro": False},
    )
    refused = task_data(walk, "registrar_resultados")["registro"]
    assert refused["aceptado"] is False and refused["errores"][0]["columna"] == "dni"

    lines = files["csv"].decode("utf-8-sig").splitlines()
    filled = "\n".join([lines[0]] + [ln[:-1] + "cumplio," for ln in lines[1:]]) + "\n"
    adjunto = attach(walk, "registrar_resultados", especialista, "formato.csv", filled.encode())
    half = len(pairs) // 2
    first = [{**p, "resultado": "cumplio"} for p in pairs[:half]]
    walk.do(
        "registrar_resultados",
        especialista,
        {"resultados": first, "adjunto_resultados": adjunto, "cerrar_registro": False},
    )
    assert walk.waiting_at() == ["registrar_resultados"]  # formats still pending
    last = [{**p, "resultado": "no_cumplio"} for p in pairs[-3:]]
    walk.do(
        "registrar_resultados",
        especialista,
        {"resultados": last, "adjunto_resultados": None, "cerrar_registro": True},
    )

    cumplimiento = task_data(walk, "revisar_resultados")["cumplimiento"]
    hogares = cumplimiento["hogares"]
    assert hogares["cumplio"] and hogares["no_cumplio"] and hogares["no_verificado"]
    walk.refuses("revisar_resultados", especialista)
    walk.do("revisar_resultados", coordinador, {"requiere_revision": True})
    target = cumplimiento["hogares_no_verificados"][0]
    walk.do(
        "revision_adicional",
        especialista,
        {
            "revisiones": [
                {"co_hogar": "NO-EXISTE", "decision": "ratifica", "sustento": "Sin sustento"}
            ]
        },
    )
    assert walk.waiting_at() == ["revision_adicional"]
    walk.do(
        "revision_adicional",
        especialista,
        {
            "revisiones": [
                {
                    "co_hogar": target,
                    "decision": "modifica",
                    "resultado": "cumplio",
                    "sustento": "Constancia del establecimiento de salud",
                }
            ]
        },
    )
    walk.do("revisar_resultados", coordinador, {"requiere_revision": False})
    assert walk.state == "completed"
    assert walk.document_kinds() == [
        "Formatos de verificación del cumplimiento de corresponsabilidades",
        "Reporte nominal del cumplimiento de corresponsabilidades",
        "Relación de hogares con cumplimiento no verificado",
    ]
    with process_db.transaction() as s:
        row = s.execute(
            select(CumplimientoHogar.resultado, CumplimientoHogar.revisado)
            .join(Hogar, Hogar.id == CumplimientoHogar.hogar_id)
            .where(Hogar.co_hogar == target, CumplimientoHogar.periodo == PERIODO)
        ).one()
        assert tuple(row) == ("cumplio", True)
        total = s.scalar(select(func.count()).where(CumplimientoHogar.periodo == PERIODO))
    assert total == extraccion["hogares"]


def test_every_branch_walked(process_db) -> None:  # type: ignore[no-untyped-def]
    assert_every_branch_walked(process_db, KEY)

"""The verification formats of process 9 as files the UTs download (CSV, XLSX, PDF) and the
CSV of results they upload (formato_id,dni,resultado[,observacion])."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from fpdf import FPDF
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound, PermissionDenied
from engine.org.models import Unit
from engine.padron.csvfiles import inspect_file, read_rows
from engine.padron.models import Hogar, Miembro
from engine.padron.records import VerificacionFormato, VerificacionMiembro, VerificacionPeriodo

FORMATS = ("csv", "xlsx", "pdf")
COLUMNS = (
    "formato_id",
    "co_hogar",
    "dni",
    "ap_paterno",
    "ap_materno",
    "nombres",
    "fecha_nacimiento",
    "tipo_miembro",
    "resultado",
    "observacion",
)
RESULT_COLUMNS = ("formato_id", "dni", "resultado")
TIPOS = {"ie": "Institución educativa (código modular)", "eess": "Establecimiento de salud"}


def formato_data(session: Session, formato_id: int) -> tuple[dict[str, Any], list[list[str]]]:
    """The heading and the rows (members, with blank result columns to fill in)."""
    head = session.execute(
        select(VerificacionFormato, VerificacionPeriodo.periodo, Unit.code, Unit.name)
        .join(VerificacionPeriodo, VerificacionPeriodo.id == VerificacionFormato.periodo_id)
        .join(Unit, Unit.id == VerificacionFormato.ut_unit_id)
        .where(VerificacionFormato.id == formato_id)
    ).one_or_none()
    if head is None:
        raise NotFound(f"no existe el formato de verificación {formato_id}")
    f, periodo, ut_code, ut_name = head
    rows = session.execute(
        select(
            Hogar.co_hogar,
            Miembro.dni,
            Miembro.ap_paterno,
            Miembro.ap_materno,
            Miembro.nombres,
            Miembro.fecha_nacimiento,
            VerificacionMiembro.tipo_miembro,
        )
        .join(Miembro, Miembro.id == VerificacionMiembro.miembro_id)
        .join(Hogar, Hogar.id == VerificacionMiembro.hogar_id)
        .where(VerificacionMiembro.formato_id == formato_id)
        .order_by(Hogar.co_hogar, Miembro.dni)
    ).all()
    meta = {
        "formato_id": f.id,
        "periodo": periodo,
        "tipo": f.tipo,
        "codigo": f.codigo,
        "unidad_territorial": f"{ut_code} {ut_name}",
        "miembros": f.miembros,
    }
    body = [
        [str(f.id), co, dni, ap, am or "", n, born.isoformat(), kind, "", ""]
        for co, dni, ap, am, n, born, kind in rows
    ]
    return meta, body


def _title(meta: dict[str, Any]) -> str:
    return (
        f"Formato de verificación N° {meta['formato_id']} — periodo {meta['periodo']} — "
        f"{TIPOS[meta['tipo']]} {meta['codigo']} — {meta['unidad_territorial']}"
    )


def export_formato(session: Session, formato_id: int, fmt: str) -> bytes:
    """The format as a file: csv (UTF-8 with BOM, for spreadsheets), xlsx or pdf."""
    if fmt not in FORMATS:
        raise ValueError(f"formato de archivo no admitido: {fmt} ({', '.join(FORMATS)})")
    meta, rows = formato_data(session, formato_id)
    return {"csv": _csv, "xlsx": _xlsx, "pdf": _pdf}[fmt](meta, rows)


def _csv(meta: dict[str, Any], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(meta: dict[str, Any], rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = f"Formato {meta['formato_id']}"[:31]
    sheet.append([_title(meta)])
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _pdf(meta: dict[str, Any], rows: list[list[str]]) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 6, _latin(_title(meta)))
    pdf.set_font("Helvetica", size=8)
    widths = (16, 26, 20, 30, 30, 40, 24, 30, 26, 30)
    for row in [list(COLUMNS), *rows]:
        for width, value in zip(widths, row, strict=True):
            pdf.cell(width, 6, _latin(value)[:28], border=1)
        pdf.ln()
    return bytes(pdf.output())


def _latin(text: str) -> str:
    """The PDF's core fonts are Latin-1: Spanish letters pass, anything else becomes '?'."""
    return text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")


def read_results_csv(path: Path, name: str) -> list[dict[str, Any]]:
    """Rows of a results CSV (the downloaded format with resultado filled in, or just
    formato_id,dni,resultado[,observacion]); structural problems raise StructuralError."""
    src = inspect_file(path, name)
    optional = tuple(c for c in COLUMNS if c not in RESULT_COLUMNS)
    header, rows = read_rows(src, RESULT_COLUMNS, optional)
    at = (*RESULT_COLUMNS, *header.present_optional)
    out = []
    for line, values in rows:
        entry = dict(zip(at, values, strict=True))
        if not entry["resultado"].strip():
            continue  # not filled in: the member stays without result (no verificado)
        out.append(
            {"line": line, **{k: entry.get(k, "") for k in (*RESULT_COLUMNS, "observacion")}}
        )
    return out


# Who may download a format besides the staff of its UT: the verification unit and the
# Dirección Ejecutiva (they distribute and supervise the formats), and administrators.
CENTRAL_READERS = ("UVCC", "DE", "CT")


def download_formato(
    session: Session, formato_id: int, fmt: str, unit_ids: set[int], is_admin: bool = False
) -> tuple[str, bytes]:
    """(file name, content) of a format for a person holding positions in ``unit_ids``."""
    formato = session.get(VerificacionFormato, formato_id)
    if formato is None:
        raise NotFound(f"no existe el formato de verificación {formato_id}")
    central = set(session.scalars(select(Unit.id).where(Unit.code.in_(CENTRAL_READERS))))
    if not is_admin and formato.ut_unit_id not in unit_ids and not unit_ids & central:
        raise PermissionDenied("el formato es de otra Unidad Territorial")
    name = f"formato-verificacion-{formato_id}-{formato.tipo}-{formato.codigo}.{fmt}"
    return name, export_formato(session, formato_id, fmt)

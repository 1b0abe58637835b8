"""Verificación del cumplimiento de corresponsabilidades (Title V, process 9), set-based:

1. extraction, for a period, of the miembros objetivo of the hogares afiliados and of the
   verification formats per institución educativa and establecimiento de salud (per UT);
2. results per format (a form or a CSV), all or nothing with line errors;
3. the outcome per member and per hogar: cumplio / no_cumplio / no_verificado (members left
   without a result are no_verificado; their hogares are carried to the next period), kept
   in ``cumplimiento_hogar`` for the liquidation (process 11);
4. the revisión adicional that modifies or ratifies a hogar's result.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import ValidationError
from engine.padron.csvfiles import ErrorLog, ImportRejected, RowError
from engine.padron.kinds import ESCOLAR, kind_expr
from engine.padron.models import Hogar, Miembro
from engine.padron.records import (
    RESULTADOS,
    CumplimientoHogar,
    RevisionAdicional,
    VerificacionFormato,
    VerificacionMiembro,
    VerificacionPeriodo,
)

VM, VF = VerificacionMiembro, VerificacionFormato
_RANK = {"cumplio": 1, "no_verificado": 2, "no_cumplio": 3}


def periodo_de(session: Session, periodo: str) -> VerificacionPeriodo:
    found = session.scalar(
        select(VerificacionPeriodo).where(VerificacionPeriodo.periodo == periodo)
    )
    if found is None:
        raise ValidationError("periodo", f"el periodo {periodo} no se ha extraído")
    return found


def _tipo_formato(tipo_miembro):  # type: ignore[no-untyped-def]
    return case((tipo_miembro == ESCOLAR, literal("ie")), else_=literal("eess"))


def _codigo(tipo_miembro):  # type: ignore[no-untyped-def]
    return case(
        (tipo_miembro == ESCOLAR, Miembro.codigo_modular_ie), else_=Miembro.codigo_renipress
    )


def extraer(session: Session, periodo: str, fecha_corte: date, instance_id: int) -> dict[str, Any]:
    """Members subject to verification and the formats that list them."""
    if session.scalar(select(VerificacionPeriodo.id).where(VerificacionPeriodo.periodo == periodo)):
        raise ValidationError("periodo", f"el periodo {periodo} ya fue extraído por otra instancia")
    previous = session.scalar(
        select(VerificacionPeriodo.periodo).order_by(VerificacionPeriodo.id.desc()).limit(1)
    )
    row = VerificacionPeriodo(periodo=periodo, fecha_corte=fecha_corte, instance_id=instance_id)
    session.add(row)
    session.flush()
    kind = kind_expr(fecha_corte)
    carried = exists().where(
        CumplimientoHogar.hogar_id == Miembro.hogar_id,
        CumplimientoHogar.periodo == (previous or ""),
        CumplimientoHogar.resultado == "no_verificado",
    )
    members = (
        select(
            literal(row.id, Integer),
            Miembro.id,
            Miembro.hogar_id,
            kind,
            literal("pendiente"),
            case((carried, True), else_=False),
        )
        .join(Hogar, Hogar.id == Miembro.hogar_id)
        .where(Hogar.estado == "afiliado", kind.is_not(None), Miembro.fecha_fallecimiento.is_(None))
    )
    columns = ["periodo_id", "miembro_id", "hogar_id", "tipo_miembro", "resultado", "arrastrado"]
    session.execute(insert(VM).from_select(columns, members))
    _make_formats(session, row.id)
    return resumen_extraccion(session, row)


def _make_formats(session: Session, periodo_id: int) -> None:
    tipo, codigo = _tipo_formato(VM.tipo_miembro), _codigo(VM.tipo_miembro)
    grouped = (
        select(
            literal(periodo_id, Integer),
            tipo,
            codigo,
            Hogar.ut_unit_id,
            func.count(),
            literal(False, Boolean),
        )
        .select_from(VM)
        .join(Miembro, Miembro.id == VM.miembro_id)
        .join(Hogar, Hogar.id == VM.hogar_id)
        .where(VM.periodo_id == periodo_id, codigo.is_not(None))
        .group_by(tipo, codigo, Hogar.ut_unit_id)
    )
    columns = ["periodo_id", "tipo", "codigo", "ut_unit_id", "miembros", "registrado"]
    session.execute(insert(VF).from_select(columns, grouped))
    # UPDATE … FROM, over tables with statistics: the members and formats were inserted in
    # this same transaction, and without them PostgreSQL planned the match (a correlated
    # subquery before) as nested scans — 17 s for 2,000 hogares.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE verificacion_miembro, verificacion_formato"))
    session.execute(
        update(VM)
        .where(
            VM.periodo_id == periodo_id,
            VF.periodo_id == periodo_id,
            Miembro.id == VM.miembro_id,
            Hogar.id == VM.hogar_id,
            VF.ut_unit_id == Hogar.ut_unit_id,
            VF.tipo == tipo,
            VF.codigo == codigo,
        )
        .values(formato_id=VF.id)
        .execution_options(synchronize_session=False)
    )


def resumen_extraccion(session: Session, row: VerificacionPeriodo) -> dict[str, Any]:
    per_tipo = dict(
        session.execute(
            select(VF.tipo, func.count()).where(VF.periodo_id == row.id).group_by(VF.tipo)
        ).all()
    )
    members, hogares, sin_formato, carried = session.execute(
        select(
            func.count(),
            func.count(func.distinct(VM.hogar_id)),
            func.count(case((VM.formato_id.is_(None), 1))),
            func.count(func.distinct(case((VM.arrastrado.is_(True), VM.hogar_id)))),
        ).where(VM.periodo_id == row.id)
    ).one()
    return {
        "periodo": row.periodo,
        "fecha_corte": row.fecha_corte.isoformat(),
        "miembros": members,
        "hogares": hogares,
        "formatos_ie": per_tipo.get("ie", 0),
        "formatos_eess": per_tipo.get("eess", 0),
        "miembros_sin_establecimiento": sin_formato,
        "hogares_arrastrados": carried,
    }


def _stage() -> Table:
    return Table(
        f"verif_tmp_{uuid.uuid4().hex[:8]}",
        MetaData(),
        Column("line", Integer),
        Column("formato_id", Integer),
        Column("dni", String),
        Column("resultado", String),
        Column("observacion", String),
        prefixes=["TEMPORARY"],
    )


def _parse(entries: list[dict[str, Any]], source: str, log: ErrorLog) -> list[dict[str, Any]]:
    rows = []
    for n, e in enumerate(entries, start=1):
        line = int(e.get("line", n))
        resultado = str(e.get("resultado", "")).strip().lower()
        dni = str(e.get("dni", "")).strip()
        try:
            formato = int(str(e.get("formato_id", "")).strip())
        except ValueError:
            log.add(source, line, "formato_id", "no es un número de formato")
            continue
        if resultado not in RESULTADOS:
            log.add(source, line, "resultado", f"use {' / '.join(RESULTADOS)}")
            continue
        if not (len(dni) == 8 and dni.isdigit()):
            log.add(source, line, "dni", "el DNI debe tener 8 dígitos")
            continue
        obs = str(e.get("observacion") or "")[:300]
        rows.append(
            {
                "line": line,
                "formato_id": formato,
                "dni": dni,
                "resultado": resultado,
                "observacion": obs,
            }
        )
    return rows


def registrar_resultados(
    session: Session, periodo: str, entries: list[dict[str, Any]], source: str = "formulario"
) -> dict[str, Any]:
    """Records results (formato_id, dni, resultado, observacion). All or nothing: raises
    ``ImportRejected`` with every error (source, line, column, reason)."""
    row = periodo_de(session, periodo)
    log = ErrorLog()
    if row.cerrado:
        log.add(source, 0, "periodo", f"el periodo {periodo} ya está cerrado")
    rows = _parse(entries, source, log)
    stg = _stage()
    stg.create(session.connection())
    try:
        if rows:
            session.execute(insert(stg), rows)
        _check(session, row.id, stg, source, log)
        if log.total:
            errors = sorted(log.errors, key=lambda e: e.line)
            raise ImportRejected(f"resultados rechazados: {log.total} error(es)", errors, log.total)
        matched = and_(
            VM.periodo_id == row.id,
            VM.miembro_id == Miembro.id,
            Miembro.dni == stg.c.dni,
            VM.formato_id == stg.c.formato_id,
        )
        session.execute(
            update(VM)
            .where(matched)
            .values(resultado=stg.c.resultado, observacion=stg.c.observacion)
            .execution_options(synchronize_session=False)
        )
    finally:
        stg.drop(session.connection())
    session.execute(
        update(VF)
        .where(
            VF.periodo_id == row.id,
            VF.registrado.is_(False),
            ~exists().where(VM.formato_id == VF.id, VM.resultado == "pendiente"),
        )
        .values(registrado=True, registrado_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return {"registrados": len(rows), **avance(session, row.id)}


def avance(session: Session, periodo_id: int) -> dict[str, int]:
    total, done = session.execute(
        select(func.count(), func.count(case((VF.registrado.is_(True), 1)))).where(
            VF.periodo_id == periodo_id
        )
    ).one()
    return {"formatos": total, "formatos_registrados": done, "formatos_pendientes": total - done}


def _check(session: Session, periodo_id: int, stg: Table, source: str, log: ErrorLog) -> None:
    foreign = select(stg.c.line).where(
        ~exists().where(VF.id == stg.c.formato_id, VF.periodo_id == periodo_id)
    )
    for (line,) in session.execute(foreign.order_by(stg.c.line)):
        log.add(source, line, "formato_id", "el formato no es de este periodo")
    absent = select(stg.c.line).where(
        exists().where(VF.id == stg.c.formato_id, VF.periodo_id == periodo_id),
        ~exists().where(
            VM.formato_id == stg.c.formato_id, VM.miembro_id == Miembro.id, Miembro.dni == stg.c.dni
        ),
    )
    for (line,) in session.execute(absent.order_by(stg.c.line)):
        log.add(source, line, "dni", "el miembro no está en ese formato")
    s2 = stg.alias("s2")
    repeated = select(stg.c.line).where(
        exists().where(
            s2.c.formato_id == stg.c.formato_id, s2.c.dni == stg.c.dni, s2.c.line < stg.c.line
        )
    )
    for (line,) in session.execute(repeated.order_by(stg.c.line)):
        log.add(source, line, "dni", "el miembro está repetido en los resultados")


def calcular(session: Session, periodo: str) -> dict[str, Any]:
    """Closes the period: members without a result are no_verificado; per hogar the worst
    result of its members (no_cumplio > no_verificado > cumplio) goes to cumplimiento_hogar."""
    row = periodo_de(session, periodo)
    session.execute(
        update(VM)
        .where(VM.periodo_id == row.id, VM.resultado == "pendiente")
        .values(resultado="no_verificado")
        .execution_options(synchronize_session=False)
    )
    rank = case(*[(VM.resultado == r, n) for r, n in _RANK.items()], else_=2)
    worst = func.max(rank)
    outcome = case(*[(worst == n, r) for r, n in _RANK.items()])
    session.execute(delete(CumplimientoHogar).where(CumplimientoHogar.periodo == periodo))
    per_hogar = (
        select(
            VM.hogar_id,
            literal(periodo),
            outcome,
            literal(False, Boolean),
            literal(utcnow(), CumplimientoHogar.updated_at.type),
        )
        .where(VM.periodo_id == row.id)
        .group_by(VM.hogar_id)
    )
    columns = ["hogar_id", "periodo", "resultado", "revisado", "updated_at"]
    session.execute(insert(CumplimientoHogar).from_select(columns, per_hogar))
    row.cerrado = True
    session.flush()
    return reporte(session, periodo)


def revision_adicional(
    session: Session, periodo: str, revisiones: list[dict[str, Any]], instance_id: int
) -> dict[str, Any]:
    """Modifies or ratifies hogares' results; all or nothing, with the errors."""
    codes = [r["co_hogar"] for r in revisiones]
    current = dict(
        session.execute(
            select(Hogar.co_hogar, CumplimientoHogar.resultado)
            .join(CumplimientoHogar, CumplimientoHogar.hogar_id == Hogar.id)
            .where(CumplimientoHogar.periodo == periodo, Hogar.co_hogar.in_(codes))
        ).all()
    )
    errors = _revision_errors(revisiones, current)
    if errors:
        return {"aceptado": False, "errores": errors}
    ids = dict(
        session.execute(select(Hogar.co_hogar, Hogar.id).where(Hogar.co_hogar.in_(codes))).all()
    )
    for r in revisiones:
        before = current[r["co_hogar"]]
        after = before if r["decision"] == "ratifica" else r["resultado"]
        session.execute(
            update(CumplimientoHogar)
            .where(
                CumplimientoHogar.hogar_id == ids[r["co_hogar"]],
                CumplimientoHogar.periodo == periodo,
            )
            .values(resultado=after, revisado=True, updated_at=utcnow())
        )
        session.add(
            RevisionAdicional(
                hogar_id=ids[r["co_hogar"]],
                periodo=periodo,
                resultado_anterior=before,
                resultado_nuevo=after,
                decision=r["decision"],
                sustento=r["sustento"],
                instance_id=instance_id,
            )
        )
    session.flush()
    changed = sum(1 for r in revisiones if r["decision"] == "modifica")
    return {
        "aceptado": True,
        "errores": [],
        "modificados": changed,
        "ratificados": len(revisiones) - changed,
    }


def _revision_errors(revisiones: list[dict[str, Any]], current: dict[str, str]) -> list[str]:
    errors = []
    seen: set[str] = set()
    for n, r in enumerate(revisiones, start=1):
        co = r["co_hogar"]
        if co in seen:
            errors.append(f"fila {n}: el hogar {co} está repetido")
        elif co not in current:
            errors.append(f"fila {n}: el hogar {co} no tiene resultado en el periodo")
        elif r["decision"] == "modifica" and r.get("resultado") in (None, current[co]):
            errors.append(f"fila {n}: para modificar indique un resultado distinto del actual")
        seen.add(co)
    return errors


def reporte(session: Session, periodo: str, sample: int = 200) -> dict[str, Any]:
    """Reporte nominal (counts per result, per hogar and per member) and the relación of
    hogares not verified (first ``sample`` codes)."""
    row = periodo_de(session, periodo)
    hogares = dict(
        session.execute(
            select(CumplimientoHogar.resultado, func.count())
            .where(CumplimientoHogar.periodo == periodo)
            .group_by(CumplimientoHogar.resultado)
        ).all()
    )
    miembros = dict(
        session.execute(
            select(VM.resultado, func.count()).where(VM.periodo_id == row.id).group_by(VM.resultado)
        ).all()
    )
    no_verificados = list(
        session.scalars(
            select(Hogar.co_hogar)
            .join(CumplimientoHogar, CumplimientoHogar.hogar_id == Hogar.id)
            .where(
                CumplimientoHogar.periodo == periodo, CumplimientoHogar.resultado == "no_verificado"
            )
            .order_by(Hogar.co_hogar)
            .limit(sample)
        )
    )
    return {
        "periodo": periodo,
        "hogares": {r: hogares.get(r, 0) for r in RESULTADOS},
        "miembros": {r: miembros.get(r, 0) for r in RESULTADOS},
        "hogares_no_verificados": no_verificados,
    }


def errors_as_dicts(errors: list[RowError]) -> list[dict[str, Any]]:
    return [
        {"archivo": e.file, "linea": e.line, "columna": e.column, "motivo": e.reason}
        for e in errors
    ]

"""Mass cross-checks of the padrón (Title V, process 8.1) as import files from RENIEC,
SISFOH, MINEDU and MINSA. Each file is all or nothing: every bad line is reported (file,
line, column, reason) and nothing is applied; the same file again is 'already imported'.
Applied set-based from a staging table (UPDATE … FROM, INSERT … SELECT), with one
``padron_actualizacion`` row per datum changed.

    reniec:  dni,evento,fecha,dni_nuevo     evento: fallecimiento | cambio_dni
    sisfoh:  co_hogar,cse,cse_vigencia_fin  reclassification or new expiry
    minedu:  dni,codigo_modular_ie
    minsa:   dni,codigo_renipress
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from engine.clock import today
from engine.db import utcnow
from engine.padron.apply import elegible
from engine.padron.csvfiles import ErrorLog, ImportRejected, inspect_file, read_rows
from engine.padron.fields import Bad, Checker, any_date, co_hogar, digits, dni, one_of
from engine.padron.models import CSE_VALORES, Hogar, ImportBatch, Miembro
from engine.padron.records import Actualizacion
from engine.padron.staging import lock_imports
from engine.padron.states import change_state

ENTIDADES = ("reniec", "sisfoh", "minedu", "minsa")
CAUSA_CLASIFICADO = (
    "Cotejo masivo con el SISFOH (proceso 08): clasificación pobre extremo o pobre no extremo, "
    "vigente"
)
CAUSA_NO_POBRE = "Cotejo masivo con el SISFOH (proceso 08): clasificado no pobre"


def _optional_dni(value: str) -> str:
    return dni(value) if value.strip() else ""


@dataclass(frozen=True)
class Layout:
    columns: tuple[str, ...]
    checks: tuple[Checker, ...]
    key: str  # the column that names the padrón's record (dni or co_hogar)


LAYOUTS: dict[str, Layout] = {
    "reniec": Layout(
        ("dni", "evento", "fecha", "dni_nuevo"),
        (dni, one_of(("FALLECIMIENTO", "CAMBIO_DNI"), "un evento"), any_date, _optional_dni),
        "dni",
    ),
    "sisfoh": Layout(
        ("co_hogar", "cse", "cse_vigencia_fin"),
        (co_hogar, one_of(CSE_VALORES, "una clasificación socioeconómica"), any_date),
        "co_hogar",
    ),
    "minedu": Layout(("dni", "codigo_modular_ie"), (dni, digits(7, "un código modular")), "dni"),
    "minsa": Layout(
        ("dni", "codigo_renipress"), (dni, digits(8, "un código RENIPRESS", pad=True)), "dni"
    ),
}


def _staging(entidad: str) -> Table:
    columns = [Column("line", Integer)]
    for name in LAYOUTS[entidad].columns:
        kind = Date if name in ("fecha", "cse_vigencia_fin") else String
        columns.append(Column(name, kind))
    name = f"padron_tmp_cotejo_{uuid.uuid4().hex[:8]}"
    return Table(name, MetaData(), *columns, prefixes=["TEMPORARY"])


@dataclass
class CotejoResult:
    batch_id: int
    already_imported: bool
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lote": self.batch_id,
            "ya_importado": self.already_imported,
            "conteos": self.counts,
        }


def _read(path: Path, name: str, entidad: str, errors: ErrorLog) -> list[dict[str, Any]]:
    layout = LAYOUTS[entidad]
    src = inspect_file(path, name)
    _header, rows = read_rows(src, layout.columns)
    out: list[dict[str, Any]] = []
    for line, values in rows:
        row: dict[str, Any] = {"line": line}
        for column, check, raw in zip(layout.columns, layout.checks, values, strict=True):
            try:
                row[column] = check(raw)
            except Bad as exc:
                errors.add(name, line, column, str(exc))
        if entidad == "reniec" and len(row) == 5:
            _check_reniec_row(row, name, errors)
        out.append(row)
    for c in ("fecha", "cse_vigencia_fin"):
        for row in out:
            if isinstance(row.get(c), str):
                row[c] = date.fromisoformat(row[c])
    return out


def _check_reniec_row(row: dict[str, Any], name: str, errors: ErrorLog) -> None:
    if row["evento"] == "CAMBIO_DNI" and not row["dni_nuevo"]:
        errors.add(name, row["line"], "dni_nuevo", "un cambio de DNI requiere el DNI nuevo")
    if row["evento"] == "CAMBIO_DNI" and row["dni_nuevo"] == row["dni"]:
        errors.add(name, row["line"], "dni_nuevo", "el DNI nuevo es igual al anterior")
    if row["evento"] == "FALLECIMIENTO" and row["fecha"] > today().isoformat():
        errors.add(name, row["line"], "fecha", "la fecha de fallecimiento está en el futuro")


def cotejar(
    session: Session,
    entidad: str,
    path: Path | str,
    *,
    name: str | None = None,
    imported_by: str = "sistema",
    instance_id: int | None = None,
) -> CotejoResult:
    """Applies one cross-check file; raises ``ImportRejected`` (every error) or
    ``StructuralError`` and writes nothing when anything is wrong. The caller commits."""
    if entidad not in LAYOUTS:
        raise ValueError(f"entidad desconocida: {entidad}")
    path = Path(path)
    name = name or path.name
    sha = inspect_file(path, name).sha256
    lock_imports(session)
    kind = f"cotejo_{entidad}"
    done = session.scalar(
        select(ImportBatch).where(ImportBatch.kind == kind, ImportBatch.hogares_sha256 == sha)
    )
    if done is not None:
        return CotejoResult(done.id, True, dict(done.counts))
    errors = ErrorLog()
    rows = _read(path, name, entidad, errors)
    stg = _staging(entidad)
    stg.create(session.connection())
    try:
        staged = [r for r in rows if len(r) == len(stg.columns)]
        if staged:
            session.execute(insert(stg), staged)
        _check_references(session, entidad, stg, name, errors)
        if errors.total:
            raise ImportRejected(
                f"cotejo rechazado: {errors.total} error(es); no se aplicó nada",
                sorted(errors.errors, key=lambda e: e.line),
                errors.total,
            )
        batch = ImportBatch(
            kind=kind,
            hogares_file=name[:255],
            hogares_sha256=sha,
            miembros_file="",
            miembros_sha256="",
            imported_by=imported_by[:64],
            counts={},
        )
        session.add(batch)
        session.flush()
        counts = APPLY[entidad](session, stg, batch.id, instance_id)
        batch.counts = {"filas": len(rows), **counts}
        session.flush()
    finally:
        stg.drop(session.connection())
    return CotejoResult(batch.id, False, dict(batch.counts))


def _lines(session: Session, query, errors: ErrorLog, *, at: tuple[str, str], reason: str):  # type: ignore[no-untyped-def]
    for (line,) in session.execute(query.limit(errors.room + 1)):
        errors.add(at[0], line, at[1], reason)


def _check_references(
    session: Session, entidad: str, stg: Table, name: str, errors: ErrorLog
) -> None:
    """Set checks: every row names a record of the padrón, once; a new DNI is free."""
    key = LAYOUTS[entidad].key
    target = Miembro.dni if key == "dni" else Hogar.co_hogar
    known = select(target).where(target == stg.c[key]).exists()
    if entidad == "reniec":  # RENIEC also names titulares, who need not be miembros objetivo
        known = known | select(Hogar.id).where(Hogar.dni_titular == stg.c.dni).exists()
    unknown = select(stg.c.line).where(~known)
    _lines(
        session, unknown.order_by(stg.c.line), errors, at=(name, key), reason="no está en el padrón"
    )
    first = select(stg.c[key], func.min(stg.c.line).label("first")).group_by(stg.c[key])
    first = first.having(func.count() > 1).subquery()
    repeated = select(stg.c.line).join(first, first.c[key] == stg.c[key])
    repeated = repeated.where(stg.c.line > first.c.first).order_by(stg.c.line)
    _lines(session, repeated, errors, at=(name, key), reason="repetido en el archivo")
    if entidad == "reniec":
        taken = select(stg.c.line).where(
            stg.c.dni_nuevo != "",
            select(Miembro.dni).where(Miembro.dni == stg.c.dni_nuevo).exists(),
        )
        _lines(
            session,
            taken,
            errors,
            at=(name, "dni_nuevo"),
            reason="el DNI nuevo ya es de otro miembro",
        )


def _log_changes(
    session: Session,
    source,  # type: ignore[no-untyped-def]
    campo: str,
    fuente: str,
    *,
    batch_id: int,
    instance_id: int | None,
) -> int:
    """One padron_actualizacion row per row of ``source`` (hogar_id, miembro_id, before,
    after)."""
    rows = source.add_columns(
        literal(campo),
        literal(fuente),
        literal(batch_id, Integer),
        literal(instance_id, Integer),
        literal(utcnow(), Actualizacion.created_at.type),
    )
    columns = [
        "hogar_id",
        "miembro_id",
        "valor_anterior",
        "valor_nuevo",
        "campo",
        "fuente",
        "import_batch_id",
        "instance_id",
        "created_at",
    ]
    statement = insert(Actualizacion).from_select(columns, rows)
    return session.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def _apply_reniec(session: Session, stg: Table, batch_id: int, instance_id: int | None) -> dict:  # type: ignore[type-arg]
    dead = and_(stg.c.dni == Miembro.dni, stg.c.evento == "FALLECIMIENTO")
    deaths = select(
        Miembro.hogar_id, Miembro.id, literal(None, String), func.cast(stg.c.fecha, String)
    ).where(dead, Miembro.fecha_fallecimiento.is_(None))
    n_dead = _log_changes(
        session, deaths, "fecha_fallecimiento", "RENIEC", batch_id=batch_id, instance_id=instance_id
    )
    session.execute(
        update(Miembro)
        .where(dead, Miembro.fecha_fallecimiento.is_(None))
        .values(fecha_fallecimiento=stg.c.fecha, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    titulares = session.scalar(
        select(func.count())
        .select_from(Hogar)
        .join(stg, and_(stg.c.dni == Hogar.dni_titular, stg.c.evento == "FALLECIMIENTO"))
    )
    moved = and_(stg.c.dni == Miembro.dni, stg.c.evento == "CAMBIO_DNI")
    changes = select(Miembro.hogar_id, Miembro.id, Miembro.dni, stg.c.dni_nuevo).where(moved)
    n_moved = _log_changes(
        session, changes, "dni", "RENIEC", batch_id=batch_id, instance_id=instance_id
    )
    titular = and_(stg.c.dni == Hogar.dni_titular, stg.c.evento == "CAMBIO_DNI")
    n_titular = _log_changes(
        session,
        select(Hogar.id, literal(None, Integer), Hogar.dni_titular, stg.c.dni_nuevo).where(titular),
        "dni_titular",
        "RENIEC",
        batch_id=batch_id,
        instance_id=instance_id,
    )
    session.execute(
        update(Hogar)
        .where(stg.c.dni == Hogar.dni_titular, stg.c.evento == "CAMBIO_DNI")
        .values(dni_titular=stg.c.dni_nuevo, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Miembro)
        .where(moved)
        .values(dni=stg.c.dni_nuevo, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return {
        "fallecidos": n_dead,
        "titulares_fallecidos": titulares or 0,
        "cambios_dni": n_moved,
        "cambios_dni_titular": n_titular,
    }


def _apply_sisfoh(session: Session, stg: Table, batch_id: int, instance_id: int | None) -> dict:  # type: ignore[type-arg]
    differs = and_(
        stg.c.co_hogar == Hogar.co_hogar,
        or_(Hogar.cse != stg.c.cse, Hogar.cse_vigencia_fin != stg.c.cse_vigencia_fin),
    )
    before = Hogar.cse + literal(" ") + func.cast(Hogar.cse_vigencia_fin, String)
    after = stg.c.cse + literal(" ") + func.cast(stg.c.cse_vigencia_fin, String)
    changes = select(Hogar.id, literal(None, Integer), before, after).where(differs)
    n = _log_changes(session, changes, "cse", "SISFOH", batch_id=batch_id, instance_id=instance_id)
    session.execute(
        update(Hogar)
        .where(differs)
        .values(cse=stg.c.cse, cse_vigencia_fin=stg.c.cse_vigencia_fin, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    on = today()
    waiting = select(Hogar.id).join(stg, stg.c.co_hogar == Hogar.co_hogar)
    waiting = waiting.where(Hogar.estado == "en_espera_clasificacion")
    validated = change_state(
        session,
        waiting.where(elegible(Hogar.cse, Hogar.cse_vigencia_fin, on)),
        "validado",
        CAUSA_CLASIFICADO,
        instance_id=instance_id,
        import_batch_id=batch_id,
    )
    not_poor = change_state(
        session,
        waiting.where(Hogar.cse == "NP"),
        "potencial",
        CAUSA_NO_POBRE,
        instance_id=instance_id,
        import_batch_id=batch_id,
    )
    expired = session.scalar(
        select(func.count())
        .select_from(Hogar)
        .join(stg, stg.c.co_hogar == Hogar.co_hogar)
        .where(Hogar.estado == "afiliado", Hogar.cse_vigencia_fin < on)
    )
    return {
        "reclasificados": n,
        "validados": validated.changed,
        "no_pobres": not_poor.changed,
        "afiliados_con_cse_vencida": expired or 0,
    }


def _code_applier(column: str, fuente: str) -> Callable[..., dict[str, int]]:
    def apply(session: Session, stg: Table, batch_id: int, instance_id: int | None) -> dict:  # type: ignore[type-arg]
        target = Miembro.__table__.c[column]
        differs = and_(stg.c.dni == Miembro.dni, target.is_distinct_from(stg.c[column]))
        changes = select(Miembro.hogar_id, Miembro.id, target, stg.c[column]).where(differs)
        n = _log_changes(
            session, changes, column, fuente, batch_id=batch_id, instance_id=instance_id
        )
        session.execute(
            update(Miembro)
            .where(differs)
            .values({column: stg.c[column], "updated_at": utcnow()})
            .execution_options(synchronize_session=False)
        )
        return {"actualizados": n}

    return apply


APPLY: dict[str, Callable[..., dict[str, int]]] = {
    "reniec": _apply_reniec,
    "sisfoh": _apply_sisfoh,
    "minedu": _code_applier("codigo_modular_ie", "MINEDU"),
    "minsa": _code_applier("codigo_renipress", "MINSA"),
}

"""Import of SISFOH's relación de hogares (Title V, process 7.1): two CSV files, hogares and
their miembros, checked, staged and applied set-based, then the first validation and the
segmentation of the hogares elegibles.

All or nothing: any bad row refuses the whole import with the full list of errors (file,
line, column, reason) and nothing is written — a relación half applied would leave the
padrón matching neither the old list nor the new one. Importing the same two files again
(same sha256) is reported as already imported and writes nothing; files with the same
content under other bytes change no row either (row-level upsert of what differs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from engine.clock import today
from engine.db import utcnow
from engine.padron import apply, pgload
from engine.padron.checks import check_staged
from engine.padron.csvfiles import (
    ErrorLog,
    ImportRejected,
    SourceFile,
    StructuralError,
    inspect_file,
    read_rows,
)
from engine.padron.fields import (
    Bad,
    Checker,
    any_date,
    birth_date,
    co_hogar,
    digits,
    dni,
    flag,
    one_of,
    text,
)
from engine.padron.geography import districts, ensure_geography, ut_unit_ids
from engine.padron.models import CSE_VALORES, Hogar, ImportBatch
from engine.padron.segmentation import Segmentation, segment
from engine.padron.staging import (
    STG_HOGAR,
    STG_MIEMBRO,
    Stager,
    create_staging,
    drop_staging,
    index_staging,
    lock_imports,
)
from engine.padron.states import change_state

log = logging.getLogger(__name__)

HOGARES_COLUMNS = (
    "co_hogar",
    "ubigeo",
    "centro_poblado",
    "direccion",
    "dni_titular",
    "ap_paterno",
    "ap_materno",
    "nombres",
    "cse",
    "cse_vigencia_fin",
)
MIEMBROS_COLUMNS = (
    "co_hogar",
    "dni",
    "ap_paterno",
    "ap_materno",
    "nombres",
    "fecha_nacimiento",
    "sexo",
    "gestante",
)
# Not SISFOH's: where each member fulfils co-responsibilities, when a file knows it.
MIEMBROS_OPTIONAL = ("codigo_modular_ie", "codigo_renipress")
GESTANTE_F = "una gestante debe ser de sexo F"


def _miembro_checks(on: date) -> dict[str, Checker]:
    return {
        "co_hogar": co_hogar,
        "dni": dni,
        "ap_paterno": text(100),
        "ap_materno": text(100, required=False),
        "nombres": text(150),
        "fecha_nacimiento": birth_date(on),
        "sexo": one_of(("F", "M"), "un sexo"),
        "gestante": flag,
        "codigo_modular_ie": digits(7, "un código modular", required=False),
        "codigo_renipress": digits(8, "un código RENIPRESS", required=False, pad=True),
    }


def _ubigeo_checker(unit_ids: dict[str, int]) -> Checker:
    catalogue = districts()

    def check(value: str) -> str:
        value = value.strip()
        if not (value.isascii() and value.isdigit() and len(value) == 6):
            raise Bad(f"'{value[:20]}' no es un ubigeo (6 dígitos)")
        place = catalogue.get(value)
        if place is None:
            raise Bad(f"el ubigeo {value} no existe en el catálogo de distritos del INEI")
        if place.ut_code is None:
            raise Bad(
                f"el ubigeo {value} ({place.departamento} / {place.provincia} / "
                f"{place.distrito}) está fuera del ámbito de toda Unidad Territorial"
            )
        return value

    return check


def _hogar_checks(unit_ids: dict[str, int]) -> dict[str, Checker]:
    return {
        "co_hogar": co_hogar,
        "ubigeo": _ubigeo_checker(unit_ids),
        "centro_poblado": text(150),
        "direccion": text(300, required=False),
        "dni_titular": dni,
        "ap_paterno": text(100),
        "ap_materno": text(100, required=False),
        "nombres": text(150),
        "cse": one_of(CSE_VALORES, "una clasificación socioeconómica"),
        "cse_vigencia_fin": any_date,
    }


@dataclass
class _Run:
    """One import in progress: the sources, the error log, the checks per role."""

    hogares: SourceFile
    miembros: SourceFile
    on: date
    errors: ErrorLog = field(default_factory=ErrorLog)
    optional_present: tuple[str, ...] = ()
    phases: dict[str, float] = field(default_factory=dict)
    meter: _Meter = field(default_factory=lambda: _Meter(_quiet, 0))
    _clock: float = field(default_factory=time.perf_counter)

    def lap(self, phase: str) -> None:
        """Seconds spent since the previous lap, for the report and the benchmark."""
        now = time.perf_counter()
        self.phases[phase] = round(now - self._clock, 3)
        self._clock = now

    def parser(self, src: SourceFile, names: Sequence[str], checks: dict[str, Checker]):  # type: ignore[no-untyped-def]
        """A function (line, values) → staged row, or None after logging its errors."""
        funcs = [checks[n] for n in names]
        pairs = list(zip(names, funcs, strict=True))
        log = self.errors

        def parse(line: int, values: Sequence[str]) -> list[str] | None:
            try:
                return [str(line), *[f(v) for f, v in zip(funcs, values, strict=True)]]
            except Bad:
                pass
            for (name, check), raw in zip(pairs, values, strict=True):
                try:
                    check(raw)
                except Bad as exc:
                    log.add(src.name, line, name, str(exc))
            return None

        return parse


Progress = Callable[[int, int], None]
PHASES = {"controles": 0.2, "aplicacion": 0.4, "segmentacion": 0.9}  # share of the SQL half
REPORT_EVERY_S = 0.5


def _quiet(done: int, total: int) -> None:
    pass


@dataclass
class _Meter:
    """done/total of one import for ``progress``: the lines read are the first half, the SQL
    phases after them the second (by the share of ``PHASES`` each starts at)."""

    report: Progress
    lines: int
    hogares_rows: int = 0
    _last: float = 0.0

    @property
    def total(self) -> int:
        return 2 * max(self.lines, 1)

    def _send(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= REPORT_EVERY_S:
            self._last = now
            self.report(min(done, self.total), self.total)

    def hogares(self, rows: int) -> None:
        self.hogares_rows = rows
        self._send(rows)

    def miembros(self, rows: int) -> None:
        self._send(self.hogares_rows + rows)

    def phase(self, name: str) -> None:
        self._send(max(self.lines, 1) + int(PHASES[name] * max(self.lines, 1)), force=True)

    def finished(self) -> None:
        self._send(self.total, force=True)


def _stage_hogares(session: Session, run: _Run, unit_ids: dict[str, int]) -> int:
    checks = _hogar_checks(unit_ids)
    ut_of = {u: unit_ids[d.ut_code] for u, d in districts().items() if d.ut_code}
    stager = Stager(session, STG_HOGAR, run.meter.hogares)
    _header, rows = read_rows(run.hogares, HOGARES_COLUMNS)
    parse = run.parser(run.hogares, HOGARES_COLUMNS, checks)
    for line, values in rows:
        out = parse(line, values)
        if out is not None:
            out.append(str(ut_of[out[2]]))
            stager.add(out)
    stager.flush()
    return stager.count


def _stage_miembros(session: Session, run: _Run) -> int:
    stager = Stager(session, STG_MIEMBRO, run.meter.miembros)
    header, rows = read_rows(run.miembros, MIEMBROS_COLUMNS, MIEMBROS_OPTIONAL)
    run.optional_present = header.present_optional
    names = (*MIEMBROS_COLUMNS, *header.present_optional)
    width = len(MIEMBROS_COLUMNS) + 1  # the line, then the columns
    code_at = [names.index(c) + 1 if c in names else None for c in MIEMBROS_OPTIONAL]
    parse = run.parser(run.miembros, names, _miembro_checks(run.on))
    for line, values in rows:
        out = parse(line, values)
        if out is None:
            continue
        if out[8] == "1" and out[7] != "F":  # gestante, sexo
            run.errors.add(run.miembros.name, line, "gestante", GESTANTE_F)
            continue
        stager.add([*out[:width], *("" if p is None else out[p] for p in code_at)])
    stager.flush()
    return stager.count


RAW_HOGAR, RAW_MIEMBRO, RAW_UT = "padron_raw_hogar", "padron_raw_miembro", "padron_raw_ut"


def _hogar_sql(days: bool) -> dict[str, str]:
    return {
        "co_hogar": pgload.sql_code("co_hogar"),
        "ubigeo": "u.ubigeo",  # NULL unless a district of some UT (the join below)
        "centro_poblado": pgload.sql_text("centro_poblado", 150),
        "direccion": pgload.sql_text("direccion", 300, required=False),
        "dni_titular": pgload.sql_digits_exactly("dni_titular", 8),
        "ap_paterno": pgload.sql_text("ap_paterno", 100),
        "ap_materno": pgload.sql_text("ap_materno", 100, required=False),
        "nombres": pgload.sql_text("nombres", 150),
        "cse": pgload.sql_one_of("cse", CSE_VALORES),
        "cse_vigencia_fin": pgload.sql_date("cse_vigencia_fin", days),
    }


def _miembro_sql(on: date, present: tuple[str, ...], days: bool) -> dict[str, str]:
    codes = {
        "codigo_modular_ie": pgload.sql_digits("codigo_modular_ie", 7),
        "codigo_renipress": pgload.sql_digits("codigo_renipress", 8, pad=True),
    }
    return {
        "co_hogar": pgload.sql_code("co_hogar"),
        "dni": pgload.sql_digits_exactly("dni", 8),
        "ap_paterno": pgload.sql_text("ap_paterno", 100),
        "ap_materno": pgload.sql_text("ap_materno", 100, required=False),
        "nombres": pgload.sql_text("nombres", 150),
        "fecha_nacimiento": pgload.sql_birth_date("fecha_nacimiento", on, days),
        "sexo": pgload.sql_one_of("sexo", ("F", "M")),
        "gestante": pgload.sql_flag("gestante"),
        **{c: expr for c, expr in codes.items() if c in present},
    }


def _stage_postgresql(session: Session, run: _Run, unit_ids: dict[str, int]) -> tuple[int, int]:
    """COPY both files into raw tables, then stage and check them with SQL (pgload)."""
    pgload.create_functions(session)
    ut_of = [{"u": u, "id": unit_ids[d.ut_code]} for u, d in districts().items() if d.ut_code]
    session.execute(sql(f"CREATE TEMPORARY TABLE {RAW_UT} (ubigeo text PRIMARY KEY, id int)"))
    session.execute(sql(f"INSERT INTO {RAW_UT} VALUES (:u, :id)"), ut_of)
    _, n_hogares = pgload.copy_file(
        session, run.hogares, RAW_HOGAR, HOGARES_COLUMNS, on_rows=run.meter.hogares
    )
    run.meter.hogares(n_hogares)
    present, n_miembros = pgload.copy_file(
        session,
        run.miembros,
        RAW_MIEMBRO,
        MIEMBROS_COLUMNS,
        MIEMBROS_OPTIONAL,
        on_rows=run.meter.miembros,
    )
    run.optional_present = present
    run.lap("copy")
    days = n_hogares + n_miembros >= pgload.DAYS_FROM_ROWS
    if days:
        pgload.create_days(session)
    checks = _hogar_checks(unit_ids)
    hogar = [pgload.Column(n, expr, checks[n]) for n, expr in _hogar_sql(days).items()]
    pgload.stage_typed(
        session,
        RAW_HOGAR,
        STG_HOGAR.name,
        hogar,
        extra=[("ut_unit_id", "u.id")],
        joins=f"LEFT JOIN {RAW_UT} u ON u.ubigeo = {pgload.t('ubigeo')} "
        + pgload.date_join("cse_vigencia_fin", days),
    )
    checks = _miembro_checks(run.on)
    miembro = [
        pgload.Column(n, expr, checks[n]) for n, expr in _miembro_sql(run.on, present, days).items()
    ]
    absent = [(c, "''") for c in MIEMBROS_OPTIONAL if c not in present]
    pgload.stage_typed(
        session,
        RAW_MIEMBRO,
        STG_MIEMBRO.name,
        miembro,
        extra=absent,
        joins=pgload.date_join("fecha_nacimiento", days),
    )
    run.lap("valores")
    bad = pgload.refuse_wrong(session, run.hogares, RAW_HOGAR, STG_HOGAR.name, hogar, run.errors)
    bad += pgload.refuse_wrong(
        session,
        run.miembros,
        RAW_MIEMBRO,
        STG_MIEMBRO.name,
        miembro,
        run.errors,
        [pgload.RowRule("gestante", "s.gestante AND s.sexo <> 'F'", GESTANTE_F)],
    )
    for table in (RAW_HOGAR, RAW_MIEMBRO, RAW_UT, *([pgload.DAYS] if days else [])):
        session.execute(sql(f"DROP TABLE {table}"))
    return n_hogares, n_miembros


@dataclass
class ImportResult:
    batch_id: int
    already_imported: bool
    files: list[dict[str, Any]]
    counts: dict[str, int]
    segmentation: Segmentation | None = None
    phases: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lote": self.batch_id,
            "ya_importado": self.already_imported,
            "archivos": self.files,
            "conteos": self.counts,
            "segmentacion": self.segmentation.as_dict() if self.segmentation else None,
            "fases_s": self.phases,
        }


def _file_info(src: SourceFile) -> dict[str, Any]:
    return {"archivo": src.name, "sha256": src.sha256, "codificacion": src.label}


def _refuse(run: _Run) -> None:
    errors = sorted(run.errors.errors, key=lambda e: (e.file != run.hogares.name, e.line))
    total = run.errors.total
    raise ImportRejected(
        f"importación rechazada: {total} error(es) en las filas; no se aplicó nada", errors, total
    )


def import_sisfoh(
    session: Session,
    hogares_path: Path | str,
    miembros_path: Path | str,
    imported_by: str = "sistema",
    on: date | None = None,
    *,
    progress: Progress = _quiet,
) -> ImportResult:
    """Imports SISFOH's two files into the padrón; raises ``ImportRejected`` (with every
    error) or ``StructuralError`` and writes nothing when anything is wrong. The caller
    commits. ``on`` is the day of the first validation (default: today in Lima);
    ``progress(done, total)`` is told how far it got, a few times a second at most."""
    on = on or today()
    start = time.perf_counter()
    run = _Run(inspect_file(Path(hogares_path)), inspect_file(Path(miembros_path)), on)
    run._clock = start
    run.meter = _Meter(progress, run.hogares.lines + run.miembros.lines)
    if run.hogares.sha256 == run.miembros.sha256:
        raise StructuralError(run.miembros.name, 0, "es el mismo archivo que el de hogares")
    files = [_file_info(run.hogares), _file_info(run.miembros)]
    run.lap("lectura_sha256")
    lock_imports(session)
    done = session.scalar(
        select(ImportBatch).where(
            ImportBatch.kind == "sisfoh",
            ImportBatch.hogares_sha256 == run.hogares.sha256,
            ImportBatch.miembros_sha256 == run.miembros.sha256,
        )
    )
    if done is not None:
        log.info("sisfoh import: files already imported as batch %s", done.id)
        return ImportResult(done.id, True, files, dict(done.counts))
    unit_ids = ut_unit_ids(session)
    ensure_geography(session)
    create_staging(session)
    if session.get_bind().dialect.name == "postgresql":
        n_hogares, n_miembros = _stage_postgresql(session, run, unit_ids)
    else:
        n_hogares = _stage_hogares(session, run, unit_ids)
        run.lap("carga_hogares")
        n_miembros = _stage_miembros(session, run)
        run.lap("carga_miembros")
    run.meter.phase("controles")
    index_staging(session)
    check_staged(session, {"hogares": run.hogares.name, "miembros": run.miembros.name}, run.errors)
    run.lap("controles")
    if run.errors.total:
        _refuse(run)
    return _apply(session, run, imported_by, on, files, (n_hogares, n_miembros))


def _apply(  # noqa: PLR0917
    session: Session,
    run: _Run,
    imported_by: str,
    on: date,
    files: list[dict[str, Any]],
    rows: tuple[int, int],
) -> ImportResult:
    at = utcnow()
    batch = ImportBatch(
        kind="sisfoh",
        hogares_file=run.hogares.name[:255],
        hogares_sha256=run.hogares.sha256,
        miembros_file=run.miembros.name[:255],
        miembros_sha256=run.miembros.sha256,
        imported_by=imported_by[:64],
        created_at=at,
        counts={},
    )
    session.add(batch)
    session.flush()
    run.meter.phase("aplicacion")
    postgres = session.get_bind().dialect.name == "postgresql"
    with pgload.checked_by_the_import(session) if postgres else nullcontext():
        known = apply.any_known_hogar(session)  # else only inserts can change anything
        updated = apply.update_hogares(session, at) if known else 0
        inserted, validated_new = apply.insert_hogares(session, batch.id, at, on)
        m_updated = apply.update_miembros(session, at, bool(run.optional_present)) if known else 0
        m_inserted = apply.insert_miembros(session, at)
        m_deleted = apply.delete_missing_miembros(session, batch.id) if known else 0
        waiting = 0
        if known:
            waiting = change_state(
                session,
                apply.waiting_eligible(on),
                "validado",
                apply.CAUSA_VALIDACION,
                import_batch_id=batch.id,
                at=at,
            ).changed
    run.lap("aplicacion")
    run.meter.phase("segmentacion")
    elegibles = select(Hogar.id).join(STG_HOGAR, STG_HOGAR.c.co_hogar == Hogar.co_hogar)
    segmentation = segment(session, elegibles.where(Hogar.estado == "validado"))
    counts = {
        "hogares_filas": rows[0],
        "hogares_nuevos": inserted,
        "hogares_actualizados": updated,
        "hogares_sin_cambio": rows[0] - inserted - updated,
        "miembros_filas": rows[1],
        "miembros_nuevos": m_inserted,
        "miembros_actualizados": m_updated,
        "miembros_retirados": m_deleted,
        "miembros_sin_cambio": rows[1] - m_inserted - m_updated,
        "validados": validated_new + waiting,
        "hogares_elegibles": segmentation.total,
    }
    batch.counts = counts
    drop_staging(session)
    session.flush()
    run.lap("segmentacion")
    run.meter.finished()
    log.info("sisfoh import: batch %s applied: %s", batch.id, counts)
    return ImportResult(batch.id, False, files, counts, segmentation, run.phases)

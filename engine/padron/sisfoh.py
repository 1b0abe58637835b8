"""Import of SISFOH's relación de hogares (Title V, process 7.1): two CSV files, hogares and
their miembros, checked, staged and applied set-based, then the first validation and the
segmentation of the hogares elegibles.

All or nothing: any bad row refuses the whole import with the full list of errors (file,
line, column, reason) and nothing is written — a relación half applied would leave the
padrón matching neither the old list nor the new one. Importing the same two files again
(same sha256) is reported as already imported and writes nothing; files with the same
content under other bytes change no row either (row-level upsert of what differs).

SQLite checks each value in Python and stages the rows; PostgreSQL copies the files into raw
tables (``pgload``) and checks each value in SQL. On PostgreSQL, while the padrón is empty,
the first load (``firstload``) applies the raw tables straight into the padrón, in a
savepoint; whatever it does not take as it is, the savepoint rolls back and the import goes
on row by row, which reports the errors or applies the files as any later import.

Large files (``CONCURRENT_FROM_BYTES``) have helper connections (``scratch``): two copy the
files at once into scratch tables, and during a first load one prepares the members' rows
while the import's transaction inserts the hogares and their history, so that both cores of
the server work. The padrón changes only in the import's transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Table, select
from sqlalchemy import text as sql
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from engine.clock import today
from engine.db import utcnow
from engine.padron import apply, firstload, pgload
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
from engine.padron.models import CSE_VALORES, Hogar, ImportBatch, Miembro
from engine.padron.scratch import Scratch
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
    _high: int = 0

    @property
    def total(self) -> int:
        return 2 * max(self.lines, 1)

    def _send(self, done: int, force: bool = False) -> None:
        now = time.monotonic()
        # never back: a first load that falls back to the checks row by row goes on from
        # where it was
        done = self._high = max(self._high, min(done, self.total))
        if force or now - self._last >= REPORT_EVERY_S:
            self._last = now
            self.report(done, self.total)

    def hogares(self, rows: int) -> None:
        self.hogares_rows = rows
        self._send(rows)

    def miembros(self, rows: int) -> None:
        self._send(self.hogares_rows + rows)

    def copied(self, hogares: int, miembros: int) -> None:
        """Rows of each file copied so far, when both are copied at once."""
        self.hogares_rows = hogares
        self._send(hogares + miembros)

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


@dataclass(frozen=True)
class _RawFile:
    """A file in its raw table (``pgload``), and the SQL that reads each of its values:
    ``joins`` brings the catalogue (UT of each ubigeo), ``days`` the table of days;
    ``spaced``: some value may have whitespace around it (else trimming changes none);
    ``last_line``: the line of its last row (its rows' lines are between 2 and that)."""

    src: SourceFile
    raw: str
    columns: list[pgload.Column]
    extra: list[tuple[str, str]]
    joins: str
    days: str
    rows: int
    spaced: bool
    last_line: int

    def as_is(self, sql: dict[str, str], inner: Sequence[tuple[str, str]] = ()) -> str:
        """What the first load reads (``pgload.typed_select``): only free text trimmed, and
        only when some value may need it; ``sql`` replaces some columns', ``inner`` is
        computed once per row."""
        trim = FREE_TEXT if self.spaced else ()
        return pgload.typed_select(self.raw, self.columns, self.extra, self.joins, trim, sql, inner)

    @property
    def lines(self) -> int:
        """How many lines its rows span (ids reserved by line, ``firstload.reserve_ids``)."""
        return self.last_line - firstload.FIRST_LINE + 1

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns] + [n for n, _ in self.extra]


@dataclass(frozen=True)
class _RawFiles:
    hogares: _RawFile
    miembros: _RawFile
    days: bool  # the staging reads dates with the table of days (many rows)


def _copy_raw(  # noqa: PLR0917
    session: Session,
    src: SourceFile,
    table: str,
    required: Sequence[str],
    optional: Sequence[str],
    on_rows: Callable[[int], None],
    unlogged: bool = False,
) -> tuple[tuple[str, ...], int, bool, int]:
    """COPY of ``src`` as it is when PostgreSQL reads it as Python would, else row by row
    through Python's csv reader (which then finds any structural error). Returns the optional
    columns present, the number of rows, whether a value may have whitespace around it and
    the line of the last row. ``unlogged``: into a scratch table (``scratch``)."""
    try:
        with session.begin_nested():
            header, rows, spaced = pgload.copy_plain(
                session, src, table, required, optional, on_rows=on_rows, unlogged=unlogged
            )
            return header.present_optional, rows, spaced, rows + 1  # one line each
    except (pgload.NotPlain, psycopg.DataError) as exc:
        log.info("sisfoh import: %s read row by row (%s)", src.name, type(exc).__name__)
    present, rows = pgload.copy_file(
        session, src, table, required, optional, on_rows=on_rows, unlogged=unlogged
    )
    last_line = session.scalar(sql(f"SELECT coalesce(max(line), 1) FROM {table}"))
    return present, rows, True, last_line


_Copied = tuple[tuple[str, ...], int, bool, int]  # what _copy_raw returns


def _copy_both(
    session: Session, run: _Run, scratch: Scratch | None
) -> tuple[str, str, _Copied, _Copied]:
    """Both files into raw tables: temporary ones, one after the other; with ``scratch``,
    scratch tables, each copied by a helper while the other is. Returns their names and what
    ``_copy_raw`` says of each."""
    h_args = (run.hogares, HOGARES_COLUMNS, ())
    m_args = (run.miembros, MIEMBROS_COLUMNS, MIEMBROS_OPTIONAL)
    if scratch is None:
        h = _copy_raw(session, run.hogares, RAW_HOGAR, *h_args[1:], run.meter.hogares)
        run.meter.hogares(h[1])
        m = _copy_raw(session, run.miembros, RAW_MIEMBRO, *m_args[1:], run.meter.miembros)
        return RAW_HOGAR, RAW_MIEMBRO, h, m
    names = scratch.name("hogares"), scratch.name("miembros")
    done = [0, 0]  # rows copied so far of each file (told from the helpers' threads)

    def copy(i: int, args: tuple[SourceFile, Sequence[str], Sequence[str]]) -> Future[_Copied]:
        def counted(rows: int) -> None:
            done[i] = rows

        src, required, optional = args
        return scratch.submit(
            lambda s: _copy_raw(s, src, names[i], required, optional, counted, unlogged=True)
        )

    copies = [copy(0, h_args), copy(1, m_args)]
    while wait(copies, timeout=REPORT_EVERY_S).not_done:
        run.meter.copied(*done)
    # the hogares' error first, as when the files are copied one after the other
    return names[0], names[1], copies[0].result(), copies[1].result()


def _load_postgresql(
    session: Session, run: _Run, unit_ids: dict[str, int], scratch: Scratch | None
) -> _RawFiles:
    """COPY both files into raw tables (pgload), with the SQL that reads their values."""
    pgload.create_functions(session)
    ut_of = [{"u": u, "id": unit_ids[d.ut_code]} for u, d in districts().items() if d.ut_code]
    session.execute(sql(f"CREATE TEMPORARY TABLE {RAW_UT} (ubigeo text PRIMARY KEY, id int)"))
    session.execute(sql(f"INSERT INTO {RAW_UT} VALUES (:u, :id)"), ut_of)
    raw_h, raw_m, copied_h, copied_m = _copy_both(session, run, scratch)
    _, n_hogares, h_spaced, h_last = copied_h
    present, n_miembros, m_spaced, m_last = copied_m
    run.meter.copied(n_hogares, n_miembros)
    run.optional_present = present
    run.lap("copy")
    days = n_hogares + n_miembros >= pgload.DAYS_FROM_ROWS
    checks = _hogar_checks(unit_ids)
    hogares = _RawFile(
        run.hogares,
        raw_h,
        [pgload.Column(n, expr, checks[n]) for n, expr in _hogar_sql(days).items()],
        [("ut_unit_id", "u.id")],
        f"LEFT JOIN {RAW_UT} u ON u.ubigeo = {pgload.t('ubigeo')}",
        pgload.date_join("cse_vigencia_fin", days),
        n_hogares,
        h_spaced,
        h_last,
    )
    checks = _miembro_checks(run.on)
    miembros = _RawFile(
        run.miembros,
        raw_m,
        [
            pgload.Column(n, expr, checks[n])
            for n, expr in _miembro_sql(run.on, present, days).items()
        ],
        [(c, "''") for c in MIEMBROS_OPTIONAL if c not in present],
        "",
        pgload.date_join("fecha_nacimiento", days),
        n_miembros,
        m_spaced,
        m_last,
    )
    return _RawFiles(hogares, miembros, days)


def _drop_raw(session: Session, files: _RawFiles) -> None:
    for table in (files.hogares.raw, files.miembros.raw, RAW_UT):
        session.execute(sql(f"DROP TABLE {table}"))


def _stage_postgresql(session: Session, run: _Run, files: _RawFiles) -> None:
    """Stages and checks the raw files with SQL (pgload), each value and each row."""
    h, m = files.hogares, files.miembros
    if files.days:
        pgload.create_days(session)
    for file, staged in ((h, STG_HOGAR), (m, STG_MIEMBRO)):
        joins = f"{file.joins} {file.days}"
        pgload.stage_typed(session, file.raw, staged.name, file.columns, file.extra, joins)
    run.lap("valores")
    pgload.refuse_wrong(session, h.src, h.raw, STG_HOGAR.name, h.columns, run.errors)
    pgload.refuse_wrong(
        session,
        m.src,
        m.raw,
        STG_MIEMBRO.name,
        m.columns,
        run.errors,
        [pgload.RowRule("gestante", "s.gestante AND s.sexo <> 'F'", GESTANTE_F)],
    )
    _drop_raw(session, files)
    if files.days:
        session.execute(sql(f"DROP TABLE {pgload.DAYS}"))


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
        scratch = _scratch(session, run)
        raw = _load_postgresql(session, run, unit_ids, scratch)
        n_hogares, n_miembros = raw.hogares.rows, raw.miembros.rows
        first = _first_load(session, run, raw, imported_by, files, scratch)
        if first is not None:
            return first
        _stage_postgresql(session, run, raw)
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
    return _apply(session, run, imported_by, files, (n_hogares, n_miembros))


# files (bytes, both) from which an import has helpers (``scratch``): below, their
# connections and tables cost more than they save
CONCURRENT_FROM_BYTES = 2 << 20


def _scratch(session: Session, run: _Run) -> Scratch | None:
    size = run.hogares.path.stat().st_size + run.miembros.path.stat().st_size
    return Scratch.open(session) if size >= CONCURRENT_FROM_BYTES else None


def _new_batch(session: Session, run: _Run, imported_by: str, at: datetime) -> ImportBatch:
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
    return batch


def _apply(
    session: Session,
    run: _Run,
    imported_by: str,
    files: list[dict[str, Any]],
    rows: tuple[int, int],
) -> ImportResult:
    """Applies the checked staging tables: row-level upsert, then the first validation of
    the hogares already in the padrón that now qualify."""
    on, at = run.on, utcnow()
    batch = _new_batch(session, run, imported_by, at)
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
    in_file = Hogar.co_hogar.in_(select(STG_HOGAR.c.co_hogar))
    segmentation = segment(session, in_file, Hogar.estado == "validado")
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
    return _finish(session, run, batch, files, counts, segmentation)


def _finish(  # noqa: PLR0917
    session: Session,
    run: _Run,
    batch: ImportBatch,
    files: list[dict[str, Any]],
    counts: dict[str, int],
    segmentation: Segmentation,
) -> ImportResult:
    batch.counts = counts
    drop_staging(session)
    session.flush()
    run.lap("segmentacion")
    run.meter.finished()
    log.info("sisfoh import: batch %s applied: %s", batch.id, counts)
    return ImportResult(batch.id, False, files, counts, segmentation, run.phases)


# values the first load trims: free text (the staging trims every value; every other column's
# SQL refuses a value with spaces around it, and the import then goes row by row)
FREE_TEXT = ("centro_poblado", "direccion", "ap_paterno", "ap_materno", "nombres")


def _first_load(  # noqa: PLR0917
    session: Session,
    run: _Run,
    raw: _RawFiles,
    imported_by: str,
    files: list[dict[str, Any]],
    scratch: Scratch | None = None,
) -> ImportResult | None:
    """When the padrón is empty, applies the raw files straight into it (``firstload``) in a
    savepoint; None, with the savepoint rolled back, when the padrón is not empty or the
    first load refused something: the import then goes row by row. With ``scratch``, a
    helper prepares the members' rows meanwhile (``_prepare_miembros``)."""
    try:
        with session.begin_nested():
            if not firstload.padron_is_empty(session):
                raise _NotEmpty
            return _apply_first_load(session, run, raw, imported_by, files, scratch)
    except _NotEmpty:
        return None
    except (firstload.Refused, DataError, IntegrityError) as exc:
        # the class only: a database's message may quote the values (personal data)
        log.info("sisfoh import: first load stopped (%s); checking row by row", _why(exc))
        return None


class _NotEmpty(Exception):
    pass


def _why(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    return f"{type(orig).__name__} {getattr(orig, 'sqlstate', '')}" if orig else type(exc).__name__


def _typed_miembros(run: _Run, m: _RawFile):  # type: ignore[no-untyped-def]
    """What the first load reads of the members (``firstload.typed``): a code that matches a
    hogar of the padrón is a right code, with no need to check it."""
    nacimiento = pgload.t("nacimiento")
    birth = pgload.sql_date_as_is(
        "fecha_nacimiento", nacimiento, pgload.birth_range(nacimiento, run.on)
    )
    select_sql = m.as_is(
        {"fecha_nacimiento": birth, "co_hogar": pgload.t("co_hogar")},
        [("nacimiento", pgload.sql_date_cast("fecha_nacimiento"))],
    )
    return firstload.typed(select_sql, m.names, STG_MIEMBRO)


def _first_load_settings(session: Session) -> None:
    """JIT compiling the first load's statements' expressions costs more than it saves;
    dates are read as ISO or day first (``pgload.sql_date_as_is``); the members are joined
    to their hogares by hashing."""
    session.execute(sql("SET LOCAL jit = off"))
    session.execute(sql("SET LOCAL DateStyle = 'ISO, DMY'"))
    session.execute(sql("SET LOCAL work_mem = '128MB'"))


@dataclass(frozen=True)
class _Prepared:
    """The members' rows a helper is preparing (``firstload.prepare_miembros``)."""

    table: Table
    rows: Future[int]
    scratch: Scratch  # whose helper prepares them (to cancel)


def _prepare_miembros(
    session: Session, scratch: Scratch | None, raw: _RawFiles, run: _Run
) -> _Prepared | None:
    """A helper prepares the members' rows while this transaction inserts the hogares, when
    the ids of both can be numbered by line (the members' rows know their hogar's line)."""
    tables = Hogar.__tablename__, Miembro.__tablename__
    if scratch is None or not (raw.hogares.rows and firstload.may_reserve(session, *tables)):
        return None
    table = scratch.table("miembros_listos", *firstload.prepared_columns())
    typed = _typed_miembros(run, raw.miembros)

    def prepare(helper: Session) -> int:
        _first_load_settings(helper)
        return firstload.prepare_miembros(helper, typed, raw.hogares.raw, table)

    return _Prepared(table, scratch.submit(prepare), scratch)


def _insert_prepared(
    session: Session, prepared: _Prepared, m: _RawFile, at: datetime, first_hogar: int
) -> None:
    """The members the helper prepared, into the padrón; refused as ``insert_miembros``
    would refuse them when the helper raised."""
    try:
        rows = prepared.rows.result()
    except DBAPIError as exc:
        raise firstload.Refused(f"miembros: {_why(exc)}") from exc
    if rows != m.rows:  # a member joined to two hogares of the same code
        raise firstload.Refused("miembros: filas preparadas")
    first_miembro = firstload.reserve_ids(session, Miembro.__tablename__, m.lines)
    assert first_miembro is not None  # the helper prepared them only if it could be taken
    firstload.insert_prepared_miembros(session, prepared.table, at, first_miembro, first_hogar)
    prepared.table.drop(session.connection())


def _apply_first_load(  # noqa: PLR0917
    session: Session,
    run: _Run,
    raw: _RawFiles,
    imported_by: str,
    files: list[dict[str, Any]],
    scratch: Scratch | None,
) -> ImportResult:
    prepared = _prepare_miembros(session, scratch, raw, run)
    try:
        return _apply_first_load_prepared(session, run, raw, imported_by, files, prepared)
    except BaseException:
        if prepared is not None:
            prepared.scratch.cancel()
        raise


def _apply_first_load_prepared(  # noqa: PLR0917
    session: Session,
    run: _Run,
    raw: _RawFiles,
    imported_by: str,
    files: list[dict[str, Any]],
    prepared: _Prepared | None,
) -> ImportResult:
    at = utcnow()
    batch = _new_batch(session, run, imported_by, at)
    h, m = raw.hogares, raw.miembros
    run.meter.phase("aplicacion")
    datestyle = session.scalar(sql("SELECT current_setting('DateStyle')"))
    _first_load_settings(session)
    with pgload.checked_by_the_import(session) as triggers_skipped:
        rebuild = h.rows + m.rows >= firstload.REBUILD_FROM_ROWS
        set_aside = firstload.set_aside(session, triggers_skipped) if rebuild else []
        # each date cast once, then written back: the same text or refused
        vigencia = pgload.sql_date_as_is("cse_vigencia_fin", pgload.t("vigencia"))
        hogares = firstload.typed(
            h.as_is(
                {"cse_vigencia_fin": vigencia},
                [("vigencia", pgload.sql_date_cast("cse_vigencia_fin"))],
            ),
            h.names,
            STG_HOGAR,
        )
        # ids taken at once, by line (hogares and their history: as many as the lines)
        first_hogar = firstload.reserve_ids(session, Hogar.__tablename__, h.lines)
        firstload.insert_hogares(session, hogares, batch.id, at, run.on, first_hogar)
        session.execute(sql(f"ANALYZE {Hogar.__tablename__}"))  # plans by hashing, not sorting
        firstload.refuse_repeated_titular(session, batch.id)
        run.lap("hogares")
        if prepared is not None and first_hogar is not None:
            # the history first: the helper may not be done with the members yet
            firstload.insert_entries(session, batch.id, at, first_hogar, h.lines)
            run.lap("historial")
            _insert_prepared(session, prepared, m, at, first_hogar)
            run.lap("miembros")
        else:
            first_miembro = firstload.reserve_ids(session, Miembro.__tablename__, m.lines)
            firstload.insert_miembros(session, _typed_miembros(run, m), at, first_miembro)
            run.lap("miembros")
            firstload.insert_entries(session, batch.id, at, first_hogar, h.lines)
            run.lap("historial")
        firstload.build_again(session, set_aside)
        run.lap("indices")
    session.execute(sql("SELECT set_config('DateStyle', :style, true)"), {"style": datestyle})
    _drop_raw(session, raw)
    run.meter.phase("segmentacion")
    segmentation = segment(session, Hogar.alta_batch_id == batch.id, Hogar.estado == "validado")
    counts = {
        "hogares_filas": h.rows,
        "hogares_nuevos": h.rows,
        "hogares_actualizados": 0,
        "hogares_sin_cambio": 0,
        "miembros_filas": m.rows,
        "miembros_nuevos": m.rows,
        "miembros_actualizados": 0,
        "miembros_retirados": 0,
        "miembros_sin_cambio": 0,
        # the padrón was empty: every hogar validado came in with this batch
        "validados": segmentation.total,
        "hogares_elegibles": segmentation.total,
    }
    return _finish(session, run, batch, files, counts, segmentation)

"""Staging tables: an import's rows go into temporary tables first (COPY on PostgreSQL,
``executemany`` on SQLite), in chunks, so memory stays bounded whatever the file size; the
checks and the changes to the padrón are then SQL over the whole set.

The tables live in the import's own transaction and connection and are dropped at its end
(a rollback drops them too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.padron.models import code

FLUSH_ROWS = 20_000
TEMP_BUFFERS = "512MB"

_meta = MetaData()
CODE = code()  # compared as the padrón's codes are

STG_HOGAR = Table(
    "padron_stg_hogar",
    _meta,
    Column("line", Integer),
    Column("co_hogar", CODE),
    Column("ubigeo", CODE),
    Column("centro_poblado", String),
    Column("direccion", String),
    Column("dni_titular", CODE),
    Column("ap_paterno", String),
    Column("ap_materno", String),
    Column("nombres", String),
    Column("cse", String),
    Column("cse_vigencia_fin", Date),
    Column("ut_unit_id", Integer),
    prefixes=["TEMPORARY"],
)
STG_MIEMBRO = Table(
    "padron_stg_miembro",
    _meta,
    Column("line", Integer),
    Column("co_hogar", CODE),
    Column("dni", CODE),
    Column("ap_paterno", String),
    Column("ap_materno", String),
    Column("nombres", String),
    Column("fecha_nacimiento", Date),
    Column("sexo", String),
    Column("gestante", Boolean),
    Column("codigo_modular_ie", CODE),  # '' when the file does not say
    Column("codigo_renipress", CODE),
    prefixes=["TEMPORARY"],
)
# created after the load, which is faster than maintaining them row by row
STAGING_INDEXES = (
    ("padron_stg_hogar", "co_hogar"),
    ("padron_stg_hogar", "dni_titular"),
    ("padron_stg_miembro", "dni"),
    ("padron_stg_miembro", "co_hogar"),
)

_PG_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _pg_line(row: Sequence[str]) -> str:
    """One row in COPY's text format; every staged value is a non-null string."""
    joined = "\t".join(row)
    if "\\" in joined or "\n" in joined or "\r" in joined or joined.count("\t") != len(row) - 1:
        joined = "\t".join(v.translate(_PG_ESCAPE) for v in row)
    return joined + "\n"


class Stager:
    """Buffers rows for one staging table and writes them in chunks."""

    def __init__(
        self, session: Session, table: Table, on_flush: Callable[[int], None] | None = None
    ) -> None:
        self.session = session
        self.on_flush = on_flush  # told the rows written so far
        self.table = table
        self.buffer: list[Sequence[str]] = []
        self.count = 0
        self.postgres = session.get_bind().dialect.name == "postgresql"
        names = ", ".join(c.name for c in table.columns)
        if self.postgres:
            self.sql = f"COPY {table.name} ({names}) FROM STDIN"
        else:
            marks = ", ".join("?" for _ in table.columns)
            self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"

    def add(self, row: Sequence[str]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        raw = self.session.connection().connection.driver_connection
        cursor = raw.cursor()  # type: ignore[union-attr]
        try:
            if self.postgres:
                with cursor.copy(self.sql) as copy:
                    copy.write("".join(_pg_line(r) for r in self.buffer))
            else:
                cursor.executemany(self.sql, self.buffer)
        finally:
            cursor.close()
        self.count += len(self.buffer)
        self.buffer.clear()
        if self.on_flush:
            self.on_flush(self.count)


IMPORT_LOCK = 4_000_001


def lock_imports(session: Session) -> None:
    """One import at a time, until it commits: an advisory lock on PostgreSQL; on SQLite the
    write transaction (BEGIN IMMEDIATE) already serialises writers."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})


def create_staging(session: Session) -> None:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # joins over a million staged rows: hash them in memory, for this transaction only
        connection.execute(text("SET LOCAL work_mem = '128MB'"))
        _more_temp_buffers(session)
    for table in (STG_HOGAR, STG_MIEMBRO):
        table.create(connection)


def _more_temp_buffers(session: Session) -> None:
    """Temporary tables live in the session's own buffers, 8 MB by default: a million staged
    rows would go to disk and back at every statement. PostgreSQL takes a larger size only
    before the session first touches a temporary table; after that it keeps the one it has."""
    try:
        with session.begin_nested():
            session.execute(text(f"SET LOCAL temp_buffers = '{TEMP_BUFFERS}'"))
    except DBAPIError:
        pass


def index_staging(session: Session) -> None:
    """After loading: statistics on PostgreSQL, which then joins the staged set by hashing
    it (indexes on it would go unused); indexes on SQLite, which joins through them."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        for table in (STG_HOGAR, STG_MIEMBRO):
            connection.execute(text(f"ANALYZE {table.name}"))
        return
    for table, column in STAGING_INDEXES:
        connection.execute(text(f"CREATE INDEX {table}_{column} ON {table} ({column})"))


def drop_staging(session: Session) -> None:
    connection = session.connection()
    for table in (STG_MIEMBRO, STG_HOGAR):
        table.drop(connection)

"""The first load of the padrón on PostgreSQL: while the padrón is empty, an import's rows go
from the raw tables of its files straight into the padrón tables, one INSERT … SELECT per
table, instead of through the typed staging tables, their checks and the upsert.

It takes only what it can take as it is. Each value goes through the same SQL as the
staging (``pgload``), wrapped so that a value the staging would find wrong raises instead
of being NULL (``pg_temp.padron_rechazo``); codes, DNIs, dates and the like are read as
they are in the file, not trimmed, so a value with spaces around it raises too. The checks
that need the whole set are the unique constraints of the padrón (hogar and member
repeated), one aggregate (titular repeated) and the join of each member to its hogar; an
empty padrón cannot hold a titular or a member elsewhere. Whatever raises, the caller rolls
the first load back to its savepoint and runs the import row by row, which reports every
error with its file, line, column and reason — or applies the files, if what stopped the
first load was only a value it does not take as it is.

The ids of the new rows are taken from their sequences at once and numbered by line
(``reserve_ids``), not one nextval() per row; dates are cast once and written back to be
compared with the file (``pgload.sql_date_as_is``). Numbered by line, a member's hogar id
follows from its hogar's line in the hogares' file: a helper connection (``scratch``) can then
check and prepare the members' rows (``prepare_miembros``) while the import's transaction
inserts the hogares, and that transaction inserts them as they are
(``insert_prepared_miembros``).

A large first load also sets aside (``set_aside``) the secondary indexes of the padrón
tables and the primary keys of the members and of the history, and builds them again once
the rows are in (the unique ones then check the repeated codes and DNIs): one sort per index
instead of an insertion per row. The foreign keys that refer to those primary keys go and
come back with them (their tables are empty while the padrón is); when the import cannot
skip the foreign-key triggers (``pgload.checked_by_the_import``: not a superuser), so do the
padrón tables' own foreign keys, each checked again by one join instead of one lookup per
row. The code columns compare byte by byte (``models.code``), which makes these sorts several
times cheaper than under a linguistic collation. It needs the owner of the tables concerned
and happens only in the import's transaction, so a failed or refused import leaves them as
they were, definitions and names alike; until the import commits, the dropped indexes and
constraints keep even readers of those tables waiting (the padrón is empty: there is nothing
to read yet), and writers of the tables the dropped foreign keys refer to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from engine.padron import apply
from engine.padron.apply import HOGAR_COLUMNS, MIEMBRO_COLUMNS, OPTIONAL_CODES, elegible
from engine.padron.models import Hogar, HogarEstadoHistorial, Miembro

TABLES = (Hogar.__tablename__, Miembro.__tablename__, HogarEstadoHistorial.__tablename__)
# rows (hogares + miembros) from which building the secondary indexes after the load is
# cheaper than inserting into them row by row (measured: bench/padron.py)
REBUILD_FROM_ROWS = 100_000
MAINTENANCE_WORK_MEM = "512MB"  # the sorts of the index builds, for this transaction


class Refused(Exception):
    """The first load does not take these files as they are: the import goes row by row."""


def padron_is_empty(session: Session) -> bool:
    """Locks the padrón tables against writers (readers go on) until the import commits, or
    until the caller's savepoint rolls back; then tells whether they are empty."""
    session.execute(text(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE"))
    anything = or_(exists(select(Hogar.id)), exists(select(Miembro.id)))
    return not session.scalar(select(anything))


@dataclass(frozen=True)
class SetAside:
    """An index or a constraint that a large first load drops and builds again after the
    rows, as SQL to drop it and to build it."""

    drop: str
    create: str


# The padrón tables whose primary key a first load builds after the rows: only foreign keys
# of other tables refer to them, which an empty padrón leaves without rows to check again
# (padron_hogar's is kept: the members' and the history's foreign keys would each have to
# check every row again).
PRIMARY_REBUILT = (Miembro.__tablename__, HogarEstadoHistorial.__tablename__)

_SECONDARY = text(
    """
    SELECT x.indrelid::regclass::text, x.indexrelid::regclass::text,
           pg_get_indexdef(x.indexrelid), quote_ident(c.conname), pg_get_constraintdef(c.oid)
    FROM pg_index x
    LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
        AND c.contype IN ('u', 'x')
    WHERE x.indrelid = ANY (CAST(:tables AS regclass[])) AND NOT x.indisprimary
      AND NOT EXISTS (
          SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid)
    ORDER BY x.indexrelid
    """
)
# the primary keys rebuilt; the foreign keys that refer to them, and, with ``checked``, those
# of the padrón tables (the rows' references, checked by one join each when added again)
_CONSTRAINTS = text(
    """
    SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid),
           contype = 'p'
    FROM pg_constraint
    WHERE (contype = 'p' AND conrelid = ANY (CAST(:rebuilt AS regclass[])))
       OR (contype = 'f' AND confrelid = ANY (CAST(:rebuilt AS regclass[])))
       OR (contype = 'f' AND :checked AND conrelid = ANY (CAST(:tables AS regclass[])))
    ORDER BY oid
    """
)
# the owner's rights (an index is a new relation of the table's schema: CREATE on it too)
_OWNED = text(
    "SELECT bool_and(pg_has_role(relowner, 'USAGE') "
    "                AND has_schema_privilege(relnamespace, 'CREATE')) FROM pg_class "
    "WHERE oid = ANY (CAST(:tables AS regclass[])) "
    "OR oid IN (SELECT conrelid FROM pg_constraint "
    "           WHERE contype = 'f' AND confrelid = ANY (CAST(:rebuilt AS regclass[])))"
)


def _constraint(table: str, name: str, definition: str) -> SetAside:
    return SetAside(
        f"ALTER TABLE {table} DROP CONSTRAINT {name}",
        f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}",
    )


def set_aside(session: Session, triggers_skipped: bool) -> list[SetAside]:
    """Drops the indexes of the padrón tables (those no foreign key relies on), the primary
    keys of ``PRIMARY_REBUILT`` with the foreign keys that refer to them and, when the
    import does not skip the foreign-key triggers (``pgload.checked_by_the_import``), the
    foreign keys of the padrón tables, which would check each row; returns them in the order
    to build them again. None when a table concerned is not the current user's (or its
    schema does not let the user create in it)."""
    params = {"tables": list(TABLES), "rebuilt": list(PRIMARY_REBUILT)}
    if not session.scalar(_OWNED, params):
        return []
    primary, foreign = [], []
    for table, name, definition, is_primary in session.execute(
        _CONSTRAINTS, {**params, "checked": not triggers_skipped}
    ):
        (primary if is_primary else foreign).append(_constraint(table, name, definition))
    secondary = []
    for table, index, indexdef, constraint, constraintdef in session.execute(_SECONDARY, params):
        if constraint:
            secondary.append(_constraint(table, constraint, constraintdef))
        else:
            secondary.append(SetAside(f"DROP INDEX {index}", indexdef))
    for item in [*foreign, *secondary, *primary]:  # what depends on another goes first
        session.execute(text(item.drop))
    return [*primary, *secondary, *foreign]


def build_again(session: Session, items: Sequence[SetAside]) -> None:
    """Builds what ``set_aside`` dropped: the sorts and the foreign keys' checks with the
    memory of an index build."""
    if not items:
        return
    session.execute(text(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"))
    for item in items:
        session.execute(text(item.create))


_SEQUENCE = text(
    "SELECT s FROM CAST(pg_get_serial_sequence(:table, 'id') AS regclass) s "
    "WHERE has_sequence_privilege(s, 'UPDATE')"
)
FIRST_LINE = 2  # of the rows of a raw table: the header is line 1


def may_reserve(session: Session, *tables: str) -> bool:
    """Whether the user may take ids at once (``reserve_ids``) from the id sequence of each
    of ``tables``."""
    return all(session.scalar(_SEQUENCE, {"table": table}) is not None for table in tables)


def reserve_ids(session: Session, table: str, count: int) -> int | None:
    """The first of ``count`` ids taken at once from the sequence of ``table``'s id, for new
    rows numbered by their line: millions of calls of nextval(), one per row, cost seconds.
    Nobody else takes ids from it meanwhile: only the padrón's inserts do, and the padrón is
    locked against writers (``padron_is_empty``). None when there is nothing to take or the
    user may not set the sequence: each row then takes its own."""
    sequence = session.scalar(_SEQUENCE, {"table": table}) if count > 0 else None
    if sequence is None:
        return None
    last = session.scalar(
        text("SELECT setval(CAST(:s AS regclass), nextval(CAST(:s AS regclass)) + :n - 1)"),
        {"s": sequence, "n": count},
    )
    return int(last) - count + 1


def _by_line(first_id: int | None, line: ColumnElement[int]) -> dict[str, ColumnElement[int]]:
    """The id column of an INSERT … SELECT and its value for the row of ``line``, from the
    ids reserved from ``first_id`` (``reserve_ids``); none: the column's default."""
    if first_id is None:
        return {}
    return {"id": literal(first_id - FIRST_LINE, Integer) + line}


def _refuse(type_):  # type: ignore[no-untyped-def]
    return cast(func.pg_temp.padron_rechazo(), type_)


def _taken(value: ColumnElement) -> ColumnElement:  # type: ignore[type-arg]
    """The value, or a refusal of the first load where the staging would have found it
    wrong (NULL)."""
    return func.coalesce(value, _refuse(value.type))


def typed(select_sql: str, names: Sequence[str], table) -> Subquery:  # type: ignore[no-untyped-def]
    """``pgload.typed_select`` as a subquery whose columns have the types of the staging
    table ``table`` (OFFSET 0: each value computed once, however often it is used)."""
    columns = [column("line", Integer), *[column(n, table.c[n].type) for n in names]]
    return text(f"{select_sql} OFFSET 0").columns(*columns).subquery("x")


def _stamps(model: type[Hogar] | type[Miembro], at: datetime) -> list[ColumnElement[Any]]:
    """``created_at`` and ``updated_at`` of every new row: the time of the load."""
    return [literal(at, model.created_at.type), literal(at, model.updated_at.type)]


def _insert_select(session: Session, table: Table, columns: list[str], rows: Select[Any]) -> int:
    """``INSERT INTO table (columns) SELECT …``; returns how many rows it inserted."""
    statement = table.insert().from_select(columns, rows)
    return session.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def insert_hogares(  # noqa: PLR0917
    session: Session,
    x: Subquery,
    batch_id: int,
    at: datetime,
    on: date,
    first_id: int | None = None,
) -> int:
    """The hogares of the file into the padrón, as 'validado' when the first validation
    admits them, else 'potencial' (``apply.insert_hogares``' rule); ``first_id``: the first
    of the ids reserved for them (``reserve_ids``)."""
    ids = _by_line(first_id, x.c.line)
    rows = select(
        *ids.values(),
        *[_taken(x.c[s]) for s in HOGAR_COLUMNS.values()],
        _taken(x.c.co_hogar),
        case((elegible(x.c.cse, x.c.cse_vigencia_fin, on), "validado"), else_="potencial"),
        literal(False, Boolean),
        literal(batch_id, Integer),
        *_stamps(Hogar, at),
    )
    columns = [*ids, *HOGAR_COLUMNS, "co_hogar", "estado", "reincorporado", "alta_batch_id"]
    return _insert_select(session, Hogar.__table__, [*columns, "created_at", "updated_at"], rows)


def refuse_repeated_titular(session: Session, batch_id: int) -> None:
    """A DNI titular of two hogares of the file (the padrón was empty: no other place). Fewer
    distinct DNIs than hogares: one sort, cheaper than hashing each DNI into its group."""
    titular = Hogar.dni_titular
    repeated = select(func.count(titular.distinct()) < func.count()).where(
        Hogar.alta_batch_id == batch_id
    )
    if session.scalar(repeated):
        raise Refused("titular repetido")


def _member_values(x: Subquery) -> list[ColumnElement[Any]]:
    """A member's values, each taken as it is or refused (``_taken``), in the order of
    ``MEMBER_VALUES``; a gestante of sexo other than F is refused."""
    male_gestante = and_(x.c.gestante, x.c.sexo != "F")
    return [
        _taken(x.c.dni),
        *[_taken(x.c[c]) for c in MIEMBRO_COLUMNS if c != "gestante"],
        case((male_gestante, _refuse(Boolean)), else_=_taken(x.c.gestante)),
        *[func.nullif(_taken(x.c[c]), "") for c in OPTIONAL_CODES],
    ]


MEMBER_VALUES = (
    "dni",
    *[c for c in MIEMBRO_COLUMNS if c != "gestante"],
    "gestante",
    *OPTIONAL_CODES,
)


def insert_miembros(
    session: Session, x: Subquery, at: datetime, first_id: int | None = None
) -> int:
    """The members of the file, each into the hogar of its co_hogar (none: refused), with the
    rule that a gestante is of sexo F; ``first_id``: the first of the ids reserved for them
    (``reserve_ids``)."""
    ids = _by_line(first_id, x.c.line)
    rows = (
        select(
            *ids.values(),
            _taken(Hogar.id),
            *_member_values(x),
            *_stamps(Miembro, at),
        )
        .select_from(x)
        .outerjoin(Hogar.__table__, Hogar.co_hogar == x.c.co_hogar)
    )
    columns = [*ids, "hogar_id", *MEMBER_VALUES, "created_at", "updated_at"]
    return _insert_select(session, Miembro.__table__, columns, rows)


def prepared_columns() -> list[Column[Any]]:
    """The columns of the members' prepared rows (``prepare_miembros``)."""
    m = Miembro.__table__.c
    return [
        Column("line", Integer),
        Column("hogar_line", Integer),
        *[Column(c, m[c].type) for c in MEMBER_VALUES],
    ]


def prepare_miembros(session: Session, x: Subquery, hogares_raw: str, into: Table) -> int:
    """``insert_miembros``' rows, checked alike, into the table ``into`` (created here, with
    ``prepared_columns``) instead of the padrón: each with the line of its hogar in the raw
    table of the hogares (``hogares_raw``), not yet the hogar's id, and its own line. A helper
    connection (``scratch``) prepares them while the import's transaction inserts the
    hogares, whose ids are then numbered by line (``reserve_ids``) as the members' are.
    Returns how many rows."""
    into.create(session.connection())
    hogar = (
        text(f"SELECT line, co_hogar FROM {hogares_raw}")
        .columns(column("line", Integer), column("co_hogar", Hogar.co_hogar.type))
        .subquery("h")
    )
    rows = (
        select(x.c.line, _taken(hogar.c.line), *_member_values(x))
        .select_from(x)
        .outerjoin(hogar, hogar.c.co_hogar == x.c.co_hogar)
    )
    return _insert_select(session, into, ["line", "hogar_line", *MEMBER_VALUES], rows)


def insert_prepared_miembros(
    session: Session, prepared: Table, at: datetime, first_id: int, first_hogar: int
) -> int:
    """The members' rows ``prepare_miembros`` prepared, into the padrón: ids numbered by
    line from ``first_id``, hogar ids by their hogar's line from ``first_hogar`` (both
    reserved, ``reserve_ids``)."""
    p = prepared.c
    rows = select(
        *_by_line(first_id, p.line).values(),
        *_by_line(first_hogar, p.hogar_line).values(),
        *[p[c] for c in MEMBER_VALUES],
        *_stamps(Miembro, at),
    )
    columns = ["id", "hogar_id", *MEMBER_VALUES, "created_at", "updated_at"]
    return _insert_select(session, Miembro.__table__, columns, rows)


def insert_entries(
    session: Session, batch_id: int, at: datetime, first_hogar: int | None, count: int
) -> None:
    """The history row of each hogar of the batch (``apply.insert_entries``); when the
    hogares' ids were reserved from ``first_hogar`` (``count`` of them), theirs are reserved
    too and numbered alike."""
    table = HogarEstadoHistorial.__tablename__
    if first_hogar is None or (first := reserve_ids(session, table, count)) is None:
        apply.insert_entries(session, batch_id, at)
        return
    ids = literal(first - first_hogar, Integer) + Hogar.id
    apply.insert_entries(session, batch_id, at, ids)

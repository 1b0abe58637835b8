"""PostgreSQL's path of the SISFOH import: the files go into raw staging tables with ``COPY``
(every value as text, with its line), and the checks of each value are SQL over the whole set
— the same rules as ``engine.padron.fields``, which Python applies row by row on SQLite.

The SQL turns each raw value into its staged form (trimmed, upper-cased, a date, a flag…)
or NULL when it is wrong, straight into the typed staging tables that ``checks`` and
``apply`` use. Only the rows found wrong come back to Python, where the checkers of
``fields`` say why: one wording of each reason, whatever the database.

Python's part per row is the C csv reader and writer (to keep each row's line number and
refuse a ragged row as a structural error); the per-value checks cost it nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.padron.csvfiles import (
    ErrorLog,
    SourceFile,
    StructuralError,
    malformed,
    open_rows,
    ragged_reason,
)
from engine.padron.fields import EARLIEST_BIRTH, FALSE, TRUE, Bad, Checker

COPY_CHUNK = 1 << 20  # characters buffered before each write to COPY

# inlined SQL functions of this session (pg_temp): the rules of engine.padron.fields
_FUNCTIONS = (
    # Python's str.strip() for the whitespace a CSV can carry
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_trim(v text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT btrim(v, E' \t\n\r\f\v') $$""",
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_ymd(y int, m int, d int) RETURNS date LANGUAGE sql
    IMMUTABLE AS $$ SELECT CASE WHEN y BETWEEN 1 AND 9999 AND m BETWEEN 1 AND 12 AND d >= 1
    AND d <= extract(day FROM make_date(y, m, 1) + interval '1 month - 1 day')
    THEN make_date(y, m, d) END $$""",
    # fields.parse_date of a trimmed value: ISO (2025-03-31) or dd/mm/yyyy (31/03/2025)
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_fecha(v text) RETURNS date LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE
      WHEN v ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN pg_temp.padron_ymd(
        substr(v, 1, 4)::int, substr(v, 6, 2)::int, substr(v, 9, 2)::int)
      WHEN v ~ '^[0-9]{1,4}/[0-9]{1,4}/[0-9]{4}$' THEN pg_temp.padron_ymd(
        split_part(v, '/', 3)::int, split_part(v, '/', 2)::int, split_part(v, '/', 1)::int)
    END $$""",
)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def t(column: str) -> str:
    return f"pg_temp.padron_trim(r.{column})"


def sql_text(column: str, max_len: int, required: bool = True) -> str:
    """fields.text: trimmed, at most ``max_len`` characters, not empty when required."""
    empty = f" AND {t(column)} <> ''" if required else ""
    return f"CASE WHEN char_length({t(column)}) <= {max_len}{empty} THEN {t(column)} END"


def sql_match(column: str, pattern: str) -> str:
    return f"CASE WHEN {t(column)} ~ '{pattern}' THEN {t(column)} END"


def sql_one_of(column: str, values: Sequence[str]) -> str:
    return f"CASE WHEN upper({t(column)}) IN ({_sql_list(values)}) THEN upper({t(column)}) END"


def sql_flag(column: str) -> str:
    value = f"upper({t(column)})"
    return (
        f"CASE WHEN {value} IN ({_sql_list(sorted(TRUE))}) THEN true "
        f"WHEN {value} IN ({_sql_list(sorted(FALSE))}) THEN false END"
    )


def sql_date(column: str) -> str:
    return f"pg_temp.padron_fecha({t(column)})"


def sql_birth_date(column: str, on: date) -> str:
    """fields.birth_date: a date between 1900-01-01 and the day of the import."""
    value = sql_date(column)
    return (
        f"CASE WHEN {value} BETWEEN DATE '{EARLIEST_BIRTH.isoformat()}' "
        f"AND DATE '{on.isoformat()}' THEN {value} END"
    )


def sql_digits(column: str, length: int, pad: bool = False) -> str:
    """fields.digits, optional: '' when empty; ``pad`` fills with zeros on the left."""
    if pad:
        ok = f"{t(column)} ~ '^[0-9]{{1,{length}}}$'"
        value = f"lpad({t(column)}, {length}, '0')"
    else:
        ok, value = f"{t(column)} ~ '^[0-9]{{{length}}}$'", t(column)
    return f"CASE WHEN {t(column)} = '' THEN '' WHEN {ok} THEN {value} END"


CO_HOGAR = "^[A-Za-z0-9][A-Za-z0-9-]{0,19}$"
DNI = "^[0-9]{8}$"


@dataclass(frozen=True)
class Column:
    """One column of a file: how SQL stages it, and the checker that explains a refusal."""

    name: str
    sql: str
    check: Checker


def create_functions(session: Session) -> None:
    for statement in _FUNCTIONS:
        session.execute(text(statement))


def create_raw(session: Session, table: str, columns: Sequence[str]) -> None:
    body = ", ".join(f"{c} text" for c in columns)
    session.execute(text(f"CREATE TEMPORARY TABLE {table} (line integer, {body})"))


def copy_file(
    session: Session,
    src: SourceFile,
    table: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> tuple[tuple[str, ...], int]:
    """Streams ``src`` into the raw table ``table`` (created here, one text column per column
    of the file, in the file's order, plus ``line``). Returns the optional columns present
    and the number of rows. A ragged row or a broken quote refuses the file."""
    header, reader, handle = open_rows(src, required, optional)
    create_raw(session, table, header.columns)
    names = ", ".join(header.columns)
    sql = f"COPY {table} (line, {names}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({names}))"
    width = len(header.columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    write = writer.writerow
    rows = 0
    raw = session.connection().connection.driver_connection
    with handle, raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        try:
            for row in reader:
                if len(row) != width:
                    if not row or row == [""]:
                        continue
                    raise StructuralError(
                        src.name, reader.line_num + 1, ragged_reason(len(row), width)
                    )
                row.insert(0, reader.line_num + 1)  # type: ignore[arg-type]
                write(row)
                rows += 1
                if buffer.tell() > COPY_CHUNK:
                    copy.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
        except csv.Error as exc:
            raise malformed(src, reader.line_num + 1, exc) from None
        copy.write(buffer.getvalue())
    return header.present_optional, rows


def stage_typed(  # noqa: PLR0917
    session: Session,
    raw: str,
    staged: str,
    columns: Sequence[Column],
    extra: Sequence[tuple[str, str]] = (),
    joins: str = "",
) -> None:
    """INSERT INTO ``staged`` the SQL form of each column (NULL where wrong) and ``extra``
    (name, SQL) pairs."""
    names = ", ".join(["line", *[c.name for c in columns], *[n for n, _ in extra]])
    values = ", ".join(["r.line", *[c.sql for c in columns], *[s for _, s in extra]])
    session.execute(text(f"INSERT INTO {staged} ({names}) SELECT {values} FROM {raw} r {joins}"))


@dataclass(frozen=True)
class RowRule:
    """A check over a row whose values are each right: (column, SQL condition on the staged
    row that makes it wrong, reason)."""

    column: str
    wrong: str
    reason: str


def refuse_wrong(  # noqa: PLR0917
    session: Session,
    src: SourceFile,
    raw: str,
    staged: str,
    columns: Sequence[Column],
    log: ErrorLog,
    rules: Sequence[RowRule] = (),
) -> int:
    """Logs every wrong value (NULL in ``staged``) with the reason its checker gives, and
    every ``rules`` failure on rows otherwise right; deletes those rows from ``staged`` so the
    set checks see only good rows, as on SQLite. Returns how many errors."""
    nulls = [f"(s.{c.name} IS NULL)::int" for c in columns]
    rule_sql = [f"({r.wrong})" for r in rules]
    all_right = " AND ".join(f"s.{c.name} IS NOT NULL" for c in columns)
    rule_count = " + ".join(f"(({all_right}) AND {w})::int" for w in rule_sql) or "0"
    count = f"{' + '.join(nulls)} + {rule_count}"
    total = session.scalar(text(f"SELECT coalesce(sum({count}), 0) FROM {staged} s")) or 0
    if not total:
        return 0
    names = [c.name for c in columns]
    flags = ", ".join(
        [f"s.{n} IS NULL" for n in names] + [f"coalesce({w}, false)" for w in rule_sql]
    )
    rows = session.execute(
        text(
            f"SELECT s.line, {flags}, {', '.join(f'r.{n}' for n in names)} "
            f"FROM {staged} s JOIN {raw} r ON r.line = s.line "
            f"WHERE ({count}) > 0 ORDER BY s.line LIMIT :room"
        ),
        {"room": max(log.room, 1)},
    )
    logged = 0
    width = len(columns)
    for row in rows:
        line, wrong, values = row[0], row[1 : 1 + width + len(rules)], row[1 + width + len(rules) :]
        bad_value = False
        for column, is_wrong, value in zip(columns, wrong, values, strict=False):
            if is_wrong:
                log.add(src.name, line, column.name, _explain(column.check, value))
                logged += 1
                bad_value = True
        if not bad_value:
            for rule, is_wrong in zip(rules, wrong[width:], strict=True):
                if is_wrong:
                    log.add(src.name, line, rule.column, rule.reason)
                    logged += 1
    log.total += total - logged
    session.execute(text(f"DELETE FROM {staged} s WHERE ({count}) > 0"))
    return total


def _explain(check: Checker, value: str) -> str:
    try:
        check(value)
    except Bad as exc:
        return str(exc)
    return "valor no válido"

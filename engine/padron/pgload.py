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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.padron.csvfiles import ErrorLog, SourceFile, numbered_rows, open_rows
from engine.padron.fields import EARLIEST_BIRTH, FALSE, TRUE, Bad, Checker

COPY_CHUNK = 1 << 20  # characters buffered before each write to COPY

# inlined SQL functions of this session (pg_temp): the rules of engine.padron.fields
_FUNCTIONS = (
    # Python's str.strip() for the whitespace a CSV can carry
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_trim(v text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT btrim(v, E' \t\n\r\f\v') $$""",
    # a date from its parts, NULL when there is no such day (integers only: no numeric
    # EXTRACT, no exception)
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_ymd(y int, m int, d int) RETURNS date
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN y BETWEEN 1 AND 9999 AND m BETWEEN 1 AND 12
    AND d BETWEEN 1 AND CASE WHEN m = 2 THEN 28 + (y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0))::int
    WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END THEN make_date(y, m, d) END $$""",
    # fields.parse_date of a trimmed value: ISO (2025-03-31) or dd/mm/yyyy (31/03/2025);
    # shapes told by translate(), which costs far less than a regular expression
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_fecha(v text) RETURNS date LANGUAGE sql
    IMMUTABLE AS $$ SELECT CASE translate(v, '123456789', '000000000')
      WHEN '0000-00-00' THEN pg_temp.padron_ymd(
        substr(v, 1, 4)::int, substr(v, 6, 2)::int, substr(v, 9, 2)::int)
      WHEN '00/00/0000' THEN pg_temp.padron_ymd(
        substr(v, 7, 4)::int, substr(v, 4, 2)::int, substr(v, 1, 2)::int)
      WHEN '0/00/0000' THEN pg_temp.padron_ymd(
        substr(v, 6, 4)::int, substr(v, 3, 2)::int, substr(v, 1, 1)::int)
      WHEN '00/0/0000' THEN pg_temp.padron_ymd(
        substr(v, 6, 4)::int, substr(v, 4, 1)::int, substr(v, 1, 2)::int)
      WHEN '0/0/0000' THEN pg_temp.padron_ymd(
        substr(v, 5, 4)::int, substr(v, 3, 1)::int, substr(v, 1, 1)::int)
    END $$""",
)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def t(column: str) -> str:
    """The value of ``column``, trimmed once per row by ``stage_typed``'s inner select."""
    return f"r.{column}"


def sql_text(column: str, max_len: int, required: bool = True) -> str:
    """fields.text: trimmed, at most ``max_len`` characters, not empty when required."""
    empty = f" AND {t(column)} <> ''" if required else ""
    return f"CASE WHEN char_length({t(column)}) <= {max_len}{empty} THEN {t(column)} END"


# Regular expressions without bounded repetitions ({m,n}) and lengths apart: PostgreSQL runs
# these several times faster than a btrim() over a set of characters or a bounded pattern.
DIGITS = "'^[0-9]+$'"


def sql_digits_exactly(column: str, length: int) -> str:
    """fields.dni and the like: exactly ``length`` ASCII digits."""
    value = t(column)
    return f"CASE WHEN octet_length({value}) = {length} AND {value} ~ {DIGITS} THEN {value} END"


def sql_code(column: str) -> str:
    """fields.co_hogar: letters, digits and '-', up to 20, not starting with '-'."""
    value = t(column)
    return (
        f"CASE WHEN octet_length({value}) BETWEEN 1 AND 20 AND left({value}, 1) <> '-' "
        f"AND {value} ~ '^[A-Za-z0-9-]+$' THEN {value} END"
    )


def _upper(column: str) -> str:
    """ASCII upper case (the values compared against are ASCII), much cheaper than the
    locale's; a non-ASCII value then matches nothing and its checker explains it."""
    return f'upper({t(column)} COLLATE "C")'


def sql_one_of(column: str, values: Sequence[str]) -> str:
    upper = _upper(column)
    return f"CASE WHEN {upper} IN ({_sql_list(values)}) THEN {upper} END"


def sql_flag(column: str) -> str:
    value = _upper(column)
    true = sorted({*TRUE, *(v.replace("Í", "í") for v in TRUE)})  # 'sí' → 'Sí' in ASCII
    return (
        f"CASE WHEN {value} IN ({_sql_list(true)}) THEN true "
        f"WHEN {value} IN ({_sql_list(sorted(FALSE))}) THEN false END"
    )


DAYS = "padron_raw_dias"


def create_days(session: Session) -> None:
    """Every day from 1900 to 2199 written ISO and dd/mm/yyyy: a date is then one hash
    lookup; ``padron_fecha`` reads the rest (other years, d/m/yyyy)."""
    days = "generate_series(DATE '1900-01-01', DATE '2199-12-31', interval '1 day') d"
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE {DAYS} AS "
            f"SELECT to_char(d, 'YYYY-MM-DD') AS txt, d::date AS d FROM {days} UNION ALL "
            f"SELECT to_char(d, 'DD/MM/YYYY'), d::date FROM {days}"
        )
    )
    session.execute(text(f"ANALYZE {DAYS}"))


DAYS_FROM_ROWS = 50_000  # below, building the table of days costs more than it saves


def sql_date(column: str, days: bool) -> str:
    """With ``days``, needs ``date_join(column)`` in the FROM clause."""
    parse = f"pg_temp.padron_fecha({t(column)})"
    return f"coalesce(d_{column}.d, {parse})" if days else parse


def date_join(column: str, days: bool) -> str:
    return f"LEFT JOIN {DAYS} d_{column} ON d_{column}.txt = {t(column)}" if days else ""


def sql_birth_date(column: str, on: date, days: bool) -> str:
    """fields.birth_date: a date between 1900-01-01 and the day of the import."""
    value = sql_date(column, days)
    return (
        f"CASE WHEN {value} BETWEEN DATE '{EARLIEST_BIRTH.isoformat()}' "
        f"AND DATE '{on.isoformat()}' THEN {value} END"
    )


def sql_digits(column: str, length: int, pad: bool = False) -> str:
    """fields.digits, optional: '' when empty; ``pad`` fills with zeros on the left."""
    digits_only = f"{t(column)} ~ {DIGITS}"
    if pad:
        ok = f"octet_length({t(column)}) <= {length} AND {digits_only}"
        value = f"lpad({t(column)}, {length}, '0')"
    else:
        ok, value = f"octet_length({t(column)}) = {length} AND {digits_only}", t(column)
    return f"CASE WHEN {t(column)} = '' THEN '' WHEN {ok} THEN {value} END"


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
    *,
    on_rows: Callable[[int], None] | None = None,
) -> tuple[tuple[str, ...], int]:
    """Streams ``src`` into the raw table ``table`` (created here, one text column per column
    of the file, in the file's order, plus ``line``). Returns the optional columns present
    and the number of rows. A ragged row or a broken quote refuses the file."""
    header, reader, handle = open_rows(src, required, optional)
    create_raw(session, table, header.columns)
    names = ", ".join(header.columns)
    sql = f"COPY {table} (line, {names}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({names}))"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    write = writer.writerow
    rows = 0
    raw = session.connection().connection.driver_connection
    with handle, raw.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for line, row in numbered_rows(src, reader, len(header.columns)):
            row.insert(0, line)  # type: ignore[arg-type]
            write(row)
            rows += 1
            if buffer.tell() > COPY_CHUNK:
                copy.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
                if on_rows:
                    on_rows(rows)
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
    # OFFSET 0 keeps the subquery whole, so each value is trimmed once, not once per use
    trimmed = ", ".join(["line", *[f"pg_temp.padron_trim({c.name}) AS {c.name}" for c in columns]])
    source = f"(SELECT {trimmed} FROM {raw} OFFSET 0) r"
    session.execute(text(f"INSERT INTO {staged} ({names}) SELECT {values} FROM {source} {joins}"))


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


# the parents the import's foreign keys point to, besides the hogares it writes itself
# (hogares are never deleted: they change state)
_PARENTS = (
    "SELECT 1 FROM padron_ubigeo FOR KEY SHARE",
    "SELECT 1 FROM org_unit WHERE kind = 'territorial' FOR KEY SHARE",
)
_MAY_SKIP = text(
    "SELECT current_setting('is_superuser') = 'on' "
    "OR has_parameter_privilege('session_replication_role', 'SET')"
)


@contextmanager
def checked_by_the_import(session: Session) -> Iterator[bool]:
    """While applying a checked import, PostgreSQL skips its per-row foreign-key triggers:
    every reference the apply writes was proved by the set checks (ubigeo and UT from the
    catalogue joined in ``stage_typed``, hogar ids from the join that inserts the members),
    and the parents are locked as the triggers would (FOR KEY SHARE). The same technique as
    pg_restore's --disable-triggers; it needs a superuser or ``GRANT SET ON PARAMETER
    session_replication_role`` (PostgreSQL 15), and without either the triggers run.
    Unique and check constraints still hold. Yields whether the triggers were skipped."""
    if not session.scalar(_MAY_SKIP):
        yield False
        return
    for statement in _PARENTS:
        session.execute(text(statement))
    session.execute(text("SET LOCAL session_replication_role = replica"))
    try:
        yield True
    finally:
        session.execute(text("SET LOCAL session_replication_role = origin"))

"""PostgreSQL's path of the SISFOH import: the files go into raw staging tables with ``COPY``
(every value as text, with its line), and the checks of each value are SQL over the whole set
— the same rules as ``engine.padron.fields``, which Python applies row by row on SQLite.

The SQL turns each raw value into its staged form (trimmed, upper-cased, a date, a flag…)
or NULL when it is wrong, straight into the typed staging tables that ``checks`` and
``apply`` use. Only the rows found wrong come back to Python, where the checkers of
``fields`` say why: one wording of each reason, whatever the database.

A file PostgreSQL's CSV parser reads exactly as Python's csv module does (``copy_plain``:
every quote around a whole field on one line, no lone carriage return, no blank line, no
line near the csv module's field limit) goes to ``COPY`` as it is, bytes and encoding, and
the server numbers its lines; any other file, or one the server refuses, is read by
Python's C csv reader and writer row by row (``copy_file``), which keeps each row's line and
refuses a ragged row or a broken quote as a structural error.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlalchemy.orm import Session

from engine.padron.csvfiles import (
    CHUNK,
    ErrorLog,
    Header,
    SourceFile,
    header_of,
    numbered_rows,
    open_rows,
)
from engine.padron.fields import EARLIEST_BIRTH, FALSE, TRUE, Bad, Checker

COPY_CHUNK = 1 << 20  # characters buffered before each write to COPY

# inlined SQL functions of this session (pg_temp): the rules of engine.padron.fields
_FUNCTIONS = (
    # Python's str.strip() for the whitespace a CSV can carry (\x0b, the vertical tab: an
    # escape string has no \v, which would be the letter v)
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_trim(v text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT btrim(v, E' \t\n\r\f\x0b') $$""",
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
    # the first load's answer to a value it cannot take as it is: the import falls back to
    # the checks row by row, which say what is wrong and where (a data exception, SQLSTATE 22)
    r"""CREATE OR REPLACE FUNCTION pg_temp.padron_rechazo() RETURNS text LANGUAGE plpgsql
    VOLATILE AS $$ BEGIN RAISE EXCEPTION 'padron: valor no aceptado en la primera carga'
    USING ERRCODE = '22000'; END $$""",
)


def _sql_list(values: Sequence[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def t(column: str) -> str:
    """The value of ``column``, trimmed once per row by ``stage_typed``'s inner select."""
    return f"r.{column}"


def sql_text(column: str, max_len: int, required: bool = True) -> str:
    """fields.text: trimmed, at most ``max_len`` characters, not empty when required (at
    most that many bytes is enough: counting the characters of UTF-8 reads them all)."""
    value = t(column)
    short = f"(octet_length({value}) <= {max_len} OR char_length({value}) <= {max_len})"
    empty = f" AND {value} <> ''" if required else ""
    return f"CASE WHEN {short}{empty} THEN {value} END"


# Regular expressions without bounded repetitions ({m,n}) and lengths apart: PostgreSQL runs
# these several times faster than a btrim() over a set of characters or a bounded pattern.
DIGITS = "'^[0-9]+$'"
CODE = "'^[A-Za-z0-9-]+$'"


def matches(value: str, pattern: str) -> str:
    """``value`` matches the regular expression ``pattern`` (SQL), compared as bytes: ranges
    like [0-9] match the same characters under any collation, and twice as fast under "C"
    as under the database's (measured: bench/padron.py)."""
    return f'{value} COLLATE "C" ~ {pattern}'


def sql_digits_exactly(column: str, length: int) -> str:
    """fields.dni and the like: exactly ``length`` ASCII digits."""
    value = t(column)
    return (
        f"CASE WHEN octet_length({value}) = {length} AND {matches(value, DIGITS)} THEN {value} END"
    )


def sql_code(column: str) -> str:
    """fields.co_hogar: letters, digits and '-', up to 20, not starting with '-'."""
    value = t(column)
    return (
        f"CASE WHEN octet_length({value}) BETWEEN 1 AND 20 AND left({value}, 1) <> '-' "
        f"AND {matches(value, CODE)} THEN {value} END"
    )


def _upper(column: str) -> str:
    """ASCII upper case (the values compared against are ASCII), much cheaper than the
    locale's; a non-ASCII value then matches nothing and its checker explains it."""
    return f'upper({t(column)} COLLATE "C")'


def sql_one_of(column: str, values: Sequence[str]) -> str:
    """fields.one_of: one of ``values`` (upper case) in any case; as written, the common
    case, without upper-casing."""
    upper, listed = _upper(column), _sql_list(values)
    return (
        f"CASE WHEN {t(column)} IN ({listed}) THEN {t(column)} "
        f"WHEN {upper} IN ({listed}) THEN {upper} END"
    )


def sql_flag(column: str) -> str:
    value = _upper(column)
    true = sorted({*TRUE, *(v.replace("Í", "í") for v in TRUE)})  # 'sí' → 'Sí' in ASCII
    # '0' and '1', the common case, without upper-casing
    return (
        f"CASE {t(column)} WHEN '0' THEN false WHEN '1' THEN true ELSE "
        f"CASE WHEN {value} IN ({_sql_list(true)}) THEN true "
        f"WHEN {value} IN ({_sql_list(sorted(FALSE))}) THEN false END END"
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


def sql_date_cast(column: str) -> str:
    """The first load's cast of a date (``typed_select``'s ``inner``: once per row, however
    often ``sql_date_as_is`` uses it): the day a value of 10 characters reads as, else NULL —
    or the cast's error. Needs DateStyle 'ISO, DMY'. A hash lookup in the table of days costs
    several times more."""
    v = t(column)
    return f"CASE WHEN octet_length({v}) = 10 THEN {v}::date END"


def sql_date_as_is(column: str, cast: str, also: str = "") -> str:
    """The first load's reading of a date: the day ``cast`` (``sql_date_cast(column)``) when
    the value is written exactly as ISO (2025-03-31) or dd/mm/yyyy (31/03/2025) writes that
    day back, and the condition ``also`` on it holds; else NULL — no day the staging would
    not read the same."""
    v = t(column)
    written = (
        f"CASE WHEN substr({v}, 3, 1) = '/' THEN to_char({cast}, 'DD/MM/YYYY') "
        f"ELSE {cast}::text END"
    )
    condition = f"{also} AND " if also else ""
    return f"CASE WHEN {condition}{written} = {v} THEN {cast} END"


def sql_birth_date(column: str, on: date, days: bool) -> str:
    """fields.birth_date: a date between 1900-01-01 and the day of the import."""
    return sql_birth_range(sql_date(column, days), on)


def birth_range(value: str, on: date) -> str:
    """The date ``value`` is between 1900-01-01 and ``on`` (SQL, a condition)."""
    return f"{value} BETWEEN DATE '{EARLIEST_BIRTH.isoformat()}' AND DATE '{on.isoformat()}'"


def sql_birth_range(value: str, on: date) -> str:
    """The date ``value`` when it is between 1900-01-01 and ``on``, else NULL (``value`` is
    evaluated up to twice: a column, or cheap SQL)."""
    return f"CASE WHEN {birth_range(value, on)} THEN {value} END"


def sql_digits(column: str, length: int, pad: bool = False) -> str:
    """fields.digits, optional: '' when empty; ``pad`` fills with zeros on the left."""
    digits_only = matches(t(column), DIGITS)
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


def create_raw(
    session: Session,
    table: str,
    columns: Sequence[str],
    numbered: bool = False,
    unlogged: bool = False,
) -> None:
    """The raw table of a file: its line, then one text column per column of the file.
    ``numbered``: the server numbers the rows from line 2 (each row one line, in order);
    ``unlogged``: a scratch table other sessions read (``scratch``), else a temporary one."""
    body = ", ".join(f"{c} text" for c in columns)
    # the numbers taken from the session's cache of the sequence, not one by one
    numbering = " GENERATED ALWAYS AS IDENTITY (START WITH 2 CACHE 100000)"
    line = "line integer" + (numbering if numbered else "")
    kind = "UNLOGGED" if unlogged else "TEMPORARY"
    session.execute(text(f"CREATE {kind} TABLE {table} ({line}, {body})"))


def copy_file(
    session: Session,
    src: SourceFile,
    table: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    on_rows: Callable[[int], None] | None = None,
    unlogged: bool = False,
) -> tuple[tuple[str, ...], int]:
    """Streams ``src`` into the raw table ``table`` (created here, one text column per column
    of the file, in the file's order, plus ``line``; ``create_raw``'s ``unlogged``). Returns
    the optional columns present and the number of rows. A ragged row or a broken quote
    refuses the file."""
    header, reader, handle = open_rows(src, required, optional)
    create_raw(session, table, header.columns, unlogged=unlogged)
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


class NotPlain(Exception):
    """The file needs Python's csv reader: PostgreSQL's might read it otherwise."""


_QUOTED = re.compile(rb'"[^"\r\n]*(?:""[^"\r\n]*)*"')  # a quoted field on one line
_MARK = b"\x00"  # never in a file that passed inspect_file
# Python's csv refuses a field longer than csv.field_size_limit() (131,072 characters): a
# line with no newline in some aligned window of half that many bytes goes to Python.
_WINDOW = csv.field_size_limit() // 2
_COPY_ENCODING = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "cp1252": "WIN1252"}


def _bad_marks(delimiter: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """A mark followed by anything but a delimiter or a line end; and, in the reversed text,
    a mark preceded by anything but a delimiter or a line start (searched from the mark)."""
    d = re.escape(delimiter)
    return re.compile(_MARK + b"[^\r\n" + d + b"]"), re.compile(_MARK + b"[^\n" + d + b"]")


_BAD_MARKS = {d: _bad_marks(d) for d in (b",", b";")}


def _unquoted(lines: bytes, delimiter: bytes) -> bytes | None:
    """The whole lines ``lines`` with each quoted field replaced by a mark, when they read the
    same with PostgreSQL's CSV parser as with Python's csv module (strict): line ends are LF
    or CRLF; every quote belongs to a quoted field that is a whole field on one line (after a
    delimiter or the line's start, before a delimiter or the line's end); no line is long
    enough for Python's field limit. None when they do not."""
    if b"\r" in lines and lines.count(b"\r") != lines.count(b"\r\n"):
        return None
    for start in range(0, len(lines), _WINDOW):
        if lines.find(b"\n", start, start + _WINDOW) < 0:
            return None
    if b'"' not in lines:
        return lines
    marked = _QUOTED.sub(_MARK, lines)
    if b'"' in marked:
        return None
    bad_after, bad_before = _BAD_MARKS[delimiter]
    if bad_after.search(marked) or bad_before.search(marked[::-1]):
        return None
    return marked


def _plain(lines: bytes, delimiter: bytes) -> bool:
    return _unquoted(lines, delimiter) is not None


# a field's edges as one byte: its delimiter or a line end (quoted fields are marks by then)
_EDGES = {d: bytes.maketrans(d + b"\r", b"\n\n") for d in (b",", b";")}


def _spaced(lines: bytes, unquoted: bytes, delimiter: bytes) -> bool:
    """Whether some field of the plain whole lines ``lines`` (``unquoted``: as ``_unquoted``
    gives them) may begin or end with whitespace that ``padron_trim`` removes: a space next to
    a delimiter, a line end or a quote, or any tab, form feed or vertical tab (a field on one
    line holds no other). A 'yes' for a field that has none (a doubled quote after a space)
    only costs the trims."""
    if b"\t" in lines or b"\f" in lines or b"\x0b" in lines:
        return True
    edges = unquoted.translate(_EDGES[delimiter])
    if edges[:1] == b" " or b" \n" in edges or b"\n " in edges:
        return True
    return unquoted is not lines and (b'" ' in lines or b' "' in lines)


def copy_plain(
    session: Session,
    src: SourceFile,
    table: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    *,
    on_rows: Callable[[int], None] | None = None,
    unlogged: bool = False,
) -> tuple[Header, int, bool]:
    """Sends ``src`` to ``COPY`` as it is (the server parses it) into the raw table ``table``
    (``create_raw``'s ``unlogged``), whose lines the server numbers; returns the header, the
    number of rows and whether some value may have whitespace around it (``_spaced``: else
    trimming changes none). Raises ``NotPlain`` when the file needs Python's reader
    (``_unquoted``) or has a row that is not one line; a file the server refuses raises its
    error. The caller runs this in a savepoint and falls back to ``copy_file``."""
    with src.path.open("rb") as handle:
        first = handle.readline()
        if first.count(b"\r") != first.count(b"\r\n"):
            raise NotPlain
        header = header_of(src, codecs.decode(first, src.encoding), required, optional)
        create_raw(session, table, header.columns, numbered=True, unlogged=unlogged)
        names = ", ".join(header.columns)
        options = (
            f"FORMAT csv, DELIMITER '{header.delimiter}', "
            f"ENCODING '{_COPY_ENCODING[src.encoding]}', FORCE_NOT_NULL ({names})"
        )
        delimiter = header.delimiter.encode()
        lines, tail, spaced = 0, b"", False
        raw = session.connection().connection.driver_connection
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN ({options})") as copy:
                while chunk := handle.read(CHUNK):
                    chunk = tail + chunk
                    cut = chunk.rfind(b"\n") + 1
                    if not cut and len(chunk) >= 2 * _WINDOW:
                        raise NotPlain
                    whole, tail = chunk[:cut], chunk[cut:]
                    unquoted = _unquoted(whole, delimiter)
                    if unquoted is None:
                        raise NotPlain
                    spaced = spaced or _spaced(whole, unquoted, delimiter)
                    copy.write(whole)
                    lines += whole.count(b"\n")
                    if on_rows:
                        on_rows(lines)
                if tail:
                    last = tail + b"\n"
                    unquoted = _unquoted(last, delimiter)
                    if unquoted is None:
                        raise NotPlain
                    spaced = spaced or _spaced(last, unquoted, delimiter)
                    copy.write(tail)
                    lines += 1
            rows = cursor.rowcount
    if rows != lines:  # a row over several lines, or the end-of-data marker
        raise NotPlain
    return header, rows, spaced


def typed_select(  # noqa: PLR0917
    raw: str,
    columns: Sequence[Column],
    extra: Sequence[tuple[str, str]] = (),
    joins: str = "",
    trim: Collection[str] | None = None,
    sql: Mapping[str, str] | None = None,
    inner: Sequence[tuple[str, str]] = (),
) -> str:
    """SELECT of ``raw``'s line, the SQL form of each column (NULL where wrong; ``sql``
    replaces some) and ``extra`` (name, SQL) pairs. The values are trimmed first, only those
    of ``trim`` if given: every other column's SQL then takes the value as it is in the file,
    and a value with spaces around it comes out NULL — never another value than its trimmed
    form would give. ``inner`` (name, SQL over the raw values) pairs are computed once per
    row, however often the columns' SQL uses them (``r.name``)."""
    sql = sql or {}
    values = ", ".join(
        [
            "r.line",
            *[f"{sql.get(c.name, c.sql)} AS {c.name}" for c in columns],
            *[f"{s} AS {n}" for n, s in extra],
        ]
    )
    trimmed = {c.name for c in columns} if trim is None else set(trim)
    read = [
        f"pg_temp.padron_trim({t(c.name)}) AS {c.name}" if c.name in trimmed else t(c.name)
        for c in columns
    ]
    read += [f"{s} AS {n}" for n, s in inner]
    # OFFSET 0 keeps the subquery whole, so each value is read once, not once per use
    source = f"(SELECT {', '.join([t('line'), *read])} FROM {raw} r OFFSET 0) r"
    return f"SELECT {values} FROM {source} {joins}"


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
    select = typed_select(raw, columns, extra, joins)
    session.execute(text(f"INSERT INTO {staged} ({names}) {select}"))


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


def may_skip_triggers(session: Session) -> bool:
    """Whether this session's imports skip the foreign-key triggers (``checked_by_the_import``)."""
    return bool(session.scalar(_MAY_SKIP))


@contextmanager
def checked_by_the_import(session: Session) -> Iterator[bool]:
    """While applying a checked import, PostgreSQL skips its per-row foreign-key triggers:
    every reference the apply writes was proved by the set checks (ubigeo and UT from the
    catalogue joined in ``stage_typed``, hogar ids from the join that inserts the members),
    and the parents are locked as the triggers would (FOR KEY SHARE). The same technique as
    pg_restore's --disable-triggers; it needs a superuser or ``GRANT SET ON PARAMETER
    session_replication_role`` (PostgreSQL 15), and without either the triggers run.
    Unique and check constraints still hold. Yields whether the triggers were skipped."""
    if not may_skip_triggers(session):
        yield False
        return
    for statement in _PARENTS:
        session.execute(text(statement))
    session.execute(text("SET LOCAL session_replication_role = replica"))
    # on an error the transaction (or the savepoint around this) rolls back, and the setting
    # with it: no statement may run in a transaction that failed
    yield True
    session.execute(text("SET LOCAL session_replication_role = origin"))

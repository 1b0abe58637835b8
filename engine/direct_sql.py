"""Prebuilt Core statements run straight on the DBAPI cursor of a session's connection.

A step of the engine runs the same few statements every time. For each execution
SQLAlchemy computes the statement's cache key, looks up its compiled form, and builds an
execution context and a result object. Measured on the engine's own statements, in a write
transaction: reading an instance's open tasks took 115–150 µs of CPU through
``Connection.execute`` and 12–22 µs here on SQLite (330–370 µs and 160–180 µs on
PostgreSQL); marking a task completed 72–80 µs against 18–22 µs (216 µs against 130–155 µs).
Here SQLAlchemy compiles a statement once per dialect and set of parameter names — the same
SQL, the same type conversions of parameters and results, the same Python-side column
defaults, the same exception classes — and later executions go to the cursor directly, in
the caller's transaction (the session's connection).

What it does not do: flush the session, or fire SQLAlchemy's statement events. For
statements built once at import time (module constants): plans are kept by statement for
the life of the process. An INSERT … RETURNING of several rows at once goes through
SQLAlchemy (``rows_of_each``), which sends them in one statement.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import Compiled

Params = Mapping[str, Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    order: tuple[str, ...] | None  # qmark/format dialects: the parameters' names, in order
    fixed: dict[str, Any]  # values the statement carries itself (literals, IN lists)
    binds: dict[str, Callable[[Any], Any]]  # conversions of the caller's parameters
    defaults: tuple[tuple[str, Callable[[], Any]], ...]  # Python-side column defaults
    row: Callable[..., Any] | None  # builds one result row (None: no rows)
    # conversions of a row's values, one per column (None: no value is converted)
    results: tuple[Callable[[Any], Any] | None, ...] | None

    def parameters(self, params: Params) -> Sequence[Any] | dict[str, Any]:
        values = dict(self.fixed)
        for name, default in self.defaults:
            values[name] = default()
        for name, value in params.items():
            convert = self.binds.get(name)
            values[name] = value if convert is None else convert(value)
        if self.order is None:
            return values
        return [values[name] for name in self.order]

    def make_row(self, raw: Sequence[Any]) -> Any:
        assert self.row is not None
        if self.results is not None:
            pairs = zip(self.results, raw, strict=True)
            raw = [v if f is None or v is None else f(v) for f, v in pairs]
        return self.row(*raw)


# by statement (statements compare and hash by identity), dialect and parameter names
_PLANS: dict[tuple[Executable, str, tuple[str, ...]], _Plan] = {}


def _plan_of(connection: Connection, statement: Executable, params: Params) -> _Plan:
    """The plan of ``statement`` for this dialect and these parameter names (the columns an
    INSERT or UPDATE without its own VALUES writes are those given). Two threads planning
    the same statement at once make the same plan: the last one is kept."""
    key = (statement, connection.dialect.name, tuple(params))
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _compile(statement, connection.dialect, list(params))
    return plan


def _compile(statement: Executable, dialect: Dialect, names: list[str]) -> _Plan:
    compiled: Compiled = statement.compile(dialect=dialect, column_keys=names)  # type: ignore[attr-defined]
    required = [name for name, bind in compiled.binds.items() if bind.required]  # type: ignore[attr-defined]
    missing = sorted(set(required) - set(names))
    if missing:
        raise TypeError(f"missing parameters {missing} for: {compiled.string}")
    # With a placeholder for the caller's values, the statement's own IN lists are rendered
    # as plain parameters whose values are known now.
    expanded = compiled.construct_expanded_state(dict.fromkeys(required))
    convert: dict[str, Callable[[Any], Any]] = {}
    for name in expanded.parameters:
        bind = compiled.binds.get(name)  # type: ignore[attr-defined]
        processor = (
            bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind is not None
            else expanded.processors.get(name)
        )
        if processor is not None:
            convert[name] = processor
    fixed = {
        name: convert[name](value) if name in convert else value
        for name, value in expanded.parameters.items()
        if name not in required
    }
    binds = {name: convert[name] for name in required if name in convert}
    defaults = tuple(_defaults(compiled, convert))
    order = tuple(expanded.positiontup) if expanded.positiontup is not None else None
    # Read off a copy: SQLAlchemy memoizes them on the statement, and statements derived from
    # it later (``.returning()``, ``.cte()``) would inherit that stale memo.
    columns = list(getattr(statement.execution_options(), "exported_columns", ()) or ())
    if not columns:
        return _Plan(expanded.statement, order, fixed, binds, defaults, None, None)
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    row = namedtuple("Row", [c.key or "" for c in columns], rename=True)  # type: ignore[misc]
    converts = results if any(results) else None
    return _Plan(expanded.statement, order, fixed, binds, defaults, row, converts)


def _defaults(
    compiled: Compiled, convert: dict[str, Callable[[Any], Any]]
) -> list[tuple[str, Callable[[], Any]]]:
    """The columns an INSERT or UPDATE fills from their Python-side default (or onupdate),
    as SQLAlchemy would at each execution: a constant, or a function called each time."""
    found = []
    inserting = compiled.insert_prefetch  # type: ignore[attr-defined]
    for column in [*inserting, *compiled.update_prefetch]:  # type: ignore[attr-defined]
        default = column.default if column in inserting else column.onupdate
        name = compiled.bind_names[compiled.binds[column.key]]  # type: ignore[attr-defined]
        if not (default.is_scalar or default.is_callable):
            raise TypeError(f"{column}: its default cannot be computed outside SQLAlchemy")
        found.append((name, _default_value(default, convert.get(name))))
    return found


def _default_value(default: Any, to_db: Callable[[Any], Any] | None) -> Callable[[], Any]:
    if default.is_scalar:
        value = default.arg if to_db is None else to_db(default.arg)
        return lambda: value
    make = default.arg  # SQLAlchemy wraps the function to take an execution context
    return (lambda: make(None)) if to_db is None else (lambda: to_db(make(None)))


def _cursor(connection: Connection) -> Any:
    """One cursor per DBAPI connection, kept with it and used again (a new cursor costs
    psycopg about 20 µs); a new one if the pool has replaced the DBAPI connection."""
    driver = connection.connection.driver_connection  # type: ignore[union-attr]
    kept = connection.info.get(_CURSOR)
    if kept is None or kept[0] is not driver:
        kept = connection.info[_CURSOR] = (driver, driver.cursor())  # type: ignore[union-attr]
    return kept[1]


_CURSOR = "direct_sql.cursor"


def _run(
    connection: Connection, statement: Executable, params: Params, many: Sequence[Params] = ()
) -> tuple[_Plan, Any]:
    """Executes on the connection's cursor (``many``: once per parameter set, ``params``
    naming their keys); a driver error is raised as SQLAlchemy's (``IntegrityError``,
    ``OperationalError``… what callers catch), with the statement."""
    plan = _plan_of(connection, statement, params)
    dbapi = connection.dialect.loaded_dbapi
    cursor = _cursor(connection)
    values: Any = None
    try:
        if many:
            values = [plan.parameters(p) for p in many]
            cursor.executemany(plan.sql, values)
        else:
            values = plan.parameters(params)
            cursor.execute(plan.sql, values)
    except dbapi.Error as exc:
        raise DBAPIError.instance(
            plan.sql, values, exc, dbapi.Error, dialect=connection.dialect
        ) from exc
    return plan, cursor


def execute(connection: Connection, statement: Executable, params: Params | None = None) -> int:
    """Runs ``statement`` (no rows back) in the connection's transaction; returns how
    many rows it changed."""
    _plan, cursor = _run(connection, statement, params or {})
    return int(cursor.rowcount)


def execute_many(connection: Connection, statement: Executable, many: Sequence[Params]) -> None:
    """Runs ``statement`` once per parameter set (all with the same keys), no rows back."""
    if many:
        _run(connection, statement, many[0], many)


def rows(connection: Connection, statement: Executable, params: Params | None = None) -> list[Any]:
    """The rows ``statement`` returns, as named tuples, with SQLAlchemy's conversions."""
    plan, cursor = _run(connection, statement, params or {})
    fetched = cursor.fetchall()
    return [plan.make_row(raw) for raw in fetched]


def first(connection: Connection, statement: Executable, params: Params | None = None) -> Any:
    """The first row ``statement`` returns, or None."""
    found = rows(connection, statement, params)
    return found[0] if found else None


def rows_of_each(
    connection: Connection, statement: Executable, many: Sequence[Params]
) -> list[Any]:
    """What an INSERT … RETURNING returns for each parameter set, in their order. One set
    runs directly; several go through SQLAlchemy, which sends them in one statement (the
    statement must say ``returning(…, sort_by_parameter_order=True)``)."""
    if len(many) == 1:
        return rows(connection, statement, many[0])
    return list(connection.execute(statement, list(many)))

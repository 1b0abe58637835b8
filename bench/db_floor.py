"""The database's share of a task completion on PostgreSQL, for ``engine.py``.

The statements the engine sends for one human-task completion are recorded at the driver
(psycopg), with their parameters, while the engine completes a task; that completion's
COMMIT is turned into a ROLLBACK, so the database is left as it was and the same statements
can be sent again unchanged. They are then replayed alone — no engine, no SpiffWorkflow —
each replay rolled back, and what a COMMIT costs more than a ROLLBACK (the flush of the
write-ahead log) is measured on its own and added. The sum is the least time a completion
can take on this server with these statements, whatever the engine's own code costs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from engine.db import Database

Statement = tuple[str, Any, bool]  # SQL, parameters, executemany


@contextmanager
def _recorded(statements: list[Statement]) -> Iterator[None]:
    """Records what every psycopg cursor executes; a commit rolls back instead."""
    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    commit = psycopg.Connection.commit

    def record(cursor, query, params=None, **kw):  # type: ignore[no-untyped-def]
        statements.append((query, params, False))
        return execute(cursor, query, params, **kw)

    def record_many(cursor, query, params_seq, **kw):  # type: ignore[no-untyped-def]
        params_seq = list(params_seq)
        statements.append((query, params_seq, True))
        return executemany(cursor, query, params_seq, **kw)

    psycopg.Cursor.execute, psycopg.Cursor.executemany = record, record_many  # type: ignore[method-assign]
    psycopg.Connection.commit = psycopg.Connection.rollback  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.executemany = execute, executemany  # type: ignore[method-assign]
        psycopg.Connection.commit = commit  # type: ignore[method-assign]


def record_completion(complete: Callable[[], object]) -> list[Statement]:
    """The statements of ``complete()`` (one completion in its own write transaction),
    which is rolled back."""
    statements: list[Statement] = []
    with _recorded(statements):
        complete()
    return statements


def replay(db: Database, statements: list[Statement], n: int) -> dict[str, float]:
    """The statements sent ``n`` times, each time in a transaction then rolled back, plus
    the extra cost of a COMMIT: completions per second if that were all a completion did
    (``per_second``, comparable with the other rounds'), and client CPU ms per completion."""
    raw = db.engine.raw_connection()
    try:
        conn: psycopg.Connection[Any] = raw.driver_connection  # type: ignore[assignment]
        cursor = conn.cursor()

        def once() -> None:
            for query, params, many in statements:
                if many:
                    cursor.executemany(query, params)
                else:
                    cursor.execute(query, params)
                    if cursor.description:
                        cursor.fetchall()
            conn.rollback()

        for _ in range(10):  # psycopg prepares a statement from its 5th execution
            once()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            once()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        commit = commit_extra_ms(conn, max(n, 200))
    finally:
        raw.close()
    return {
        "statements": len(statements),
        "per_second": 1000 / (wall * 1000 / n + commit),
        "client_cpu_ms": cpu * 1000 / n,
        "commit_extra_ms": commit,
    }


def commit_extra_ms(conn: psycopg.Connection[Any], n: int) -> float:
    """What a COMMIT of a one-row write costs more than a ROLLBACK of it (the WAL flush),
    in ms: the same UPDATE of the audit head ended both ways, in alternate halves."""
    cursor = conn.cursor()
    touch = "UPDATE audit_head SET last_seq = last_seq WHERE id = 1"
    ends = {"commit": conn.commit, "rollback": conn.rollback}
    spent = dict.fromkeys(ends, 0.0)
    for _ in range(2):
        for name, end in ends.items():
            start = time.perf_counter()
            for _ in range(n // 2):
                cursor.execute(touch)
                end()
            spent[name] += time.perf_counter() - start
    return max(0.0, (spent["commit"] - spent["rollback"]) * 1000 / n)

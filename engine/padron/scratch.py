"""Helper connections of a large PostgreSQL import, which work while the import's own
transaction does: one PostgreSQL backend runs on one core, and the import's statements on
the padrón run one after another.

A helper copies a file into its raw table, or prepares the members' rows for the first load
(``firstload.prepare_miembros``) while the import's transaction inserts the hogares. What a
helper writes is scratch, never the padrón: unlogged tables named ``padron_scratch_<token>_…``
in the schema of the import's tables, which each helper commits so that the import's
transaction can read them (it reads committed rows: READ COMMITTED). The padrón itself
changes only in the import's transaction, all or nothing as ever.

The import's transaction drops the scratch tables when it is done with them; whatever it
did not drop — it failed, or the caller rolled it back — a helper drops once that
transaction ends (``after_transaction_end``: its locks on them are gone by then), and what a
crash left behind the next import drops (``sweep``), under the lock that lets one import run
at a time. Helpers act as the import's role (``SET ROLE``), so the tables are the same
user's as the padrón's raw tables would be.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Column, MetaData, Table, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

from engine.padron import pgload

log = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "padron_scratch_"
WORKERS = 2  # helpers at once: the two files' copies
LOCK_TIMEOUT = "5s"  # a drop never waits long for a transaction that still reads a table

# the import's transaction may take them: it reads what a helper commits as soon as it is
# committed, acts as a role whose session user may also be it, creates in its schema
_FIT = text(
    "SELECT current_setting('transaction_isolation') = 'read committed' "
    "AND pg_has_role(session_user, current_user, 'MEMBER') "
    "AND has_schema_privilege(current_schema(), 'CREATE'), current_user, current_schema()"
)
_SWEPT = text(
    "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
    "WHERE schemaname = current_schema() AND tablename LIKE :prefix "
    "AND pg_has_role(tableowner, 'USAGE')"
)


class Scratch:
    """The helpers of one import (``open``) and the names of its scratch tables."""

    def __init__(self, session: Session, engine: Engine, role: str, schema: str) -> None:
        self.engine = engine
        self._quote = engine.dialect.identifier_preparer
        self._set_role = text(f"SET LOCAL ROLE {self._quote.quote(role)}")
        self.schema = schema
        self.token = uuid.uuid4().hex[:12]
        self.tables: list[str] = []
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="padron-scratch")
        self._running: set[Any] = set()  # the helpers' psycopg connections, to cancel them
        self._lock = threading.Lock()
        self._dropped = False
        event.listen(session, "after_transaction_end", self._transaction_ended)

    @classmethod
    def open(cls, session: Session) -> Scratch | None:
        """The helpers of the import running in ``session``, or None when it cannot have
        them: not PostgreSQL, a session bound to one connection (a helper's own connection
        comes from the engine), a transaction that would not see what helpers commit, or a
        user who may not create tables in the schema."""
        engine = session.get_bind()
        if engine.dialect.name != "postgresql" or not isinstance(engine, Engine):
            return None
        fit, role, schema = session.execute(_FIT).one()
        if not fit:
            return None
        scratch = cls(session, engine, role, schema)
        scratch.sweep()
        return scratch

    def table(self, what: str, *columns: Column[Any]) -> Table:
        """This import's scratch table ``what``, unlogged, with ``columns`` (to create)."""
        table = Table(
            f"{PREFIX}{self.token}_{what}",
            MetaData(),
            *columns,
            schema=self.schema,
            prefixes=["UNLOGGED"],
        )
        self.tables.append(self._quote.format_table(table))
        return table

    def name(self, what: str) -> str:
        """The qualified name, as SQL, of this import's scratch table ``what`` (to create)."""
        self.table(what)
        return self.tables[-1]

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Runs ``work(session)`` on a helper connection in a transaction of its own, which
        commits when it returns and rolls back when it raises; the import's SQL functions
        (``pgload.create_functions``) are there."""
        return self._pool.submit(self._run, work)

    def _run(self, work: Callable[[Session], T]) -> T:
        with Session(self.engine) as session, session.begin():
            session.execute(self._set_role)
            pgload.create_functions(session)
            raw = session.connection().connection.driver_connection
            with self._lock:
                self._running.add(raw)
            try:
                return work(session)
            finally:
                with self._lock:
                    self._running.discard(raw)

    def cancel(self) -> None:
        """Cancels what the helpers are running (their transactions roll back) and waits
        for them to stop."""
        with self._lock:
            running = list(self._running)
        for raw in running:
            raw.cancel_safe()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def sweep(self) -> None:
        """Drops the scratch tables an import left behind (its process died before its
        transaction ended). Only one import runs at a time (``staging.lock_imports``, which
        the caller holds): any such table is no running import's."""
        pattern = PREFIX.replace("_", "\\_") + "%"
        self._on_helper(lambda s: self._drop(s, list(s.scalars(_SWEPT, {"prefix": pattern}))))

    def _transaction_ended(self, session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and not self._dropped:
            self._dropped = True
            self.close()
            if self.tables:
                tables = list(self.tables)
                self._on_helper(lambda s: self._drop(s, tables))

    def _on_helper(self, work: Callable[[Session], None]) -> None:
        try:
            with Session(self.engine) as session, session.begin():
                session.execute(self._set_role)
                session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                work(session)
        except DBAPIError as exc:
            # what is left, the next import's sweep drops
            log.warning("padron import: scratch tables not dropped (%s)", type(exc).__name__)

    @staticmethod
    def _drop(session: Session, tables: list[str]) -> None:
        if tables:
            session.execute(text(f"DROP TABLE IF EXISTS {', '.join(tables)}"))

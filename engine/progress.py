"""Progress of long service operations and background jobs (done/total), readable while they
still run: ``service_progress`` is keyed by the service call, ``job_progress`` by the job
(e.g. a padrón import started from the web, ``engine.padron.importjobs``).

An operation runs inside the transaction that will also complete its service task, so its
progress must be written somewhere that transaction does not hold: on PostgreSQL, another
connection to the ``service_progress`` table (no row there is locked by the operation); on
SQLite, whose one writer is the operation itself, a sidecar file next to the database
(``<db>-progress.sqlite``, created on first use) with the same table.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, Integer, MetaData, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, Database, UTCDateTime, create_db_engine, utcnow


class ServiceProgress(Base):
    __tablename__ = "service_progress"

    call_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobProgress(Base):
    __tablename__ = "job_progress"

    job_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


_SIDECARS: dict[str, Engine] = {}
_KEYS = {
    "service": (ServiceProgress.__table__, "call_id"),
    "job": (JobProgress.__table__, "job_id"),
}


def _engine_for(db: Database) -> Engine:
    url = make_url(db.url)
    if url.get_backend_name() != "sqlite":
        return db.engine
    path = f"{url.database}-progress.sqlite"
    if path not in _SIDECARS:
        engine = create_db_engine(f"sqlite:///{path}")
        sidecar = MetaData()
        for table, _ in _KEYS.values():
            table.to_metadata(sidecar)
        sidecar.create_all(engine)
        _SIDECARS[path] = engine
    return _SIDECARS[path]


def report(db: Database, call_id: int, done: int, total: int, kind: str = "service") -> None:
    """Stores done/total of a service call (``kind`` "service") or a job ("job")."""
    table, key = _KEYS[kind]
    with _engine_for(db).begin() as conn:
        values = {"done": done, "total": total, "updated_at": utcnow()}
        changed = conn.execute(update(table).where(table.c[key] == call_id).values(values))
        if changed.rowcount == 0:
            conn.execute(insert(table).values({key: call_id, **values}))


def read(db: Database, call_ids: list[int], kind: str = "service") -> dict[int, tuple[int, int]]:
    if not call_ids:
        return {}
    table, key = _KEYS[kind]
    with _engine_for(db).connect() as conn:
        rows = conn.execute(
            select(table.c[key], table.c.done, table.c.total).where(table.c[key].in_(call_ids))
        )
        return {r[0]: (r.done, r.total) for r in rows}


def last_report(db: Database, key: int, kind: str = "service") -> datetime | None:
    """When ``key`` last reported progress (None if never): a stalled job shows here."""
    table, column = _KEYS[kind]
    with _engine_for(db).connect() as conn:
        return conn.scalar(select(table.c.updated_at).where(table.c[column] == key))

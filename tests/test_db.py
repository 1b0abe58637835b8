"""The storage layer: SQLite in WAL mode with foreign keys, UTC datetimes everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from engine.db import (
    PING_AFTER_IDLE_SECONDS,
    SQLITE_JOURNAL_SIZE_LIMIT,
    SQLITE_WAL_AUTOCHECKPOINT,
    Database,
    create_db_engine,
)
from engine.heartbeat import WorkerHeartbeat
from engine.org import Assignment, Position, User


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db: Database) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only; this run is on " + db.engine.dialect.name)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        checkpoint = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert checkpoint == SQLITE_WAL_AUTOCHECKPOINT > 1000  # fewer, larger checkpoints
        limit = conn.exec_driver_sql("PRAGMA journal_size_limit").scalar()
        assert limit == SQLITE_JOURNAL_SIZE_LIMIT


def test_foreign_keys_are_enforced(session: Session) -> None:
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO org_assignment (user_id, position_id, kind, start_date, reference,"
                " created_at) VALUES (999999, 999999, 'titular', '2026-01-01', '', :now)"
            ),
            {"now": datetime.now(UTC)},
        )
        session.flush()


def test_datetimes_come_back_aware_and_in_utc(session: Session) -> None:
    lima = timezone(timedelta(hours=-5))
    session.add(WorkerHeartbeat(hostname="t", last_seen=datetime(2026, 3, 1, 9, 0, tzinfo=lima)))
    session.flush()
    session.expire_all()
    seen = session.get(WorkerHeartbeat, "t").last_seen
    assert seen == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    assert seen.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(WorkerHeartbeat(hostname="naive", last_seen=datetime(2026, 3, 1, 9, 0)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_the_database_checks_assignment_dates(session: Session) -> None:
    """Even a write that skips the engine's validation cannot store end < start."""
    user = session.query(User).filter_by(login="gl.puno").one()
    position = session.query(Position).filter_by(cargo=1576).one()
    session.add(
        Assignment(
            user=user,
            position=position,
            start_date=datetime(2026, 5, 1).date(),
            end_date=datetime(2026, 4, 1).date(),
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_server_connection_is_pinged_only_after_idling_and_replaced_if_dead(
    db_url: str,
) -> None:
    """A connection handed back a moment ago goes out again without a ping (no extra round
    trip per unit of work); one that idled past PING_AFTER_IDLE_SECONDS is pinged, and if the
    server closed it meanwhile the pool replaces it before anyone uses it."""
    if not db_url.startswith("postgresql"):
        pytest.skip("server databases only; this run is on SQLite")
    engine = create_db_engine(db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        pings: list[int] = []
        original = engine.dialect.do_ping
        engine.dialect.do_ping = lambda c: pings.append(1) or original(c)  # type: ignore[method-assign]
        with engine.connect() as conn:  # back a moment ago: no ping, same backend
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == first
        assert pings == []
        with engine.connect() as conn:  # the server ends it while it idles in the pool
            record = conn.connection._connection_record
        record.info["checked_in_at"] -= PING_AFTER_IDLE_SECONDS + 1
        admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({first})")
        admin.dispose()
        with engine.connect() as conn:
            again = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert pings == [1] and again != first
    finally:
        engine.dispose()

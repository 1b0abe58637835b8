"""Helper connections of a large import (``engine.padron.scratch``): who may have them, what
the import's transaction reads of what they commit, and that their tables go when that
transaction ends, however it ends. The imports that use them: test_padron_import_firstload."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.db import Database
from engine.padron.scratch import Scratch
from tests.conftest import USES_POSTGRES
from tests.test_padron_support import padron_database, scratch_tables

pytestmark = pytest.mark.skipif(not USES_POSTGRES, reason="PostgreSQL only: helper connections")


@pytest.fixture
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = padron_database(databases)
    yield database
    database.dispose()


def test_no_helpers_for_a_session_on_one_connection_or_that_would_not_see_them(
    db: Database,
) -> None:
    with db.engine.connect() as connection, Session(bind=connection) as s:
        assert Scratch.open(s) is None  # a helper's connection comes from the engine
    with db.transaction() as s:
        s.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        assert Scratch.open(s) is None  # its snapshot would not hold what helpers commit
    with db.transaction() as s:
        assert Scratch.open(s) is not None


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_the_import_reads_what_a_helper_commits_and_its_tables_go_at_the_end(
    db: Database, end: str
) -> None:
    session = db.session()
    try:
        with session.begin():
            scratch = Scratch.open(session)
            assert scratch is not None
            name = scratch.name("prueba")

            def fill(helper: Session) -> int:
                helper.execute(text(f"CREATE UNLOGGED TABLE {name} AS SELECT 7 AS x"))
                return 1

            assert scratch.submit(fill).result() == 1
            assert session.scalar(text(f"SELECT x FROM {name}")) == 7
            assert len(scratch_tables(db)) == 1  # committed by the helper, seen by others too
            if end == "rollback":
                session.rollback()
    finally:
        session.close()
    assert scratch_tables(db) == []


def test_cancel_stops_what_a_helper_runs(db: Database) -> None:
    with db.transaction() as session:
        scratch = Scratch.open(session)
        assert scratch is not None
        started = scratch.submit(lambda helper: helper.execute(text("SELECT pg_sleep(600)")))
        sleeping = text(
            "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(600)' "
            "AND state = 'active'"
        )
        with db.engine.connect() as c:  # until the helper's statement runs
            while not c.execute(sleeping).scalar():
                c.rollback()
                time.sleep(0.05)
        scratch.cancel()
        with pytest.raises(DBAPIError):
            started.result()


def test_the_next_import_drops_what_a_dead_one_left(db: Database) -> None:
    with db.transaction() as s:
        s.execute(text("CREATE UNLOGGED TABLE padron_scratch_0123456789ab_hogares (x int)"))
        s.execute(text("CREATE TABLE padronXscratchXkept (x int)"))  # not a scratch table
    with db.transaction() as s:
        Scratch.open(s)
    assert scratch_tables(db) == []
    with db.transaction() as s:
        assert s.scalar(text("SELECT to_regclass('padronxscratchxkept') IS NOT NULL"))

"""The throwaway databases of the tests and benchmarks (tests/pg_databases.py)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SERVER_URL, USES_POSTGRES
from tests.pg_databases import create_database, drop_databases

pytestmark = pytest.mark.skipif(not USES_POSTGRES, reason="PostgreSQL only: server databases")


def _exists(name: str) -> bool:
    admin = create_engine(SERVER_URL)
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            return found.first() is not None
    finally:
        admin.dispose()


def test_a_database_is_dropped_with_a_session_of_the_role_still_open_in_it() -> None:
    name = f"juntos_test_{uuid.uuid4().hex[:10]}"
    url = create_database(SERVER_URL, name)
    engine = create_engine(url)
    left_open = engine.connect()  # as a test that did not close its engine
    left_open.execute(text("SELECT 1"))  # and sits in an open transaction
    assert _exists(name)
    drop_databases(SERVER_URL, [name])
    assert not _exists(name)
    left_open.invalidate()  # the server ended it
    engine.dispose()
    drop_databases(SERVER_URL, [name])  # already gone: nothing to do, no error

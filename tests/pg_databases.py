"""Throwaway databases on a PostgreSQL server, made and dropped by the tests and the
benchmarks."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

_END_OWN_SESSIONS = text(  # waits up to 10 s for each to end
    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity"
    " WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
)


def create_database(server_url: str, name: str) -> str:
    """Creates the empty database ``name`` on the server; its URL."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_databases(server_url: str, names: Iterable[str]) -> None:
    """Drops each of ``names`` that exists, after ending the sessions this role still has
    in it; all through one connection to the server.

    Not ``DROP DATABASE … WITH (FORCE)``: that ends every session in the database, and a
    role that is not a superuser may not end another role's — CI's run failed so at its
    very end when a session not its own (an autovacuum worker) was in a test database. A
    plain DROP DATABASE stops autovacuum workers itself."""
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(_END_OWN_SESSIONS, {"name": name})
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    finally:
        admin.dispose()

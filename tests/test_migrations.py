"""Migrations build the schema the models describe, and come down cleanly."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from engine import migrate
from engine.db import create_db_engine
from engine.models import metadata


def test_head_matches_the_models(databases) -> None:  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate.upgrade(url)
    engine = create_db_engine(url)
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": migrate.include_object(conn.dialect.name)}
        ctx = MigrationContext.configure(conn, opts=opts)
        assert compare_metadata(ctx, metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_up_again(databases) -> None:  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate.upgrade(url)
    migrate.downgrade(url, "base")
    engine = create_db_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(url)
    engine = create_db_engine(url)
    assert "org_position" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_collations_the_models_declare_are_the_databases(databases) -> None:  # type: ignore[no-untyped-def]
    """Alembic compares a column's type, not its collation: the columns the models declare
    with a collation on PostgreSQL (the padrón's codes, ``COLLATE "C"``) have it after the
    migrations, and no other column has one. SQLite declares none."""
    url = databases.new()
    migrate.upgrade(url)
    engine = create_db_engine(url)
    try:
        declared = {
            (table.name, column.name): match.group(1)
            for table in metadata.sorted_tables
            for column in table.columns
            if (match := re.search(r'COLLATE "(\w+)"', str(column.type.compile(engine.dialect))))
        }
        if engine.dialect.name != "postgresql":
            assert declared == {}
            return
        query = text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND collation_name IS NOT NULL"
        )
        with engine.connect() as conn:
            built = {(t, c): collation for t, c, collation in conn.execute(query)}
        assert built == declared
        assert declared[("padron_miembro", "dni")] == "C"
    finally:
        engine.dispose()

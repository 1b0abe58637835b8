"""Migrations build the schema the models describe, and come down cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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

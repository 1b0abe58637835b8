"""Runs the Alembic migrations from code (``juntos db upgrade``, ``juntos init``, tests)."""

from __future__ import annotations

from collections.abc import Callable

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "engine:migrations")
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def include_object(dialect: str) -> Callable[..., bool]:
    """For Alembic's comparison of the models with a database of ``dialect``: leaves out
    the indexes the models build on PostgreSQL only."""
    from engine.runtime.models import POSTGRESQL_ONLY

    def include(obj: object, name: str | None, type_: str, *_: object) -> bool:
        return dialect == "postgresql" or type_ != "index" or name not in POSTGRESQL_ONLY

    return include


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)

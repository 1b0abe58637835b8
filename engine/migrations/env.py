"""Alembic environment: the URL comes from the caller's config or from DATABASE_URL."""

from alembic import context

from engine.config import load_settings
from engine.db import UTCDateTime, create_db_engine
from engine.migrate import include_object
from engine.models import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url") or load_settings().database_url


def render_item(type_, obj, autogen_context):  # type: ignore[no-untyped-def]
    """Writes our column types as plain SQLAlchemy types, so migrations import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_offline() -> None:
    context.configure(
        url=url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_db_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
        include_object=include_object(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

"""What the benchmarks share: fresh databases (SQLite, or PostgreSQL with ``--pg``) and peak
memory."""

from __future__ import annotations

import resource
import uuid
from pathlib import Path

from sqlalchemy.engine import make_url

from engine import migrate
from engine.db import Database
from engine.org import seed_org
from engine.padron.geography import ensure_geography
from tests import pg_databases


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def fresh_url(pg: str | None, folder: Path) -> str:
    """A new empty database: a SQLite file in ``folder``, or one on the server ``pg``."""
    if not pg:
        return f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"
    return pg_databases.create_database(pg, f"juntos_bench_{uuid.uuid4().hex[:8]}")


def drop_database(pg: str | None, url: str) -> None:
    """Drops the database ``fresh_url`` made on the server ``pg`` (a SQLite file goes with
    its folder)."""
    if pg:
        pg_databases.drop_databases(pg, [make_url(url).database or ""])


def fresh_database(pg: str | None, folder: Path) -> tuple[Database, str]:
    """A migrated database with the organisation, and its URL."""
    url = fresh_url(pg, folder)
    migrate.upgrade(url)
    db = Database(url)
    with db.write_transaction() as session:
        seed_org(session)
        ensure_geography(session)
    return db, url

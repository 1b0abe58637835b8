"""What the padrón and payments benchmarks share: fresh databases and peak memory."""

from __future__ import annotations

import resource
import uuid
from pathlib import Path

from engine import migrate
from engine.db import Database
from engine.org import seed_org
from engine.padron.geography import ensure_geography
from tests import pg_databases


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def fresh_database(pg: str | None, folder: Path) -> tuple[Database, str | None]:
    """A migrated database with the organisation; on PostgreSQL, the name to drop later."""
    name = None
    if pg:
        name = f"juntos_bench_{uuid.uuid4().hex[:8]}"
        url = pg_databases.create_database(pg, name)
    else:
        url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.write_transaction() as session:
        seed_org(session)
        ensure_geography(session)
    return db, name


def drop_database(pg: str | None, name: str | None) -> None:
    if pg and name:
        pg_databases.drop_database(pg, name)

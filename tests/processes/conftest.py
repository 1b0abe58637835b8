"""The process walks share one database with bpmn/ and forms/ deployed. On SQLite it is kept
at var/process-walks.sqlite after the run, so that
``DATABASE_URL=sqlite:///var/process-walks.sqlite juntos processes coverage`` reports what the
walks reached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine import definitions, migrate
from engine.db import Database
from engine.org import seed_org
from engine.org.demo import seed_demo_people
from tests.conftest import USES_POSTGRES, DatabaseFactory

ROOT = Path(__file__).resolve().parents[2]
WALKS_SQLITE = ROOT / "var" / "process-walks.sqlite"


def _walks_url(databases: DatabaseFactory) -> str:
    if USES_POSTGRES:
        return databases.new()
    WALKS_SQLITE.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-progress.sqlite"):
        Path(f"{WALKS_SQLITE}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{WALKS_SQLITE}"


@pytest.fixture(scope="session")
def process_db(databases: DatabaseFactory) -> Iterator[Database]:
    url = _walks_url(databases)
    migrate.upgrade(url)
    db = Database(url)
    with db.write_transaction() as session:
        seed_org(session)
        seed_demo_people(session)
        definitions.deploy(session, ROOT / "bpmn", ROOT / "forms")
    yield db
    db.dispose()

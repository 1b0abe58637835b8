"""Shared fixtures. The backend follows DATABASE_URL: SQLite by default, PostgreSQL when it
names a server (each test run then works in fresh databases it creates and drops)."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from engine import migrate
from engine.db import Database
from engine.org import seed_org
from engine.org.demo import seed_demo_people
from tests.pg_databases import create_database, drop_databases

SERVER_URL = os.environ.get("DATABASE_URL", "")
USES_POSTGRES = SERVER_URL.startswith("postgresql")


class DatabaseFactory:
    """Creates empty databases for tests and drops them at the end of the run."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.created: list[str] = []

    def new(self) -> str:
        name = f"juntos_test_{uuid.uuid4().hex[:10]}"
        if not USES_POSTGRES:
            return f"sqlite:///{self.tmp_dir / (name + '.sqlite')}"
        url = create_database(SERVER_URL, name)
        self.created.append(name)
        return url

    def drop_all(self) -> None:
        if self.created:
            drop_databases(SERVER_URL, self.created)


@pytest.fixture(autouse=True, scope="module")
def fresh_spec_cache() -> None:
    """Parsed specs are cached by definition id (engine.definitions.store), and every test
    database numbers its definitions from 1: a module must not get another's specs."""
    from engine.definitions import store

    store._CACHE.clear()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    factory.drop_all()


def seeded_database(databases: DatabaseFactory) -> str:
    """A new database migrated to head, with the organisation and the demo people."""
    url = databases.new()
    migrate.upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        seed_org(session)
        seed_demo_people(session)
    database.dispose()
    return url


@pytest.fixture(scope="session")
def db_url(databases: DatabaseFactory) -> str:
    return seeded_database(databases)


@pytest.fixture(scope="session")
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    with db.engine.connect() as connection:
        transaction = connection.begin()
        with Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            yield s
        transaction.rollback()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="session")
def live_server(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """`juntos run` for real: gunicorn plus a Celery worker with its beat, on a database of
    its own (its worker writes while other tests hold theirs)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": seeded_database(databases),
        "CELERY_QUEUE": f"live-{uuid.uuid4().hex[:8]}",  # its own queue on a shared broker
        "JUNTOS_VAR_DIR": str(tmp_path_factory.mktemp("live-var")),
    }
    log = (tmp_path_factory.mktemp("live-log") / "run.log").open("wb")
    command = shlex.join([sys.executable, "-m", "engine.cli", "run", "--bind", f"127.0.0.1:{port}"])
    process = subprocess.Popen(
        # started with SIGINT ignored, as a script's background job is: Ctrl-C must still stop it
        ["/bin/sh", "-c", f"trap '' INT; exec {command}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/salud", timeout=2):
                break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"juntos run exited: see {log.name}") from None
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError(f"juntos run did not answer in 60 s: see {log.name}")
    yield LiveServer(url, env, process)
    process.send_signal(signal.SIGINT)  # as Ctrl-C would: `juntos run` stops its children
    process.wait(timeout=60)
    log.close()
    assert process.returncode == 0, f"juntos run did not stop cleanly: see {log.name}"

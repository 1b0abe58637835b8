"""Helpers for the engine tests: a committed database with the test processes deployed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine import definitions, migrate, runtime
from engine.db import Database
from engine.org import seed_org
from engine.org.demo import seed_demo_people

FIXTURES = Path(__file__).parent / "fixtures"
BPMN = FIXTURES / "bpmn"
FORMS = FIXTURES / "forms"


def prepared_database(url: str) -> Database:
    """Migrated, seeded (org + demo people) and with tests/fixtures/bpmn deployed."""
    migrate.upgrade(url)
    db = Database(url)
    with db.write_transaction() as session:
        seed_org(session)
        seed_demo_people(session)
        definitions.deploy(session, BPMN, FORMS)
    return db


def start(
    db: Database, key: str, login: str, data: dict[str, Any] | None = None, scope: str | None = None
) -> int:
    with db.write_transaction() as s:
        run = runtime.start_instance(s, key, runtime.actor_for_login(s, login), data, scope=scope)
        return run.instance.id


def open_tasks(db: Database, instance_id: int) -> list[runtime.HumanTask]:
    with db.transaction() as s:
        return [
            t
            for t in runtime.instance_detail(s, instance_id).tasks
            if t.state in ("ready", "claimed")
        ]


def complete(db: Database, task_id: int, login: str, data: dict[str, Any]) -> list[int]:
    with db.write_transaction() as s:
        done = runtime.complete(s, task_id, runtime.actor_for_login(s, login), data)
        return done.new_service_calls


def only_task(db: Database, instance_id: int, element_id: str) -> runtime.HumanTask:
    tasks = [t for t in open_tasks(db, instance_id) if t.element_id == element_id]
    assert len(tasks) == 1, [t.element_id for t in open_tasks(db, instance_id)]
    return tasks[0]

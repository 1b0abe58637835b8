"""engine.direct_sql runs prebuilt statements on the DBAPI cursor: what it writes and reads
must be what SQLAlchemy's own execution writes and reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import direct_sql, runtime
from engine.db import Database, utcnow
from engine.runtime.models import HumanTask, ProcessInstance, ServiceCall
from tests.runtime_support import prepared_database

_tasks = HumanTask.__table__
_calls = ServiceCall.__table__
_INSERT_TASK = insert(_tasks).returning(_tasks.c.id, sort_by_parameter_order=True)
_OPEN = select(_tasks).where(
    _tasks.c.instance_id == bindparam("instance"), _tasks.c.state.in_(("ready", "claimed"))
)
_CLAIM = update(_tasks).where(_tasks.c.id == bindparam("task")).values(state="claimed")
_INSERT_CALL = insert(_calls).returning(_calls.c.id)
_BY_ID = select(_calls).where(_calls.c.id == bindparam("call"))


def _task(instance_id: int, **values: object) -> dict[str, object]:
    now = utcnow()
    return {
        "instance_id": instance_id,
        "task_uuid": str(uuid4()),
        "element_id": "Registrar",
        "name": "Registrar — verificación",
        "candidate": "Gestor Local",
        "candidate_unit_id": None,
        "scope_unit_id": None,
        "form": None,
        "due_at": now + timedelta(days=2),
        "priority": 3,
        "household": "H0000001",
        "created_at": now,
        **values,
    }


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    with database.write_transaction() as s:
        actor = runtime.actor_for_login(s, "jefe.ut.cajamarca")
        runtime.start_instance(s, "ref_verificacion", actor, {"co_hogar": "H0000001"})
    yield database
    database.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    """A write transaction rolled back after the test."""
    with db.write_sessionmaker() as s:
        s.begin()
        yield s
        s.rollback()


@pytest.fixture
def instance_id(session: Session) -> int:
    return session.scalars(select(ProcessInstance.id)).one()


def test_rows_are_those_sqlalchemy_reads(session: Session, instance_id: int) -> None:
    connection = session.connection()
    ids = [direct_sql.first(connection, _INSERT_TASK, _task(instance_id)).id for _ in range(2)]
    direct = direct_sql.rows(connection, _OPEN, {"instance": instance_id})
    expected = connection.execute(_OPEN, {"instance": instance_id}).all()
    assert [tuple(r) for r in direct] == [tuple(r) for r in expected]
    mine = [r for r in direct if r.id in ids]
    assert len(mine) == 2
    # converted as SQLAlchemy converts: aware UTC datetimes, the uuid as text, the defaults
    assert mine[0].due_at.tzinfo is not None and mine[0].created_at.utcoffset() == timedelta(0)
    assert isinstance(mine[0].task_uuid, str) and mine[0].state == "ready"
    assert mine[0].name == "Registrar — verificación"


def test_update_counts_rows_and_uses_the_statements_own_values(
    session: Session, instance_id: int
) -> None:
    connection = session.connection()
    task_id = direct_sql.first(connection, _INSERT_TASK, _task(instance_id)).id
    assert direct_sql.execute(connection, _CLAIM, {"task": task_id}) == 1
    assert direct_sql.execute(connection, _CLAIM, {"task": -1}) == 0
    state = connection.execute(select(_tasks.c.state).where(_tasks.c.id == task_id)).scalar()
    assert state == "claimed"


def test_python_side_defaults_are_filled_as_sqlalchemy_fills_them(
    session: Session, instance_id: int
) -> None:
    connection = session.connection()
    call = {
        "instance_id": instance_id,
        "task_uuid": str(uuid4()),
        "element_id": "Notificar",
        "operation": "notificaciones.enviar",
        "params": "{}",
        "idempotency_key": f"direct-{uuid4()}",
        "max_attempts": 3,
        "state": "pending",
        "last_error": None,
    }
    before = utcnow()
    direct_id = direct_sql.first(connection, _INSERT_CALL, call).id
    other = {**call, "task_uuid": str(uuid4()), "idempotency_key": f"sa-{uuid4()}"}
    sa_id = connection.execute(_INSERT_CALL, other).scalar_one()
    direct_row = connection.execute(_BY_ID, {"call": direct_id}).one()
    sa_row = connection.execute(_BY_ID, {"call": sa_id}).one()
    for name in ("attempts", "progress_done", "progress_total", "state", "max_attempts"):
        assert getattr(direct_row, name) == getattr(sa_row, name), name
    assert direct_row.created_at >= before - timedelta(seconds=1)
    assert direct_row.next_attempt_at is not None


@pytest.mark.parametrize("count", [1, 3])
def test_rows_of_each_come_in_the_order_of_the_rows(
    session: Session, instance_id: int, count: int
) -> None:
    connection = session.connection()
    rows = [_task(instance_id, element_id=f"E{i}") for i in range(count)]
    ids = [r.id for r in direct_sql.rows_of_each(connection, _INSERT_TASK, rows)]
    found = dict(
        connection.execute(
            select(_tasks.c.id, _tasks.c.task_uuid).where(_tasks.c.id.in_(ids))
        ).all()
    )
    assert [found[i] for i in ids] == [r["task_uuid"] for r in rows]


def test_execute_many_writes_every_row(session: Session, instance_id: int) -> None:
    connection = session.connection()
    rows = [_task(instance_id, element_id=f"E{i}") for i in range(3)]
    direct_sql.execute_many(connection, insert(_tasks), rows)
    uuids = [r["task_uuid"] for r in rows]
    found = connection.execute(
        select(_tasks.c.element_id).where(_tasks.c.task_uuid.in_(uuids))
    ).scalars()
    assert sorted(found) == ["E0", "E1", "E2"]


def test_a_driver_error_is_sqlalchemys_and_names_the_statement(
    session: Session, instance_id: int
) -> None:
    connection = session.connection()
    row = _task(instance_id)
    direct_sql.first(connection, _INSERT_TASK, row)
    savepoint = session.begin_nested()
    connection = session.connection()  # the savepoint is taken here
    with pytest.raises(IntegrityError) as caught:  # no such instance
        direct_sql.first(connection, _INSERT_TASK, {**_task(instance_id), "instance_id": -5})
    assert "INSERT INTO human_task" in str(caught.value)
    savepoint.rollback()
    kept = connection.execute(select(_tasks.c.id).where(_tasks.c.task_uuid == row["task_uuid"]))
    assert kept.scalar() is not None


def test_a_missing_parameter_is_refused_before_anything_runs(session: Session) -> None:
    with pytest.raises(TypeError, match="instance"):
        direct_sql.rows(session.connection(), _OPEN, {})


def test_planning_a_statement_leaves_statements_derived_from_it_whole(session: Session) -> None:
    """SQLAlchemy memoizes a statement's columns; reading them on the statement itself
    would leave a later ``.returning()`` of it without columns (the audit log derives its
    PostgreSQL statement from the head's UPDATE this way)."""
    statement = update(_tasks).where(_tasks.c.id == bindparam("task")).values(priority=1)
    direct_sql.execute(session.connection(), statement, {"task": -1})
    derived = statement.returning(_tasks.c.id).cte("moved")
    assert list(derived.c.keys()) == ["id"]

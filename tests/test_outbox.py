"""The outbox: a committed service call is the hand-off to the workers. The relay takes the
due rows (leasing them), sends them, and sends again what nobody finished, what failed once
its backoff ends, and what a suspension deferred (at once when the instance resumes)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import jobs, runtime
from engine.db import Database, utcnow
from engine.runtime import outbox
from engine.runtime.models import ServiceCall
from engine.runtime.service_calls import BACKOFF_BASE_SECONDS, DEFER_SECONDS
from engine.services import registry
from tests.runtime_support import complete, only_task, prepared_database, start

VISITA = {"fecha_visita": "2026-11-20", "hogar_encontrado": True}


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    yield database
    database.dispose()


def _queued_call(db: Database, household: str) -> tuple[int, int]:
    """An instance taken to its service call: (instance, call)."""
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": household})
    complete(db, only_task(db, iid, "registrar_visita").id, "gl.cajamarca", VISITA)
    complete(db, only_task(db, iid, "registrar_resultado").id, "gl.cajamarca", {"cumple": True})
    calls = complete(
        db, only_task(db, iid, "revisar").id, "ctz.cajamarca", {"decision": "conforme"}
    )
    assert len(calls) == 1
    return iid, calls[0]


def _take(db: Database, when=None) -> list[int]:  # type: ignore[no-untyped-def]
    with db.write_transaction() as s:
        return outbox.take_due(s, when)


def _drain(db: Database) -> None:
    """Leases whatever earlier tests left due, so each test sees only its own calls."""
    _take(db, utcnow() + timedelta(days=1))


def _call(db: Database, call_id: int) -> ServiceCall:
    with db.transaction() as s:
        return s.get(ServiceCall, call_id)


def test_a_committed_call_is_due_at_once_and_leased_when_taken(db: Database) -> None:
    _drain(db)
    _, call_id = _queued_call(db, "O0001")
    with db.transaction() as s:
        assert outbox.any_due(s)
    assert _take(db) == [call_id]
    with db.transaction() as s:
        assert not outbox.any_due(s)  # leased: not sent twice while a worker has it
    assert _take(db) == []
    assert _take(db, utcnow() + outbox.LEASE - timedelta(seconds=1)) == []
    # nobody finished it within the lease (the worker died, the message was lost): again
    assert _take(db, utcnow() + outbox.LEASE + timedelta(seconds=1)) == [call_id]


def test_a_finished_call_is_never_sent_again(db: Database) -> None:
    _drain(db)
    _, call_id = _queued_call(db, "O0002")
    assert runtime.execute_service_call(db, call_id).status == "done"
    assert _take(db, utcnow() + timedelta(days=1)) == []


def test_a_failed_attempt_is_sent_again_when_its_backoff_ends(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _drain(db)
    _, call_id = _queued_call(db, "O0003")

    def broken(ctx, params):  # type: ignore[no-untyped-def]
        raise RuntimeError("servicio no disponible")

    real = registry.get_operation("notificaciones.registrar")
    monkeypatch.setitem(
        registry._REGISTRY,
        real.name,
        registry.Operation(real.name, broken, real.params_schema, real.description),
    )
    failed_at = utcnow()
    assert runtime.execute_service_call(db, call_id).status == "retry"
    assert _take(db) == []
    backoff = timedelta(seconds=BACKOFF_BASE_SECONDS)
    assert _take(db, failed_at + backoff - timedelta(seconds=1)) == []
    assert _take(db, utcnow() + backoff) == [call_id]
    monkeypatch.undo()
    assert runtime.execute_service_call(db, call_id).status == "done"
    assert _call(db, call_id).attempts == 2


def test_a_suspended_instance_defers_its_call_until_it_resumes(db: Database) -> None:
    _drain(db)
    iid, call_id = _queued_call(db, "O0004")
    with db.write_transaction() as s:
        runtime.suspend(s, iid, runtime.actor_for_login(s, "jefe.uvcc"), "revisión")
    assert runtime.execute_service_call(db, call_id).status == "deferred"
    assert _take(db, utcnow() + timedelta(seconds=DEFER_SECONDS - 5)) == []
    with db.write_transaction() as s:
        runtime.resume(s, iid, runtime.actor_for_login(s, "jefe.uvcc"), "listo")
    assert _take(db) == [call_id]  # at once, not when the deferral ends
    assert runtime.execute_service_call(db, call_id).status == "done"


def test_the_relay_sends_each_due_call_once(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """``juntos.relay`` as the beat runs it (its own transactions); the broker is replaced by
    a list. The real worker and beat are in tests/test_worker.py."""
    _drain(db)
    _, first = _queued_call(db, "O0005")
    _, second = _queued_call(db, "O0006")
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_database", lambda: db)
    monkeypatch.setattr(jobs.run_service_call, "delay", sent.append)
    assert jobs.relay() == 2
    assert sent == [first, second]
    assert jobs.relay() == 0  # leased
    assert sent == [first, second]
    with db.transaction() as s:
        pending = s.scalars(select(ServiceCall.id).where(ServiceCall.id.in_(sent))).all()
    assert sorted(pending) == [first, second]

"""The engine end to end on a committed database: routing, forms, lifecycle, service calls,
incidents, timers, messages, segregation of duties, concurrency and the audit trail."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from engine import audit, runtime
from engine.clock import today
from engine.db import Database
from engine.errors import DomainError, PermissionDenied, ValidationError
from engine.notifications import Notification
from engine.org import add_user, assign
from engine.runtime import Conflict, store
from engine.services import registry
from tests.runtime_support import complete, only_task, open_tasks, prepared_database, start

VISITA = {"fecha_visita": "2026-11-20", "hogar_encontrado": True}


@pytest.fixture(scope="module")
def db(databases) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = prepared_database(databases.new())
    yield database
    database.dispose()


def _tasks(db: Database, login: str, scope: str = "all") -> list[runtime.HumanTask]:
    with db.transaction() as s:
        return runtime.tasks_for(s, runtime.actor_for_login(s, login), scope=scope)


def _run_calls(db: Database, call_ids: list[int]) -> list[str]:
    return [runtime.execute_service_call(db, cid).status for cid in call_ids]


def _through_to_the_service_call(db: Database, iid: int) -> list[int]:
    """Visit, conforme result and review: returns the service calls the review queued."""
    complete(db, only_task(db, iid, "registrar_visita").id, "gl.cajamarca", VISITA)
    complete(db, only_task(db, iid, "registrar_resultado").id, "gl.cajamarca", {"cumple": True})
    return complete(db, only_task(db, iid, "revisar").id, "ctz.cajamarca", {"decision": "conforme"})


def test_first_task_goes_to_the_gestores_of_the_scope(db: Database) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0001"})
    task = only_task(db, iid, "registrar_visita")
    assert task.candidate == "Gestor Local"
    assert task.household == "H0001"
    assert task.due_at is not None
    assert iid in {t.instance_id for t in _tasks(db, "gl.cajamarca", "available")}
    assert iid not in {t.instance_id for t in _tasks(db, "gl.puno")}  # UT Puno never sees it
    with db.write_transaction() as s, pytest.raises(PermissionDenied):
        runtime.claim(s, task.id, runtime.actor_for_login(s, "gl.puno"))


def test_invalid_form_is_refused_and_nothing_changes(db: Database) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0002"})
    task = only_task(db, iid, "registrar_visita")
    with db.transaction() as s:
        before = s.scalar(select(func.count()).select_from(audit.AuditEvent))
    with pytest.raises(ValidationError) as err:
        complete(db, task.id, "gl.cajamarca", {"fecha_visita": "2026-11-20"})
    assert err.value.field == "hogar_encontrado"
    with pytest.raises(ValidationError) as err:
        complete(db, task.id, "gl.cajamarca", {**VISITA, "extra": 1})
    assert only_task(db, iid, "registrar_visita").state == "ready"
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(audit.AuditEvent)) == before


def test_full_path_with_loop_service_call_and_completion(db: Database) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0003"})
    complete(db, only_task(db, iid, "registrar_visita").id, "gl.cajamarca", VISITA)
    complete(db, only_task(db, iid, "registrar_resultado").id, "gl.cajamarca", {"cumple": False})
    complete(db, only_task(db, iid, "revisar").id, "ctz.cajamarca", {"decision": "observado"})
    # observado: back to the Gestor Local, as a new task
    complete(db, only_task(db, iid, "registrar_resultado").id, "gl.cajamarca", {"cumple": True})
    calls = complete(
        db, only_task(db, iid, "revisar").id, "ctz.cajamarca", {"decision": "conforme"}
    )
    assert len(calls) == 1
    assert open_tasks(db, iid) == []  # waiting for the worker
    assert _run_calls(db, calls) == ["done"]
    assert _run_calls(db, calls) == ["skipped"]  # a redelivery applies nothing twice
    with db.transaction() as s:
        notices = s.scalars(select(Notification).where(Notification.instance_id == iid)).all()
        assert [n.subject for n in notices] == ["Resultado conforme: H0003"]
    validar = only_task(db, iid, "validar")
    assert validar.candidate_unit_id is not None  # the UVCC, the only unit with that position
    with db.transaction() as s:
        detail = runtime.instance_detail(s, iid)
        kinds = [e.kind for e in detail.history]
    assert kinds.count("task.completed") == 5
    assert "service.succeeded" in kinds and kinds[0] == "instance.started"
    assert "service.started" not in kinds  # the success is one event, in one transaction
    reviews = [
        json.loads(e.data)
        for e in detail.history
        if e.kind == "task.completed" and e.element_id == "revisar"
    ]
    # what was submitted, and which variables it changed ('observado' before; none removed)
    assert [(r["submitted"], r["diff"]) for r in reviews] == [
        ({"decision": "observado"}, {"changed": ["decision"]}),
        ({"decision": "conforme"}, {"changed": ["decision"]}),
    ]
    (queued,) = [json.loads(e.data) for e in detail.history if e.kind == "service.queued"]
    (done,) = [json.loads(e.data) for e in detail.history if e.kind == "service.succeeded"]
    assert queued["call"] == calls[0] and queued["operation"] == "notificaciones.registrar"
    assert queued["params"]["asunto"] == "Resultado conforme: H0003"
    # the params are not repeated: they are in service.queued, under the same call
    assert done == {"call": calls[0], "attempt": 1, "result": {"notificacion_id": notices[0].id}}


def test_claim_unclaim_reassign(db: Database) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0004"})
    task = only_task(db, iid, "registrar_visita")
    with db.write_transaction() as s:
        runtime.claim(s, task.id, runtime.actor_for_login(s, "gl.cajamarca"))
    assert task.id in {t.id for t in _tasks(db, "gl.cajamarca", "mine")}
    with db.write_transaction() as s, pytest.raises(PermissionDenied):
        runtime.reassign(s, task.id, runtime.actor_for_login(s, "gl.puno"), None)
    with db.write_transaction() as s:  # the CTZ supervises Gestor Local 627
        runtime.reassign(s, task.id, runtime.actor_for_login(s, "ctz.cajamarca"), None)
    assert only_task(db, iid, "registrar_visita").assignee_user_id is None
    with db.write_transaction() as s:
        runtime.claim(s, task.id, runtime.actor_for_login(s, "gl.cajamarca"))
        runtime.unclaim(s, task.id, runtime.actor_for_login(s, "gl.cajamarca"))
    assert only_task(db, iid, "registrar_visita").state == "ready"
    with db.write_transaction() as s, pytest.raises(PermissionDenied):
        runtime.take_over(s, task.id, runtime.actor_for_login(s, "gl.puno"))
    with db.write_transaction() as s:  # the Jefe de UT takes it over and does it
        runtime.take_over(s, task.id, runtime.actor_for_login(s, "jefe.ut.cajamarca"))
    complete(db, task.id, "jefe.ut.cajamarca", VISITA)
    with db.transaction() as s:
        kinds = [e.kind for e in audit.events(s, instance_id=iid)]
        done = s.get(runtime.HumanTask, task.id)
    assert "task.taken_over" in kinds
    assert done.completed_as_position_id is not None


def test_two_simultaneous_completions_give_one_success_and_one_conflict(db: Database) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0005"})
    task = only_task(db, iid, "registrar_visita")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def attempt() -> None:
        barrier.wait()
        try:
            complete(db, task.id, "gl.cajamarca", VISITA)
            results.append("ok")
        except (Conflict, DomainError) as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["Conflict", "ok"]
    assert only_task(db, iid, "registrar_resultado").state == "ready"
    with db.transaction() as s:
        completed = [e for e in audit.events(s, instance_id=iid) if e.kind == "task.completed"]
    assert len(completed) == 1


def test_failing_operation_retries_then_opens_an_incident(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0006"})
    [call_id] = _through_to_the_service_call(db, iid)
    real = registry.get_operation("notificaciones.registrar")

    def broken(ctx, params):  # type: ignore[no-untyped-def]
        ctx.session.add(
            Notification(
                recipient="x",
                subject="half-written",
                body="",
                idempotency_key=ctx.idempotency_key + "-x",
            )
        )
        ctx.session.flush()
        raise ConnectionError("la Entidad Pagadora no responde")

    monkeypatch.setitem(
        registry._REGISTRY,
        real.name,
        registry.Operation(real.name, broken, real.params_schema, real.description),
    )
    outcomes = [runtime.execute_service_call(db, call_id) for _ in range(3)]
    assert [o.status for o in outcomes] == ["retry", "retry", "failed"]
    assert outcomes[0].retry_in < outcomes[1].retry_in  # backoff
    with db.transaction() as s:
        detail = runtime.instance_detail(s, iid)
        assert detail.instance.incident_open
        [incident] = detail.incidents
        assert "no responde" in incident.error and "ConnectionError" in incident.stack
        assert (
            s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.subject == "half-written")
            )
            == 0
        )
    monkeypatch.setitem(registry._REGISTRY, real.name, real)
    with db.write_transaction() as s, pytest.raises(PermissionDenied):
        runtime.retry_incident(s, incident.id, runtime.actor_for_login(s, "gl.cajamarca"))
    with db.write_transaction() as s:
        again = runtime.retry_incident(s, incident.id, runtime.actor_for_login(s, "jefe.uvcc"))
    assert _run_calls(db, again) == ["done"]
    assert only_task(db, iid, "validar").state == "ready"
    with db.transaction() as s:
        assert not runtime.instance_detail(s, iid).instance.incident_open


def test_segregation_timer_escalation_and_message(db: Database) -> None:
    iid = start(db, "ref_eventos", "jefe.ut.cajamarca", {"co_hogar": "H0007"}, scope="UT-CAJ")
    complete(db, only_task(db, iid, "registrar").id, "gl.cajamarca", {"cumple": True})
    aprobar = only_task(db, iid, "aprobar")
    with pytest.raises(PermissionDenied, match="separación de funciones"):
        complete(db, aprobar.id, "gl.cajamarca", {"decision": "conforme"})
    time.sleep(1.2)  # the boundary timer (PT1S) falls due
    with db.transaction() as s:
        assert runtime.instance_detail(s, iid).instance.next_timer_at is not None
    runtime.fire_all_due(db)
    escalated = only_task(db, iid, "atender_vencida")
    assert escalated.candidate == "Coordinador Técnico Zonal"
    with db.transaction() as s:
        kinds = [e.kind for e in audit.events(s, instance_id=iid)]
    assert "timer.fired" in kinds
    complete(db, escalated.id, "ctz.cajamarca", {})
    with db.write_transaction() as s, pytest.raises(DomainError, match="no espera el mensaje"):
        runtime.deliver_message(s, iid, "respuesta_entidad_pagadora", {}, None)
    # another Gestor Local of UT Cajamarca approves
    with db.write_transaction() as s:
        add_user(s, "gl2.cajamarca", "Segundo Gestor", "Clave-Segura-2026")
        assign(s, "gl2.cajamarca", 628, today())
    complete(db, aprobar.id, "gl2.cajamarca", {"decision": "conforme"})
    with db.write_transaction() as s:
        runtime.deliver_message(s, iid, "respuesta_entidad_pagadora", {"pagado": True}, None)
    with db.transaction() as s:
        assert runtime.instance_detail(s, iid).instance.state == "completed"


def test_lifecycle_controls_are_for_the_owner(db: Database) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0008"})
    task = only_task(db, iid, "registrar_visita")
    with db.write_transaction() as s, pytest.raises(PermissionDenied):
        runtime.suspend(s, iid, runtime.actor_for_login(s, "gl.cajamarca"))
    with db.write_transaction() as s:
        runtime.suspend(s, iid, runtime.actor_for_login(s, "jefe.uvcc"), "revisión")
    with pytest.raises(DomainError, match="suspended"):
        complete(db, task.id, "gl.cajamarca", VISITA)
    with db.write_transaction() as s:
        runtime.resume(s, iid, runtime.actor_for_login(s, "jefe.uvcc"))
        runtime.cancel(s, iid, runtime.actor_for_login(s, "admin"), "duplicado")
    with db.transaction() as s:
        d = runtime.instance_detail(s, iid)
        assert d.instance.state == "cancelled"
        assert [t.state for t in d.tasks] == ["cancelled"]
        kinds = [e.kind for e in d.history]
    assert kinds[-3:] == ["instance.suspended", "instance.resumed", "instance.cancelled"]


def test_the_chain_verifies_after_all_that(db: Database) -> None:
    with db.transaction() as s:
        result = audit.verify(s)
    assert result.ok, result.reason
    assert result.checked > 50


def test_a_worker_dying_mid_operation_leaves_nothing_and_redelivery_applies_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0009"})
    [call_id] = _through_to_the_service_call(db, iid)
    real = registry.get_operation("notificaciones.registrar")

    def dies_half_way(ctx, params):  # type: ignore[no-untyped-def]
        real.func(ctx, params)  # the notice is written in the call's transaction…
        raise SystemExit("worker killed")  # …and the process dies before the commit

    monkeypatch.setitem(
        registry._REGISTRY,
        real.name,
        registry.Operation(real.name, dies_half_way, real.params_schema, real.description),
    )
    with pytest.raises(SystemExit):
        runtime.execute_service_call(db, call_id)
    with db.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.instance_id == iid)
            )
            == 0
        )
        assert s.get(runtime.ServiceCall, call_id).state == "pending"
    monkeypatch.setitem(registry._REGISTRY, real.name, real)
    assert _run_calls(db, [call_id, call_id]) == ["done", "skipped"]  # redelivered twice
    with db.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.instance_id == iid)
            )
            == 1
        )


def _open_as_new(db: Database, iid: int) -> list[tuple[int, str, str]]:
    return [(t.id, t.element_id, t.task_uuid) for t in open_tasks(db, iid)]


def test_each_step_names_the_tasks_it_made_ready(db: Database) -> None:
    """What start, complete and a service call return is what the inbox now holds: a client
    goes on without reading the instance again."""
    with db.write_transaction() as s:
        run = runtime.start_instance(
            s,
            "ref_verificacion",
            runtime.actor_for_login(s, "jefe.ut.cajamarca"),
            {"co_hogar": "H0080"},
        )
        iid, new = run.instance.id, run.new_tasks
    assert [(t.id, t.element_id, t.task_uuid) for t in new] == _open_as_new(db, iid)
    steps = [("gl.cajamarca", VISITA), ("gl.cajamarca", {"cumple": True})]
    for login, data in [*steps, ("ctz.cajamarca", {"decision": "conforme"})]:
        with db.write_transaction() as s:
            done = runtime.complete(s, new[0].id, runtime.actor_for_login(s, login), data)
        new = done.new_tasks
        assert [(t.id, t.element_id, t.task_uuid) for t in new] == _open_as_new(db, iid)
        assert all(t.state == "ready" and t.instance_id == iid for t in new)
    assert new == [] and len(done.new_service_calls) == 1
    outcome = runtime.execute_service_call(db, done.new_service_calls[0])
    assert [t.element_id for t in outcome.new_tasks] == ["validar"]
    assert [(t.id, t.element_id, t.task_uuid) for t in outcome.new_tasks] == _open_as_new(db, iid)


def test_a_stale_version_is_a_conflict_and_keeps_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The save's version check: a writer whose instance moved under it writes nothing."""
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0090"})
    task = only_task(db, iid, "registrar_visita")
    with db.transaction() as s:
        events_before = s.scalar(select(func.count()).select_from(audit.AuditEvent))
    locked = store.lock_instance

    def stale_copy(*args, **kwargs):  # type: ignore[no-untyped-def]
        instance = locked(*args, **kwargs)
        set_committed_value(instance, "lock_version", instance.lock_version - 1)
        return instance

    monkeypatch.setattr(store, "lock_instance", stale_copy)
    with pytest.raises(Conflict), db.write_transaction() as s:
        runtime.complete(s, task.id, runtime.actor_for_login(s, "gl.cajamarca"), VISITA)
    monkeypatch.undo()
    assert only_task(db, iid, "registrar_visita").state == "ready"
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(audit.AuditEvent)) == events_before


def test_the_cached_workflow_is_used_only_for_the_version_it_saved(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """engine.runtime.store keeps the workflow of a committed step: a rolled-back step leaves
    nothing of its changes there, and a step saved by another process (the version moved)
    is read from the database, never from the stale copy."""
    iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H0091"})
    visita = only_task(db, iid, "registrar_visita")
    with pytest.raises(RuntimeError), db.write_transaction() as s:
        runtime.complete(s, visita.id, runtime.actor_for_login(s, "gl.cajamarca"), VISITA)
        raise RuntimeError("the unit of work fails after the step")
    assert only_task(db, iid, "registrar_visita").state == "ready"
    complete(db, visita.id, "gl.cajamarca", VISITA)  # the rolled-back step left no trace
    resultado = only_task(db, iid, "registrar_resultado")

    mine = store._WORKFLOWS  # this process's copy, at the version just saved
    monkeypatch.setattr(store, "_WORKFLOWS", type(mine)())  # "another process" steps on
    complete(db, resultado.id, "gl.cajamarca", {"cumple": True})
    monkeypatch.setattr(store, "_WORKFLOWS", mine)
    revisar = only_task(db, iid, "revisar")  # a task the stale copy does not have
    assert any(key[1] == iid for key in mine)
    complete(db, revisar.id, "ctz.cajamarca", {"decision": "conforme"})  # read from the row
    assert open_tasks(db, iid) == []  # waiting for the notice's service call


def test_the_audited_diff_names_removed_variables_only_when_there_are_some() -> None:
    from engine.runtime.tasks import _diff

    assert _diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"changed": ["b", "c"]}
    assert _diff({"a": 1, "b": 2, "spiff__x": 1}, {"a": 1, "c": 4}) == {
        "changed": ["c"],
        "removed": ["b", "spiff__x"],
    }

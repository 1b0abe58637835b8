"""Timers that fall due (fired by the beat's tick) and messages delivered from outside."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.db import Database, utcnow
from engine.errors import DomainError
from engine.runtime.actors import Actor
from engine.runtime.advance import TIMER_TYPES, advance
from engine.runtime.audit_context import record
from engine.runtime.models import ProcessInstance
from engine.runtime.store import Run, load_run


def due_instances(session: Session, now: datetime, limit: int = 500) -> list[int]:
    return list(
        session.scalars(
            select(ProcessInstance.id)
            .where(ProcessInstance.next_timer_at <= now, ProcessInstance.state == "running")
            .order_by(ProcessInstance.next_timer_at)
            .limit(limit)
        )
    )


def _waiting_timers(run: Run) -> dict[str, str]:
    tasks = run.workflow.event_manager.tasks.values()
    return {
        str(t.id): t.task_spec.bpmn_id
        for t in tasks
        if type(t.task_spec.event_definition).__name__ in TIMER_TYPES
    }


def fire_timers(session: Session, instance_id: int, now: datetime | None = None) -> list[int]:
    """Fires what is due in one instance; returns the service calls this queued."""
    run = load_run(session, instance_id, None)
    if run.instance.state != "running" or run.instance.next_timer_at is None:
        return []
    if run.instance.next_timer_at > (now or utcnow()):
        return []
    before = _waiting_timers(run)
    run.workflow.refresh_timers()
    after = _waiting_timers(run)
    for task_id, element in before.items():
        if task_id not in after or _fired(run, task_id):
            record(run, "timer.fired", element_id=element, data={"task": task_id})
    advance(run)
    return run.new_service_calls


def _fired(run: Run, task_id: str) -> bool:
    task = run.workflow.get_task_from_id(UUID(task_id))
    return bool(task and task._get_internal_data("event_fired", False))


def fire_all_due(db: Database, now: datetime | None = None) -> list[int]:
    now = now or utcnow()
    with db.transaction() as session:
        ids = due_instances(session, now)
    queued: list[int] = []
    for instance_id in ids:
        with db.write_transaction() as session:
            queued.extend(fire_timers(session, instance_id, now))
    return queued


def deliver_message(
    session: Session, instance_id: int, name: str, payload: dict[str, Any], actor: Actor | None
) -> list[int]:
    """Delivers message ``name`` (e.g. 'respuesta de la Entidad Pagadora') to one instance."""
    run = load_run(session, instance_id, actor)
    if run.instance.state != "running":
        raise DomainError(f"la instancia {instance_id} está {run.instance.state}")
    waiting = [
        t
        for t in run.workflow.event_manager.tasks.values()
        if isinstance(t.task_spec.event_definition, MessageEventDefinition)
        and t.task_spec.event_definition.name == name
    ]
    if not waiting:
        raise DomainError(f"la instancia {instance_id} no espera el mensaje '{name}'")
    run.workflow.send_event(BpmnEvent(waiting[0].task_spec.event_definition, payload=payload))
    record(
        run,
        "message.delivered",
        element_id=waiting[0].task_spec.bpmn_id,
        data={"message": name, "payload": payload},
    )
    advance(run)
    return run.new_service_calls

"""What the process owner does with an incident: retry the call, or resolve it by hand."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import DomainError, NotFound
from engine.runtime.actors import Actor
from engine.runtime.advance import advance
from engine.runtime.audit_context import record
from engine.runtime.lifecycle import require_owner
from engine.runtime.models import Incident, ServiceCall
from engine.runtime.store import Run, load_run


def _open(session: Session, incident_id: int, actor: Actor) -> tuple[Run, Incident, int | None]:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no existe el incidente {incident_id}")
    run = load_run(session, incident.instance_id, actor)
    session.refresh(incident)
    if incident.resolved_at is not None:
        raise DomainError(f"el incidente {incident_id} ya fue resuelto")
    return run, incident, require_owner(session, run, actor)


def _close(
    run: Run,
    incident: Incident,
    actor: Actor,
    *,
    resolution: str,
    position: int | None,
    data: dict[str, Any],
) -> None:
    incident.resolved_at, incident.resolved_by_user_id = utcnow(), actor.user_id
    incident.resolution = resolution
    run.session.flush()
    still_open = run.session.scalar(
        select(func.count()).where(
            Incident.instance_id == run.instance.id, Incident.resolved_at.is_(None)
        )
    )
    run.instance.incident_open = bool(still_open)
    record(
        run,
        "incident.resolved",
        element_id=incident.element_id,
        position_id=position,
        data={"incident": incident.id, "resolution": resolution, **data},
    )


def retry(session: Session, incident_id: int, actor: Actor) -> list[int]:
    """Puts the failed call back in the outbox; returns its id for dispatch."""
    run, incident, position = _open(session, incident_id, actor)
    call = session.get(ServiceCall, incident.service_call_id) if incident.service_call_id else None
    if call is None:
        raise DomainError("este incidente no tiene una llamada que reintentar")
    call.state, call.attempts, call.next_attempt_at = "pending", 0, utcnow()
    call.finished_at = None
    _close(
        run, incident, actor, resolution="reintentado", position=position, data={"call": call.id}
    )
    return [call.id]


def resolve(
    session: Session, incident_id: int, actor: Actor, result: dict[str, Any], note: str
) -> list[int]:
    """The owner did the operation's work another way: its result completes the task."""
    run, incident, position = _open(session, incident_id, actor)
    call = session.get(ServiceCall, incident.service_call_id) if incident.service_call_id else None
    if call is None:
        raise DomainError("este incidente no tiene una tarea de servicio que completar")
    task = run.workflow.get_task_from_id(UUID(call.task_uuid))
    if task is None or task.state != TaskState.STARTED:
        raise DomainError("la tarea de servicio ya no espera un resultado")
    call.result = json.dumps(result, ensure_ascii=False, default=str)
    call.state, call.finished_at = "done", utcnow()
    task.data[task.task_spec.result_variable] = json.loads(call.result)
    task.complete()
    _close(
        run,
        incident,
        actor,
        "resuelto manualmente",
        position,
        {"call": call.id, "result": result, "note": note},
    )
    advance(run)
    return run.new_service_calls

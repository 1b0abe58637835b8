"""Starting instances and the owner's controls: suspend, resume, cancel."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import definitions
from engine.db import utcnow
from engine.definitions.models import ProcessDefinition
from engine.definitions.validate import START_FORM_PROPERTY, starters_of
from engine.errors import DomainError, NotFound, PermissionDenied, ValidationError
from engine.org.models import Unit
from engine.runtime.actors import Actor
from engine.runtime.advance import advance
from engine.runtime.audit_context import record
from engine.runtime.form_errors import check_form
from engine.runtime.models import HumanTask, ProcessInstance, ServiceCall
from engine.runtime.routing import acting_position
from engine.runtime.store import Run, load_run, new_workflow, save_run

MAX_START_DATA_BYTES = 64 * 1024


def start_instance(
    session: Session,
    key: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    *,
    scope: str | None = None,
) -> Run:
    """Starts the latest version of process ``key``.

    The scope (the unit whose people will see its tasks) is ``scope`` (a unit code), else
    the unit of the initiator's first position. ``data['co_hogar']`` names the household.
    """
    data = copy.deepcopy(data or {})
    if not isinstance(data, dict):
        raise ValidationError("data", "los datos iniciales deben ser un objeto JSON")
    if len(str(data).encode()) > MAX_START_DATA_BYTES:
        raise ValidationError("data", "los datos iniciales son demasiado grandes")
    definition = definitions.load_latest(session, key)
    if definition is None:
        raise NotFound(f"no existe el proceso '{key}'")
    scope_unit_id = _scope(session, actor, scope)
    _require_starter(definition.properties, actor)
    start_form = definition.properties.get(START_FORM_PROPERTY)
    if start_form:
        check_form(definition.forms[start_form], data)
    workflow = new_workflow(definition)
    workflow.data.update(data)
    for task in workflow.get_tasks():  # the start event's data becomes the instance's data
        task.data.update(copy.deepcopy(data))
    household = data.get("co_hogar")
    instance = ProcessInstance(
        definition_id=definition.id,
        process_key=definition.key,
        process_version=definition.version,
        scope_unit_id=scope_unit_id,
        household=str(household) if household else None,
        initiator_user_id=actor.user_id,
        workflow=b"",
    )
    session.add(instance)
    session.flush()
    run = Run(session, instance, definition, workflow, actor, open_rows={})  # none yet
    position = actor.positions[0].id if actor.positions else None
    record(run, "instance.started", position_id=position, data={"data": data})
    advance(run)
    return run


def _require_starter(properties: dict[str, str], actor: Actor) -> None:
    """``starters`` names who may start; without it, anyone holding a position (or an
    administrator) — never a user with no position today."""
    if not actor.positions and not actor.is_admin:
        raise PermissionDenied(f"{actor.login} no ocupa ningún cargo: no puede iniciar procesos")
    allowed = starters_of(properties)
    if (
        allowed
        and not actor.is_admin
        and not any(acting_position(actor, name, None) for name in allowed)
    ):
        raise PermissionDenied(f"solo pueden iniciar este proceso: {', '.join(allowed)}")


def _scope(session: Session, actor: Actor, scope: str | None) -> int | None:
    """The unit whose people will see the instance's tasks. Staff of a Unidad Territorial
    start only in their own; central staff may start for any unit (e.g. a reclamo about a
    UT received at the sede central)."""
    if not scope:
        return actor.positions[0].unit_id if actor.positions else None
    unit = session.scalar(select(Unit).where(Unit.code == scope))
    if unit is None:
        raise ValidationError("scope", f"no existe la unidad '{scope}'")
    own = {p.unit_id for p in actor.positions}
    central = any(p.unit.kind != "territorial" for p in actor.positions)
    if unit.id not in own and not central and not actor.is_admin:
        raise PermissionDenied(f"solo puede iniciar procesos en su unidad, no en {unit.name}")
    return unit.id


def require_owner(session: Session, run: Run, actor: Actor) -> int | None:
    """Only the process owner (propietario) or an administrator controls an instance."""
    owner = session.get(ProcessDefinition, run.instance.definition_id).owner
    position = acting_position(actor, owner, None)
    if position is None and not actor.is_admin:
        raise PermissionDenied(f"solo el propietario del proceso ({owner}) puede hacerlo")
    return position.id if position else None


def suspend(session: Session, instance_id: int, actor: Actor, reason: str = "") -> None:
    _set_state(session, instance_id, actor, expected="running", new="suspended", reason=reason)


def resume(session: Session, instance_id: int, actor: Actor, reason: str = "") -> list[int]:
    run = _set_state(
        session, instance_id, actor, expected="suspended", new="running", reason=reason
    )
    advance(run)  # timers that fell due while suspended fire now
    session.execute(  # calls deferred while suspended go out with the next relay
        update(ServiceCall)
        .where(ServiceCall.instance_id == instance_id, ServiceCall.state == "pending")
        .values(next_attempt_at=utcnow())
    )
    return run.new_service_calls


def cancel(session: Session, instance_id: int, actor: Actor, reason: str = "") -> None:
    run = load_run(session, instance_id, actor)
    if run.instance.state not in ("running", "suspended"):
        raise DomainError(f"la instancia {instance_id} ya está {run.instance.state}")
    position = require_owner(session, run, actor)
    run.workflow.cancel()
    run.instance.state = "cancelled"
    run.instance.next_timer_at = None
    for row in session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.state.in_(("ready", "claimed"))
        )
    ):
        row.state = "cancelled"
    record(run, "instance.cancelled", position_id=position, data={"reason": reason})
    save_run(run)


def _set_state(
    session: Session, instance_id: int, actor: Actor, *, expected: str, new: str, reason: str
) -> Run:
    run = load_run(session, instance_id, actor)
    if run.instance.state != expected:
        raise DomainError(f"la instancia {instance_id} está {run.instance.state}")
    position = require_owner(session, run, actor)
    run.instance.state = new
    kind = "instance.suspended" if new == "suspended" else "instance.resumed"
    record(run, kind, position_id=position, data={"reason": reason})
    return run


def may_start(properties: dict[str, str], actor: Actor) -> bool:
    try:
        _require_starter(properties, actor)
    except PermissionDenied:
        return False
    return True


def startable(session: Session, actor: Actor) -> list[ProcessDefinition]:
    """The latest version of every process ``actor`` may start."""
    return [
        d
        for d in definitions.latest_definitions(session)
        if may_start(json.loads(d.properties), actor)
    ]


def require_owner_position(session: Session, instance: ProcessInstance, actor: Actor) -> bool:
    """Whether ``actor`` holds the owner (propietario) position of the instance's process."""
    owner = session.get(ProcessDefinition, instance.definition_id).owner
    return acting_position(actor, owner, None) is not None

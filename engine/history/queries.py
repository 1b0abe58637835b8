"""Read-only queries over every instance of every process, for the auditors: the list
with filters, one instance's timeline (who, as what, when, what changed, the data as it
was at that step), the path taken, and everything that happened to one household."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.clock import LIMA
from engine.definitions.models import ProcessDefinition
from engine.errors import NotFound
from engine.history.access import require_history_reader
from engine.org.models import Position, Unit, User
from engine.runtime.actors import Actor
from engine.runtime.coverage import Path, instance_path
from engine.runtime.models import HumanTask, Incident, ProcessInstance
from engine.runtime.serialization import unpack

PAGE = 50


@dataclass(frozen=True)
class HistoryFilter:
    process: str = ""
    version: int | None = None
    unit: str = ""  # a unit code (UT-CAJ…): the instance's ámbito
    date_from: date | None = None
    date_to: date | None = None
    actor: str = ""  # a login that did something in the instance
    position: str = ""  # a denominación (or cargo number) someone acted as
    household: str = ""

    def as_params(self) -> dict[str, str]:
        values = {
            "proceso": self.process,
            "version": str(self.version or ""),
            "ut": self.unit,
            "desde": self.date_from.isoformat() if self.date_from else "",
            "hasta": self.date_to.isoformat() if self.date_to else "",
            "actor": self.actor,
            "cargo": self.position,
            "hogar": self.household,
        }
        return {k: v for k, v in values.items() if v}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LIMA)


def _event_filter(stmt: Select, f: HistoryFilter) -> Select:  # type: ignore[type-arg]
    who = select(audit.AuditEvent.seq).where(audit.AuditEvent.instance_id == ProcessInstance.id)
    if f.actor:
        who = who.join(User, User.id == audit.AuditEvent.actor_user_id).where(User.login == f.actor)
    if f.position:
        cargo = int(f.position) if f.position.isdigit() else None
        who = who.join(Position, Position.id == audit.AuditEvent.actor_position_id).where(
            or_(Position.denominacion == f.position, Position.cargo == cargo)
        )
    return stmt.where(exists(who)) if (f.actor or f.position) else stmt


def search(
    session: Session, actor: Actor, f: HistoryFilter, *, limit: int = PAGE, offset: int = 0
) -> list[ProcessInstance]:
    require_history_reader(actor)
    return list(
        session.scalars(_query(f).order_by(ProcessInstance.id.desc()).limit(limit).offset(offset))
    )


def _query(f: HistoryFilter) -> Select:  # type: ignore[type-arg]
    stmt = select(ProcessInstance)
    if f.process:
        stmt = stmt.where(ProcessInstance.process_key == f.process)
    if f.version:
        stmt = stmt.where(ProcessInstance.process_version == f.version)
    if f.unit:
        stmt = stmt.join(Unit, Unit.id == ProcessInstance.scope_unit_id).where(Unit.code == f.unit)
    if f.date_from:
        stmt = stmt.where(ProcessInstance.started_at >= _start_of(f.date_from))
    if f.date_to:
        stmt = stmt.where(ProcessInstance.started_at < _start_of(f.date_to + timedelta(days=1)))
    if f.household:
        stmt = stmt.where(ProcessInstance.household == f.household)
    return _event_filter(stmt, f)


def instance_ids(session: Session, actor: Actor, f: HistoryFilter, limit: int = 5000) -> list[int]:
    require_history_reader(actor)
    stmt = _query(f).with_only_columns(ProcessInstance.id).order_by(ProcessInstance.id)
    return list(session.scalars(stmt.limit(limit)))


@dataclass
class Step:
    """One audit event as the timeline shows it."""

    event: audit.AuditEvent
    actor: str
    position: str
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)  # (variable, before, after)
    data: dict[str, Any] = field(default_factory=dict)  # the instance data after this step
    payload: dict[str, Any] = field(default_factory=dict)  # the event's own data


def _names(session: Session, events: list[audit.AuditEvent]) -> tuple[dict, dict]:  # type: ignore[type-arg]
    users = {e.actor_user_id for e in events if e.actor_user_id}
    positions = {e.actor_position_id for e in events if e.actor_position_id}
    people = {
        u.id: f"{u.full_name} ({u.login})"
        for u in session.scalars(select(User).where(User.id.in_(users)))
    }
    cargos = {
        p.id: f"{p.cargo:03d} {p.denominacion}"
        for p in session.scalars(select(Position).where(Position.id.in_(positions)))
    }
    return people, cargos


def _apply(
    data: dict[str, Any], event: audit.AuditEvent, payload: dict[str, Any]
) -> list[tuple[str, Any, Any]]:
    """Moves ``data`` (the instance's variables) past ``event``; returns what changed."""
    if event.kind == "instance.started":
        new = dict(payload.get("data") or {})
    elif event.kind == "task.completed":
        new = {**data, **(payload.get("submitted") or {})}
    elif event.kind == "service.succeeded":
        new = {**data, f"resultado:{event.element_id}": payload.get("result")}
    elif event.kind == "instance.completed":
        new = dict(payload.get("data") or data)
    else:
        return []
    changes = [(k, data.get(k), new[k]) for k in sorted(new) if data.get(k) != new[k]]
    changes += [(k, data[k], None) for k in sorted(data) if k not in new]
    data.clear()
    data.update(new)
    return changes


def timeline(session: Session, actor: Actor, instance_id: int) -> list[Step]:
    require_history_reader(actor)
    if session.get(ProcessInstance, instance_id) is None:
        raise NotFound(f"no existe la instancia {instance_id}")
    events = audit.events(session, instance_id=instance_id)
    people, cargos = _names(session, events)
    data: dict[str, Any] = {}
    steps = []
    for event in events:
        payload = json.loads(event.data)
        changes = _apply(data, event, payload)
        steps.append(
            Step(
                event,
                people.get(event.actor_user_id, "Sistema" if not event.actor_user_id else "?"),
                cargos.get(event.actor_position_id, ""),
                changes,
                dict(data),
                payload,
            )
        )
    return steps


def step_at(session: Session, actor: Actor, instance_id: int, seq: int) -> Step:
    """The data of the instance (and of the task) as it was at event ``seq``."""
    for step in timeline(session, actor, instance_id):
        if step.event.seq == seq:
            return step
    raise NotFound(f"la instancia {instance_id} no tiene el evento {seq}")


@dataclass(frozen=True)
class InstanceHistory:
    instance: ProcessInstance
    definition: ProcessDefinition
    path: Path
    open_tasks: list[HumanTask]
    incidents: list[Incident]
    scope: str


def instance_history(session: Session, actor: Actor, instance_id: int) -> InstanceHistory:
    require_history_reader(actor)
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no existe la instancia {instance_id}")
    definition = session.get(ProcessDefinition, instance.definition_id)
    path = instance_path(
        definition.key, definition.source, definition.filename, unpack(instance.workflow)
    )
    tasks = session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.state.in_(("ready", "claimed"))
        )
    )
    incidents = session.scalars(select(Incident).where(Incident.instance_id == instance_id))
    unit = session.get(Unit, instance.scope_unit_id) if instance.scope_unit_id else None
    return InstanceHistory(
        instance, definition, path, list(tasks), list(incidents), unit.name if unit else ""
    )


def household_events(session: Session, actor: Actor, household: str) -> list[Step]:
    """Everything recorded about one hogar, across processes, in chain order."""
    require_history_reader(actor)
    events = audit.events(session, household=household)
    people, cargos = _names(session, events)
    return [
        Step(
            e,
            people.get(e.actor_user_id, "Sistema"),
            cargos.get(e.actor_position_id, ""),
            payload=json.loads(e.data),
        )
        for e in events
    ]


def processes(session: Session) -> list[tuple[str, str]]:
    """(key, name of its latest version) of every process ever published."""
    rows = session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name).order_by(
            ProcessDefinition.key, ProcessDefinition.version
        )
    )
    return sorted({key: name for key, name in rows}.items())

"""Read side of the runtime: an actor's tasks, and one instance with its history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.documents.models import Document
from engine.errors import NotFound
from engine.runtime.actors import Actor
from engine.runtime.models import HumanTask, Incident, ProcessInstance, ServiceCall


def _candidate_filter(actor: Actor):  # type: ignore[no-untyped-def]
    clauses = [
        and_(
            HumanTask.candidate.in_({p.denominacion, p.puesto}),
            or_(HumanTask.candidate_unit_id.is_(None), HumanTask.candidate_unit_id == p.unit_id),
        )
        for p in actor.positions
    ]
    return or_(*clauses) if clauses else false()


def tasks_for(
    session: Session, actor: Actor, *, scope: str = "all", limit: int = 100, offset: int = 0
) -> list[HumanTask]:
    """``mine``: assigned to the actor; ``available``: unclaimed for the actor's positions;
    ``all``: both."""
    mine = and_(HumanTask.assignee_user_id == actor.user_id, HumanTask.state == "claimed")
    available = and_(HumanTask.state == "ready", _candidate_filter(actor))
    where = {"mine": mine, "available": available}.get(scope, or_(mine, available))
    query = (
        select(HumanTask)
        .where(where)
        .order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


@dataclass(frozen=True)
class InstanceDetail:
    instance: ProcessInstance
    tasks: list[HumanTask]
    service_calls: list[ServiceCall]
    incidents: list[Incident]
    documents: list[Document]
    history: list[audit.AuditEvent]


def instance_detail(session: Session, instance_id: int) -> InstanceDetail:
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        raise NotFound(f"no existe la instancia {instance_id}")

    def rows(model: Any) -> list[Any]:
        return list(
            session.scalars(
                select(model).where(model.instance_id == instance_id).order_by(model.id)
            )
        )

    return InstanceDetail(
        instance,
        rows(HumanTask),
        rows(ServiceCall),
        rows(Incident),
        rows(Document),
        audit.events(session, instance_id=instance_id),
    )

"""Read side of the runtime: an actor's tasks, and one instance with its history."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.documents.models import Document
from engine.errors import NotFound, PermissionDenied
from engine.runtime.actors import Actor
from engine.runtime.inbox import open_tasks
from engine.runtime.lifecycle import require_owner_position
from engine.runtime.models import HumanTask, Incident, ProcessInstance, ServiceCall
from engine.runtime.task_page import require_view


def tasks_for(
    session: Session, actor: Actor, *, scope: str = "all", limit: int = 100, offset: int = 0
) -> list[HumanTask]:
    """``mine``: assigned to the actor; ``available``: unclaimed for the actor's positions;
    ``all``: both; in the inbox's due order, read on its index ranges."""
    return open_tasks(session, actor, scope, limit, offset)


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


def instance_detail_for(session: Session, actor: Actor, instance_id: int) -> InstanceDetail:
    """``instance_detail`` for someone who may open the instance (``require_instance_view``)."""
    detail = instance_detail(session, instance_id)
    require_instance_view(session, actor, detail.instance)
    return detail


def instances_started_by(
    session: Session, user_id: int, *, limit: int = 50, offset: int = 0
) -> list[ProcessInstance]:
    """ "Mis solicitudes": the instances a person started, newest first."""
    query = (
        select(ProcessInstance)
        .where(ProcessInstance.initiator_user_id == user_id)
        .order_by(ProcessInstance.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def require_instance_view(session: Session, actor: Actor, instance: ProcessInstance) -> None:
    """Who may open an instance: its initiator, the process owner, administrators, and
    whoever may see one of its tasks."""
    if actor.is_admin or instance.initiator_user_id == actor.user_id:
        return
    if require_owner_position(session, instance, actor):
        return
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)):
        try:
            require_view(session, actor, row)
            return
        except PermissionDenied:
            continue
    raise PermissionDenied("no tiene acceso a esta instancia")

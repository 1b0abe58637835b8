"""What a person sees on one task's page, and whether they may see it at all.

May see a task: whoever may do it (a candidate position in its scope), whoever holds or did
it, a supervisor of its candidates along the lines of authority, and administrators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import today
from engine.definitions import store
from engine.errors import NotFound, PermissionDenied
from engine.org.models import Assignment, Position, User
from engine.runtime.actors import Actor
from engine.runtime.models import HumanTask, ProcessInstance
from engine.runtime.routing import acting_position, positions_named, supervising_position
from engine.runtime.serialization import load

CONTEXT_VALUE_MAX_CHARS = 300


@dataclass
class TaskPage:
    task: HumanTask
    instance: ProcessInstance
    process_name: str
    manual_section: str
    documentation: str
    form_schema: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    context: dict[str, Any]
    acting_as: Position | None
    can_claim: bool = False
    can_unclaim: bool = False
    can_complete: bool = False
    can_reassign: bool = False
    reassign_choices: list[tuple[str, str]] = field(default_factory=list)


def task_row(session: Session, task_id: int) -> HumanTask:
    row = session.get(HumanTask, task_id)
    if row is None:
        raise NotFound(f"no existe la tarea {task_id}")
    return row


def require_view(session: Session, actor: Actor, row: HumanTask) -> None:
    if actor.is_admin or actor.user_id in (row.assignee_user_id, row.completed_by_user_id):
        return
    if acting_position(actor, row.candidate, row.candidate_unit_id) is not None:
        return
    if supervising_position(session, actor, row.candidate, row.candidate_unit_id) is not None:
        return
    raise PermissionDenied("no tiene acceso a esta tarea")


def task_page(session: Session, actor: Actor, task_id: int) -> TaskPage:
    row = task_row(session, task_id)
    require_view(session, actor, row)
    instance = session.get(ProcessInstance, row.instance_id)
    definition = store.load_by_id(session, instance.definition_id)
    spec = definition.spec.task_specs.get(row.element_id)
    props = (getattr(spec, "extensions", None) or {}).get("properties", {})
    ui_name = props.get("formUiSchemaFilename")
    page = TaskPage(
        task=row,
        instance=instance,
        process_name=definition.spec.description or definition.key,
        manual_section=definition.properties.get("manual_section", ""),
        documentation=(getattr(spec, "documentation", None) or "").strip(),
        form_schema=definition.forms.get(row.form) if row.form else None,
        ui_schema=definition.forms.get(ui_name) if ui_name else None,
        context=_context(instance, definition, row),
        acting_as=acting_position(actor, row.candidate, row.candidate_unit_id),
    )
    _set_permissions(session, actor, page)
    return page


def _set_permissions(session: Session, actor: Actor, page: TaskPage) -> None:
    row, open_ = page.task, page.task.state in ("ready", "claimed")
    running = page.instance.state == "running"
    free_or_mine = row.assignee_user_id in (None, actor.user_id)
    page.can_claim = bool(open_ and running and page.acting_as and row.state == "ready")
    page.can_unclaim = open_ and row.state == "claimed" and row.assignee_user_id == actor.user_id
    page.can_complete = bool(open_ and running and page.acting_as and free_or_mine)
    boss = supervising_position(session, actor, row.candidate, row.candidate_unit_id)
    page.can_reassign = open_ and (boss is not None or actor.is_admin)
    if page.can_reassign:
        page.reassign_choices = candidates_of(session, row)


def candidates_of(session: Session, row: HumanTask) -> list[tuple[str, str]]:
    """(login, name) of the people holding a candidate position of the task today."""
    positions = [
        p.id
        for p in positions_named(session, row.candidate)
        if row.candidate_unit_id is None or p.unit_id == row.candidate_unit_id
    ]
    if not positions:
        return []
    day = today()
    query = (
        select(User.login, User.full_name)
        .join(Assignment, Assignment.user_id == User.id)
        .where(
            Assignment.position_id.in_(positions),
            Assignment.start_date <= day,
            (Assignment.end_date.is_(None)) | (Assignment.end_date >= day),
            User.is_active.is_(True),
        )
        .distinct()
        .order_by(User.full_name)
    )
    return [(login, name) for login, name in session.execute(query)]


def _context(
    instance: ProcessInstance, definition: store.LoadedDefinition, row: HumanTask
) -> dict[str, Any]:
    """The data the task sees (its own data in the workflow), trimmed for display."""
    workflow = load(instance.workflow, definition)
    task = workflow.get_task_from_id(UUID(row.task_uuid))
    data = task.data if task is not None else workflow.data
    shown: dict[str, Any] = {}
    for key, value in sorted(data.items()):
        if key.startswith("_") or key.startswith("spiff"):
            continue
        text = value if isinstance(value, str) else repr(value)
        shown[key] = text[:CONTEXT_VALUE_MAX_CHARS]
    return shown

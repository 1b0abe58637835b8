"""Claim, unclaim, reassign and complete human tasks — each checked against the org chart
and audited, each in the caller's single transaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from engine import direct_sql
from engine.db import utcnow
from engine.errors import DomainError, NotFound, PermissionDenied, ValidationError
from engine.org import user_by_login
from engine.org.models import Position
from engine.runtime.actors import Actor, actor_for_user
from engine.runtime.advance import advance
from engine.runtime.audit_context import record
from engine.runtime.form_errors import check_form
from engine.runtime.models import HumanTask, NewTask
from engine.runtime.routing import acting_position, require_candidate, supervising_position
from engine.runtime.store import Conflict, Run, load_run, refresh_loaded

MAX_SUBMISSION_BYTES = 256 * 1024

_tasks = HumanTask.__table__
_INSTANCE_OF_TASK = (
    select(_tasks.c.instance_id).where(_tasks.c.id == bindparam("key")).scalar_subquery()
)
_SELECT_TASK = select(_tasks).where(_tasks.c.id == bindparam("task"))
# The instance's open rows: the task being completed is among them when it is still open,
# and the projection then needs no query of its own.
_SELECT_OPEN = select(_tasks).where(
    _tasks.c.instance_id == bindparam("instance"), _tasks.c.state.in_(("ready", "claimed"))
)
_COMPLETE_TASK = update(_tasks).where(_tasks.c.id == bindparam("task"))


@dataclass(frozen=True)
class Completion:
    instance_id: int
    new_service_calls: list[int]
    new_tasks: list[NewTask]  # the human tasks this completion made READY


def _lock(session: Session, task_id: int, actor: Actor) -> Run:
    """Locks the task's instance (found in the same statement): the first thing every
    writer of a task does."""
    return load_run(session, _INSTANCE_OF_TASK, actor, f"no existe la tarea {task_id}", task_id)


def _check_open(run: Run, row: HumanTask | Row[Any], task_id: int) -> None:
    if run.instance.state != "running":
        raise DomainError(f"la instancia {row.instance_id} está {run.instance.state}")
    if row.state not in ("ready", "claimed"):
        raise Conflict(f"la tarea {task_id} ya no está pendiente ({row.state})")


def _open_run(session: Session, task_id: int, actor: Actor) -> tuple[Run, HumanTask]:
    """Locks the instance first, then reads the task row fresh: the order every writer uses."""
    run = _lock(session, task_id, actor)
    row = session.get(HumanTask, task_id, populate_existing=True)  # never a stale copy
    if row is None:
        raise NotFound(f"no existe la tarea {task_id}")
    _check_open(run, row, task_id)
    return run, row


def take_over(session: Session, task_id: int, actor: Actor) -> None:
    """A supervisor of the task's candidates takes it to do it themselves (Title IV.C)."""
    run, row = _open_run(session, task_id, actor)
    boss = supervising_position(session, actor, row.candidate, row.candidate_unit_id)
    if boss is None:
        raise PermissionDenied("solo un superior en la línea de mando puede asumir la tarea")
    previous = row.assignee_user_id
    row.state, row.assignee_user_id = "claimed", actor.user_id
    record(
        run,
        "task.taken_over",
        element_id=row.element_id,
        position_id=boss.id,
        data={"task": row.task_uuid, "from_user_id": previous},
    )


def _acting_as(session: Session, actor: Actor, row: HumanTask | Row[Any]) -> Position:
    """The candidate position the actor holds — or, for a task they took over, the
    supervising one."""
    position = acting_position(actor, row.candidate, row.candidate_unit_id)
    if position is None and row.assignee_user_id == actor.user_id:
        position = supervising_position(session, actor, row.candidate, row.candidate_unit_id)
    return position or require_candidate(actor, row.candidate, row.candidate_unit_id)


def claim(session: Session, task_id: int, actor: Actor) -> None:
    run, row = _open_run(session, task_id, actor)
    position = require_candidate(actor, row.candidate, row.candidate_unit_id)
    if row.assignee_user_id not in (None, actor.user_id):
        raise Conflict(f"la tarea {task_id} ya fue tomada por otra persona")
    row.state, row.assignee_user_id = "claimed", actor.user_id
    record(
        run,
        "task.claimed",
        element_id=row.element_id,
        position_id=position.id,
        data={"task": row.task_uuid},
    )


def unclaim(session: Session, task_id: int, actor: Actor) -> None:
    run, row = _open_run(session, task_id, actor)
    if row.assignee_user_id != actor.user_id:
        raise PermissionDenied("solo quien tomó la tarea puede liberarla")
    row.state, row.assignee_user_id = "ready", None
    record(run, "task.unclaimed", element_id=row.element_id, data={"task": row.task_uuid})


def reassign(session: Session, task_id: int, actor: Actor, to_login: str | None) -> None:
    """A supervisor of the task's candidates gives it to someone (or back to the pool)."""
    run, row = _open_run(session, task_id, actor)
    boss = supervising_position(session, actor, row.candidate, row.candidate_unit_id)
    if boss is None and not actor.is_admin:
        raise PermissionDenied("solo un superior en la línea de mando puede reasignar la tarea")
    target = None
    if to_login:
        target = actor_for_user(session, user_by_login(session, to_login))
        require_candidate(target, row.candidate, row.candidate_unit_id)
    previous = row.assignee_user_id
    row.assignee_user_id = target.user_id if target else None
    row.state = "claimed" if target else "ready"
    record(
        run,
        "task.reassigned",
        element_id=row.element_id,
        position_id=boss.id if boss else None,
        data={"task": row.task_uuid, "from_user_id": previous, "to_user_id": row.assignee_user_id},
    )


def complete(
    session: Session, task_id: int, actor: Actor, data: dict[str, Any] | None = None
) -> Completion:
    run = _lock(session, task_id, actor)
    connection = session.connection()
    rows = direct_sql.rows(connection, _SELECT_OPEN, {"instance": run.instance.id})
    open_rows = {r.task_uuid: r for r in rows}  # read after the lock
    row = next((r for r in open_rows.values() if r.id == task_id), None)
    if row is None:  # no longer open: read it to say why
        row = direct_sql.first(connection, _SELECT_TASK, {"task": task_id})
    _check_open(run, row, task_id)
    position = _acting_as(session, actor, row)
    if row.assignee_user_id not in (None, actor.user_id):
        raise Conflict(f"la tarea {task_id} está asignada a otra persona")
    _check_separation(session, run, row, actor)
    task = run.workflow.get_task_from_id(UUID(row.task_uuid))
    if task is None or task.state != TaskState.READY:  # Task.run() would not check this
        raise Conflict(f"la tarea {task_id} ya no está lista en el proceso")
    submitted = _validated(run, row, data or {})
    before = copy.deepcopy(task.data)
    task.data.update(submitted)
    task.run()
    done = {
        "state": "completed",
        "assignee_user_id": actor.user_id,
        "completed_at": utcnow(),
        "completed_by_user_id": actor.user_id,
        "completed_as_position_id": position.id,
    }
    direct_sql.execute(connection, _COMPLETE_TASK, {"task": task_id, **done})
    refresh_loaded(session, HumanTask, task_id, done)
    del open_rows[row.task_uuid]
    run.open_rows = open_rows
    record(
        run,
        "task.completed",
        element_id=row.element_id,
        position_id=position.id,
        data={"task": row.task_uuid, "submitted": submitted, "diff": _diff(before, task.data)},
    )
    advance(run)
    return Completion(run.instance.id, run.new_service_calls, run.new_tasks)


def _validated(run: Run, row: HumanTask | Row[Any], data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError("data", "los datos deben ser un objeto JSON")
    if len(str(data).encode()) > MAX_SUBMISSION_BYTES:
        raise ValidationError("data", "los datos enviados son demasiado grandes")
    bad = [k for k in data if not isinstance(k, str) or k.startswith(("_", "spiff__"))]
    if bad:
        raise ValidationError(str(bad[0]), "nombre de campo no permitido")
    if row.form:
        check_form(run.definition.forms.get(row.form), data)
    return copy.deepcopy(data)


def _check_separation(session: Session, run: Run, row: HumanTask | Row[Any], actor: Actor) -> None:
    """Segregation of duties: the process may declare pairs of tasks done by different people."""
    for a, b in run.definition.separated_pairs:
        if row.element_id not in (a, b):
            continue
        other = b if row.element_id == a else a
        done_by_actor = session.scalar(
            select(HumanTask.id)
            .where(
                HumanTask.instance_id == row.instance_id,
                HumanTask.element_id == other,
                HumanTask.state == "completed",
                HumanTask.completed_by_user_id == actor.user_id,
            )
            .limit(1)
        )
        if done_by_actor is not None:
            raise PermissionDenied(
                f"separación de funciones: quien realizó '{other}' no puede realizar "
                f"'{row.element_id}' en la misma instancia"
            )


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Which variables of the task's data the completion changed (values are in the
    submitted data, so they are not repeated here); ``removed`` only when some were."""
    changed = sorted(
        k
        for k, v in after.items()
        if not k.startswith("spiff__") and (k not in before or before[k] != v)
    )
    removed = sorted(k for k in before if k not in after)
    return {"changed": changed, "removed": removed} if removed else {"changed": changed}

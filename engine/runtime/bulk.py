"""Bulk actions on many tasks of one kind: claim them, or complete them with the same data.

Each task is its own unit of work (its own transaction), so one refusal — taken by someone
else, not in scope, a form error — leaves the others done; the caller gets one result per
task, in the order asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.db import Database
from engine.errors import DomainError, PermissionDenied, ValidationError
from engine.org import get_user
from engine.runtime.actors import actor_for_user
from engine.runtime.models import HumanTask
from engine.runtime.task_page import require_view
from engine.runtime.tasks import claim, complete

MAX_BULK = 100


@dataclass(frozen=True)
class BulkResult:
    task_id: int
    ok: bool
    message: str


def _checked_ids(task_ids: list[int]) -> list[int]:
    ids = list(dict.fromkeys(int(t) for t in task_ids))
    if not ids:
        raise ValidationError("task_ids", "seleccione al menos una tarea")
    if len(ids) > MAX_BULK:
        raise ValidationError("task_ids", f"se admiten hasta {MAX_BULK} tareas por lote")
    return ids


def same_kind(db: Database, task_ids: list[int], user_id: int) -> tuple[str, str] | None:
    """The (form, element) shared by the tasks the user may see, or a ValidationError (the
    others are refused one by one later, without saying what they are)."""
    with db.transaction() as session:
        actor = actor_for_user(session, get_user(session, user_id))
        kinds = {
            (row.form or "", row.element_id)
            for row in (session.get(HumanTask, t) for t in task_ids)
            if row is not None and _visible(session, actor, row)
        }
    if not kinds:
        return None  # none is visible: each will be refused on its own
    if len(kinds) != 1:
        raise ValidationError("task_ids", "las tareas de un lote deben ser del mismo tipo")
    return next(iter(kinds))


def _visible(session, actor, row: HumanTask) -> bool:  # type: ignore[no-untyped-def]
    try:
        require_view(session, actor, row)
    except PermissionDenied:
        return False
    return True


def bulk_claim(db: Database, user_id: int, task_ids: list[int]) -> list[BulkResult]:
    return [
        _one(db, user_id, t, lambda s, a, t=t: claim(s, t, a), "tomada")
        for t in _checked_ids(task_ids)
    ]


def bulk_complete(
    db: Database, user_id: int, task_ids: list[int], data: dict[str, Any]
) -> list[BulkResult]:
    """Completes each task with ``data``, each in its own transaction."""
    ids = _checked_ids(task_ids)
    same_kind(db, ids, user_id)
    return [
        _one(db, user_id, t, lambda s, a, t=t: complete(s, t, a, dict(data)), "completada")
        for t in ids
    ]


def _one(db: Database, user_id: int, task_id: int, action, done: str) -> BulkResult:  # type: ignore[no-untyped-def]
    try:
        with db.write_transaction() as session:
            action(session, actor_for_user(session, get_user(session, user_id)))
    except DomainError as exc:
        return BulkResult(task_id, False, str(exc))
    return BulkResult(task_id, True, done)

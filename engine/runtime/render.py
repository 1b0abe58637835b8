"""Runtime rows as plain JSON-ready dicts: one shape for the API, the CLI and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine import progress
from engine.db import Database
from engine.runtime.models import HumanTask, NewTask
from engine.runtime.queries import InstanceDetail
from engine.runtime.serialization import unpack


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def task_dict(t: HumanTask | NewTask) -> dict[str, Any]:
    return {
        "id": t.id,
        "instance_id": t.instance_id,
        "element_id": t.element_id,
        "name": t.name,
        "candidate": t.candidate,
        "candidate_unit_id": t.candidate_unit_id,
        "state": t.state,
        "assignee_user_id": t.assignee_user_id,
        "form": t.form,
        "priority": t.priority,
        "household": t.household,
        "due_at": _iso(t.due_at),
        "created_at": _iso(t.created_at),
        "completed_at": _iso(t.completed_at),
    }


def instance_dict(d: InstanceDetail, db: Database | None = None) -> dict[str, Any]:
    """The instance with its data, tasks, service calls (with live progress when ``db`` is
    given), incidents and audit history."""
    i = d.instance
    live = progress.read(db, [c.id for c in d.service_calls if c.state == "running"]) if db else {}
    return {
        "id": i.id,
        "process_key": i.process_key,
        "process_version": i.process_version,
        "state": i.state,
        "incident_open": i.incident_open,
        "household": i.household,
        "scope_unit_id": i.scope_unit_id,
        "started_at": _iso(i.started_at),
        "ended_at": _iso(i.ended_at),
        "next_timer_at": _iso(i.next_timer_at),
        "data": unpack(i.workflow).get("data", {}),
        "tasks": [task_dict(t) for t in d.tasks],
        "service_calls": [
            {
                "id": c.id,
                "element_id": c.element_id,
                "operation": c.operation,
                "state": c.state,
                "attempts": c.attempts,
                "last_error": c.last_error,
                "progress": list(live.get(c.id, (c.progress_done, c.progress_total))),
            }
            for c in d.service_calls
        ],
        "incidents": [
            {
                "id": n.id,
                "element_id": n.element_id,
                "error": n.error,
                "opened_at": _iso(n.opened_at),
                "resolved": n.resolved_at is not None,
            }
            for n in d.incidents
        ],
        "documents": [
            {
                "id": doc.id,
                "reference": doc.reference,
                "kind": doc.kind,
                "title": doc.title,
                "element_id": doc.element_id,
                "created_at": _iso(doc.created_at),
                "content": doc.content,
            }
            for doc in d.documents
        ],
        "history": [
            {
                "seq": e.seq,
                "kind": e.kind,
                "element_id": e.element_id,
                "actor_user_id": e.actor_user_id,
                "actor_position_id": e.actor_position_id,
                "recorded_at": _iso(e.recorded_at),
                "hash": e.hash,
            }
            for e in d.history
        ],
    }

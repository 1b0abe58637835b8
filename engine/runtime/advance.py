"""After anything moves a workflow: run the engine steps, then make the database say what
the workflow now waits for — inbox rows for READY human tasks, outbox rows for service
tasks, the next timer's due time — and record each of these in the audit log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, insert, select, update

from engine import direct_sql
from engine.db import utcnow
from engine.definitions.spiff import AsyncServiceTask
from engine.errors import DomainError
from engine.org.models import Unit
from engine.runtime.audit_context import record
from engine.runtime.incidents import open_incident
from engine.runtime.models import HumanTask, NewTask, ServiceCall
from engine.runtime.routing import candidate_unit
from engine.runtime.store import Run, refresh_loaded, save_run
from engine.scripting import SandboxError
from engine.services.catalog import get_operation

_tasks = HumanTask.__table__
_calls = ServiceCall.__table__
# Built once: the hot path then skips building statements and their cache keys.
_OPEN_ROWS = select(_tasks.c.id, _tasks.c.task_uuid, _tasks.c.element_id).where(
    _tasks.c.instance_id == bindparam("instance"), _tasks.c.state.in_(("ready", "claimed"))
)
_INSERT_TASKS = insert(_tasks).returning(_tasks.c.id, sort_by_parameter_order=True)
_CANCEL_TASK = update(_tasks).where(_tasks.c.id == bindparam("task")).values(state="cancelled")
_INSERT_CALL = insert(_calls).returning(_calls.c.id)
_KNOWN_CALLS = select(_calls.c.task_uuid).where(_calls.c.instance_id == bindparam("instance"))

TIMER_TYPES = (
    "TimeDateEventDefinition",
    "DurationTimerEventDefinition",
    "CycleTimerEventDefinition",
)


class ProcessError(DomainError):
    """The diagram failed while running (a script, a condition, a missing variable)."""

    def __init__(self, element_id: str, message: str) -> None:
        super().__init__(f"error en el elemento {element_id}: {message}")
        self.element_id = element_id


def run_engine_steps(run: Run) -> None:
    try:
        run.workflow.do_engine_steps()
    except (SpiffWorkflowException, SandboxError) as exc:
        task = getattr(exc, "task", None)
        element = task.task_spec.bpmn_id if task is not None else "?"
        cause = getattr(exc, "error", None) or exc
        raise ProcessError(str(element), str(cause)) from exc


def advance(run: Run) -> None:
    """Engine steps, then projection, then save. The caller's transaction commits it all."""
    run_engine_steps(run)
    now = utcnow()
    # one walk of the task tree for both: READY human tasks and STARTED service tasks
    waiting = run.workflow.get_tasks(state=TaskState.READY | TaskState.STARTED)
    _project_human_tasks(run, [t for t in waiting if _is_ready_human(t)], now)
    _queue_service_calls(run, [t for t in waiting if _is_started_service(t)])
    next_timer = _next_timer(run)
    if next_timer != run.instance.next_timer_at:  # an unchanged object needs no flush
        run.instance.next_timer_at = next_timer
    if run.workflow.is_completed() and run.instance.state == "running":
        run.instance.state = "completed"
        run.instance.ended_at = now
        record(run, "instance.completed", data={"data": _public(run.workflow.data)})
    save_run(run)


def _public(data: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in data.items() if not k.startswith("spiff__")}


def _is_ready_human(task: Task) -> bool:
    return task.state == TaskState.READY and task.task_spec.manual


def _is_started_service(task: Task) -> bool:
    return task.state == TaskState.STARTED and isinstance(task.task_spec, AsyncServiceTask)


def _project_human_tasks(run: Run, ready: list[Task], now: datetime) -> None:
    """Inbox rows for the READY human tasks that have none; open rows whose task is no
    longer READY (an interrupting boundary event took it away) are cancelled."""
    session, instance = run.session, run.instance
    connection = session.connection()
    open_rows = run.open_rows
    if open_rows is None:
        session.flush()  # open rows changed through the ORM in this unit of work, if any
        rows = direct_sql.rows(connection, _OPEN_ROWS, {"instance": instance.id})
        open_rows = {r.task_uuid: r for r in rows}
    run.open_rows = None  # what it says is out of date once this projection writes
    rows = [_new_human_task(run, t, now) for t in ready if str(t.id) not in open_rows]
    if rows:
        ids = [r.id for r in direct_sql.rows_of_each(connection, _INSERT_TASKS, rows)]
        for task_id, row in zip(ids, rows, strict=True):
            run.new_tasks.append(NewTask(id=task_id, **row))
            record(
                run,
                "task.ready",
                element_id=row["element_id"],
                data={
                    "task": row["task_uuid"],
                    "candidate": row["candidate"],
                    "candidate_unit_id": row["candidate_unit_id"],
                    "due_at": row["due_at"].isoformat() if row["due_at"] else None,
                },
            )
    ready_ids = {str(t.id) for t in ready}
    for uuid, open_row in open_rows.items():
        if uuid not in ready_ids:
            cancelled = {"state": "cancelled"}
            direct_sql.execute(connection, _CANCEL_TASK, {"task": open_row.id})
            refresh_loaded(session, HumanTask, open_row.id, cancelled)
            record(run, "task.cancelled", element_id=open_row.element_id, data={"task": uuid})


def _new_human_task(run: Run, task: Task, now: datetime) -> dict[str, Any]:
    spec = task.task_spec
    props = (getattr(spec, "extensions", None) or {}).get("properties", {})
    lane = run.definition.lane_of(spec.bpmn_id, spec.lane)
    due = props.get("due") or run.definition.properties.get("default_due")
    household = task.data.get("co_hogar") or run.instance.household
    scope_unit_id = _scope_of(run, task, props.get("scopeFrom"))
    return {
        "instance_id": run.instance.id,
        "task_uuid": str(task.id),
        "element_id": spec.bpmn_id,
        "name": spec.bpmn_name or spec.bpmn_id,
        "candidate": lane,
        "candidate_unit_id": candidate_unit(run.session, lane, scope_unit_id),
        "scope_unit_id": scope_unit_id,
        "form": props.get("formJsonSchemaFilename"),
        "due_at": now + _duration(due) if due else None,
        "priority": int(props.get("priority", 0) or 0),
        "household": str(household) if household else None,
        "created_at": now,
    }


def _scope_of(run: Run, task: Task, field: str | None) -> int | None:
    """The unit whose people get the task: the one named (by code) in the data field
    ``scopeFrom`` names — a derivation decided at run time — else the instance's scope."""
    if not field:
        return run.instance.scope_unit_id
    code = task.data.get(field)
    unit_id = run.session.scalar(select(Unit.id).where(Unit.code == str(code))) if code else None
    if unit_id is None:
        raise ProcessError(task.task_spec.bpmn_id, f"'{field}' no nombra una unidad ({code!r})")
    return unit_id


def _duration(value: str) -> timedelta:
    return TimerEventDefinition.get_timedelta_from_start(
        TimerEventDefinition.parse_iso_duration(value)
    )


def _queue_service_calls(run: Run, started: list[Task]) -> None:
    if not started:
        return
    run.session.flush()  # calls changed through the ORM in this unit of work, if any
    known = {
        r.task_uuid
        for r in direct_sql.rows(
            run.session.connection(), _KNOWN_CALLS, {"instance": run.instance.id}
        )
    }
    for task in started:
        if str(task.id) not in known:
            _queue(run, task)


def _queue(run: Run, task: Task) -> None:
    spec = task.task_spec
    call = {
        "instance_id": run.instance.id,
        "task_uuid": str(task.id),
        "element_id": spec.bpmn_id,
        "operation": spec.operation_name,
        "params": "{}",
        "idempotency_key": f"{run.instance.id}:{task.id}",
        "max_attempts": (spec.retries or 2) + 1,
        "state": "pending",
        "last_error": None,
    }
    try:
        params = {k: v["value"] for k, v in spec.evaluate_params(task).items()}
        get_operation(spec.operation_name).check_params(params)
        call["params"] = json.dumps(params, ensure_ascii=False, default=str)
    except (DomainError, SpiffWorkflowException, ValueError, TypeError) as exc:
        call["state"], call["last_error"] = "failed", f"parámetros inválidos: {exc}"
    call_id = direct_sql.first(run.session.connection(), _INSERT_CALL, call).id
    record(
        run,
        "service.queued",
        element_id=spec.bpmn_id,
        data={
            "call": call_id,
            "operation": call["operation"],
            "params": json.loads(call["params"]),
        },
    )
    if call["state"] == "failed":
        open_incident(run, run.session.get(ServiceCall, call_id), call["last_error"], "")
    else:
        run.new_service_calls.append(call_id)


def _next_timer(run: Run) -> datetime | None:
    due: list[datetime] = []
    for event in run.workflow.waiting_events():
        if event.event_type not in TIMER_TYPES or event.value is None:
            continue
        value = event.value["next"] if isinstance(event.value, dict) else event.value
        due.append(TimerEventDefinition.get_datetime(value))
    return min(due) if due else None

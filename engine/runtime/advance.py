"""After anything moves a workflow: run the engine steps, then make the database say what
the workflow now waits for — inbox rows for READY human tasks, outbox rows for service
tasks, the next timer's due time — and record each of these in the audit log."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.db import utcnow
from engine.definitions.spiff import AsyncServiceTask
from engine.errors import DomainError
from engine.org.models import Unit
from engine.runtime.audit_context import record
from engine.runtime.incidents import open_incident
from engine.runtime.models import HumanTask, ServiceCall
from engine.runtime.routing import candidate_unit
from engine.runtime.store import Run, save_run
from engine.scripting import SandboxError
from engine.services.catalog import get_operation

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
    _project_human_tasks(run, now)
    _queue_service_calls(run)
    run.instance.next_timer_at = _next_timer(run)
    if run.workflow.is_completed() and run.instance.state == "running":
        run.instance.state = "completed"
        run.instance.ended_at = now
        record(run, "instance.completed", data={"data": _public(run.workflow.data)})
    save_run(run)


def _public(data: dict) -> dict:  # type: ignore[type-arg]
    return {k: v for k, v in data.items() if not k.startswith("spiff__")}


def human_ready_tasks(run: Run) -> list[Task]:
    return [t for t in run.workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]


def _project_human_tasks(run: Run, now: datetime) -> None:
    session, instance = run.session, run.instance
    open_rows = {
        row.task_uuid: row
        for row in session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == instance.id, HumanTask.state.in_(("ready", "claimed"))
            )
        )
    }
    ready = human_ready_tasks(run)
    for task in ready:
        if str(task.id) not in open_rows:
            row = _new_human_task(run, task, now)
            session.add(row)
            record(
                run,
                "task.ready",
                element_id=row.element_id,
                data={
                    "task": row.task_uuid,
                    "candidate": row.candidate,
                    "candidate_unit_id": row.candidate_unit_id,
                    "due_at": row.due_at.isoformat() if row.due_at else None,
                },
            )
    ready_ids = {str(t.id) for t in ready}
    for uuid, row in open_rows.items():
        if uuid not in ready_ids:  # e.g. an interrupting boundary event took it away
            row.state = "cancelled"
            record(run, "task.cancelled", element_id=row.element_id, data={"task": uuid})


def _new_human_task(run: Run, task: Task, now: datetime) -> HumanTask:
    spec = task.task_spec
    props = (getattr(spec, "extensions", None) or {}).get("properties", {})
    lane = run.definition.lane_of(spec.bpmn_id, spec.lane)
    due = props.get("due") or run.definition.properties.get("default_due")
    household = task.data.get("co_hogar") or run.instance.household
    scope_unit_id = _scope_of(run, task, props.get("scopeFrom"))
    return HumanTask(
        instance_id=run.instance.id,
        task_uuid=str(task.id),
        element_id=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        candidate=lane,
        candidate_unit_id=candidate_unit(run.session, lane, scope_unit_id),
        scope_unit_id=scope_unit_id,
        form=props.get("formJsonSchemaFilename"),
        due_at=now + _duration(due) if due else None,
        priority=int(props.get("priority", 0) or 0),
        household=str(household) if household else None,
        created_at=now,
    )


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


def _queue_service_calls(run: Run) -> None:
    started = [
        t
        for t in run.workflow.get_tasks(state=TaskState.STARTED)
        if isinstance(t.task_spec, AsyncServiceTask)
    ]
    if not started:
        return
    known = set(
        run.session.scalars(
            select(ServiceCall.task_uuid).where(ServiceCall.instance_id == run.instance.id)
        )
    )
    for task in started:
        if str(task.id) not in known:
            _queue(run, task)


def _queue(run: Run, task: Task) -> None:
    spec = task.task_spec
    call = ServiceCall(
        instance_id=run.instance.id,
        task_uuid=str(task.id),
        element_id=spec.bpmn_id,
        operation=spec.operation_name,
        params="{}",
        idempotency_key=f"{run.instance.id}:{task.id}",
        max_attempts=(spec.retries or 2) + 1,
    )
    try:
        params = {k: v["value"] for k, v in spec.evaluate_params(task).items()}
        get_operation(spec.operation_name).check_params(params)
        call.params = json.dumps(params, ensure_ascii=False, default=str)
    except (DomainError, SpiffWorkflowException, ValueError, TypeError) as exc:
        call.state, call.last_error = "failed", f"parámetros inválidos: {exc}"
    run.session.add(call)
    run.session.flush()
    record(
        run,
        "service.queued",
        element_id=spec.bpmn_id,
        data={"call": call.id, "operation": call.operation, "params": json.loads(call.params)},
    )
    if call.state == "failed":
        open_incident(run, call, call.last_error or "", "")
    else:
        run.new_service_calls.append(call.id)


def _next_timer(run: Run) -> datetime | None:
    due: list[datetime] = []
    for event in run.workflow.waiting_events():
        if event.event_type not in TIMER_TYPES or event.value is None:
            continue
        value = event.value["next"] if isinstance(event.value, dict) else event.value
        due.append(TimerEventDefinition.get_datetime(value))
    return min(due) if due else None

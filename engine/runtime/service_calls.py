"""Running one outbox row in a worker: the operation's writes, the completion of the service
task and the audit events commit together, so a worker killed mid-way leaves nothing and a
redelivery applies the operation exactly once. Failures retry with backoff, then open an
incident."""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from engine import progress
from engine.db import Database, utcnow
from engine.errors import NotFound
from engine.runtime.advance import advance
from engine.runtime.audit_context import record
from engine.runtime.incidents import open_incident
from engine.runtime.models import NewTask, ServiceCall
from engine.runtime.store import Run, load_run
from engine.services.catalog import get_operation
from engine.services.registry import OperationContext

BACKOFF_BASE_SECONDS = 5
DEFER_SECONDS = 60  # a call of a suspended instance waits this long before it is sent again

_calls = ServiceCall.__table__
_INSTANCE_OF_CALL = (
    select(_calls.c.instance_id).where(_calls.c.id == bindparam("key")).scalar_subquery()
)


@dataclass(frozen=True)
class Outcome:
    status: str  # done | skipped | retry | failed | deferred
    retry_in: float = 0.0
    new_service_calls: tuple[int, ...] = ()
    new_tasks: tuple[NewTask, ...] = ()  # the human tasks the step made READY


def execute(db: Database, call_id: int) -> Outcome:
    try:
        with db.write_transaction() as session:
            outcome = _run_and_complete(session, db, call_id)
    except Exception as exc:  # the operation or the step failed: nothing of it was kept
        return _record_failure(db, call_id, exc)
    return outcome


def _lock(session: Session, call_id: int) -> Run:
    """Locks the call's instance (found in the same statement)."""
    return load_run(session, _INSTANCE_OF_CALL, None, f"no existe la llamada {call_id}", call_id)


def _run_and_complete(session: Session, db: Database, call_id: int) -> Outcome:
    try:
        run = _lock(session, call_id)
    except NotFound:
        return Outcome("skipped")
    call = session.get(ServiceCall, call_id, populate_existing=True)  # read under the lock
    if call is None or call.state in ("done", "failed"):
        return Outcome("skipped")  # a second delivery of a finished call does nothing
    if run.instance.state == "suspended":  # the relay sends it again later (resume: at once)
        call.next_attempt_at = utcnow() + timedelta(seconds=DEFER_SECONDS)
        return Outcome("deferred", retry_in=DEFER_SECONDS)
    task = run.workflow.get_task_from_id(UUID(call.task_uuid))
    if task is None or task.state != TaskState.STARTED:
        call.state, call.finished_at = "done", utcnow()  # cancelled meanwhile
        return Outcome("skipped")
    attempt = call.attempts + 1  # stored with the result: one UPDATE of the call
    params = json.loads(call.params)
    reporter = _ProgressReporter(db, call.id)
    ctx = OperationContext(
        session,
        call.idempotency_key,
        run.instance.id,
        run.instance.scope_unit_id,
        reporter,
        call.element_id,
    )
    result = get_operation(call.operation).func(ctx, params)
    call.attempts, call.state, call.finished_at = attempt, "done", utcnow()
    call.progress_done, call.progress_total = reporter.last
    call.result = json.dumps(result, ensure_ascii=False, default=str)
    task.data[task.task_spec.result_variable] = json.loads(call.result)
    task.complete()
    record(
        run,
        "service.succeeded",
        element_id=call.element_id,
        # the operation and its params are in this call's service.queued event
        data={"call": call.id, "attempt": attempt, "result": json.loads(call.result)},
    )
    advance(run)
    return Outcome(
        "done", new_service_calls=tuple(run.new_service_calls), new_tasks=tuple(run.new_tasks)
    )


class _ProgressReporter:
    """Progress goes out of band (engine.progress), visible while the operation runs; the
    last report is kept, to be stored with the call (done/total; 1/1 when none came)."""

    def __init__(self, db: Database, call_id: int) -> None:
        self.db, self.call_id = db, call_id
        self.last = (1, 1)

    def __call__(self, done: int, total: int) -> None:
        progress.report(self.db, self.call_id, done, total)
        self.last = (done, total)


def _record_failure(db: Database, call_id: int, exc: Exception) -> Outcome:
    error = f"{type(exc).__name__}: {exc}"
    stack = "".join(traceback.format_exception(exc))
    with db.write_transaction() as session:
        call = session.get(ServiceCall, call_id)
        run = load_run(session, call.instance_id, None)
        session.refresh(call)  # read again under the instance lock
        if call.state in ("done", "failed"):
            return Outcome("skipped")
        call.attempts += 1
        call.last_error = error[:4000]
        record(
            run,
            "service.failed",
            element_id=call.element_id,
            data={
                "call": call.id,
                "attempt": call.attempts,
                "error": call.last_error,
                "params": json.loads(call.params),
            },
        )
        if call.attempts >= call.max_attempts:
            call.state, call.finished_at = "failed", utcnow()
            open_incident(run, call, error, stack)
            return Outcome("failed")
        delay = BACKOFF_BASE_SECONDS * 2 ** (call.attempts - 1)
        call.state, call.next_attempt_at = "pending", utcnow() + timedelta(seconds=delay)
        return Outcome("retry", retry_in=delay)

"""Load → lock → save of one instance. The only place a workflow's state is read or written.

The lock: ``SELECT … FOR UPDATE`` on PostgreSQL (SQLite ignores it; write transactions there
begin IMMEDIATE, so writers queue), plus a version column checked on every UPDATE (by
``save_run`` and by the mapper), so two simultaneous completions can never both win nor
lose an update.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import ColumnElement, Select, bindparam, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from engine import definitions, direct_sql
from engine.definitions.store import load_by_id
from engine.errors import DomainError, NotFound
from engine.runtime import serialization
from engine.runtime.actors import Actor
from engine.runtime.models import NewTask, ProcessInstance
from engine.scripting import make_script_engine

_instances = ProcessInstance.__table__


class Conflict(DomainError):
    """Someone else changed the instance first; reload and try again."""


@dataclass
class Run:
    """One instance, loaded and locked for the length of a unit of work."""

    session: Session
    instance: ProcessInstance
    definition: definitions.LoadedDefinition
    workflow: BpmnWorkflow
    actor: Actor | None
    new_service_calls: list[int] = field(default_factory=list)
    new_tasks: list[NewTask] = field(default_factory=list)  # inbox rows this run created
    # The instance's open inbox rows (ready or claimed) by task uuid, when the unit of work
    # has read them under the lock already (None: the projection reads them).
    open_rows: dict[str, Any] | None = None


def lock_instance(
    session: Session,
    instance_id: int | ColumnElement[int],
    missing: str | None = None,
    key: int | None = None,
) -> ProcessInstance:
    """The instance row, locked and read fresh. ``instance_id`` may be a scalar subquery
    with a ``key`` parameter (the instance of a task or of a service call): one round trip."""
    where = instance_id if isinstance(instance_id, ColumnElement) else _BY_ID
    statement = _LOCKS.get(where)
    if statement is None:
        statement = _LOCKS[where] = (
            select(_instances).where(_instances.c.id == where).with_for_update()
        )
    session.flush()  # what the ORM would flush before its query
    params = {"key": instance_id if key is None else key}
    row = direct_sql.first(session.connection(), statement, params)
    if row is None:
        raise NotFound(missing or f"no existe la instancia {instance_id}")
    return _attached(session, row._asdict())


def _attached(session: Session, values: dict[str, Any]) -> ProcessInstance:
    """The session's object for a row just read, with the row as its committed state — what
    an ORM query with ``populate_existing`` returns, without the ORM's cost per query."""
    loaded = refresh_loaded(session, ProcessInstance, values["id"], values)
    if loaded is not None:
        return loaded
    instance = ProcessInstance(**values)
    make_transient_to_detached(instance)  # as if loaded: no pending changes
    session.add(instance)
    return instance


_BY_ID = bindparam("key")
# One statement per kind of lookup (by id; the prebuilt subqueries of a task or a call).
_LOCKS: dict[ColumnElement[int], Select[Any]] = {}


def load_run(
    session: Session,
    instance_id: int | ColumnElement[int],
    actor: Actor | None,
    missing: str | None = None,
    key: int | None = None,
) -> Run:
    instance = lock_instance(session, instance_id, missing, key)
    definition = load_by_id(session, instance.definition_id)
    workflow = _take_cached(session, instance)
    if workflow is None:
        workflow = serialization.load(instance.workflow, definition)
    workflow.script_engine = make_script_engine()
    return Run(session, instance, definition, workflow, actor)


# The workflow objects of recently committed steps, by (database, instance): the next step
# of an instance, in this process, then skips deserializing it. An entry is used only when
# its version and definition are the ones just read under the instance's lock — so another
# process's write, which moved the version, is never missed — and it is *taken* out while a
# step uses it, coming back only when that step's transaction commits (a failed step may
# have changed the object half way).
_WORKFLOWS: OrderedDict[tuple[URL, int], tuple[int, int, BpmnWorkflow]] = OrderedDict()
_WORKFLOWS_SIZE = 256
_WORKFLOWS_LOCK = threading.Lock()
_SESSION_SAVED = "runtime_saved_workflows"  # session.info: (transaction, {key: entry})


def _cache_key(session: Session, instance_id: int) -> tuple[URL, int]:
    return session.get_bind().url, instance_id


def _take_cached(session: Session, instance: ProcessInstance) -> BpmnWorkflow | None:
    with _WORKFLOWS_LOCK:
        entry = _WORKFLOWS.pop(_cache_key(session, instance.id), None)
    if entry is None or entry[:2] != (instance.lock_version, instance.definition_id):
        return None
    return entry[2]


def _remember_saved(run: Run, version: int) -> None:
    """Keeps the saved workflow for the cache, to be published when the transaction commits."""
    session, transaction = run.session, run.session.get_transaction()
    saved = session.info.get(_SESSION_SAVED)
    if saved is None or saved[0] is not transaction:
        saved = session.info[_SESSION_SAVED] = (transaction, {})
    entry = (version, run.instance.definition_id, run.workflow)
    saved[1][_cache_key(session, run.instance.id)] = entry


@sa_event.listens_for(Session, "after_commit")
def _publish_saved(session: Session) -> None:
    saved = session.info.pop(_SESSION_SAVED, None)
    if saved is None:
        return
    with _WORKFLOWS_LOCK:
        for key, entry in saved[1].items():
            _WORKFLOWS[key] = entry
            _WORKFLOWS.move_to_end(key)
        while len(_WORKFLOWS) > _WORKFLOWS_SIZE:
            _WORKFLOWS.popitem(last=False)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_saved(session: Session, _previous: object) -> None:
    """Any rollback, a savepoint's too: what was saved may not be what commits."""
    session.info.pop(_SESSION_SAVED, None)


def forget_cached_workflows() -> None:
    """Empties this process's cache of workflows (tests that rewrite the database behind it)."""
    with _WORKFLOWS_LOCK:
        _WORKFLOWS.clear()


def new_workflow(definition: definitions.LoadedDefinition) -> BpmnWorkflow:
    return BpmnWorkflow(
        definition.spec, definition.subprocess_specs, script_engine=make_script_engine()
    )


# What a step may change in the instance row; written by save_run in one UPDATE.
_SAVED = ("state", "ended_at", "next_timer_at", "incident_open")
_SAVE = update(_instances).where(
    _instances.c.id == bindparam("instance"), _instances.c.lock_version == bindparam("version")
)


def save_run(run: Run) -> None:
    """Writes the workflow state and the instance's columns in one UPDATE guarded by the
    version column: a lost race (the version moved) becomes Conflict."""
    instance = run.instance
    values = {name: getattr(instance, name) for name in _SAVED}
    values["workflow"] = serialization.dump(run.workflow)
    values["lock_version"] = instance.lock_version + 1
    saved = direct_sql.execute(
        run.session.connection(),
        _SAVE,
        {**values, "instance": instance.id, "version": instance.lock_version},
    )
    if saved != 1:
        raise Conflict("la instancia fue modificada por otra operación; vuelva a intentarlo")
    refresh_loaded(run.session, ProcessInstance, instance.id, values)  # nothing left to flush
    _remember_saved(run, values["lock_version"])


def refresh_loaded(session: Session, model: type, pk: int, values: dict[str, Any]) -> Any:
    """Tells the session's copy of a row, if it holds one, what a Core UPDATE wrote to it
    (or what a direct read found); returns that copy, or None."""
    loaded = session.identity_map.get(identity_key(model, pk))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)
    return loaded

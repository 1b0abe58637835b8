"""Load → lock → save of one instance. The only place a workflow's state is read or written.

The lock: ``SELECT … FOR UPDATE`` on PostgreSQL (SQLite ignores it; write transactions there
begin IMMEDIATE, so writers queue), plus a version column checked by the mapper on every
UPDATE, so two simultaneous completions can never both win nor lose an update.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import definitions
from engine.definitions.store import load_by_id
from engine.errors import DomainError, NotFound
from engine.runtime import serialization
from engine.runtime.actors import Actor
from engine.runtime.models import ProcessInstance
from engine.scripting import make_script_engine


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


def lock_instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == instance_id).with_for_update()
    )
    if instance is None:
        raise NotFound(f"no existe la instancia {instance_id}")
    return instance


def load_run(session: Session, instance_id: int, actor: Actor | None) -> Run:
    instance = lock_instance(session, instance_id)
    definition = load_by_id(session, instance.definition_id)
    workflow = serialization.load(instance.workflow, definition)
    workflow.script_engine = make_script_engine()
    return Run(session, instance, definition, workflow, actor)


def new_workflow(definition: definitions.LoadedDefinition) -> BpmnWorkflow:
    return BpmnWorkflow(
        definition.spec, definition.subprocess_specs, script_engine=make_script_engine()
    )


def save_run(run: Run) -> None:
    """Writes the workflow state; the mapper's version check turns a lost race into Conflict."""
    run.instance.workflow = serialization.dump(run.workflow)
    try:
        run.session.flush()
    except StaleDataError:
        raise Conflict(
            "la instancia fue modificada por otra operación; vuelva a intentarlo"
        ) from None

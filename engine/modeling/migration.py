"""Moving a running instance to a newer version of its process.

Allowed when every element the instance waits in (and every element its history passed
through, which its stored task tree names) exists in the target version; refused with the
missing elements otherwise. The task tree keeps its tasks (and their ids, which the inbox
rows point at); their specs are swapped for the new version's and what lies ahead of the
waiting tasks is predicted again from the new diagram. Audited as ``instance.migrated``.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.definitions.store import LoadedDefinition, load, load_by_id
from engine.errors import DomainError, PermissionDenied
from engine.modeling.drafts import may_publish, published
from engine.runtime import serialization
from engine.runtime.actors import Actor, require_writer
from engine.runtime.audit_context import record
from engine.runtime.models import HumanTask
from engine.runtime.routing import acting_position, candidate_unit
from engine.runtime.store import Run, lock_instance, save_run
from engine.scripting import make_script_engine

WAITING = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class MigrationRefused(DomainError):
    """The instance cannot move to that version; the message says which elements lack."""


@dataclass(frozen=True)
class Migrated:
    instance_id: int
    from_version: int
    to_version: int


def _specs(definition: LoadedDefinition) -> dict[str, set[str]]:
    specs = {definition.spec.name: set(definition.spec.task_specs)}
    for name, spec in definition.subprocess_specs.items():
        specs[name] = set(spec.task_specs)
    return specs


def _missing(workflow, target: LoadedDefinition) -> tuple[list[str], list[str]]:  # type: ignore[no-untyped-def]
    """(waiting elements missing in ``target``, other elements of the history missing)."""
    specs = _specs(target)
    waiting, history = [], []
    for wf in (workflow, *workflow.subprocesses.values()):
        known = specs.get(wf.spec.name, set())
        for task in wf.tasks.values():
            spec = task.task_spec
            if spec.name in known or task.has_state(TaskState.PREDICTED_MASK):
                continue  # predictions are made again from the new diagram
            label = f"'{getattr(spec, 'bpmn_name', None) or spec.name}' ({spec.name})"
            (waiting if task.has_state(WAITING) else history).append(label)
    return sorted(set(waiting)), sorted(set(history))


def check_migration(session: Session, instance_id: int, to_version: int | None = None) -> str:
    """Why the instance cannot move to ``to_version`` (latest by default); '' when it can."""
    instance = lock_instance(session, instance_id)
    target = published(session, instance.process_key, to_version)
    try:
        _target_checked(session, instance, target)
    except MigrationRefused as exc:
        return str(exc)
    return ""


def _target_checked(session: Session, instance, target) -> LoadedDefinition:  # type: ignore[no-untyped-def]
    if instance.state not in ("running", "suspended"):
        raise MigrationRefused(f"la instancia {instance.id} ya está {instance.state}")
    if target.version == instance.process_version:
        raise MigrationRefused(f"la instancia ya corre en la versión {target.version}")
    if target.version < instance.process_version:
        raise MigrationRefused(
            f"solo se migra a una versión más reciente (corre en la {instance.process_version}; "
            "para volver atrás, revierta el proceso, que publica una versión nueva)"
        )
    new = load(target)
    workflow = serialization.load(instance.workflow, load_by_id(session, instance.definition_id))
    waiting, history = _missing(workflow, new)
    if waiting:
        raise MigrationRefused(
            f"no se puede migrar a la versión {target.version}: la instancia espera en "
            f"{', '.join(waiting)}, que no existe en esa versión"
        )
    if history:
        raise MigrationRefused(
            f"no se puede migrar a la versión {target.version}: su historial pasó por "
            f"{', '.join(history)}, que no existe en esa versión"
        )
    return new


def migration_offer(session: Session, instance, actor: Actor) -> int | None:  # type: ignore[no-untyped-def]
    """The version ``actor`` may offer to move ``instance`` to: the latest, when the instance
    still runs on an older one and the actor owns the process (or administers). Whether the
    move is possible is decided, with its reason, by ``migrate_instance``."""
    if instance.state not in ("running", "suspended"):
        return None
    latest = published(session, instance.process_key).version
    if latest <= instance.process_version or not may_publish(session, instance.process_key, actor):
        return None
    return latest


def migrate_instance(
    session: Session, instance_id: int, actor: Actor, to_version: int | None = None
) -> Migrated:
    """Moves the instance to ``to_version`` (the latest by default). Owner or admin only."""
    require_writer(actor)
    instance = lock_instance(session, instance_id)
    owner = published(session, instance.process_key, None).owner  # asked before anything else
    position = acting_position(actor, owner, None)
    if position is None and not actor.is_admin:
        raise PermissionDenied(
            f"solo el propietario del proceso ({owner}) puede migrar sus instancias"
        )
    target = published(session, instance.process_key, to_version)
    new = _target_checked(session, instance, target)
    old_version = instance.process_version
    workflow = serialization.load(instance.workflow, load_by_id(session, instance.definition_id))
    _swap_specs(workflow, new)
    workflow.script_engine = make_script_engine()
    instance.definition_id, instance.process_version = target.id, target.version
    run = Run(session, instance, new, workflow, actor)
    _refresh_inbox(run)
    record(
        run,
        "instance.migrated",
        position_id=position.id if position else None,
        data={"from_version": old_version, "to_version": target.version},
    )
    save_run(run)
    return Migrated(instance_id, old_version, target.version)


def _swap_specs(workflow, new: LoadedDefinition) -> None:  # type: ignore[no-untyped-def]
    for wf in (workflow, *workflow.subprocesses.values()):
        spec = new.spec if wf is workflow else new.subprocess_specs[wf.spec.name]
        _drop_predictions(wf)
        for task in list(wf.tasks.values()):
            if task.id not in wf.tasks:
                continue
            if task.task_spec.name not in spec.task_specs:  # a prediction (checked before)
                wf._remove_task(task.id)
                continue
            task.task_spec = spec.task_specs[task.task_spec.name]
        wf.spec = spec
    if hasattr(workflow, "subprocess_specs"):
        workflow.subprocess_specs = new.subprocess_specs
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in list(wf.tasks.values()):
            if task.id in wf.tasks and task.has_state(WAITING):
                task.task_spec._predict(
                    task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | WAITING
                )


def _drop_predictions(wf) -> None:  # type: ignore[no-untyped-def]
    for task in list(wf.tasks.values()):
        if task.id in wf.tasks and task.has_state(WAITING):
            task._drop_children()  # what was predicted after it, by the old diagram


def _refresh_inbox(run: Run) -> None:
    """Open inbox rows take the new version's name, lane and form of their element."""
    rows = run.session.scalars(
        select(HumanTask).where(
            HumanTask.instance_id == run.instance.id, HumanTask.state.in_(("ready", "claimed"))
        )
    )
    for row in rows:
        task = run.workflow.get_task_from_id(UUID(row.task_uuid))
        if task is None:
            continue
        spec = task.task_spec
        props = (getattr(spec, "extensions", None) or {}).get("properties", {})
        row.name = spec.bpmn_name or spec.bpmn_id
        row.form = props.get("formJsonSchemaFilename")
        if (spec.lane or "") != row.candidate:
            row.candidate = spec.lane or ""
            row.candidate_unit_id = candidate_unit(
                run.session, row.candidate, run.instance.scope_unit_id
            )

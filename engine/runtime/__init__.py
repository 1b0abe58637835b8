"""The only place SpiffWorkflow runs: load → lock → step → save, with the inbox and outbox
projections and the audit events of each step. Entry module: import from here.

Every function takes the caller's Session and never commits; the caller commits once.
"""

from engine.runtime.actors import Actor, actor_for_login, actor_for_user
from engine.runtime.advance import ProcessError
from engine.runtime.events import deliver_message, fire_all_due, fire_timers
from engine.runtime.incident_actions import resolve as resolve_incident
from engine.runtime.incident_actions import retry as retry_incident
from engine.runtime.lifecycle import cancel, resume, start_instance, suspend
from engine.runtime.models import HumanTask, Incident, NewTask, ProcessInstance, ServiceCall
from engine.runtime.queries import InstanceDetail, instance_detail, tasks_for
from engine.runtime.service_calls import Outcome
from engine.runtime.service_calls import execute as execute_service_call
from engine.runtime.store import Conflict, Run
from engine.runtime.tasks import Completion, claim, complete, reassign, take_over, unclaim

__all__ = [
    "Actor",
    "Completion",
    "Conflict",
    "HumanTask",
    "Incident",
    "InstanceDetail",
    "NewTask",
    "Outcome",
    "ProcessError",
    "ProcessInstance",
    "Run",
    "ServiceCall",
    "actor_for_login",
    "actor_for_user",
    "cancel",
    "claim",
    "complete",
    "deliver_message",
    "execute_service_call",
    "fire_all_due",
    "fire_timers",
    "instance_detail",
    "reassign",
    "resolve_incident",
    "resume",
    "retry_incident",
    "start_instance",
    "suspend",
    "take_over",
    "tasks_for",
    "unclaim",
]

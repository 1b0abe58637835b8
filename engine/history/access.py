"""Who reads the history: the auditors of the OCI and administrators."""

from __future__ import annotations

from engine.errors import PermissionDenied
from engine.runtime.actors import Actor, is_auditor


def may_read_history(actor: Actor) -> bool:
    return actor.is_admin or is_auditor(actor)


def require_history_reader(actor: Actor) -> None:
    if not may_read_history(actor):
        raise PermissionDenied(
            "el historial es para los auditores del Órgano de Control Institucional"
        )

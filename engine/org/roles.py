"""Roles that follow from the position held, not from a flag on the user.

The auditors of the Órgano de Control Institucional (Jefe del OCI, Supervisor, Abogado,
Auditor) read every instance of every process and change nothing: the engine refuses
them any write (``engine.runtime.actors.require_writer``), whatever the caller.
"""

from __future__ import annotations

from collections.abc import Iterable

from engine.org.models import Position

AUDIT_UNIT = "OCI"
AUDIT_PUESTOS = frozenset(
    {"Jefe del Órgano de Control Institucional", "Supervisor", "Abogado", "Auditor"}
)


def is_audit_position(position: Position) -> bool:
    return position.unit.code == AUDIT_UNIT and position.puesto in AUDIT_PUESTOS


def is_auditor(positions: Iterable[Position]) -> bool:
    """Whether one of ``positions`` is an audit position of the OCI."""
    return any(is_audit_position(p) for p in positions)

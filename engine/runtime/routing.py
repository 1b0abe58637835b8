"""Routing human tasks to the org chart.

A lane names a denominación. Its candidates are the positions with that denominación in
the instance's scope unit (a Gestor Local of UT Puno for an instance of UT Puno); when the
scope unit has none, the positions of the one unit that has them (the Jefe de la UPP for a
UT's instance); when several units have them and none is the scope, any of them.
Supervisors along the lines of authority (Title IV.C) of a candidate may reassign.
"""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import PermissionDenied
from engine.org.chart import positions_named
from engine.org.models import Position
from engine.runtime.actors import Actor

MAX_DEPTH = 10


_UNITS_CACHE: dict[tuple[str, str], tuple[float, frozenset[int]]] = {}
_UNITS_TTL_SECONDS = 300.0


def units_with(session: Session, lane: str) -> frozenset[int]:
    """Units that have a position named ``lane``; cached a few minutes, as the org chart
    changes only when the reference data is re-seeded."""
    key = (str(session.get_bind().url), lane)
    cached = _UNITS_CACHE.get(key)
    if cached and time.monotonic() - cached[0] < _UNITS_TTL_SECONDS:
        return cached[1]
    units = frozenset(
        session.scalars(select(Position.unit_id).distinct().where(Position.denominacion == lane))
    )
    if not units:  # a lane may name a puesto that is unique in the programme
        units = frozenset(p.unit_id for p in positions_named(session, lane))
    _UNITS_CACHE[key] = (time.monotonic(), units)
    return units


def candidate_unit(session: Session, lane: str, scope_unit_id: int | None) -> int | None:
    units = units_with(session, lane)
    if scope_unit_id in units:
        return scope_unit_id
    if len(units) == 1:
        return next(iter(units))
    return None


def acting_position(actor: Actor, lane: str, unit_id: int | None) -> Position | None:
    """The position through which ``actor`` may do a task of ``lane`` in ``unit_id``."""
    for h in actor.holdings:
        p = h.position
        named = lane in (p.denominacion, p.puesto)
        if named and (unit_id is None or p.unit_id == unit_id):
            return p
    return None


def require_candidate(actor: Actor, lane: str, unit_id: int | None) -> Position:
    position = acting_position(actor, lane, unit_id)
    if position is None:
        raise PermissionDenied(f"{actor.login} no ocupa el cargo '{lane}' en el ámbito de la tarea")
    return position


def supervising_position(
    session: Session, actor: Actor, lane: str, unit_id: int | None
) -> Position | None:
    """A position of ``actor`` above some candidate of the task in the lines of authority."""
    mine = {p.id: p for p in actor.positions}
    if not mine:
        return None
    query = select(Position.supervisor_id).where(
        Position.id.in_(
            [
                p.id
                for p in positions_named(session, lane)
                if unit_id is None or p.unit_id == unit_id
            ]
        )
    )
    level = {s for s in session.scalars(query) if s is not None}
    for _ in range(MAX_DEPTH):
        hit = level & mine.keys()
        if hit:
            return mine[next(iter(hit))]
        if not level:
            return None
        level = {
            s
            for s in session.scalars(select(Position.supervisor_id).where(Position.id.in_(level)))
            if s is not None
        }
    return None

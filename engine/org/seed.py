"""Loads the reference organisation into the database.

Idempotent: an unchanged file writes nothing; a corrected file updates rows in place,
so ids (and the assignments that point at them) stay stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.org.models import Position, Unit
from engine.org.reference import load_positions, load_units


@dataclass
class SeedResult:
    created: int = 0
    updated: int = 0


def _apply(obj: object, values: dict[str, object]) -> bool:
    """Sets the values that differ; says whether anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def seed_org(session: Session) -> SeedResult:
    """Upserts units and positions (with their lines of authority). The caller commits.

    Three flushes, because links need the ids of the rows they point at: units, then
    unit parents and positions, then the positions' supervisor links.
    """
    unit_rows = load_units()
    position_rows = load_positions({u.code for u in unit_rows})
    units = {u.code: u for u in session.scalars(select(Unit))}
    positions = {p.cargo: p for p in session.scalars(select(Position))}
    created: set[object] = set()
    changed: set[object] = set()

    def upsert(registry: dict, key: object, factory, values: dict[str, object]) -> None:  # type: ignore[type-arg]
        obj = registry.get(key)
        if obj is None:
            obj = registry[key] = factory()
            session.add(obj)
            created.add(obj)
        if _apply(obj, values) and obj not in created:
            changed.add(obj)

    for u in unit_rows:
        upsert(
            units,
            u.code,
            lambda u=u: Unit(code=u.code),
            {
                "name": u.name,
                "kind": u.kind,
                "manual_section": u.manual_section,
                "external_authority": u.external_authority,
            },
        )
    session.flush()
    for u in unit_rows:
        parent = units[u.parent_code].id if u.parent_code else None
        upsert(units, u.code, Unit, {"parent_id": parent})
    for p in position_rows:
        upsert(
            positions,
            p.cargo,
            lambda p=p: Position(cargo=p.cargo),
            {"puesto": p.puesto, "denominacion": p.denominacion, "unit_id": units[p.unit_code].id},
        )
    session.flush()
    for p in position_rows:
        upsert(
            positions,
            p.cargo,
            Position,
            {
                "supervisor_id": positions[p.supervisor_cargo].id if p.supervisor_cargo else None,
                "informs_id": positions[p.informs_cargo].id if p.informs_cargo else None,
            },
        )
    session.flush()
    return SeedResult(created=len(created), updated=len(changed))

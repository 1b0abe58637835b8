"""Read side of the org chart: units with their counts, positions with who holds them,
and the lines of authority (Title IV, C)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from engine.errors import NotFound
from engine.org.models import Assignment, Position, Unit, User


def _active(on: date):  # type: ignore[no-untyped-def]
    return (Assignment.start_date <= on) & or_(
        Assignment.end_date.is_(None), Assignment.end_date >= on
    )


def list_units(session: Session) -> list[Unit]:
    """Units in the manual's order (the order of the reference file)."""
    return list(session.scalars(select(Unit).options(joinedload(Unit.parent)).order_by(Unit.id)))


def list_positions(session: Session) -> list[Position]:
    return list(
        session.scalars(
            select(Position)
            .options(joinedload(Position.unit), joinedload(Position.supervisor))
            .order_by(Position.cargo)
        )
    )


@dataclass(frozen=True)
class UnitSummary:
    unit: Unit
    positions: int
    occupied: int

    @property
    def vacant(self) -> int:
        return self.positions - self.occupied


def unit_summaries(session: Session, on: date) -> list[UnitSummary]:
    """Per unit: positions, and how many are held (by a titular or an encargado) on ``on``."""
    totals = dict(
        session.execute(select(Position.unit_id, func.count()).group_by(Position.unit_id)).all()
    )
    occupied = dict(
        session.execute(
            select(Position.unit_id, func.count(func.distinct(Position.id)))
            .join(Assignment, Assignment.position_id == Position.id)
            .where(_active(on))
            .group_by(Position.unit_id)
        ).all()
    )
    return [UnitSummary(u, totals.get(u.id, 0), occupied.get(u.id, 0)) for u in list_units(session)]


@dataclass(frozen=True)
class Occupant:
    login: str
    full_name: str
    kind: str
    start_date: date
    end_date: date | None


@dataclass
class RosterLine:
    position: Position
    occupants: list[Occupant] = field(default_factory=list)

    @property
    def vacant(self) -> bool:
        return not self.occupants


def unit_by_code(session: Session, code: str) -> Unit:
    unit = session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"no existe la unidad '{code}'")
    return unit


def unit_roster(session: Session, code: str, on: date) -> tuple[Unit, list[RosterLine]]:
    """The positions of one unit with whoever holds each on ``on``; empty means vacant."""
    unit = unit_by_code(session, code)
    positions = session.scalars(
        select(Position)
        .where(Position.unit_id == unit.id)
        .options(joinedload(Position.supervisor))
        .order_by(Position.cargo)
    )
    lines = {p.id: RosterLine(p) for p in positions}
    held = session.execute(
        select(Assignment, User)
        .join(User, Assignment.user_id == User.id)
        .where(Assignment.position_id.in_(lines), _active(on))
        .order_by(Assignment.kind.desc())  # titular before encargo
    ).all()
    for a, user in held:
        lines[a.position_id].occupants.append(
            Occupant(user.login, user.full_name, a.kind, a.start_date, a.end_date)
        )
    return unit, list(lines.values())


def supervisor_chain(session: Session, cargo: int) -> list[Position]:
    """The position and every supervisor above it, up to the top of the programme."""
    position = session.scalar(select(Position).where(Position.cargo == cargo))
    if position is None:
        raise NotFound(f"no existe el cargo {cargo:03d}")
    chain = [position]
    while chain[-1].supervisor is not None:
        chain.append(chain[-1].supervisor)
    return chain


def positions_named(session: Session, name: str) -> list[Position]:
    """Positions a BPMN lane may name: by denominación, else by puesto when that is unique
    in the programme (so "Director Ejecutivo" works for cargo 001)."""
    found = list(session.scalars(select(Position).where(Position.denominacion == name)))
    if found:
        return found
    by_puesto = list(session.scalars(select(Position).where(Position.puesto == name)))
    return by_puesto if len(by_puesto) == 1 else []

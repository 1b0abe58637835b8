"""Figures for the dashboard of Jefes and the Director: open and overdue tasks by process and
unit, tasks completed per week, average time to complete each kind of task.

The reach is the same as the inbox's team tab plus the person's own positions: a Jefe de UT
sees their UT, the Director the whole programme. Every figure is one grouped SQL query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.definitions.models import ProcessDefinition
from engine.org.models import Unit
from engine.runtime.actors import Actor
from engine.runtime.inbox import candidate_clause, open_state, state_is, team_clause
from engine.runtime.models import HumanTask, ProcessInstance

WEEKS = 8


@dataclass(frozen=True)
class OpenLine:
    process_key: str
    process_name: str
    unit_code: str
    open: int
    overdue: int


@dataclass(frozen=True)
class WeekLine:
    week_start: str  # ISO date of the Monday
    completed: int


@dataclass(frozen=True)
class DurationLine:
    process_name: str
    task_name: str
    completed: int
    average_hours: float


@dataclass(frozen=True)
class Dashboard:
    open_lines: list[OpenLine]
    weeks: list[WeekLine]
    durations: list[DurationLine]

    @property
    def total_open(self) -> int:
        return sum(line.open for line in self.open_lines)

    @property
    def total_overdue(self) -> int:
        return sum(line.overdue for line in self.open_lines)


def dashboard(session: Session, actor: Actor, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    reach = or_(candidate_clause(actor), team_clause(session, actor))
    if actor.is_admin:
        reach = HumanTask.id.is_not(None)
    return Dashboard(
        _open_lines(session, reach, now), _weeks(session, reach, now), _durations(session, reach)
    )


def _joined(stmt):  # type: ignore[no-untyped-def]
    return (
        stmt.select_from(HumanTask)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Unit, Unit.id == HumanTask.scope_unit_id)
    )


def _open_lines(session: Session, reach, now: datetime) -> list[OpenLine]:  # type: ignore[no-untyped-def]
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    stmt = _joined(
        select(
            ProcessInstance.process_key,
            func.max(ProcessDefinition.name),
            func.coalesce(Unit.code, "—"),
            func.count(HumanTask.id),
            overdue,
        )
    ).where(open_state(), reach)
    stmt = stmt.group_by(ProcessInstance.process_key, Unit.code).order_by(
        ProcessInstance.process_key, Unit.code
    )
    return [OpenLine(k, n, u, c, int(o or 0)) for k, n, u, c, o in session.execute(stmt)]


def _weeks(session: Session, reach, now: datetime) -> list[WeekLine]:  # type: ignore[no-untyped-def]
    monday = (now - timedelta(days=now.weekday())).date()
    starts = [monday - timedelta(weeks=i) for i in range(WEEKS - 1, -1, -1)]
    since = datetime.combine(starts[0], datetime.min.time(), now.tzinfo)
    buckets = [
        func.sum(
            case(
                (
                    and_(
                        HumanTask.completed_at >= _at(s, now),
                        HumanTask.completed_at < _at(s + timedelta(weeks=1), now),
                    ),
                    1,
                ),
                else_=0,
            )
        )
        for s in starts
    ]
    stmt = _joined(select(*buckets)).where(
        state_is("completed"), HumanTask.completed_at >= since, reach
    )
    counts = session.execute(stmt).one()
    return [WeekLine(s.isoformat(), int(c or 0)) for s, c in zip(starts, counts, strict=True)]


def _at(day, now: datetime) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, datetime.min.time(), now.tzinfo)


def _durations(session: Session, reach) -> list[DurationLine]:  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", HumanTask.completed_at - HumanTask.created_at)
    else:
        seconds = (
            func.julianday(HumanTask.completed_at) - func.julianday(HumanTask.created_at)
        ) * 86400
    stmt = _joined(
        select(
            func.max(ProcessDefinition.name),
            HumanTask.name,
            func.count(HumanTask.id),
            func.avg(seconds),
        )
    ).where(state_is("completed"), reach)
    stmt = stmt.group_by(ProcessInstance.process_key, HumanTask.element_id, HumanTask.name)
    stmt = stmt.order_by(func.max(ProcessDefinition.name), HumanTask.name)
    return [
        DurationLine(p, t, c, round(float(avg or 0) / 3600, 1))
        for p, t, c, avg in session.execute(stmt)
    ]

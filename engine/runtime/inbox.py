"""The inbox: one actor's human tasks by tab, with filters, sorting, pagination and counts.

Tabs: ``mine`` (claimed by the actor), ``available`` (unclaimed, for the actor's positions in
their scope) and ``team`` (open tasks of the positions the actor supervises along the lines
of authority, Title IV). Everything is one SQL query per list and per count, over the
indexes of ``human_task``; nothing is filtered in Python, so what a list shows and what its
count says cannot disagree, and nothing outside the actor's reach can leak into either.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, false, func, or_, select, true, tuple_
from sqlalchemy.orm import Session

from engine.clock import LIMA
from engine.db import utcnow
from engine.definitions.models import ProcessDefinition
from engine.errors import ValidationError
from engine.org.models import Position, Unit
from engine.runtime.actors import Actor
from engine.runtime.models import HumanTask, ProcessInstance

TABS = ("mine", "available", "team")
DUE_FILTERS = ("overdue", "today", "week", "none")
SORTS = ("due", "priority")
MAX_PER_PAGE = 100
OPEN_STATES = ("ready", "claimed")


@dataclass(frozen=True)
class InboxQuery:
    tab: str = "mine"
    process_key: str | None = None
    element_id: str | None = None
    unit_code: str | None = None  # the Unidad Territorial (or unit) of the instance
    due: str | None = None
    household: str | None = None  # co_hogar (or the titular's DNI, resolved by the caller)
    text: str | None = None
    sort: str = "due"
    page: int = 1
    per_page: int = 25

    def checked(self) -> InboxQuery:
        if self.tab not in TABS:
            raise ValidationError("tab", f"use {', '.join(TABS)}")
        if self.due and self.due not in DUE_FILTERS:
            raise ValidationError("due", f"use {', '.join(DUE_FILTERS)}")
        if self.sort not in SORTS:
            raise ValidationError("sort", f"use {', '.join(SORTS)}")
        if self.text and len(self.text) > 100:
            raise ValidationError("q", "la búsqueda admite hasta 100 caracteres")
        return replace(
            self, page=max(1, self.page), per_page=min(max(1, self.per_page), MAX_PER_PAGE)
        )


@dataclass(frozen=True)
class InboxRow:
    task: HumanTask
    process_key: str
    process_name: str
    unit_code: str | None
    overdue: bool


@dataclass(frozen=True)
class InboxPage:
    query: InboxQuery
    rows: list[InboxRow]
    total: int
    counts: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))


def inbox(
    session: Session, actor: Actor, query: InboxQuery, now: datetime | None = None
) -> InboxPage:
    query = query.checked()
    now = now or utcnow()
    filters = _filters(session, query, now)
    counts = {
        tab: session.scalar(
            _base(select(func.count(HumanTask.id)), filters, _tab(session, actor, tab))
        )
        or 0
        for tab in TABS
    }
    listing = _base(
        select(HumanTask, ProcessInstance.process_key, ProcessDefinition.name, Unit.code),
        filters,
        _tab(session, actor, query.tab),
    )
    listing = listing.order_by(*_order(query.sort)).limit(query.per_page)
    listing = listing.offset((query.page - 1) * query.per_page)
    rows = [
        InboxRow(task, key, name, code, task.due_at is not None and task.due_at < now)
        for task, key, name, code in session.execute(listing)
    ]
    return InboxPage(query, rows, counts[query.tab], counts)


def _base(stmt, filters: list[Any], tab_clause: Any):  # type: ignore[no-untyped-def]
    return (
        stmt.select_from(HumanTask)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Unit, Unit.id == HumanTask.scope_unit_id)
        .where(tab_clause, *filters)
    )


def _tab(session: Session, actor: Actor, tab: str) -> Any:
    if tab == "mine":
        return and_(HumanTask.assignee_user_id == actor.user_id, HumanTask.state == "claimed")
    if tab == "available":
        return and_(HumanTask.state == "ready", candidate_clause(actor))
    return and_(HumanTask.state.in_(OPEN_STATES), team_clause(session, actor))


def candidate_clause(actor: Actor) -> Any:
    """Tasks whose lane one of the actor's positions fills, in that position's unit."""
    clauses = [
        and_(
            HumanTask.candidate.in_({p.denominacion, p.puesto}),
            or_(HumanTask.candidate_unit_id.is_(None), HumanTask.candidate_unit_id == p.unit_id),
        )
        for p in actor.positions
    ]
    return or_(*clauses) if clauses else false()


def team_clause(session: Session, actor: Actor) -> Any:
    """Tasks of the positions below the actor's in the lines of authority."""
    below = supervised_positions(session, [p.id for p in actor.positions])
    if not below:
        return false()
    chart = _chart(session)
    if len(below | {p.id for p in actor.positions}) == len(chart):  # the whole programme
        return true()
    pairs = {(chart[p][1], chart[p][2]) for p in below}
    names = {name for name, _ in pairs}
    return or_(
        tuple_(HumanTask.candidate, HumanTask.candidate_unit_id).in_(sorted(pairs)),
        and_(HumanTask.candidate_unit_id.is_(None), HumanTask.candidate.in_(names)),
    )


def _filters(session: Session, q: InboxQuery, now: datetime) -> list[Any]:
    out: list[Any] = []
    if q.process_key:
        out.append(ProcessInstance.process_key == q.process_key)
    if q.element_id:
        out.append(HumanTask.element_id == q.element_id)
    if q.unit_code:
        out.append(Unit.code == q.unit_code)
    if q.household:
        out.append(HumanTask.household == q.household.strip())
    if q.due:
        out.append(_due_clause(q.due, now))
    if q.text and q.text.strip():
        like = (
            "%" + q.text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        out.append(
            or_(
                HumanTask.name.ilike(like, escape="\\"),
                HumanTask.household.ilike(like, escape="\\"),
                ProcessDefinition.name.ilike(like, escape="\\"),
            )
        )
    return out


def _due_clause(due: str, now: datetime) -> Any:
    if due == "none":
        return HumanTask.due_at.is_(None)
    if due == "overdue":
        return HumanTask.due_at < now
    if due == "today":
        local = now.astimezone(LIMA)
        end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), LIMA)
        return HumanTask.due_at < end
    return HumanTask.due_at < now + timedelta(days=7)


def _order(sort: str) -> list[Any]:
    due = [HumanTask.due_at.is_(None), HumanTask.due_at]
    if sort == "priority":
        return [HumanTask.priority.desc(), *due, HumanTask.id]
    return [*due, HumanTask.priority.desc(), HumanTask.id]


# -- the org chart, as the inbox needs it (cached: it changes only when re-seeded) -----------

_CHART: dict[str, Any] = {}
_CHART_TTL_SECONDS = 300.0


def _chart(session: Session) -> dict[int, tuple[int | None, str, int]]:
    """position id → (supervisor id, denominación, unit id)."""
    key = str(session.get_bind().url)
    cached = _CHART.get(key)
    if cached and time.monotonic() - cached[0] < _CHART_TTL_SECONDS:
        return cached[1]
    rows = session.execute(
        select(Position.id, Position.supervisor_id, Position.denominacion, Position.unit_id)
    )
    chart = {pid: (sup, name, unit) for pid, sup, name, unit in rows}
    _CHART[key] = (time.monotonic(), chart)
    return chart


def supervised_positions(session: Session, position_ids: list[int]) -> set[int]:
    """Every position below ``position_ids`` in the lines of authority (not themselves)."""
    chart = _chart(session)
    children: dict[int, list[int]] = {}
    for pid, (sup, _, _) in chart.items():
        if sup is not None:
            children.setdefault(sup, []).append(pid)
    below: set[int] = set()
    stack = list(position_ids)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in below:
                below.add(child)
                stack.append(child)
    return below - set(position_ids)

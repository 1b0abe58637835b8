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

from sqlalchemy import and_, false, func, literal, or_, select, true, tuple_, union_all
from sqlalchemy.orm import Session

from engine.clock import LIMA
from engine.db import utcnow
from engine.definitions.models import ProcessDefinition
from engine.errors import ValidationError
from engine.org.models import Position, Unit
from engine.padron.models import Hogar, Miembro
from engine.runtime.actors import Actor
from engine.runtime.models import HumanTask, ProcessInstance

TABS = ("mine", "available", "team")
DUE_FILTERS = ("overdue", "today", "week", "none")
SORTS = ("due", "priority")
MAX_PER_PAGE = 100
OPEN_STATES = ("ready", "claimed")
DNI_LENGTH = 8


@dataclass(frozen=True)
class InboxQuery:
    tab: str = "mine"
    process_key: str | None = None
    element_id: str | None = None
    unit_code: str | None = None  # the Unidad Territorial (or unit) of the instance
    due: str | None = None
    household: str | None = None  # co_hogar, or the DNI of its titular or of a member
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
    filters, joins = _filters(session, query, now)
    tabs = {tab: _Tab(session, actor, tab) for tab in TABS}
    counts = {tab: session.scalar(t.count(filters, joins)) or 0 for tab, t in tabs.items()}
    ids = list(session.scalars(tabs[query.tab].page_ids(filters, joins, query)))
    listing = (
        select(HumanTask, ProcessInstance.process_key, ProcessDefinition.name, Unit.code)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Unit, Unit.id == HumanTask.scope_unit_id)
        .where(HumanTask.id.in_(ids))
    )
    found = {task.id: (task, key, name, code) for task, key, name, code in session.execute(listing)}
    rows = [
        InboxRow(task, key, name, code, task.due_at is not None and task.due_at < now)
        for task, key, name, code in (found[i] for i in ids if i in found)
    ]
    return InboxPage(query, rows, counts[query.tab], counts)


# -- how a tab reads human_task -----------------------------------------------------------
#
# A tab is a set of index ranges of ix_human_task_inbox_due — (candidate, candidate_unit_id,
# state) — when there are few: each range is counted on the index alone and read in due
# order up to the page's end, and the ranges are merged (UNION ALL). Otherwise (``mine``,
# or a supervisor of many positions) it is one WHERE clause. The rows are the same either
# way; only the plan differs. The instance, definition and unit are joined only when a
# filter needs them (an inner join on a NOT NULL foreign key never drops a row).

MAX_RANGES = 64


class _Tab:
    def __init__(self, session: Session, actor: Actor, tab: str) -> None:
        self.clause = _tab(session, actor, tab)
        self.ranges = _ranges(session, actor, tab)

    def _selects(self, columns: list[Any], filters: list[Any], joins: set[str]) -> list[Any]:
        if self.ranges is None:
            return [_joined(select(*columns), joins).where(self.clause, *filters)]
        return [
            _joined(select(*columns), joins).where(
                HumanTask.candidate == candidate,
                HumanTask.candidate_unit_id.is_(None)
                if unit_id is None
                else HumanTask.candidate_unit_id == unit_id,
                HumanTask.state == state,
                *filters,
            )
            for candidate, unit_id, state in self.ranges
        ]

    def count(self, filters: list[Any], joins: set[str]) -> Any:
        selects = self._selects([HumanTask.id], filters, joins)
        if not selects:
            return select(literal(0))
        if len(selects) == 1:
            return selects[0].with_only_columns(func.count(HumanTask.id))
        return select(func.count()).select_from(union_all(*selects).subquery())

    def page_ids(self, filters: list[Any], joins: set[str], q: InboxQuery) -> Any:
        offset = (q.page - 1) * q.per_page
        if self.ranges is None:
            (one,) = self._selects([HumanTask.id], filters, joins)
            return one.order_by(*_order(q.sort)).limit(q.per_page).offset(offset)
        if not self.ranges:
            return select(HumanTask.id).where(false())
        columns = [HumanTask.id, HumanTask.due_at, HumanTask.priority]
        heads = [
            select(*branch.where(where).order_by(*order).limit(offset + q.per_page).subquery().c)
            for branch in self._selects(columns, filters, joins)
            for where, order in _parts(q.sort)
        ]
        merged = union_all(*heads).subquery()
        return (
            select(merged.c.id).order_by(*_order(q.sort, merged.c)).limit(q.per_page).offset(offset)
        )


def _parts(sort: str) -> list[tuple[Any, list[Any]]]:
    """By due date, the dated and the undated rows of a range apart: each part is read in
    the order of the index, (due_at, priority), and stops at the page's end."""
    if sort == "due":
        return [
            (
                HumanTask.due_at.is_not(None),
                [HumanTask.due_at, HumanTask.priority.desc(), HumanTask.id],
            ),
            (HumanTask.due_at.is_(None), [HumanTask.priority.desc(), HumanTask.id]),
        ]
    return [(true(), _order(sort))]


def _joined(stmt, joins: set[str]):  # type: ignore[no-untyped-def]
    stmt = stmt.select_from(HumanTask)
    if joins:
        stmt = stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    return stmt


def _ranges(session: Session, actor: Actor, tab: str) -> list[tuple[str, int | None, str]] | None:
    """The (candidate, candidate_unit_id, state) ranges of ``available`` and ``team``, or
    None when the tab is better read as one clause."""
    if tab == "available":
        pairs = {
            (name, unit)
            for p in actor.positions
            for name in {p.denominacion, p.puesto}
            for unit in (None, p.unit_id)
        }
        states: tuple[str, ...] = ("ready",)
    elif tab == "team":
        team = _team_pairs(session, actor)
        if team is None:
            return None
        pairs = team | {(name, None) for name, _ in team}
        states = OPEN_STATES
    else:
        return None
    ranges = sorted({(c, u, s) for c, u in pairs for s in states}, key=repr)
    return ranges if len(ranges) <= MAX_RANGES else None


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


def _team_pairs(session: Session, actor: Actor) -> set[tuple[str, int]] | None:
    """(denominación, unit) of the positions below the actor's; None for the whole programme."""
    below = supervised_positions(session, [p.id for p in actor.positions])
    chart = _chart(session)
    if below and len(below | {p.id for p in actor.positions}) == len(chart):
        return None
    return {(chart[p][1], chart[p][2]) for p in below}


def team_clause(session: Session, actor: Actor) -> Any:
    """Tasks of the positions below the actor's in the lines of authority."""
    pairs = _team_pairs(session, actor)
    if pairs is None:  # the whole programme
        return true()
    if not pairs:
        return false()
    names = {name for name, _ in pairs}
    return or_(
        tuple_(HumanTask.candidate, HumanTask.candidate_unit_id).in_(sorted(pairs)),
        and_(HumanTask.candidate_unit_id.is_(None), HumanTask.candidate.in_(names)),
    )


def _filters(session: Session, q: InboxQuery, now: datetime) -> tuple[list[Any], set[str]]:
    """The filters' clauses, and whether they need the instance joined."""
    out: list[Any] = []
    joins: set[str] = set()
    if q.process_key:
        out.append(ProcessInstance.process_key == q.process_key)
        joins.add("instance")
    if q.element_id:
        out.append(HumanTask.element_id == q.element_id)
    if q.unit_code:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == q.unit_code))
        out.append(HumanTask.scope_unit_id == unit_id if unit_id is not None else false())
    if q.household:
        out.append(HumanTask.household.in_(_households(session, q.household.strip())))
    if q.due:
        out.append(_due_clause(q.due, now))
    if q.text and q.text.strip():
        out.append(_text_clause(session, q.text.strip(), joins))
    return out, joins


def _text_clause(session: Session, text: str, joins: set[str]) -> Any:
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    matches = [
        HumanTask.name.ilike(like, escape="\\"),
        HumanTask.household.ilike(like, escape="\\"),
    ]
    definitions = list(
        session.scalars(
            select(ProcessDefinition.id).where(ProcessDefinition.name.ilike(like, escape="\\"))
        )
    )
    if definitions:  # the process's name matches: every task of those definitions does
        matches.append(ProcessInstance.definition_id.in_(definitions))
        joins.add("instance")
    return or_(*matches)


def _households(session: Session, value: str) -> list[str]:
    """A household code, or a DNI (8 digits) of its titular or of one of its members."""
    if not (len(value) == DNI_LENGTH and value.isdigit()):
        return [value]
    titular = select(Hogar.co_hogar).where(Hogar.dni_titular == value)
    member = select(Hogar.co_hogar).join(Miembro, Miembro.hogar_id == Hogar.id)
    found = session.scalars(titular.union(member.where(Miembro.dni == value))).all()
    return list(found) or [value]


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


def _order(sort: str, c: Any = None) -> list[Any]:
    """``c``: the columns to sort (human_task's, or a subquery's with the same names)."""
    c = c if c is not None else HumanTask.__table__.c
    due = [c.due_at.is_(None), c.due_at]
    if sort == "priority":
        return [c.priority.desc(), *due, c.id]
    return [*due, c.priority.desc(), c.id]


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

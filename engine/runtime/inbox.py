"""The inbox: one actor's human tasks by tab, with filters, sorting, pagination and counts.

Tabs: ``mine`` (claimed by the actor), ``available`` (unclaimed, for the actor's positions in
their scope) and ``team`` (open tasks of the positions the actor supervises along the lines
of authority, Title IV). Everything is one SQL query per list and per count, over the
indexes of ``human_task``; nothing is filtered in Python, so what a list shows and what its
count says cannot disagree, and nothing outside the actor's reach can leak into either.

Counts are exact up to ``COUNT_CAP`` and say "more than that" beyond it: each count stops
reading after ``COUNT_CAP + 1`` index entries, so a tab of 40,000 tasks costs what one of
1,000 does (an exact count of a big tab would read all of it on every page view).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    any_,
    bindparam,
    cast,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from engine.clock import LIMA
from engine.db import utcnow
from engine.definitions import store
from engine.definitions.models import ProcessDefinition
from engine.errors import ValidationError
from engine.org.models import Position, Unit
from engine.padron.models import Hogar, Miembro
from engine.runtime.actors import Actor
from engine.runtime.models import TASK_STATES, HumanTask, ProcessInstance

TABS = ("mine", "available", "team")
DUE_FILTERS = ("overdue", "today", "week", "none")
SORTS = ("due", "priority")
MAX_PER_PAGE = 100
OPEN_STATES = ("ready", "claimed")
DNI_LENGTH = 8
COUNT_CAP = 1000  # a count above it reads «más de 1,000»
MAX_TEXT_HOUSEHOLDS = 100  # a text search names these many household codes at most; else a range


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
    total: int  # exact up to COUNT_CAP; COUNT_CAP + 1 means "more than COUNT_CAP"
    counts: dict[str, int]  # the same, per tab
    has_next: bool = False

    @property
    def capped(self) -> bool:
        return self.total > COUNT_CAP

    @property
    def pages(self) -> int | None:
        """The number of pages; None when the total is capped (the pager then offers the
        next page while there is one)."""
        if self.capped:
            return None
        return max(1, math.ceil(self.total / self.query.per_page))

    def count_text(self, tab: str | None = None) -> str:
        """A tab's count (the current tab's by default) as the page shows it."""
        return count_text(self.total if tab is None else self.counts[tab])


def count_text(n: int) -> str:
    return f"más de {COUNT_CAP:,}" if n > COUNT_CAP else str(n)


def inbox(
    session: Session, actor: Actor, query: InboxQuery, now: datetime | None = None
) -> InboxPage:
    query = query.checked()
    now = now or utcnow()
    filters, joins, narrow = _filters(session, query, now)
    tabs = {tab: _Tab(session, actor, tab, narrow) for tab in TABS}
    counted = [t.count(filters, joins).scalar_subquery() for t in tabs.values()]
    # One round trip: the page's rows, each carrying the three counts (computed once).
    ids = tabs[query.tab].page_ids(filters, joins, query).subquery()
    listing = (
        select(HumanTask, ProcessInstance.process_key, ProcessDefinition.name, Unit.code, *counted)
        .select_from(ids)
        .join(HumanTask, HumanTask.id == ids.c.id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .outerjoin(Unit, Unit.id == HumanTask.scope_unit_id)
        .order_by(*_order(query.sort))
    )
    found = session.execute(listing).all()
    numbers = found[0][4:] if found else session.execute(select(*counted)).one()
    counts = {tab: n or 0 for tab, n in zip(tabs, numbers, strict=True)}
    has_next = len(found) > query.per_page
    rows = [
        InboxRow(task, key, name, code, task.due_at is not None and task.due_at < now)
        for task, key, name, code, *_ in found[: query.per_page]
    ]
    return InboxPage(query, rows, counts[query.tab], counts, has_next)


def open_tasks(
    session: Session, actor: Actor, scope: str = "all", limit: int = 100, offset: int = 0
) -> list[HumanTask]:
    """``mine`` (claimed by the actor), ``available`` (unclaimed, for the actor's positions)
    or ``all`` (both), in the inbox's due order: what ``GET /api/tasks`` lists."""
    tabs = {"mine": ("mine",), "available": ("available",)}.get(scope, ("mine", "available"))
    columns = [HumanTask.id, HumanTask.due_at, HumanTask.priority]
    heads = [
        head
        for tab in tabs
        for head in _Tab(session, actor, tab).heads(columns, [], set(), "due", offset + limit)
    ]
    if not heads:
        return []
    merged = union_all(*heads).subquery()
    ids = (
        select(merged.c.id)
        .order_by(*_order("due", merged.c))
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    page = select(HumanTask).join(ids, ids.c.id == HumanTask.id).order_by(*_order("due"))
    return list(session.scalars(page))


# -- how a tab reads human_task -----------------------------------------------------------
#
# A tab is a few branches, each a WHERE clause that one index reads in due order: the
# (candidate, candidate_unit_id, state) ranges of ix_human_task_inbox_due when there are
# few; for a bigger team, one branch per unit on ix_human_task_open_unit (the unit's open
# tasks by due date, the lanes checked on the index entry); for the whole programme, the
# open tasks by due date (ix_human_task_open_due); ``mine``, the assignee's index. Each
# branch is read in due order up to the page's end (the dated and the undated rows apart:
# each part in index order) and the branches are merged (UNION ALL); each count stops after
# COUNT_CAP + 1 rows. The rows are the same whatever the plan. The instance is joined only
# when a filter needs it (an inner join on a NOT NULL foreign key never drops a row).

MAX_RANGES = 16
MAX_UNITS = 8


def open_state() -> Any:
    """``state IN ('ready', 'claimed')`` written with literals, as the partial indexes'
    predicate is: SQLite uses a partial index only when the query repeats its predicate,
    and PostgreSQL proves a partial index's predicate from literals, not from the
    parameters of a prepared statement's generic plan."""
    return HumanTask.state.in_([literal_column(f"'{s}'") for s in OPEN_STATES])


def state_is(state: str) -> Any:
    """``state = 'ready'`` (a literal: see ``open_state``); on PostgreSQL the inbox's and
    the assignee's indexes hold open tasks only, the completed ones have their own."""
    if state not in TASK_STATES:
        raise ValueError(f"unknown task state {state!r}")
    return HumanTask.state == literal_column(f"'{state}'")


class _Tab:
    def __init__(self, session: Session, actor: Actor, tab: str, narrow: bool = False) -> None:
        """``narrow``: the filters name a few households; then the tab is one clause, read
        whole and sorted (the household index finds its rows, whatever the tab)."""
        self.branches = _branches(session, actor, tab, narrow)
        self.narrow = narrow

    def _selects(self, columns: list[Any], filters: list[Any], joins: set[str]) -> list[Any]:
        return [
            _joined(select(*columns), joins).where(*branch, *filters) for branch in self.branches
        ]

    def count(self, filters: list[Any], joins: set[str]) -> Any:
        """The tab's count, capped: reading stops at COUNT_CAP + 1 rows."""
        selects = self._selects([literal_column("1")], filters, joins)
        if not selects:
            return select(literal(0))
        capped = (selects[0] if len(selects) == 1 else union_all(*selects)).limit(COUNT_CAP + 1)
        return select(func.count()).select_from(capped.subquery())

    def heads(
        self, columns: list[Any], filters: list[Any], joins: set[str], sort: str, end: int
    ) -> list[Any]:
        """Selects of ``columns`` whose union holds the tab's first ``end`` rows in ``sort``
        order: one per branch and part, each read in index order and stopping at ``end``."""
        return [
            select(*branch.where(where).order_by(*order).limit(end).subquery().c)
            for branch in self._selects(columns, filters, joins)
            for where, order in ([(true(), _order(sort))] if self.narrow else _parts(sort))
        ]

    def page_ids(self, filters: list[Any], joins: set[str], q: InboxQuery) -> Any:
        """The ids of the page's rows and of the first row after it (if any)."""
        offset = (q.page - 1) * q.per_page
        columns = [HumanTask.id, HumanTask.due_at, HumanTask.priority]
        heads = self.heads(columns, filters, joins, q.sort, offset + q.per_page + 1)
        if not heads:
            return select(HumanTask.id).where(false())
        merged = union_all(*heads).subquery()
        return (
            select(merged.c.id)
            .order_by(*_order(q.sort, merged.c))
            .limit(q.per_page + 1)
            .offset(offset)
        )


def _parts(sort: str) -> list[tuple[Any, list[Any]]]:
    """By due date, the dated and the undated rows of a branch apart: each part is read in
    the order of the index, (due_at, priority DESC, id), and stops at the page's end."""
    if sort == "due":
        return [
            (
                HumanTask.due_at.is_not(None),
                [HumanTask.due_at, HumanTask.priority.desc(), HumanTask.id],
            ),
            # due_at (all NULL here) stays in the ORDER BY: PostgreSQL matches the index's
            # order only when it is written out
            (
                HumanTask.due_at.is_(None),
                [HumanTask.due_at, HumanTask.priority.desc(), HumanTask.id],
            ),
        ]
    return [(true(), _order(sort))]


def _joined(stmt, joins: set[str]):  # type: ignore[no-untyped-def]
    stmt = stmt.select_from(HumanTask)
    if joins:
        stmt = stmt.join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
    return stmt


def _unit_is(unit_id: int | None) -> Any:
    if unit_id is None:
        return HumanTask.candidate_unit_id.is_(None)
    return HumanTask.candidate_unit_id == unit_id


def _branches(session: Session, actor: Actor, tab: str, narrow: bool) -> list[list[Any]]:
    """The tab's branches (see above): each a list of conditions."""
    if tab == "mine":
        return [[HumanTask.assignee_user_id == actor.user_id, state_is("claimed")]]
    if tab == "available":
        pairs = {
            (name, unit)
            for p in actor.positions
            for name in {p.denominacion, p.puesto}
            for unit in (None, p.unit_id)
        }
        states: tuple[str, ...] = ("ready",)
        whole = [state_is("ready"), candidate_clause(actor)]
    else:
        team = _team_pairs(session, actor)
        if team is None:  # the whole programme
            return [[open_state()]]
        pairs = team | {(name, None) for name, _ in team}
        states = OPEN_STATES
        whole = [open_state(), _wide_team_clause(session, team)]
    if narrow:
        return [whole]
    ranges = sorted({(c, u, s) for c, u in pairs for s in states}, key=repr)
    if len(ranges) <= MAX_RANGES:
        return [[HumanTask.candidate == c, _unit_is(u), state_is(s)] for c, u, s in ranges]
    units: dict[int | None, set[str]] = {}
    for name, unit in pairs:
        units.setdefault(unit, set()).add(name)
    if tab == "team" and len(units) <= MAX_UNITS:
        return [
            [open_state(), _unit_is(unit), HumanTask.candidate.in_(sorted(names))]
            for unit, names in sorted(units.items(), key=repr)
        ]
    return [whole]


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
    return _pairs_clause(_team_pairs(session, actor))


def _pairs_clause(pairs: set[tuple[str, int]] | None) -> Any:
    """Tasks of these (denominación, unit) lanes, or of any unit's; None: every task."""
    if pairs is None:  # the whole programme
        return true()
    if not pairs:
        return false()
    names = {name for name, _ in pairs}
    return or_(
        tuple_(HumanTask.candidate, HumanTask.candidate_unit_id).in_(sorted(pairs)),
        and_(HumanTask.candidate_unit_id.is_(None), HumanTask.candidate.in_(names)),
    )


def _wide_team_clause(session: Session, pairs: set[tuple[str, int]]) -> Any:
    """``_pairs_clause`` for a team of many lanes: each (candidate, unit) as one key looked
    up in a list, which the planner neither expands into one index probe per lane nor
    costs as rare, so it reads the open tasks in due order and checks each. Each list is
    one bound value (hundreds of lanes for the Director): hundreds of parameters cost more
    to send and to parse than the query itself."""
    if not pairs:
        return false()
    key = HumanTask.candidate + "|" + cast(HumanTask.candidate_unit_id, String)
    return or_(
        _one_of(session, key, sorted(f"{name}|{unit}" for name, unit in pairs)),
        and_(
            HumanTask.candidate_unit_id.is_(None),
            _one_of(session, HumanTask.candidate, sorted({name for name, _ in pairs})),
        ),
    )


def _one_of(session: Session, expr: Any, values: list[str]) -> Any:
    """``expr IN values`` with the list as one bound value: a text array on PostgreSQL,
    a JSON array read by ``json_each`` on SQLite."""
    if session.get_bind().dialect.name == "postgresql":
        return expr == any_(bindparam(None, values, type_=postgresql.ARRAY(String)))
    listed = func.json_each(bindparam(None, json.dumps(values))).table_valued("value")
    return expr.in_(select(listed.c.value))


def _filters(session: Session, q: InboxQuery, now: datetime) -> tuple[list[Any], set[str], bool]:
    """The filters' clauses, whether they need the instance joined, and whether they name
    a few households (then the household index finds the rows; no tab order is faster)."""
    out: list[Any] = []
    joins: set[str] = set()
    narrow = False
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
        narrow = True
    if q.due:
        out.append(_due_clause(q.due, now))
    if q.text and q.text.strip():
        clause, households_only = _text_clause(session, q.text.strip(), joins)
        out.append(clause)
        narrow = narrow or households_only
    return out, joins, narrow


def _text_clause(session: Session, text: str, joins: set[str]) -> tuple[Any, bool]:
    """Free text: part of the task's name or of its process's name (any case), a household
    code or its beginning, or the DNI of a household's titular or member. Each part becomes
    a clause an index serves: the names found in the definitions become ``name IN``, the
    definitions ``definition_id IN``, the households ``household IN`` (or a code range).
    Also says whether only a few households matched."""
    needle = text.casefold()
    matches: list[Any] = []
    names = sorted(n for n in _task_names(session) if needle in n.casefold())
    if names:
        matches.append(HumanTask.name.in_(names))
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    definitions = list(
        session.scalars(
            select(ProcessDefinition.id).where(ProcessDefinition.name.ilike(like, escape="\\"))
        )
    )
    if definitions:  # the process's name matches: every task of those definitions does
        matches.append(ProcessInstance.definition_id.in_(definitions))
        joins.add("instance")
    households, few = _household_text(session, text)
    return or_(*matches, households), few and not matches


def _household_text(session: Session, text: str) -> tuple[Any, bool]:
    """Households whose code starts with ``text`` (as typed or in capitals), or whose
    titular or member has ``text`` as DNI: the codes themselves when there are few (read
    on the household index), else the code ranges; and whether they were few."""
    prefixes = sorted({text, text.upper()})
    ranges = [
        and_(HumanTask.household >= p, HumanTask.household < _after_prefix(p)) for p in prefixes
    ]
    found = set(
        session.scalars(
            select(HumanTask.household)
            .distinct()
            .where(or_(*ranges))
            .limit(MAX_TEXT_HOUSEHOLDS + 1)
        )
    )
    if len(found) > MAX_TEXT_HOUSEHOLDS:
        return or_(*ranges), False
    if len(text) == DNI_LENGTH and text.isdigit():
        found.update(_households(session, text))
    return (HumanTask.household.in_(sorted(found)) if found else false()), True


def _after_prefix(prefix: str) -> str:
    """The least string above every string that starts with ``prefix`` (byte order)."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return _after_prefix(prefix[:-1]) if len(prefix) > 1 else "\U0010ffff"
    return prefix[:-1] + chr(last + 1)


_NAMES: dict[str, tuple[tuple[int, ...], frozenset[str]]] = {}


def _task_names(session: Session) -> frozenset[str]:
    """The names a human task can have: those of the user and manual tasks of every
    published definition (``engine.runtime.advance`` names a task ``bpmn_name or bpmn_id``).
    Cached per database until a definition is published."""
    ids = tuple(session.scalars(select(ProcessDefinition.id).order_by(ProcessDefinition.id)))
    key = str(session.get_bind().url)
    cached = _NAMES.get(key)
    if cached and cached[0] == ids:
        return cached[1]
    names: set[str] = set()
    for definition_id in ids:
        loaded = store.load_by_id(session, definition_id)
        for spec in (loaded.spec, *loaded.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None):
                    names.add(task_spec.bpmn_name or task_spec.bpmn_id)
    _NAMES[key] = (ids, frozenset(names))
    return _NAMES[key][1]


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
    return _org(session)[0]


def _org(
    session: Session,
) -> tuple[dict[int, tuple[int | None, str, int]], dict[int, list[int]]]:
    """The chart, and position id → the positions it supervises directly."""
    key = str(session.get_bind().url)
    cached = _CHART.get(key)
    if cached and time.monotonic() - cached[0] < _CHART_TTL_SECONDS:
        return cached[1]
    rows = session.execute(
        select(Position.id, Position.supervisor_id, Position.denominacion, Position.unit_id)
    )
    chart = {pid: (sup, name, unit) for pid, sup, name, unit in rows}
    children: dict[int, list[int]] = {}
    for pid, (sup, _, _) in chart.items():
        if sup is not None:
            children.setdefault(sup, []).append(pid)
    _CHART[key] = (time.monotonic(), (chart, children))
    return chart, children


def supervised_positions(session: Session, position_ids: list[int]) -> set[int]:
    """Every position below ``position_ids`` in the lines of authority (not themselves)."""
    children = _org(session)[1]
    below: set[int] = set()
    stack = list(position_ids)
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in below:
                below.add(child)
                stack.append(child)
    return below - set(position_ids)

"""Writing and reading the audit log.

``record`` and ``append`` add one event inside the caller's transaction and never commit: the
event exists if and only if the change it describes does. Events are numbered 1, 2, 3…
without gaps, so writers take turns at the head of the chain:

* PostgreSQL: ``SELECT … FOR UPDATE`` on the ``audit_head`` row. A second writer waits
  there until the first commits or rolls back, then reads the new head (READ COMMITTED).
  Under REPEATABLE READ or SERIALIZABLE the second writer gets a serialisation failure
  instead, and its caller must retry the unit of work.
* SQLite: one writer at a time per database. Numbering first makes a no-op write to the
  head, which takes the writer lock (waiting up to the busy timeout) before anything is
  read, so the head it then reads cannot be stale.

The head's lock is held until the caller's transaction ends, and every audited unit of work
takes it, so units of work hold it one after the other. ``append`` therefore waits to
number its event — to take the lock, read the head and hash — until the rows of the unit
of work are written: at its commit, or before the session's next statement (``Session
.execute``, ``scalar``, ``get``… — whatever could read the log); see ``write_pending``. A
task completion then holds the head for its last two statements and its commit, not for
its engine steps and its other writes, and units of work on different instances overlap on
PostgreSQL. The event's time is taken when it is numbered: time follows seq. ``record``
numbers at once (and the events appended before it), for callers that need the event's seq
or hash back.

All the rows of a unit of work go to the database in one INSERT, with one move of the head.
A flush of ORM changes does not write them (nothing flushed refers to an event), so a unit
of work that flushes half way still writes its events once. A rolled-back transaction drops
them with everything else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Insert, String, Text, bindparam, cast, column, func, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.types import TypeEngine

from engine import direct_sql
from engine.audit.chain import GENESIS_HASH, HASHED_FIELDS, canonical_json, event_hash
from engine.audit.models import AuditEvent, AuditHead, Digest
from engine.db import UTCDateTime, utcnow

HEAD_ID = 1
KIND_MAX_LENGTH = 64

_head = AuditHead.__table__
_events = AuditEvent.__table__
# session.info keys: (transaction, last seq, last hash) of this session's tip of the chain;
# (transaction, [(row, now)]) appended but not yet numbered; (transaction, rows) numbered but
# not yet written.
_SESSION_HEAD = "audit_head"
_SESSION_WAITING = "audit_waiting"
_SESSION_PENDING = "audit_pending"


class AuditHeadMissing(RuntimeError):
    """``audit_head`` is gone although events exist: the log was tampered with."""


def record(
    session: Session,
    kind: str,
    *,
    actor_user_id: int | None = None,
    actor_position_id: int | None = None,
    process_key: str | None = None,
    process_version: int | None = None,
    instance_id: int | None = None,
    element_id: str | None = None,
    household: str | None = None,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> AuditEvent:
    """Appends an event (``kind`` such as ``"task.completed"``) to the chain, numbered and
    hashed now (this takes the head's lock). Never commits. Returns the event (not attached
    to the session); ``append`` numbers later, for callers that need nothing back.
    """
    row = _new_row(
        session,
        kind,
        actor_user_id=actor_user_id,
        actor_position_id=actor_position_id,
        process_key=process_key,
        process_version=process_version,
        instance_id=instance_id,
        element_id=element_id,
        household=household,
        data=data,
        now=now,
    )
    _number_waiting(session)
    prev_hash = _number(session, row, now)
    return AuditEvent(**row, prev_hash=prev_hash)


def append(
    session: Session,
    kind: str,
    *,
    actor_user_id: int | None = None,
    actor_position_id: int | None = None,
    process_key: str | None = None,
    process_version: int | None = None,
    instance_id: int | None = None,
    element_id: str | None = None,
    household: str | None = None,
    data: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Mapping[str, Any]:
    """Appends an event to the chain and returns its row. Never commits.

    ``data`` is stored as canonical JSON (see ``engine.audit.chain``); empty strings in the
    optional text fields are stored as NULL, so that a CSV export reads back the same.
    The event is numbered and hashed (``seq``, ``recorded_at`` and ``hash`` are added to the
    row) when it is written: before the session's next statement or at its commit (see
    ``write_pending``), together with the others of the transaction and one move of the head.
    """
    row = _new_row(
        session,
        kind,
        actor_user_id=actor_user_id,
        actor_position_id=actor_position_id,
        process_key=process_key,
        process_version=process_version,
        instance_id=instance_id,
        element_id=element_id,
        household=household,
        data=data,
        now=now,
    )
    _of_transaction(session, _SESSION_WAITING).append((row, now))
    return row


def _new_row(
    session: Session,
    kind: str,
    *,
    actor_user_id: int | None,
    actor_position_id: int | None,
    process_key: str | None,
    process_version: int | None,
    instance_id: int | None,
    element_id: str | None,
    household: str | None,
    data: Mapping[str, Any] | None,
    now: datetime | None,
) -> dict[str, Any]:
    """The event's fields but its number, time and hash; what is wrong with any of them
    (``now`` included) is refused before anything is queued."""
    _check_kind(kind)
    if data is not None and not isinstance(data, Mapping):
        raise TypeError("audit data must be a mapping (a JSON object)")
    if now is not None and now.tzinfo is None:
        raise ValueError("naive datetime; use engine.db.utcnow()")
    return {
        "kind": kind,
        "actor_user_id": actor_user_id,
        "actor_position_id": actor_position_id,
        "process_key": process_key or None,
        "process_version": process_version,
        "instance_id": instance_id,
        "element_id": element_id or None,
        "household": household or None,
        "data": canonical_json(dict(data or {})),
    }


def _number(session: Session, row: dict[str, Any], now: datetime | None) -> str:
    """Gives ``row`` the next seq, its time and its hash, and queues it to be written;
    returns the previous event's hash."""
    last_seq, last_hash = _lock_head(session)
    row["seq"] = last_seq + 1
    row["recorded_at"] = (now or utcnow()).astimezone(UTC)  # after the lock: time follows seq
    row["hash"] = event_hash(last_hash, row)
    _of_transaction(session, _SESSION_PENDING).append(row)
    session.info[_SESSION_HEAD] = (session.get_transaction(), row["seq"], row["hash"])
    return last_hash


def _of_transaction(session: Session, key: str) -> list[Any]:
    """The list kept under ``key`` in ``session.info`` for the session's current
    transaction: a new one when the one there belongs to a transaction that has ended."""
    transaction = session.get_transaction()
    kept = session.info.get(key)
    if kept is None or kept[0] is not transaction:
        kept = session.info[key] = (transaction, [])
    return kept[1]


def _number_waiting(session: Session) -> None:
    """Numbers, in the order they were appended, the events this transaction appended."""
    waiting = session.info.pop(_SESSION_WAITING, None)
    if waiting is None or waiting[0] is not session.get_transaction():
        return
    for row, now in waiting[1]:
        _number(session, row, now)


def write_pending(session: Session) -> None:
    """Inserts the events recorded in this transaction and not yet written (one statement),
    then moves the head to the last of them. Runs by itself before any statement the
    session executes and before its commit; events of a transaction that rolled back are
    dropped. A caller reading the log through ``session.connection()`` calls it first."""
    _number_waiting(session)
    pending = session.info.pop(_SESSION_PENDING, None)
    if pending is None or pending[0] is not session.get_transaction() or not pending[1]:
        return
    rows = pending[1]
    connection = session.connection()
    head = {"seq": rows[-1]["seq"], "hash": rows[-1]["hash"]}
    if connection.dialect.name == "postgresql":
        moved = direct_sql.rows(connection, _insert_and_move(), {"rows": _json_rows(rows), **head})
        if [m[0] for m in moved] != [HEAD_ID] * len(rows):  # the head is gone: nothing may commit
            raise AuditHeadMissing("falta la cabeza de la cadena de auditoría (audit_head)")
        return
    direct_sql.execute_many(connection, _INSERT_EVENTS, rows)
    if direct_sql.execute(connection, _MOVE_HEAD, head) != 1:
        raise AuditHeadMissing("falta la cabeza de la cadena de auditoría (audit_head)")


_INSERT_EVENTS = insert(_events)
_MOVE_HEAD = (
    update(_head)
    .where(_head.c.id == HEAD_ID)
    .values(last_seq=bindparam("seq"), last_hash=bindparam("hash", type_=Digest()))
)
_ROW_COLUMNS = (*HASHED_FIELDS, "hash")  # what _append puts in a row


def _recordset_type(type_: TypeEngine[Any]) -> TypeEngine[Any]:
    """How a column is read out of the JSON rows: text for text (too long a value then
    fails the INSERT as it would one by one) and for the digest (hex, decoded in SQL)."""
    if isinstance(type_, String | Digest):
        return Text()
    return type_.impl if isinstance(type_, UTCDateTime) else type_


@cache  # built at first use: the types of foreign key columns are known only by then
def _insert_and_move() -> Insert:
    """PostgreSQL: ``WITH moved AS (UPDATE audit_head … RETURNING id) INSERT INTO
    audit_event SELECT … FROM json_to_recordset(:rows) AS r(seq INTEGER, …) RETURNING
    (SELECT id FROM moved)`` — the rows of a unit of work as one JSON parameter and the move
    of the head, in one round trip and one statement whatever the number of events
    (compiled once; a multi-row VALUES would be compiled again for every unit of work, and
    one array per column costs psycopg a scan of each array to type it). Every inserted
    row says whether the head was there to move (NULL if not: the caller raises and the
    transaction rolls back)."""
    moved = _MOVE_HEAD.returning(_head.c.id).cte("moved")
    recordset = (
        func.json_to_recordset(cast(bindparam("rows", type_=Text()), postgresql.JSON))
        .table_valued(
            *[column(name, _recordset_type(_events.c[name].type)) for name in _ROW_COLUMNS]
        )
        .render_derived("r", with_types=True)
    )
    values = [
        func.decode(recordset.c.hash, "hex") if name == "hash" else recordset.c[name]
        for name in _ROW_COLUMNS
    ]
    return (
        insert(_events)
        .from_select(list(_ROW_COLUMNS), select(*values))
        .add_cte(moved)
        .returning(select(moved.c.id).scalar_subquery())
    )


def _json_rows(rows: list[dict[str, Any]]) -> str:
    return json.dumps(
        [{**row, "recorded_at": row["recorded_at"].isoformat()} for row in rows],
        ensure_ascii=False,
    )


@sa_event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@sa_event.listens_for(Session, "do_orm_execute")
def _before_execute(state: ORMExecuteState) -> None:
    """Whatever the session runs next (a query of the log, raw SQL) sees the events."""
    info = state.session.info
    if _SESSION_PENDING in info or _SESSION_WAITING in info:
        write_pending(state.session)


def events(
    session: Session,
    *,
    instance_id: int | None = None,
    household: str | None = None,
    limit: int | None = None,
    after_seq: int | None = None,
) -> list[AuditEvent]:
    """Events in chain order, optionally of one instance or household, after ``after_seq``."""
    stmt = select(AuditEvent).order_by(AuditEvent.seq)
    if instance_id is not None:
        stmt = stmt.where(AuditEvent.instance_id == instance_id)
    if household is not None:
        stmt = stmt.where(AuditEvent.household == household)
    if after_seq is not None:
        stmt = stmt.where(AuditEvent.seq > after_seq)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def _check_kind(kind: str) -> None:
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError("audit event kind is required, e.g. 'task.completed'")
    if len(kind) > KIND_MAX_LENGTH:
        raise ValueError(f"audit event kind longer than {KIND_MAX_LENGTH} characters")


def _lock_head(session: Session) -> tuple[int, str]:
    """The head (last seq, last hash), locked until the caller's transaction ends.

    Within one transaction the lock is taken once: later events of the same unit of work
    continue from the head this session itself last wrote (kept in ``session.info``).
    """
    transaction = session.get_transaction()
    known = session.info.get(_SESSION_HEAD)
    if known is not None and known[0] is transaction:
        return known[1], known[2]
    connection = session.connection()
    immediate = connection.get_execution_options().get("sqlite_begin_immediate")
    if connection.dialect.name == "sqlite" and not immediate:  # BEGIN IMMEDIATE holds it already
        direct_sql.execute(connection, _TAKE_WRITER_LOCK)
    row = _select_head(session)
    if row is None:
        _create_head(session)
        row = _select_head(session)
        assert row is not None
    return row


_TAKE_WRITER_LOCK = update(_head).where(_head.c.id == HEAD_ID).values(last_seq=_head.c.last_seq)
_SELECT_HEAD = (
    select(_head.c.last_seq, _head.c.last_hash)
    .where(_head.c.id == HEAD_ID)
    .with_for_update()  # SQLite renders nothing: its writer lock is already ours
)


def _select_head(session: Session) -> tuple[int, str] | None:
    row = direct_sql.first(session.connection(), _SELECT_HEAD)
    return None if row is None else (row.last_seq, row.last_hash)


def _create_head(session: Session) -> None:
    """The migration creates the head; this covers schemas built from the models alone.

    Two first writers may race here on PostgreSQL: ON CONFLICT DO NOTHING lets the second
    fall through to the row the first created (and then wait on its lock).
    """
    if session.scalar(select(func.max(AuditEvent.seq))) is not None:
        raise AuditHeadMissing("falta la cabeza de la cadena de auditoría (audit_head)")
    values = {"id": HEAD_ID, "last_seq": 0, "last_hash": GENESIS_HASH}
    dialect = session.connection().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(_head).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(_head).values(values).on_conflict_do_nothing()
    else:
        stmt = insert(_head).values(values)
    session.execute(stmt)

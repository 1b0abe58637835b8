"""The audit log: a gap-free hash chain that shows any tampering, and `juntos audit verify`."""

from __future__ import annotations

import csv
import hashlib
import importlib
import io
import itertools
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine import migrate
from engine.audit import (
    GENESIS_HASH,
    AuditEvent,
    AuditHeadMissing,
    append,
    canonical_json,
    event_hash,
    events,
    record,
    verify,
    verify_export,
)
from engine.cli.audit import audit
from engine.cli.context import CliContext
from engine.db import Database
from engine.org import Position, User

BATCH = 3  # small batches, so that breaks fall on and across page boundaries


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")).one()
    return row.last_seq, bytes(row.last_hash).hex()  # stored as the digest's 32 bytes


def _record_five(session: Session) -> list[AuditEvent]:
    """Five events as the engine will write them; returns them in order."""
    gl = session.scalars(select(User).where(User.login == "gl.cajamarca")).one()
    post = session.scalars(select(Position).where(Position.cargo == 627)).one()
    common = {"process_key": "afiliacion", "process_version": 2, "instance_id": 41}
    return [
        record(session, "instance.started", **common, household="HH-0001"),
        record(
            session,
            "task.claimed",
            **common,
            actor_user_id=gl.id,
            actor_position_id=post.id,
            element_id="Task_Visita",
        ),
        record(
            session,
            "task.completed",
            **common,
            actor_user_id=gl.id,
            actor_position_id=post.id,
            element_id="Task_Visita",
            household="HH-0001",
            data={"submitted": {"miembros": 4, "monto": Decimal("200.00")}, "diff": {}},
        ),
        record(session, "service.succeeded", **common, data={"result": {"ok": True}}),
        record(session, "instance.completed", **common, household="HH-0001"),
    ]


@pytest.fixture
def five(session: Session) -> tuple[int, list[AuditEvent]]:
    """(seq before them, the five events); rolled back with the session."""
    base, _ = _head(session)
    return base, _record_five(session)


# --- canonical form and hash ------------------------------------------------------------


def test_canonical_json_has_one_spelling() -> None:
    lima = timezone(timedelta(hours=-5))
    value = {
        "b": [1, 2.5, None, True],
        "a": "Señora Quispe",
        "at": datetime(2026, 3, 1, 9, 0, tzinfo=lima),
        "day": date(2026, 3, 1),
        "monto": Decimal("200.50"),
    }
    assert canonical_json(value) == (
        '{"a":"Señora Quispe","at":"2026-03-01T14:00:00.000000Z","b":[1,2.5,null,true],'
        '"day":"2026-03-01","monto":"200.50"}'
    )
    assert canonical_json(json.loads(canonical_json(value))) == canonical_json(value)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"ids": {1, 2}}, TypeError),
        ({1: "integer key"}, TypeError),
        ({"x": float("nan")}, ValueError),
        ({"at": datetime(2026, 3, 1, 9, 0)}, ValueError),
        ({"obj": object()}, TypeError),
    ],
    ids=["set", "non-string key", "nan", "naive datetime", "unknown type"],
)
def test_canonical_json_refuses_what_has_no_single_spelling(value: object, error: type) -> None:
    with pytest.raises(error):
        canonical_json(value)


def test_event_hash_is_sha256_of_the_documented_payload() -> None:
    """Pins the scheme, so that an auditor's own implementation can be checked against it."""
    fields = {
        "seq": 1,
        "recorded_at": datetime(2026, 3, 1, 14, 0, 0, 123456, tzinfo=UTC),
        "kind": "task.completed",
        "actor_user_id": 7,
        "actor_position_id": None,
        "process_key": "afiliacion",
        "process_version": 2,
        "instance_id": 41,
        "element_id": "Task_Visita",
        "household": None,
        "data": '{"monto":"200.00"}',
    }
    payload = (
        '{"actor_position_id":null,"actor_user_id":7,"data":"{\\"monto\\":\\"200.00\\"}",'
        '"element_id":"Task_Visita","household":null,"instance_id":41,"kind":"task.completed",'
        '"prev_hash":"' + GENESIS_HASH + '","process_key":"afiliacion","process_version":2,'
        '"recorded_at":"2026-03-01T14:00:00.123456Z","seq":1}'
    )
    assert event_hash(GENESIS_HASH, fields) == hashlib.sha256(payload.encode()).hexdigest()


# --- recording and reading ----------------------------------------------------------------


def test_recorded_events_form_a_gap_free_chain(
    session: Session, five: tuple[int, list[AuditEvent]]
) -> None:
    base, recorded = five
    assert [e.seq for e in recorded] == list(range(base + 1, base + 6))
    for previous, event in itertools.pairwise(recorded):
        assert event.prev_hash == previous.hash
        assert event.recorded_at >= previous.recorded_at
    assert _head(session) == (base + 5, recorded[-1].hash)
    result = verify(session, batch_size=BATCH)
    assert (result.ok, result.checked, result.first_bad_seq) == (True, base + 5, None)


def test_record_stores_canonical_data_and_never_commits(db: Database, session: Session) -> None:
    base, _ = _head(session)
    event = record(
        session,
        "timer.fired",
        element_id="",
        household="",
        data={"due": datetime(2026, 3, 1, 14, 0, tzinfo=UTC), "monto": Decimal("1.10")},
        now=datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
    )
    session.expire_all()
    stored = session.get(AuditEvent, event.seq)
    assert stored.data == '{"due":"2026-03-01T14:00:00.000000Z","monto":"1.10"}'
    assert stored.recorded_at == datetime(2026, 3, 1, 14, 0, tzinfo=UTC)
    assert (stored.element_id, stored.household) == (None, None)
    with db.engine.connect() as other:  # another connection sees nothing: not committed
        assert other.execute(text("SELECT last_seq FROM audit_head")).scalar() == base


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"kind": ""}, ValueError),
        ({"kind": "x" * 65}, ValueError),
        ({"kind": "task.completed", "data": [1, 2]}, TypeError),
        ({"kind": "task.completed", "data": {"ids": {1}}}, TypeError),
        ({"kind": "task.completed", "now": datetime(2026, 3, 1)}, ValueError),
    ],
    ids=["empty kind", "long kind", "data not an object", "set in data", "naive now"],
)
def test_record_refuses_bad_input_before_touching_the_chain(
    session: Session, kwargs: dict[str, object], error: type
) -> None:
    before = _head(session)
    with pytest.raises(error):
        record(session, **kwargs)  # type: ignore[arg-type]
    assert _head(session) == before


def test_a_value_too_long_for_its_column_is_refused_never_stored_cut(
    db: Database, session: Session
) -> None:
    """PostgreSQL takes a unit of work's events as one JSON parameter: a too long value must
    still fail the INSERT (a cut value would no longer match its hash)."""
    event = record(session, "timer.fired", element_id="E" * 300)
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="too long"):
            session.get(AuditEvent, event.seq)  # writes the pending events first
        return
    stored = session.get(AuditEvent, event.seq)  # SQLite keeps any length
    assert stored.element_id == "E" * 300 and stored.hash == event.hash


def test_events_filters_in_chain_order(
    session: Session, five: tuple[int, list[AuditEvent]]
) -> None:
    base, recorded = five
    assert [e.kind for e in events(session, after_seq=base)] == [e.kind for e in recorded]
    assert [e.seq for e in events(session, household="HH-0001", after_seq=base)] == [
        base + 1,
        base + 3,
        base + 5,
    ]
    assert [e.seq for e in events(session, instance_id=41, after_seq=base, limit=2)] == [
        base + 1,
        base + 2,
    ]
    assert events(session, instance_id=999_999) == []


def test_the_head_is_created_when_missing_and_the_log_is_empty(session: Session) -> None:
    session.execute(text("DELETE FROM audit_event"))
    session.execute(text("DELETE FROM audit_head"))
    assert verify(session).ok  # an empty log without head is a fresh one
    first = record(session, "definition.published", process_key="afiliacion", process_version=1)
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert _head(session) == (1, first.hash)
    assert verify(session).ok


def test_a_deleted_head_with_events_left_is_refused_and_reported(
    session: Session, five: tuple[int, list[AuditEvent]]
) -> None:
    base, _ = five
    session.execute(text("DELETE FROM audit_head"))
    result = verify(session, batch_size=BATCH)
    assert (result.ok, result.first_bad_seq) == (False, base + 5)
    assert "cabeza" in result.reason
    with pytest.raises(AuditHeadMissing):  # the head row is moved when the events are written
        record(session, "task.ready")
        session.commit()


# --- tampering ------------------------------------------------------------------------------

Tamper = Callable[[Session, int, list[AuditEvent]], None]


def _sql(session: Session, statement: str, **params: object) -> None:
    session.execute(text(statement), params)


def _shift_from(session: Session, seq: int) -> None:
    """Moves events seq, seq+1, … one place up (via negatives: PostgreSQL checks the key
    row by row) and the head with them, as someone making room for a forged event would."""
    _sql(session, "UPDATE audit_event SET seq = -seq WHERE seq >= :s", s=seq)
    _sql(session, "UPDATE audit_event SET seq = 1 - seq WHERE seq < 0")
    _sql(session, "UPDATE audit_head SET last_seq = last_seq + 1")


def _forge(session: Session, seq: int, prev_hash: str, like: AuditEvent, *, sound: bool) -> None:
    """Inserts a payment nobody made at ``seq``, timed like ``like``. ``sound``: with the hash
    the scheme gives; otherwise with a hash that merely looks like one."""
    fields = {
        **like.hashed_fields(),
        "seq": seq,
        "kind": "payment.authorised",
        "data": '{"monto":"5000.00"}',
    }
    forged = event_hash(prev_hash, fields) if sound else hashlib.sha256(b"forged").hexdigest()
    _sql(
        session,
        "INSERT INTO audit_event (seq, recorded_at, kind, actor_user_id, actor_position_id,"
        " process_key, process_version, instance_id, element_id, household, data,"
        " hash) SELECT :seq, recorded_at, :kind, actor_user_id, actor_position_id, process_key,"
        " process_version, instance_id, element_id, household, :data, :hash"
        " FROM audit_event WHERE seq = :like",
        seq=seq,
        kind=fields["kind"],
        data=fields["data"],
        hash=bytes.fromhex(forged),
        like=like.seq,
    )


def _alter_data(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(
        session,
        """UPDATE audit_event SET data = '{"monto":"9999.00"}' WHERE seq = :s""",
        s=base + 3,
    )


def _alter_kind(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(session, "UPDATE audit_event SET kind = 'task.cancelled' WHERE seq = :s", s=base + 2)


def _alter_actor(session: Session, base: int, ev: list[AuditEvent]) -> None:
    other = session.scalars(select(User.id).where(User.login == "gl.puno")).one()
    _sql(session, "UPDATE audit_event SET actor_user_id = :u WHERE seq = :s", u=other, s=base + 4)


def _alter_time(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(
        session,
        "UPDATE audit_event SET recorded_at = (SELECT recorded_at FROM audit_event WHERE seq = :a)"
        " WHERE seq = :s",
        a=base + 1,
        s=base + 5,
    )


def _alter_and_rehash(session: Session, base: int, ev: list[AuditEvent]) -> None:
    fields = {**ev[2].hashed_fields(), "data": '{"monto":"9999.00"}'}
    _sql(
        session,
        "UPDATE audit_event SET data = :d, hash = :h WHERE seq = :s",
        d=fields["data"],
        h=bytes.fromhex(event_hash(ev[2].prev_hash, fields)),
        s=base + 3,
    )


def _delete_middle(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(session, "DELETE FROM audit_event WHERE seq = :s", s=base + 3)


def _delete_last(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(session, "DELETE FROM audit_event WHERE seq = :s", s=base + 5)


def _insert_forged_looking(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _shift_from(session, base + 3)
    _forge(session, base + 3, ev[1].hash, ev[1], sound=False)


def _insert_forged_sound(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _shift_from(session, base + 3)
    _forge(session, base + 3, ev[1].hash, ev[1], sound=True)


def _append_forged_sound(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _forge(session, base + 6, ev[4].hash, ev[4], sound=True)


def _swap(session: Session, base: int, ev: list[AuditEvent]) -> None:
    a, b = base + 2, base + 3
    _sql(session, "UPDATE audit_event SET seq = :t WHERE seq = :a", t=-a, a=a)
    _sql(session, "UPDATE audit_event SET seq = :a WHERE seq = :b", a=a, b=b)
    _sql(session, "UPDATE audit_event SET seq = :b WHERE seq = :t", b=b, t=-a)


def _head_hash(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(session, "UPDATE audit_head SET last_hash = :h", h=hashlib.sha256(b"x").digest())


def _head_back(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(session, "UPDATE audit_head SET last_seq = last_seq - 1")


def _head_forward(session: Session, base: int, ev: list[AuditEvent]) -> None:
    _sql(session, "UPDATE audit_head SET last_seq = last_seq + 1")


@pytest.mark.parametrize(
    ("tamper", "bad_offset", "words"),
    [
        (_alter_data, 3, "alterado"),
        (_alter_kind, 2, "alterado"),
        (_alter_actor, 4, "alterado"),
        (_alter_time, 5, "alterado"),
        (_alter_and_rehash, 4, "encadenado"),  # its successor was chained to the old hash
        (_delete_middle, 3, "falta el evento"),
        (_delete_last, 5, "eventos finales borrados"),
        (_insert_forged_looking, 3, "alterado"),
        (_insert_forged_sound, 4, "encadenado"),  # the displaced event exposes it
        (_append_forged_sound, 6, "después de la cabeza"),
        (_swap, 2, "encadenado"),
        (_head_hash, 5, "cabeza"),
        (_head_back, 5, "después de la cabeza"),
        (_head_forward, 6, "eventos finales borrados"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_tampering_is_found_at_the_first_bad_event(
    session: Session,
    five: tuple[int, list[AuditEvent]],
    tamper: Tamper,
    bad_offset: int,
    words: str,
) -> None:
    base, recorded = five
    tamper(session, base, recorded)
    result = verify(session, batch_size=BATCH)
    assert not result.ok
    assert result.first_bad_seq == base + bad_offset, result.reason
    assert words in result.reason
    assert result.checked == base + bad_offset - 1


# --- exports ------------------------------------------------------------------------------


def _export(session: Session, base: int) -> list[dict[str, object]]:
    return [e.to_export() for e in events(session, after_seq=base)]


def _as_csv(rows: list[dict[str, object]]) -> list[dict[str, str]]:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_verify_export_accepts_the_whole_chain_and_a_slice(
    session: Session, five: tuple[int, list[AuditEvent]]
) -> None:
    base, recorded = five
    whole = verify_export(_export(session, 0), last_hash=recorded[-1].hash)
    assert (whole.ok, whole.checked) == (True, base + 5)

    anchor = {"after_seq": base + 1, "prev_hash": recorded[0].hash}
    rows = _export(session, base + 1)
    assert verify_export(rows, **anchor, last_hash=recorded[-1].hash).ok
    as_json = json.loads(json.dumps(rows, ensure_ascii=False))
    assert verify_export(as_json, **anchor).checked == 4
    assert verify_export(_as_csv(rows), **anchor).checked == 4
    parsed = [{**r, "data": json.loads(r["data"])} for r in as_json]  # data as an object
    assert verify_export(parsed, **anchor).ok


def test_verify_export_rejects_a_modified_slice(
    session: Session, five: tuple[int, list[AuditEvent]]
) -> None:
    base, recorded = five
    anchor = {"after_seq": base + 1, "prev_hash": recorded[0].hash}
    rows = _as_csv(_export(session, base + 1))

    altered = [dict(r) for r in rows]
    altered[1]["data"] = altered[1]["data"].replace("200.00", "2000.00")
    result = verify_export(altered, **anchor)
    assert (result.ok, result.first_bad_seq) == (False, base + 3)

    without_one = rows[:1] + rows[2:]
    assert verify_export(without_one, **anchor).first_bad_seq == base + 3
    assert not verify_export(rows, after_seq=base + 1, prev_hash=GENESIS_HASH).ok
    cut = verify_export(rows[:-1], **anchor, last_hash=recorded[-1].hash)
    assert (cut.ok, cut.first_bad_seq) == (False, base + 5)
    broken = verify_export([{"seq": "x"}], **anchor)
    assert (broken.ok, broken.first_bad_seq) == (False, base + 2)
    assert "mal formada" in broken.reason
    no_seq = verify_export([{**rows[0], "seq": ""}], **anchor)
    assert (no_seq.ok, no_seq.first_bad_seq) == (False, base + 2)


# --- the command ----------------------------------------------------------------------------


@pytest.fixture
def committed_log(databases, monkeypatch, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """A fresh database holding three committed events; DATABASE_URL names it."""
    url = databases.new()
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("JUNTOS_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "test")
    database = Database(url)
    with database.transaction() as session:
        for n in range(3):
            record(session, "task.ready", instance_id=1, data={"n": n})
    yield database
    database.dispose()


def _juntos_audit(*args: str) -> tuple[int, str, str]:
    ctx = CliContext()
    result = CliRunner().invoke(audit, list(args), obj=ctx)
    ctx.db.dispose()
    return result.exit_code, result.stdout, result.stderr


def test_cli_verify_on_an_intact_log(committed_log: Database) -> None:
    code, out, _ = _juntos_audit("verify")
    assert (code, out) == (0, "cadena íntegra: 3 eventos verificados\n")
    code, out, _ = _juntos_audit("verify", "--format", "json")
    assert code == 0
    assert json.loads(out) == {"ok": True, "checked": 3, "first_bad_seq": None, "reason": ""}


def test_cli_verify_names_the_broken_event(committed_log: Database) -> None:
    with committed_log.transaction() as session:
        _sql(session, "UPDATE audit_event SET data = :d WHERE seq = 2", d='{"n":7}')
    code, out, err = _juntos_audit("verify")
    assert code == 1
    assert out == ""
    assert err.startswith("cadena rota en el evento 2: ")
    code, out, _ = _juntos_audit("verify", "--format", "json")
    assert code == 1
    assert json.loads(out)["first_bad_seq"] == 2


def test_events_committed_while_verifying_are_not_taken_for_tampering(
    committed_log: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer commits between the walk and the head: PostgreSQL (READ COMMITTED) sees
    the new head and checks the new events too; SQLite keeps the transaction's snapshot."""
    module = importlib.import_module("engine.audit.verify")
    walk = module._walk
    writes: list[int] = []

    def walk_then_someone_writes(*args: object, **kwargs: object) -> object:
        found = walk(*args, **kwargs)
        if not writes:
            with committed_log.transaction() as other:
                writes.extend(record(other, "task.ready").seq for _ in range(2))
        return found

    monkeypatch.setattr(module, "_walk", walk_then_someone_writes)
    with committed_log.transaction() as session:
        result = verify(session)
    expected = 5 if committed_log.engine.dialect.name == "postgresql" else 3
    assert (result.ok, result.checked, writes) == (True, expected, [4, 5]), result.reason


# --- concurrency ----------------------------------------------------------------------------


def test_append_numbers_its_events_when_they_are_written_in_the_order_recorded(
    session: Session,
) -> None:
    """``append`` leaves seq, time and hash to the write; a ``record`` after it numbers the
    appended events first, so the chain keeps the order in which they were recorded."""
    base, _ = _head(session)
    first = append(session, "task.ready", element_id="a", data={"n": 1})
    assert "seq" not in first and "hash" not in first
    second = record(session, "task.claimed", element_id="b")
    third = append(session, "task.completed", element_id="c")
    assert (first["seq"], second.seq) == (base + 1, base + 2)
    assert "seq" not in third
    kept = events(session, after_seq=base)  # a query of the log writes what waits
    assert [(e.seq, e.element_id) for e in kept] == [
        (base + 1, "a"),
        (base + 2, "b"),
        (base + 3, "c"),
    ]
    assert third["hash"] == kept[2].hash
    assert kept[0].recorded_at <= kept[1].recorded_at <= kept[2].recorded_at
    assert verify(session).ok


def test_a_unit_of_work_that_only_appended_does_not_hold_the_head(databases) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: the head's lock is taken when the events are written, so a second writer
    commits while the first is still working, and the first then numbers after it."""
    url = databases.new()
    if not url.startswith("postgresql"):
        pytest.skip("SQLite lets one writer in at a time whatever the head")
    migrate.upgrade(url)
    database = Database(url)
    try:
        with database.transaction() as slow:
            append(slow, "task.completed", element_id="slow")
            with database.transaction() as quick:  # would wait on the head's lock if held
                quick.execute(text("SET LOCAL lock_timeout = '2s'"))
                append(quick, "task.completed", element_id="quick")
        with database.transaction() as session:
            assert [e.element_id for e in events(session)] == ["quick", "slow"]
            assert verify(session).ok
    finally:
        database.dispose()


def test_concurrent_writers_make_one_gap_free_chain(databases) -> None:  # type: ignore[no-untyped-def]
    """Two threads, each with its own engine, record 50 events in 50 transactions each (the
    one numbering at once, the other when its events are written)."""
    url = databases.new()
    migrate.upgrade(url)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        database = Database(url)
        try:
            start.wait()
            for n in range(50):
                with database.transaction() as session:
                    add = record if name == "a" else append
                    add(session, "task.completed", element_id=name, data={"n": n})
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            database.dispose()

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []

    database = Database(url)
    with database.transaction() as session:
        result = verify(session, batch_size=7)
        assert (result.ok, result.checked) == (True, 100), result.reason
        assert _head(session)[0] == 100
        for name in ("a", "b"):
            mine = [e for e in events(session) if e.element_id == name]
            assert [json.loads(e.data)["n"] for e in mine] == list(range(50))
    database.dispose()

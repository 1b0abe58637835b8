"""Inbox benchmark (issue 6): server time of the inbox page and of ``GET /api/tasks`` with many
open human tasks spread over the 1,852 positions of the org chart.

    python bench/inbox.py                 # 50,000 open tasks, SQLite, < 1 minute
    python bench/inbox.py --full          # the issue's 1,000,000 open tasks
    python bench/inbox.py --pg postgresql+psycopg://juntos:juntos@127.0.0.1:5432/postgres

Seeding is set-based: one INSERT … SELECT per table over a generated series (a recursive
CTE on SQLite, generate_series on PostgreSQL), each attribute drawn in SQL by a
multiplicative hash of the row number, the plain indexes dropped during the load and
rebuilt after. One instance row per open task, with a placeholder workflow blob (the inbox
never reads it); 85 % of the tasks are for the Gestores Locales of the UTs, the rest spread
over every other position; 10 % claimed by the holder of their position (every position
gets a holder); due dates from 20 days overdue to 30 days ahead, 10 % without one; a
household code on each. Printed too: the bytes of human_task (rows and each index) per task.

Measured in-process with Flask's test client (the request only: routing, the engine's
queries, the template), after two warm-up calls, for a Gestor Local, a Jefe de Unidad
Territorial and a central Jefe de unidad (and the Director, for reference): the inbox tabs,
a due-date filter, a text search, and ``GET /api/tasks``. Target: p95 ≤ 50 ms. The
baseline, measured first in the same process: the same requests of the Gestor Local and
the Jefe de UT with no open task (each figure's ratio to it is printed). After creating the
app, the objects made so far are frozen out of the garbage collector, as web/wsgi.py does.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, fresh_url
from engine.db import Database
from engine.definitions.models import ProcessDefinition
from engine.org import create_token
from engine.org.demo import DEMO_PASSWORD
from engine.org.models import Assignment, Position, User
from engine.process import freeze_loaded_objects
from engine.runtime.models import HumanTask, ProcessInstance
from tests.runtime_support import prepared_database
from web import create_app

TARGET_P95_MS = 50.0
GL = "Gestor Local"
GL_SHARE = 0.85
CLAIMED_SHARE = 0.10
BATCH = 50_000
ELEMENTS = {
    GL: [
        ("registrar_visita", "Registrar visita al hogar", "ref_visita.schema.json"),
        (
            "registrar_resultado",
            "Registrar resultado de la verificación",
            "ref_resultado.schema.json",
        ),
    ],
    "other": [
        ("revisar", "Revisar resultado", "ref_decision.schema.json"),
        ("validar", "Validar resultado", "ref_decision.schema.json"),
        ("aprobar", "Aprobar resultado", "ref_decision.schema.json"),
        ("registrar", "Registrar", "ref_resultado.schema.json"),
    ],
}
# Who is measured: (label, login, the tab their filter and search apply to)
PEOPLE = [
    ("gestor_local", "gl.cajamarca", "available"),
    ("jefe_ut", "jefe.ut.cajamarca", "team"),
    ("jefe_central", "jefe.uvcc", "team"),
    ("director", "director", "team"),
]


# -- seeding ------------------------------------------------------------------------------------


def holders(db: Database) -> dict[int, int]:
    """position id → the user holding it; creates a holder for every vacant position (one
    password hash for all: the benchmark never logs them in)."""
    with db.write_transaction() as s:
        held = dict(s.execute(select(Assignment.position_id, Assignment.user_id)).all())
        vacant = [
            (pid, cargo)
            for pid, cargo in s.execute(select(Position.id, Position.cargo))
            if pid not in held
        ]
        pw = s.scalar(select(User.password_hash).where(User.login == "director"))
        if vacant:
            ids = s.scalars(
                insert(User).returning(User.id, sort_by_parameter_order=True),
                [
                    {"login": f"b{cargo:04d}", "full_name": f"Titular {cargo}", "password_hash": pw}
                    for _, cargo in vacant
                ],
            ).all()
            s.execute(
                insert(Assignment),
                [
                    {"user_id": uid, "position_id": pid, "start_date": date(2026, 1, 1)}
                    for uid, (pid, _) in zip(ids, vacant, strict=True)
                ],
            )
            held.update({pid: uid for uid, (pid, _) in zip(ids, vacant, strict=True)})
    return held


SLOTS = 10_000  # a task's position is one of SLOTS slots: 85 % of them the Gestores Locales'
# Odd multipliers of the multiplicative hash that draws each attribute of task n in SQL
# (the high bits of n·A mod 2³², so the draws of different attributes look independent).
DRAWS = {
    "slot": 2654435761,
    "definition": 2246822519,
    "element": 3266489917,
    "household": 668265263,
    "created": 374761393,
    "claimed": 2870177451,
    "undated": 1181783497,
    "due": 3624381073,
    "priority": 1597334677,
}
SEED_TABLES = ("process_instance", "human_task")


def _slots(db: Database) -> tuple[list[dict], list[dict]]:
    """The slot table (slot → position, lane, unit, holder, Gestor Local or not) and the
    element table (kind, k → element, name, form) the SQL draws from."""
    held = holders(db)
    with db.transaction() as s:
        positions = s.execute(
            select(Position.id, Position.denominacion, Position.unit_id).order_by(Position.id)
        ).all()
    gl = [p for p in positions if p.denominacion == GL]
    others = [p for p in positions if p.denominacion != GL]
    gl_slots = round(SLOTS * GL_SHARE)
    picks = [gl[i % len(gl)] for i in range(gl_slots)]
    picks += [others[i % len(others)] for i in range(SLOTS - gl_slots)]
    slots = [
        {
            "slot": i,
            "candidate": p.denominacion,
            "unit_id": p.unit_id,
            "holder_id": held[p.id],
            "kind": int(p.denominacion == GL),
        }
        for i, p in enumerate(picks)
    ]
    elements = [
        {"kind": kind, "k": k, "element_id": e, "name": name, "form": form}
        for kind, lane in ((1, GL), (0, "other"))
        for k, (e, name, form) in enumerate(ELEMENTS[lane])
    ]
    return slots, elements


def _draw(name: str, postgres: bool) -> str:
    """SQL for a 24-bit pseudo-random integer of attribute ``name`` of task ``n``."""
    product = f"((s.n * {DRAWS[name]}) % 4294967296)"
    return f"({product} / 256)" if postgres else f"({product} >> 8)"


def _seed_sql(postgres: bool) -> tuple[str, str, str]:
    """(series, instance INSERT … SELECT, task INSERT … SELECT) of the dialect."""
    d = {name: _draw(name, postgres) for name in DRAWS}
    if postgres:
        series = "SELECT n FROM generate_series(CAST(0 AS BIGINT), :n - 1) AS g(n)"
        at = "to_timestamp(:now + ({secs}))"
        household = f"'H' || lpad(({d['household']} % 100000000)::text, 8, '0')"
        uuid_ = (
            "(lpad(to_hex(:first_task + s.n), 8, '0') || '-0000-4000-8000-' "
            "|| lpad(to_hex(s.n), 12, '0'))::uuid"
        )
    else:
        series = (
            "WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < :n - 1) "
            "SELECT n FROM g"
        )
        at = "strftime('%Y-%m-%d %H:%M:%S', :now + ({secs}), 'unixepoch') || '.000000'"
        household = f"printf('H%08d', {d['household']} % 100000000)"
        uuid_ = "printf('%08x-0000-4000-8000-%012x', :first_task + s.n, s.n)"
    created = at.format(secs=f"-({d['created']} % 2592000)")  # up to 30 days ago
    due = at.format(secs=f"({d['due']} % 4320000) - 1728000")  # 20 days overdue … 30 ahead
    slot = f"JOIN bench_slot b ON b.slot = {d['slot']} % {SLOTS}"
    instances = f"""
        INSERT INTO process_instance (id, definition_id, process_key, process_version, state,
            incident_open, scope_unit_id, household, initiator_user_id, started_at,
            lock_version, workflow)
        SELECT :first_instance + s.n,
            CASE WHEN {d["definition"]} % 10 < 8 THEN :def_first ELSE :def_last END,
            CASE WHEN {d["definition"]} % 10 < 8 THEN :key_first ELSE :key_last END,
            1, 'running', false, b.unit_id, {household}, b.holder_id, {created}, 1, :blob
        FROM ({series}) s {slot}"""
    tasks = f"""
        INSERT INTO human_task (id, instance_id, task_uuid, element_id, name, candidate,
            candidate_unit_id, scope_unit_id, state, assignee_user_id, form, due_at, priority,
            household, created_at)
        SELECT :first_task + s.n, :first_instance + s.n, {uuid_}, e.element_id, e.name,
            b.candidate, b.unit_id, b.unit_id,
            CASE WHEN {d["claimed"]} % 10 = 0 THEN 'claimed' ELSE 'ready' END,
            CASE WHEN {d["claimed"]} % 10 = 0 THEN b.holder_id END,
            e.form,
            CASE WHEN {d["undated"]} % 10 = 0 THEN NULL ELSE {due} END,
            CASE {d["priority"]} % 5 WHEN 3 THEN 1 WHEN 4 THEN 2 ELSE 0 END,
            {household}, {created}
        FROM ({series}) s {slot}
        JOIN bench_element e ON e.kind = b.kind
            AND e.k = {d["element"]} % (CASE WHEN b.kind = 1 THEN 2 ELSE 4 END)"""
    return series, instances, tasks


def _secondary_indexes(conn: Any, postgres: bool) -> list[tuple[str, str]]:
    """(name, DDL) of the plain indexes of the seeded tables, as the migrations made them."""
    if postgres:
        rows = conn.execute(
            text(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "LEFT JOIN pg_constraint c ON c.conname = i.indexname "
                "WHERE i.tablename IN ('process_instance', 'human_task') AND c.oid IS NULL"
            )
        )
    else:
        rows = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('process_instance', 'human_task')"
            )
        )
    return [(name, ddl) for name, ddl in rows]


def seed(db: Database, n: int) -> float:
    """Adds ``n`` open tasks (and one instance each) set-based: one INSERT … SELECT per table
    over a generated series, with the plain indexes dropped during the load and rebuilt
    after (what a bulk load does); returns the seconds it took, ANALYZE included."""
    start = time.perf_counter()
    postgres = db.engine.dialect.name == "postgresql"
    slots, elements = _slots(db)
    with db.transaction() as s:
        defs = s.execute(
            select(ProcessDefinition.id, ProcessDefinition.key).order_by(ProcessDefinition.id)
        ).all()
        first_instance = (s.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
        first_task = (s.scalar(select(func.max(HumanTask.id))) or 0) + 1
    _, instances, tasks = _seed_sql(postgres)
    params = {
        "n": n,
        "now": int(time.time()),
        "first_instance": first_instance,
        "first_task": first_task,
        "def_first": defs[0].id,
        "key_first": defs[0].key,
        "def_last": defs[-1].id,
        "key_last": defs[-1].key,
        "blob": b"{}",
    }
    with db.engine.begin() as conn:
        if postgres:  # no FK triggers during the load (the rows reference existing rows)
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        temp = "TEMPORARY " if postgres else ""
        conn.exec_driver_sql(
            f"CREATE {temp}TABLE bench_slot (slot INTEGER PRIMARY KEY, candidate VARCHAR(200), "
            "unit_id INTEGER, holder_id INTEGER, kind INTEGER)"
        )
        conn.exec_driver_sql(
            f"CREATE {temp}TABLE bench_element (kind INTEGER, k INTEGER, element_id VARCHAR(100),"
            " name VARCHAR(200), form VARCHAR(200))"
        )
        conn.execute(
            text("INSERT INTO bench_slot VALUES (:slot, :candidate, :unit_id, :holder_id, :kind)"),
            slots,
        )
        conn.execute(
            text("INSERT INTO bench_element VALUES (:kind, :k, :element_id, :name, :form)"),
            elements,
        )
        indexes = _secondary_indexes(conn, postgres)
        for name, _ in indexes:
            conn.exec_driver_sql(f"DROP INDEX {name}")
        conn.execute(text(instances), params)
        conn.execute(text(tasks), params)
        for _, ddl in indexes:
            conn.exec_driver_sql(ddl)
        conn.exec_driver_sql("DROP TABLE bench_slot")
        conn.exec_driver_sql("DROP TABLE bench_element")
        if postgres:
            for table in SEED_TABLES:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) "
                        f"FROM {table}"
                    )
                )
    with db.engine.connect() as conn:
        if postgres:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE process_instance, human_task, org_position, org_unit"
            )
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return time.perf_counter() - start


def task_bytes(db: Database) -> dict[str, Any]:
    """Bytes of human_task — rows and each index — per task row."""
    with db.engine.connect() as conn:
        rows = conn.scalar(text("SELECT count(*) FROM human_task"))
        if db.engine.dialect.name == "postgresql":
            parts = dict(
                conn.execute(
                    text(
                        "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                        "WHERE c.oid = 'human_task'::regclass OR c.oid IN "
                        "(SELECT indexrelid FROM pg_index WHERE indrelid = 'human_task'::regclass)"
                    )
                ).all()
            )
            toast = conn.scalar(
                text(
                    "SELECT pg_total_relation_size('human_task') - pg_indexes_size('human_task')"
                    " - pg_relation_size('human_task')"
                )
            )
            parts["human_task"] += toast
        else:
            parts = dict(
                conn.execute(
                    text(
                        "SELECT d.name, sum(d.pgsize) FROM dbstat d JOIN sqlite_master m "
                        "ON m.name = d.name WHERE m.tbl_name = 'human_task' GROUP BY d.name"
                    )
                ).all()
            )
    per_row = {name: round(size / max(rows, 1), 1) for name, size in sorted(parts.items())}
    return {"rows": rows, "total": round(sum(parts.values()) / max(rows, 1), 1), "parts": per_row}


# -- measuring ----------------------------------------------------------------------------------


def requests_for(db: Database, login: str, tab: str) -> dict[str, str]:
    """The URLs measured for one person: every tab, a filter, a search (for the household of
    a task in their tab), the API."""
    with db.transaction() as s:
        position = s.scalars(
            select(Position)
            .join(Assignment, Assignment.position_id == Position.id)
            .join(User, User.id == Assignment.user_id)
            .where(User.login == login)
        ).first()
        lane = HumanTask.candidate == position.denominacion
        household = s.scalar(
            select(HumanTask.household)
            .where(
                HumanTask.candidate_unit_id == position.unit_id,
                lane if tab == "available" else ~lane,
                HumanTask.state == "ready",
            )
            .limit(1)
        )
    return {
        "available": "/bandeja/?tab=available",
        "mine": "/bandeja/?tab=mine",
        "team": "/bandeja/?tab=team",
        "filter_overdue": f"/bandeja/?tab={tab}&vence=overdue",
        "search": f"/bandeja/?tab={tab}&q={household or 'H00000000'}",
        "api_tasks": "/api/tasks",
    }


def timed(call, reps: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Wall time of the request (p50, p95) and this process's CPU time for it (p50): on a
    busy machine the CPU figure shows the work, the wall figure the wait too."""
    for _ in range(2):
        call()
    samples, cpu = [], []
    for _ in range(reps):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = call()
        samples.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[min(len(samples) - 1, round(0.95 * len(samples)) - 1)], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


def measure(
    db: Database, reps: int, people: list[tuple[str, str, str]] = PEOPLE
) -> dict[str, dict[str, dict[str, float]]]:
    app = create_app({"DATABASE_URL": db.url, "WTF_CSRF_ENABLED": False})
    freeze_loaded_objects()  # as web/wsgi.py does after creating the app
    out: dict[str, dict[str, dict[str, float]]] = {}
    for label, login, tab in people:
        with db.write_transaction() as s:
            token = create_token(s, login, "bench")
        client = app.test_client()
        response = client.post("/ingresar", data={"login": login, "password": DEMO_PASSWORD})
        assert response.status_code == 302, login
        bearer = {"Authorization": f"Bearer {token}"}
        out[label] = {}
        for name, url in requests_for(db, login, tab).items():
            headers = bearer if url.startswith("/api/") else {}
            out[label][name] = timed(lambda c=client, u=url, h=headers: c.get(u, headers=h), reps)
    app.extensions["juntos_db"].dispose()
    gc.unfreeze()  # the next backend measures a fresh app
    return out


def backend(url: str, n: int, reps: int) -> dict[str, Any]:
    db = prepared_database(url)
    empty = measure(db, reps, PEOPLE[:2])  # the baseline: the same requests, no open task
    seconds = seed(db, n)
    storage = task_bytes(db)
    open_tasks = storage["rows"]
    load = os.getloadavg()[0]
    figures = measure(db, reps)
    db.dispose()
    for person, requests in empty.items():
        for request, t in requests.items():
            t["ratio_p50"] = round(figures[person][request]["p50_ms"] / max(t["p50_ms"], 0.1), 2)
    return {
        "open_tasks": open_tasks,
        "seed_s": round(seconds, 1),
        "bytes_per_task": storage,
        "load_average": [round(load, 1), round(os.getloadavg()[0], 1)],
        "requests": figures,
        "baseline_no_tasks": empty,
    }


def report(name: str, result: dict[str, Any]) -> list[str]:
    """Prints one line per request; returns those over the target."""
    print(
        f"{name}: {result['open_tasks']:,} open tasks, seeded in {result['seed_s']} s; "
        f"load average {result['load_average'][0]} → {result['load_average'][1]} on "
        f"{os.cpu_count()} CPUs"
    )
    parts = ", ".join(f"{k} {v}" for k, v in result["bytes_per_task"]["parts"].items())
    print(f"  human_task: {result['bytes_per_task']['total']} bytes per task ({parts})")
    missed = []
    for person, requests in result["requests"].items():
        for request, t in requests.items():
            flag = "" if t["p95_ms"] <= TARGET_P95_MS else "  > target"
            figures = (
                f"p50 {t['p50_ms']:7.1f} ms  p95 {t['p95_ms']:7.1f} ms  "
                f"(cpu p50 {t['cpu_p50_ms']:6.1f} ms)"
            )
            base = result["baseline_no_tasks"].get(person, {}).get(request)
            if base:
                figures += f"  ×{base['ratio_p50']:.2f} the p50 with no task ({base['p50_ms']} ms)"
            print(f"  {person:13} {request:15} {figures}{flag}")
            if flag and person != "director":
                missed.append(f"{name}/{person}/{request}")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the issue's 1,000,000 open tasks")
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL to measure too")
    parser.add_argument("--tasks", type=int, default=None, help="open tasks to seed")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument("--reps", type=int, default=None, help="timed calls per request")
    args = parser.parse_args()
    n = args.tasks or (1_000_000 if args.full else 50_000)
    reps = args.reps or (40 if args.full else 20)
    figures: dict[str, Any] = {"open_tasks": n, "reps": reps, "target_p95_ms": TARGET_P95_MS}
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        backends = [("sqlite", None)] + ([("postgresql", args.pg)] if args.pg else [])
        for name, pg in backends:
            url = fresh_url(pg, Path(tmp))
            try:
                result = backend(url, n, reps)
            finally:
                if pg and not args.keep:
                    drop_database(pg, url)
            missed += report(name, result)
            figures[name] = result
            if args.keep:
                figures[name]["url"] = url
    figures["missed"] = missed
    figures["target_met"] = not missed
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

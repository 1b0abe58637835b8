"""Inbox benchmark (issue 6): server time of the inbox page and of ``GET /api/tasks`` with many
open human tasks spread over the 1,852 positions of the org chart.

    python bench/inbox.py                 # 50,000 open tasks, SQLite, < 1 minute
    python bench/inbox.py --full          # the issue's 1,000,000 open tasks
    python bench/inbox.py --pg postgresql+psycopg://juntos:juntos@127.0.0.1:5432/postgres

Seeding is set-based (Core executemany on SQLite, COPY on PostgreSQL): one instance row per
open task, with a placeholder workflow blob (the inbox never reads it); 85 % of the tasks are
for the Gestores Locales of the UTs, the rest spread over every other position; 10 % claimed
by the holder of their position (every position gets a holder); due dates from 20 days
overdue to 30 days ahead, 10 % without one; a household code on each.

Measured in-process with Flask's test client (the request only: routing, the engine's
queries, the template), after two warm-up calls, for a Gestor Local, a Jefe de Unidad
Territorial and a central Jefe de unidad (and the Director, for reference): the inbox tabs,
a due-date filter, a text search, and ``GET /api/tasks``. Target: p95 ≤ 50 ms.
The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engine import fresh_url
from engine.db import Database
from engine.definitions.models import ProcessDefinition
from engine.org import create_token
from engine.org.demo import DEMO_PASSWORD
from engine.org.models import Assignment, Position, User
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


def task_rows(db: Database, n: int, seed: int = 6) -> Iterator[tuple[list[dict], list[dict]]]:
    """Batches of (instance rows, task rows) for ``n`` open tasks."""
    rng = random.Random(seed)
    held = holders(db)
    with db.transaction() as s:
        positions = s.execute(select(Position.id, Position.denominacion, Position.unit_id)).all()
        defs = s.execute(select(ProcessDefinition.id, ProcessDefinition.key)).all()
        first_instance = (s.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
        first_task = (s.scalar(select(func.max(HumanTask.id))) or 0) + 1
    gl = [p for p in positions if p.denominacion == GL]
    weights = [GL_SHARE / len(gl) if p.denominacion == GL else 0.0 for p in positions]
    others = len(positions) - len(gl)
    weights = [w or (1 - GL_SHARE) / others for w in weights]
    cum = list(_accumulate(weights))
    now = datetime.now(UTC)
    done = 0
    while done < n:
        size = min(BATCH, n - done)
        picks = rng.choices(positions, cum_weights=cum, k=size)
        instances, tasks = [], []
        for i, p in enumerate(picks):
            iid, tid = first_instance + done + i, first_task + done + i
            definition_id, key = defs[0] if rng.random() < 0.8 else defs[-1]
            element, name, form = rng.choice(ELEMENTS[GL if p.denominacion == GL else "other"])
            household = f"H{rng.randrange(10**8):08d}"
            created = now - timedelta(days=rng.uniform(0, 30))
            claimed = rng.random() < CLAIMED_SHARE
            due = None if rng.random() < 0.1 else now + timedelta(days=rng.uniform(-20, 30))
            instances.append(
                {
                    "id": iid,
                    "definition_id": definition_id,
                    "process_key": key,
                    "process_version": 1,
                    "state": "running",
                    "incident_open": False,
                    "scope_unit_id": p.unit_id,
                    "household": household,
                    "initiator_user_id": held[p.id],
                    "started_at": created,
                    "lock_version": 1,
                    "workflow": b"{}",
                }
            )
            tasks.append(
                {
                    "id": tid,
                    "instance_id": iid,
                    "task_uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "element_id": element,
                    "name": name,
                    "candidate": p.denominacion,
                    "candidate_unit_id": p.unit_id,
                    "scope_unit_id": p.unit_id,
                    "state": "claimed" if claimed else "ready",
                    "assignee_user_id": held[p.id] if claimed else None,
                    "form": form,
                    "due_at": due,
                    "priority": rng.choice((0, 0, 0, 1, 2)),
                    "household": household,
                    "created_at": created,
                }
            )
        done += size
        yield instances, tasks


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


def seed(db: Database, n: int) -> float:
    """Adds ``n`` open tasks; returns the seconds it took (analyze included)."""
    start = time.perf_counter()
    postgres = db.engine.dialect.name == "postgresql"
    for instances, tasks in task_rows(db, n):
        if postgres:
            _copy(db, ProcessInstance.__table__, instances)
            _copy(db, HumanTask.__table__, tasks)
        else:
            with db.write_transaction() as s:
                s.execute(insert(ProcessInstance.__table__), instances)
                s.execute(insert(HumanTask.__table__), tasks)
    with db.engine.connect() as conn:
        if postgres:
            for table in ("process_instance", "human_task"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) "
                        f"FROM {table}"
                    )
                )
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE process_instance, human_task, org_position, org_unit"
            )
        else:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return time.perf_counter() - start


def _copy(db: Database, table: Any, rows: list[dict]) -> None:
    columns = list(rows[0])
    raw = db.engine.raw_connection()
    try:
        with (
            raw.cursor() as cur,
            cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row([row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


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


def measure(db: Database, reps: int) -> dict[str, dict[str, dict[str, float]]]:
    app = create_app({"DATABASE_URL": db.url, "WTF_CSRF_ENABLED": False})
    out: dict[str, dict[str, dict[str, float]]] = {}
    for label, login, tab in PEOPLE:
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
    return out


def backend(url: str, n: int, reps: int) -> dict[str, Any]:
    db = prepared_database(url)
    seconds = seed(db, n)
    with db.transaction() as s:
        open_tasks = s.scalar(select(func.count(HumanTask.id)))
    load = os.getloadavg()[0]
    figures = measure(db, reps)
    db.dispose()
    return {
        "open_tasks": open_tasks,
        "seed_s": round(seconds, 1),
        "load_average": [round(load, 1), round(os.getloadavg()[0], 1)],
        "requests": figures,
    }


def drop(server: str, url: str) -> None:
    name = make_url(url).database
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def report(name: str, result: dict[str, Any]) -> list[str]:
    """Prints one line per request; returns those over the target."""
    print(
        f"{name}: {result['open_tasks']:,} open tasks, seeded in {result['seed_s']} s; "
        f"load average {result['load_average'][0]} → {result['load_average'][1]} on "
        f"{os.cpu_count()} CPUs"
    )
    missed = []
    for person, requests in result["requests"].items():
        for request, t in requests.items():
            flag = "" if t["p95_ms"] <= TARGET_P95_MS else "  > target"
            figures = (
                f"p50 {t['p50_ms']:7.1f} ms  p95 {t['p95_ms']:7.1f} ms  "
                f"(cpu p50 {t['cpu_p50_ms']:6.1f} ms)"
            )
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
                    drop(pg, url)
            missed += report(name, result)
            figures[name] = result
            if args.keep:
                figures[name]["url"] = url
    figures["missed"] = missed
    figures["target_met"] = not missed
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

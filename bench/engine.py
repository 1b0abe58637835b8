"""Engine benchmark (issue 3): task completions per second.

(a) raw SpiffWorkflow in memory, with one full serialize + deserialize per completion —
    the floor of this design;
(b) the engine: persistence, locking, inbox/outbox projection and hash-chained audit, one
    transaction per completion, on SQLite (and PostgreSQL with --pg URL);
and the cost of a completion with few vs many instances already stored, and the storage
per completed task. (a) and (b) run in alternate rounds (``--rounds``), the fastest of each
kept, so that the ratio b/a compares the two under the same load; (a) is measured again
beside each backend. On PostgreSQL also the database's share (``db_floor.py``): the
statements of one completion replayed alone, and ``ratio_ceiling``, the ratio b/a an engine
would reach if all it did were to run and save the workflow and send those statements.

    python bench/engine.py            # small sizes, < 1 minute
    python bench/engine.py --full     # the issue's sizes (100k stored instances)
    python bench/engine.py --pg postgresql+psycopg://juntos:juntos@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import db_floor
from bench.common import drop_database, fresh_url
from engine import audit, runtime
from engine.audit.chain import HASHED_FIELDS
from engine.db import Database
from engine.definitions.deploy import spiff_parse
from engine.definitions.spiff import AsyncServiceTask, serializer_config
from engine.definitions.xml import parse_untrusted
from engine.runtime.models import HumanTask, ProcessInstance
from engine.scripting import make_script_engine
from tests.runtime_support import BPMN, prepared_database

KEY = "ref_verificacion"
# Per task: who completes it and with what (the path through the reference process).
PATH = {
    "registrar_visita": ("gl.cajamarca", {"fecha_visita": "2026-11-20", "hogar_encontrado": True}),
    "registrar_resultado": ("gl.cajamarca", {"cumple": True}),
    "revisar": ("ctz.cajamarca", {"decision": "conforme"}),
    "validar": ("esp.verificacion", {"decision": "conforme"}),
    "aprobar": ("jefe.ut.cajamarca", {"decision": "conforme"}),
}
COMPLETIONS_PER_INSTANCE = len(PATH) + 1  # five human tasks and one service task
# Storage is measured over this many instances: each table and index grows by whole pages
# (4 KB on SQLite, 8 KB on PostgreSQL), so a few dozen instances would mostly measure the
# last, partly filled page of each of some twenty relations.
STORAGE_INSTANCES = 200


def raw_spiff(n: int, load: bool = True) -> dict[str, float]:
    """(a): the same process in memory; a full JSON round trip after every completion
    (``load=False``: saved only, as the engine does when its cache holds the workflow)."""
    source = (BPMN / f"{KEY}.bpmn").read_bytes()
    parser = spiff_parse(parse_untrusted(source, "ref"), "ref", validate=False)
    spec, subs = parser.get_spec(KEY), parser.get_subprocess_specs(KEY)
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(serializer_config()))
    completions, start, cpu = 0, time.perf_counter(), time.process_time()
    for i in range(n):
        wf = BpmnWorkflow(spec, subs, script_engine=make_script_engine())
        wf.data["co_hogar"] = f"H{i:07d}"
        for t in wf.get_tasks():
            t.data["co_hogar"] = f"H{i:07d}"
        wf.do_engine_steps()
        while not wf.is_completed():
            task = _next_raw(wf)
            if isinstance(task.task_spec, AsyncServiceTask):
                task.data[task.task_spec.result_variable] = {"notificacion_id": i}
                task.complete()
            else:
                task.data.update(PATH[task.task_spec.bpmn_id][1])
                task.run()
            wf.do_engine_steps()
            saved = serializer.serialize_json(wf)
            if load:
                wf = serializer.deserialize_json(saved)
                wf.script_engine = make_script_engine()
            completions += 1
    return _rates(completions, start, cpu)


def _next_raw(wf: BpmnWorkflow):  # type: ignore[no-untyped-def]
    ready = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    return ready[0] if ready else wf.get_tasks(state=TaskState.STARTED)[0]


def engine_run(db: Database, n: int) -> dict[str, float]:
    """(b): start n instances and complete every task through the engine's public calls."""
    actors = _actors(db)
    completions, start, cpu = 0, time.perf_counter(), time.process_time()
    for i in range(n):
        with db.write_transaction() as s:
            ready = runtime.start_instance(
                s, KEY, actors["jefe.ut.cajamarca"], {"co_hogar": f"H{i:07d}"}
            ).new_tasks
        while ready:  # each step says which tasks it made READY: no query for the next one
            task = ready.pop(0)
            login, data = PATH[task.element_id]
            with db.write_transaction() as s:
                done = runtime.complete(s, task.id, actors[login], data)
            completions += 1
            ready.extend(done.new_tasks)
            for call_id in done.new_service_calls:  # what the worker would do
                ready.extend(runtime.execute_service_call(db, call_id).new_tasks)
                completions += 1
    return _rates(completions, start, cpu)


def _actors(db: Database) -> dict[str, runtime.Actor]:
    with db.transaction() as s:
        logins = {login for login, _ in PATH.values()} | {"jefe.ut.cajamarca"}
        return {login: runtime.actor_for_login(s, login) for login in logins}


def record_one_completion(db: Database) -> list[db_floor.Statement]:
    """The statements of the first human task's completion of a new instance."""
    actors = _actors(db)
    with db.write_transaction() as s:
        started = runtime.start_instance(s, KEY, actors["jefe.ut.cajamarca"], {"co_hogar": "F"})
    task = started.new_tasks[0]
    login, data = PATH[task.element_id]

    def complete() -> None:
        with db.write_transaction() as s:
            runtime.complete(s, task.id, actors[login], data)

    return db_floor.record_completion(complete)


def _rates(completions: int, start: float, cpu: float) -> dict[str, float]:
    """Wall-clock rate, and this process's CPU time per completion: on a machine shared with
    other work the wall clock moves with their load; CPU time much less so (on SQLite the
    engine's whole cost is in this process; on PostgreSQL the server's is not)."""
    elapsed = time.perf_counter() - start
    return {
        "completions": completions,
        "seconds": elapsed,
        "per_second": completions / elapsed,
        "cpu_ms": (time.process_time() - cpu) * 1000 / completions,
    }


def add_stored_instances(db: Database, count: int) -> None:
    """Copies one finished instance — its row, its tasks and its audit trail, hash-chained
    like the engine does — until ``count`` instances are stored. Set-based inserts, so that
    100k instances take minutes, not hours."""
    with db.transaction() as s:
        have = s.scalar(select(func.count()).select_from(ProcessInstance)) or 0
        template = s.scalar(
            select(ProcessInstance).where(ProcessInstance.state == "completed").limit(1)
        )
        events = audit.events(s, instance_id=template.id)
        tasks = s.scalars(select(HumanTask).where(HumanTask.instance_id == template.id)).all()
    missing, batch = count - have, 5000
    while missing > 0:
        size = min(batch, missing)
        with db.write_transaction() as s:
            _copy_batch(s, template, tasks, events, size)
        missing -= size


def _copy_batch(s, template, tasks, events, size: int) -> None:  # type: ignore[no-untyped-def]
    instance_cols = {
        c: getattr(template, c)
        for c in (
            "definition_id",
            "process_key",
            "process_version",
            "state",
            "scope_unit_id",
            "initiator_user_id",
            "started_at",
            "ended_at",
            "workflow",
        )
    }
    households = [f"S{uuid.uuid4().hex[:10]}" for _ in range(size)]
    ids = s.scalars(
        insert(ProcessInstance).returning(ProcessInstance.id, sort_by_parameter_order=True),
        [{**instance_cols, "household": h, "lock_version": 1} for h in households],
    ).all()
    task_cols = (
        "element_id",
        "name",
        "candidate",
        "candidate_unit_id",
        "scope_unit_id",
        "state",
        "form",
        "completed_by_user_id",
        "completed_at",
        "created_at",
    )
    s.execute(
        insert(HumanTask),
        [
            {
                **{c: getattr(t, c) for c in task_cols},
                "instance_id": iid,
                "task_uuid": str(uuid.uuid4()),
                "household": h,
            }
            for iid, h in zip(ids, households, strict=True)
            for t in tasks
        ],
    )
    head = s.get(audit.AuditHead, 1, with_for_update=True)
    seq, prev = head.last_seq, head.last_hash
    rows = []
    for iid, h in zip(ids, households, strict=True):
        for e in events:
            seq += 1
            ev = audit.AuditEvent(
                seq=seq,
                recorded_at=e.recorded_at,
                kind=e.kind,
                actor_user_id=e.actor_user_id,
                actor_position_id=e.actor_position_id,
                process_key=e.process_key,
                process_version=e.process_version,
                instance_id=iid,
                element_id=e.element_id,
                household=h,
                data=e.data,
            )
            ev.hash = prev = audit.event_hash(prev, ev.hashed_fields())
            rows.append({c: getattr(ev, c) for c in (*HASHED_FIELDS, "hash")})
    s.execute(insert(audit.AuditEvent), rows)
    head.last_seq, head.last_hash = seq, prev


def storage_bytes(db: Database) -> int:
    """Bytes of live rows and indexes: SQLite's pages in use; on PostgreSQL the tables,
    their indexes and TOAST in the public schema after VACUUM FULL (else the figure would
    count dead row versions that autovacuum has not yet reclaimed, and so move with the
    run's speed and the vacuum's timing). Not the database's size: the system catalogs in
    it (statistics, and what VACUUM FULL rewrites) move by more than a small run writes."""
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar()
            return (pages - free) * conn.exec_driver_sql("PRAGMA page_size").scalar()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        _warn_if_snapshots_held(conn)
        conn.exec_driver_sql("VACUUM FULL")
        return conn.execute(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'm')"
            )
        ).scalar()


def _warn_if_snapshots_held(conn: Any) -> None:
    """VACUUM FULL keeps the row versions an open transaction of the server may still see —
    even one in another database (measured: 2.9 KB per task instead of 1.4 KB while another
    database ran a long import). Says so, as the figure then counts dead rows."""
    held = conn.exec_driver_sql(
        "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        " AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)"
    ).scalar()
    if held:
        print(
            f"warning: {held} other session(s) of the server hold a snapshot; the storage"
            " figure may count dead row versions (measure on a quiet server)",
            file=sys.stderr,
        )


def _fastest(runs: list[dict[str, float]]) -> dict[str, float]:
    return max(runs, key=lambda r: r["per_second"])


def paired_runs(
    db: Database, args: argparse.Namespace, floor: bool = False
) -> dict[str, dict[str, float]]:
    """(a) and (b) in alternate rounds, the fastest round of each: on a machine shared with
    other work, a burst of load then slows one round of each, not all of one side. With
    ``floor``, also (a) saving only, and the statements of one completion replayed alone
    (recorded anew each round: a replay inserts the audit events that follow the head)."""
    rounds: dict[str, list[dict[str, float]]] = {"raw": [], "engine": [], "saved": [], "db": []}
    completions = args.instances * COMPLETIONS_PER_INSTANCE
    for _ in range(args.rounds):
        rounds["raw"].append(raw_spiff(args.instances))
        rounds["engine"].append(engine_run(db, args.instances))
        if floor:
            rounds["saved"].append(raw_spiff(args.instances, load=False))
            rounds["db"].append(db_floor.replay(db, record_one_completion(db), completions))
    return {k: _fastest(v) for k, v in rounds.items() if v}


def backend_figures(url: str, args: argparse.Namespace) -> dict[str, Any]:
    db = prepared_database(url)
    runtime_warm = engine_run(db, 2)  # warm caches (spec parse, statements)
    del runtime_warm
    size_before = storage_bytes(db)
    stored = engine_run(db, STORAGE_INSTANCES)
    per_task = (storage_bytes(db) - size_before) / stored["completions"]
    floor = db.engine.dialect.name == "postgresql"
    best = paired_runs(db, args, floor)
    raw, main = best["raw"], best["engine"]
    add_stored_instances(db, args.small_store)
    small = engine_run(db, args.probe)
    add_stored_instances(db, args.large_store)
    large = engine_run(db, args.probe)
    db.dispose()
    figures = {
        "raw_spiff_completions_per_s": round(raw["per_second"], 1),
        "raw_spiff_cpu_ms_per_completion": round(raw["cpu_ms"], 3),
        "completions_per_s": round(main["per_second"], 1),
        "ratio_to_raw": round(main["per_second"] / raw["per_second"], 3),
        "cpu_ms_per_completion": round(main["cpu_ms"], 3),
        "cpu_ratio_to_raw": round(raw["cpu_ms"] / main["cpu_ms"], 3),
        "ms_per_completion": round(1000 / main["per_second"], 3),
        f"ms_per_completion_at_{args.small_store}": round(1000 / small["per_second"], 3),
        f"ms_per_completion_at_{args.large_store}": round(1000 / large["per_second"], 3),
        "large_over_small": round(small["per_second"] / large["per_second"], 3),
        "bytes_per_completed_task": round(per_task),
    }
    if floor:
        figures.update(_floor_figures(raw, best["saved"], best["db"]))
    return figures


def _floor_figures(
    raw: dict[str, float],
    saved: dict[str, float],
    db: dict[str, float],
) -> dict[str, float]:
    """The database's share of a completion, and the ratio b/a an engine would reach if
    nothing it does cost anything but running and saving the workflow and these
    statements."""
    run_and_save_ms, db_ms = 1000 / saved["per_second"], 1000 / db["per_second"]
    return {
        "db_statements_per_completion": db["statements"],
        "db_round_trips_per_completion": db["statements"] + 2,  # and BEGIN, COMMIT
        "db_only_ms_per_completion": round(db_ms, 3),
        "db_only_client_cpu_ms": round(db["client_cpu_ms"], 3),
        "db_commit_over_rollback_ms": round(db["commit_extra_ms"], 3),
        "raw_spiff_run_and_save_ms": round(run_and_save_ms, 3),
        "ratio_ceiling": round((1000 / raw["per_second"]) / (run_and_save_ms + db_ms), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="the issue's sizes")
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL to measure too")
    parser.add_argument("--rounds", type=int, default=3, help="alternate rounds of (a) and (b)")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    args.instances = 200 if args.full else 40
    args.probe = 100 if args.full else 20
    args.small_store, args.large_store = (1_000, 100_000) if args.full else (1_000, 5_000)

    raw_spiff(2)  # warm up (spec parse, imports)
    figures: dict[str, Any] = {
        "instances": args.instances,
        "completions_per_instance": COMPLETIONS_PER_INSTANCE,
        "rounds": args.rounds,
    }
    with tempfile.TemporaryDirectory() as tmp:
        backends = [] if args.no_sqlite and args.pg else [("sqlite", None)]
        backends += [("postgresql", args.pg)] if args.pg else []
        for name, pg in backends:
            url = fresh_url(pg, Path(tmp))
            try:
                result = backend_figures(url, args)
            finally:
                if pg:
                    drop_database(pg, url)
            for k, v in result.items():
                print(f"{name}: {k} = {v}")
            figures[name] = result
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Concurrency benchmark (issue 3): task completions per second when several processes
complete tasks on one database at once, as the web workers and the Celery workers do.

Each process runs the reference process through the engine (``bench/engine.py``'s
``engine_run``: start instances, complete every task, run the service call in-process) on
instances of its own. Printed for 1, 2, … processes: completions/s, the speed-up over one
process, and how many cores the processes kept busy (their CPU seconds over the wall-clock
seconds). On SQLite one writer at a time holds the database's write lock for its whole unit
of work, so the busy cores stay near one however many processes write; on PostgreSQL each
unit of work locks only its instance's row, and the processes share the cores with the
server.

    python bench/concurrency.py                 # SQLite, 1–3 processes, 20 instances each
    python bench/concurrency.py --full          # 100 instances each
    python bench/concurrency.py --pg postgresql+psycopg://juntos:juntos@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, fresh_url
from bench.engine import engine_run
from engine.db import Database
from tests.runtime_support import prepared_database


def _worker(url: str, instances: int, start: Any, results: Any) -> None:
    db = Database(url)
    engine_run(db, 1)  # this process's caches (spec, statements), before the clock starts
    start.wait()
    cpu = time.process_time()
    run = engine_run(db, instances)
    results.put((run["completions"], time.process_time() - cpu))
    db.dispose()


def trial(url: str, processes: int, instances: int) -> dict[str, float]:
    """``processes`` processes completing tasks at once; timed from a common start."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(processes + 1), context.Queue()
    workers = [
        context.Process(target=_worker, args=(url, instances, start, results))
        for _ in range(processes)
    ]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    done = [results.get() for _ in workers]
    elapsed = time.perf_counter() - began
    for w in workers:
        w.join()
    completions = sum(d[0] for d in done)
    return {
        "processes": processes,
        "completions": completions,
        "completions_per_s": round(completions / elapsed, 1),
        "busy_cores": round(sum(d[1] for d in done) / elapsed, 2),
    }


def measure(url: str, args: argparse.Namespace) -> list[dict[str, float]]:
    prepared_database(url).dispose()
    rows = []
    for processes in range(1, args.processes + 1):
        best = max(
            (trial(url, processes, args.instances) for _ in range(args.rounds)),
            key=lambda r: r["completions_per_s"],
        )
        best["speed_up"] = (
            round(best["completions_per_s"] / rows[0]["completions_per_s"], 2) if rows else 1.0
        )
        rows.append(best)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="100 instances per process")
    parser.add_argument("--pg", default=None, help="measure on this PostgreSQL server instead")
    parser.add_argument("--processes", type=int, default=3, help="up to this many at once")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per count; the best kept")
    args = parser.parse_args()
    args.instances = 100 if args.full else 20
    backend = "postgresql" if args.pg else "sqlite"
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_url(args.pg, Path(tmp))
        try:
            rows = measure(url, args)
        finally:
            if args.pg:
                drop_database(args.pg, url)
    for r in rows:
        print(
            f"{backend}: {r['processes']} process(es): {r['completions_per_s']} completions/s"
            f" (×{r['speed_up']} one process), {r['busy_cores']} cores busy"
        )
    print(json.dumps({"backend": backend, "instances_per_process": args.instances, "runs": rows}))


if __name__ == "__main__":
    main()

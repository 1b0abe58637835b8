"""HTTP benchmark (issue 3): task completions per second through ``/api`` with bearer-token
authentication, against gunicorn (``juntos web``) serving a fresh SQLite database.

    python bench/api.py           # 2 gunicorn workers, 4 clients, 30 instances
    python bench/api.py --full    # 120 instances

Each client thread starts instances and completes their human tasks over HTTP (service
tasks are run in-process, as the worker would). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.engine import PATH
from engine import runtime
from engine.cli.serve import web_argv
from engine.org import create_token
from engine.runtime.render import task_dict
from tests.runtime_support import prepared_database


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection per thread, as an integrating system would hold."""

    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.host, self.port = base.removeprefix("http://").split(":")
        self.tokens = tokens
        self.local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        if not hasattr(self.local, "conn"):
            self.local.conn = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
        return self.local.conn

    def call(self, login: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[login]}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a worker may close an idle connection: open a new one
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                del self.local.conn
                if attempt == 2:
                    raise
                continue
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: {response.status} {payload[:200]!r}")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                del self.local.conn
            return json.loads(payload)
        raise AssertionError("unreachable")


def drive(client: Client, db, n: int, results: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Starts instances and completes their tasks; each response names the tasks it made
    READY and the service calls it queued, so no step reads the instance again."""
    completions = 0
    for i in range(n):
        step = client.call(
            "jefe.ut.cajamarca",
            "POST",
            "/api/instances",
            {"key": "ref_verificacion", "data": {"co_hogar": f"B{i}"}},
        )
        ready = step["new_tasks"]
        while ready:
            task = ready.pop(0)
            login, data = PATH[task["element_id"]]
            step = client.call(login, "POST", f"/api/tasks/{task['id']}/complete", {"data": data})
            completions += 1
            ready.extend(step["new_tasks"])
            for call_id in step["new_service_calls"]:  # what the worker would do
                outcome = runtime.execute_service_call(db, call_id)
                ready.extend(task_dict(t) for t in outcome.new_tasks)
                completions += 1
    results.append(completions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    per_client = (120 if args.full else 30) // args.clients
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/api.sqlite"
        db = prepared_database(url)
        with db.write_transaction() as s:
            tokens = {
                login: create_token(s, login, "bench")
                for login in {*(lg for lg, _ in PATH.values()), "jefe.ut.cajamarca"}
            }
        port = _port()
        env = {**os.environ, "DATABASE_URL": url, "JUNTOS_VAR_DIR": tmp}
        quiet = ("--access-logfile", "/dev/null", *os.environ.get("BENCH_GUNICORN", "").split())
        argv = web_argv(f"127.0.0.1:{port}", args.workers, quiet)
        server = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/salud", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            client = Client(base, tokens)
            drive(client, db, 1, [])  # warm up every gunicorn worker's caches
            results: list[int] = []
            threads = [
                threading.Thread(target=drive, args=(client, db, per_client, results))
                for _ in range(args.clients)
            ]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
        finally:
            server.terminate()
            server.wait(timeout=30)
            db.dispose()
    total = sum(results)
    figures = {
        "backend": "sqlite",
        "gunicorn_workers": args.workers,
        "clients": args.clients,
        "completions": total,
        "seconds": round(elapsed, 2),
        "http_completions_per_s": round(total / elapsed, 1),
    }
    print(
        f"HTTP (bearer auth, {args.workers} gunicorn workers, {args.clients} clients): "
        f"{figures['http_completions_per_s']} completions/s"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

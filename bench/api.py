"""HTTP benchmark (issue 3): task completions per second through ``/api`` with bearer-token
authentication, against gunicorn (``juntos web``) serving a fresh SQLite database.

    python bench/api.py           # 2 gunicorn workers, 4 clients, 30 instances
    python bench/api.py --full    # 120 instances

Each client thread starts instances and completes their human tasks over HTTP (service
tasks are run in-process, as the worker would). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
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
from engine.org import create_token
from tests.runtime_support import prepared_database


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        self.base, self.tokens = base, tokens

    def call(self, login: str, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.tokens[login]}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(req, timeout=30) as response:
            return json.load(response)


def drive(client: Client, db, n: int, results: list[int]) -> None:  # type: ignore[no-untyped-def]
    completions = 0
    for i in range(n):
        iid = client.call(
            "jefe.ut.cajamarca",
            "POST",
            "/api/instances",
            {"key": "ref_verificacion", "data": {"co_hogar": f"B{i}"}},
        )["id"]
        while True:
            detail = client.call("jefe.ut.cajamarca", "GET", f"/api/instances/{iid}")
            ready = [t for t in detail["tasks"] if t["state"] == "ready"]
            if not ready:
                calls = _pending_calls(db, iid)
                if not calls:
                    break
                for call_id in calls:
                    runtime.execute_service_call(db, call_id)
                    completions += 1
                continue
            login, data = PATH[ready[0]["element_id"]]
            client.call(login, "POST", f"/api/tasks/{ready[0]['id']}/complete", {"data": data})
            completions += 1
    results.append(completions)


def _pending_calls(db, iid: int) -> list[int]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return [c.id for c in runtime.instance_detail(s, iid).service_calls if c.state == "pending"]


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
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "web.wsgi:app",
            ],
            env=env,
            stderr=subprocess.DEVNULL,
        )
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

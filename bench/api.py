"""HTTP benchmark (issue 3): task completions per second through ``/api`` with bearer-token
authentication, against gunicorn (``juntos web``) serving a fresh SQLite database (or a
fresh PostgreSQL database with ``--pg``: scale mode, where more workers may help).

    python bench/api.py           # 2 gunicorn workers, 4 clients, 30 instances per client kind
    python bench/api.py --full    # 120 instances
    python bench/api.py --pg postgresql+psycopg://juntos:juntos@127.0.0.1:5432/postgres --workers 4

Each client thread starts instances and completes their human tasks over HTTP (service
tasks are run in-process, as the worker would). Two clients are measured against the same
server, one after the other: ``http.client`` (what an integrating script would use) and a
lean one (a raw keep-alive socket, headers pre-built), to show how much of the figure is the
client's — the machine's 2 cores run the server, the client and the service calls alike.
Also printed: the CPU seconds of the gunicorn workers, of the client's HTTP work and of the
in-process service calls, and the completions/s that the machine's cores, kept busy all
along, would do at that CPU cost (with ``--pg`` the database server's CPU is not counted, so
that figure is then higher than the cores could do); and the floor: requests/s of a token's
request to complete a task that does not exist (authentication, the engine's lock read, a
404). The last line is one JSON object.
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

from bench.common import drop_database, fresh_url
from bench.engine import PATH
from engine import runtime
from engine.cli.serve import web_argv
from engine.org import create_token
from engine.runtime.render import task_dict
from tests.runtime_support import prepared_database

FLOOR_REQUESTS = 4000  # requests of the floor measurement, shared among the clients


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


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


class LeanClient:
    """The least a client can do per call: a raw keep-alive socket per thread, the request
    head pre-built but for its path and length, the response read by Content-Length."""

    def __init__(self, base: str, tokens: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.heads = {
            login: (
                f"Host: {host}\r\nAuthorization: Bearer {token}\r\n"
                "Content-Type: application/json\r\nContent-Length: "
            ).encode()
            for login, token in tokens.items()
        }
        self.local = threading.local()

    def call(self, login: str, method: str, path: str, body: Any = None) -> Any:
        status, payload = self.send(login, method, path, body)
        if status >= 400:
            raise RuntimeError(f"{method} {path}: {status} {payload[:200]!r}")
        return json.loads(payload)

    def send(self, login: str, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        """The response's status and body, whatever the status."""
        data = json.dumps(body if body is not None else {}).encode()
        request = b"%s %s HTTP/1.1\r\n%s%d\r\n\r\n%s" % (
            method.encode(),
            path.encode(),
            self.heads[login],
            len(data),
            data,
        )
        for attempt in (1, 2):
            if not hasattr(self.local, "sock"):
                self.local.sock = socket.create_connection(self.address, timeout=30)
                self.local.buffer = b""
            try:
                self.local.sock.sendall(request)
                status, close, payload = self._response()
            except (ConnectionError, OSError):
                self._drop()
                if attempt == 2:
                    raise
                continue
            if close:
                self._drop()
            return status, payload
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        self.local.sock.close()
        del self.local.sock

    def _read_until(self, n: int | None = None) -> bytes:
        local = self.local
        while (n is None and b"\r\n\r\n" not in local.buffer) or (
            n is not None and len(local.buffer) < n
        ):
            chunk = local.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            local.buffer += chunk
        if n is None:
            head, local.buffer = local.buffer.split(b"\r\n\r\n", 1)
            return head
        out, local.buffer = local.buffer[:n], local.buffer[n:]
        return out

    def _response(self) -> tuple[int, bool, bytes]:
        head = self._read_until().decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head[1:])}
        payload = self._read_until(int(fields.get("content-length", "0")))
        return status, fields.get("connection", "").lower() == "close", payload


def drive(client, db, n: int, results: list[tuple[int, float]], tag: str = "B") -> None:  # type: ignore[no-untyped-def]
    """Starts instances and completes their tasks; each response names the tasks it made
    READY and the service calls it queued, so no step reads the instance again. Appends
    (completions, this thread's CPU seconds in service calls)."""
    completions, service_cpu = 0, 0.0
    for i in range(n):
        step = client.call(
            "jefe.ut.cajamarca",
            "POST",
            "/api/instances",
            {"key": "ref_verificacion", "data": {"co_hogar": f"{tag}{i}"}},
        )
        ready = step["new_tasks"]
        while ready:
            task = ready.pop(0)
            login, data = PATH[task["element_id"]]
            step = client.call(login, "POST", f"/api/tasks/{task['id']}/complete", {"data": data})
            completions += 1
            ready.extend(step["new_tasks"])
            for call_id in step["new_service_calls"]:  # what the worker would do
                cpu = time.thread_time()
                outcome = runtime.execute_service_call(db, call_id)
                service_cpu += time.thread_time() - cpu
                ready.extend(task_dict(t) for t in outcome.new_tasks)
                completions += 1
    results.append((completions, service_cpu))


def measure(client, db, args: argparse.Namespace, per_client: int, master: int, *, tag: str):  # type: ignore[no-untyped-def]
    """One timed run of ``args.clients`` threads driving ``client``."""
    drive(client, db, 1, [], tag=f"{tag}w")  # warm up (connections, caches)
    results: list[tuple[int, float]] = []
    threads = [
        threading.Thread(target=drive, args=(client, db, per_client, results, f"{tag}{k}-"))
        for k in range(args.clients)
    ]
    elapsed, server_cpu, own_cpu = _timed(threads, master)
    total, service_cpu = sum(r[0] for r in results), sum(r[1] for r in results)
    return {
        "completions": total,
        "seconds": round(elapsed, 2),
        "http_completions_per_s": round(total / elapsed, 1),
        "server_cpu_s": round(server_cpu, 2),
        "client_http_cpu_s": round(own_cpu - service_cpu, 2),
        "service_calls_cpu_s": round(service_cpu, 2),
        # what all the cores could do at this CPU cost per completion, kept busy all along
        "cpu_bound_completions_per_s": round(
            (os.cpu_count() or 1) * total / (server_cpu + own_cpu), 1
        ),
    }


def measure_floor(client: LeanClient, args: argparse.Namespace, master: int) -> dict:  # type: ignore[type-arg]
    """The least a completion request costs here: ``args.clients`` threads ask, with a
    token, to complete a task that does not exist — authentication, the engine's lock read,
    a 404 — through the same server and lean client."""
    path, login = "/api/tasks/999999999/complete", "gl.cajamarca"
    per_thread = FLOOR_REQUESTS // args.clients
    status, _ = client.send(login, "POST", path)
    assert status == 404, status

    def ask() -> None:
        for _ in range(per_thread):
            client.send(login, "POST", path)

    threads = [threading.Thread(target=ask) for _ in range(args.clients)]
    elapsed, server_cpu, _own_cpu = _timed(threads, master)
    total = per_thread * args.clients
    return {
        "requests_per_s": round(total / elapsed, 1),
        "server_cpu_ms_per_request": round(server_cpu * 1000 / total, 3),
    }


def _timed(threads: list[threading.Thread], master: int) -> tuple[float, float, float]:
    """Runs the client threads; wall seconds, and CPU seconds of the gunicorn workers and
    of this process meanwhile."""
    workers = _workers(master)
    server_cpu, own_cpu = _cpu_seconds(workers), time.process_time()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return elapsed, _cpu_seconds(workers) - server_cpu, time.process_time() - own_cpu


def _measure_on(url: str, tmp: str, args: argparse.Namespace, per_client: int) -> dict:  # type: ignore[type-arg]
    """Serves a freshly prepared database at ``url`` with gunicorn and measures both clients."""
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
        figures = {
            kind: measure(cls(base, tokens), db, args, per_client, server.pid, tag=tag)
            for kind, cls, tag in (("http_client", Client, "B"), ("lean", LeanClient, "L"))
        }
        figures["floor"] = measure_floor(LeanClient(base, tokens), args, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL: measure on it")
    args = parser.parse_args()
    per_client = (120 if args.full else 30) // args.clients
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_url(args.pg, Path(tmp))
        try:
            figures = _measure_on(url, tmp, args, per_client)
        finally:
            if args.pg:
                drop_database(args.pg, url)
    summary: dict[str, Any] = {
        "backend": "postgresql" if args.pg else "sqlite",
        "gunicorn_workers": args.workers,
        "clients": args.clients,
        "http_completions_per_s": figures["http_client"]["http_completions_per_s"],
        "lean_client_http_completions_per_s": figures["lean"]["http_completions_per_s"],
        "floor_requests_per_s": figures["floor"]["requests_per_s"],
        **figures,
    }
    floor = figures.pop("floor")
    for kind, f in figures.items():
        print(
            f"HTTP (bearer auth, {args.workers} gunicorn workers, {args.clients} clients, "
            f"{kind}): {f['http_completions_per_s']} completions/s — CPU s: server "
            f"{f['server_cpu_s']}, client HTTP {f['client_http_cpu_s']}, service calls "
            f"{f['service_calls_cpu_s']} in {f['seconds']} s; at this CPU cost"
            f" {os.cpu_count()} cores kept busy would do {f['cpu_bound_completions_per_s']}/s"
        )
    print(
        f"HTTP floor (a token's request to complete a task that does not exist, lean client):"
        f" {floor['requests_per_s']} requests/s — server CPU"
        f" {floor['server_cpu_ms_per_request']} ms per request"
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

"""A real Celery worker process runs the engine's tasks (SQLite broker by default, Redis
when CELERY_BROKER_URL says so), and `juntos run` serves web and worker together."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from engine import heartbeat
from engine.jobs import HEARTBEAT_SECONDS, make_celery
from engine.runtime.models import ServiceCall
from tests.runtime_support import complete, only_task, open_tasks, prepared_database, start

pytestmark = pytest.mark.worker


def _worker_env(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The worker's environment, also set in this process so make_celery() matches it;
    a queue of its own on a broker other tests share."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JUNTOS_VAR_DIR": str(tmp_path),
        "CELERY_QUEUE": f"test-{tmp_path.name}",
    }
    for key in ("DATABASE_URL", "JUNTOS_VAR_DIR", "CELERY_QUEUE"):
        monkeypatch.setenv(key, env[key])
    return env


def test_worker_runs_tasks(
    db_url: str, db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    env = _worker_env(db_url, tmp_path, monkeypatch)
    client = make_celery()  # same settings as the worker: same broker and result store
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "engine.jobs:celery_app",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
    )
    try:
        assert client.send_task("juntos.ping").get(timeout=90) == "pong"
        hostname = client.send_task("juntos.heartbeat").get(timeout=90)
        with db.transaction() as session:
            assert hostname in [w.hostname for w in heartbeat.alive(session)]
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def test_juntos_run_serves_web_and_worker(live_server) -> None:  # type: ignore[no-untyped-def]
    """The beat schedules a heartbeat; the worker records it; /salud shows it."""
    deadline = time.monotonic() + HEARTBEAT_SECONDS * 3
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{live_server.url}/salud", timeout=5) as response:
            body = json.load(response)
        if body["workers_alive"]:
            break
        time.sleep(1)
    assert body["database"] == "ok"
    assert body["workers_alive"] >= 1, body
    with urllib.request.urlopen(f"{live_server.url}/ingresar", timeout=5) as response:
        assert "Ingresar" in response.read().decode()


def _wait_for(predicate, seconds: float = 90.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_service_calls_and_timers_run_in_the_worker(
    databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Outbox rows, once committed, run in a real worker: nobody sends them but the relay
    the beat schedules; the beat's tick fires timers (and their calls go out the same way)."""
    url = databases.new()
    db = prepared_database(url)
    env = _worker_env(url, tmp_path, monkeypatch)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "engine.jobs:celery_app",
            "worker",
            "--beat",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
    )
    try:
        iid = start(db, "ref_verificacion", "jefe.ut.cajamarca", {"co_hogar": "H9001"})
        complete(
            db,
            only_task(db, iid, "registrar_visita").id,
            "gl.cajamarca",
            {"fecha_visita": "2026-11-20", "hogar_encontrado": True},
        )
        complete(db, only_task(db, iid, "registrar_resultado").id, "gl.cajamarca", {"cumple": True})
        calls = complete(
            db, only_task(db, iid, "revisar").id, "ctz.cajamarca", {"decision": "conforme"}
        )
        assert len(calls) == 1  # committed, not sent: the relay finds it in the outbox
        assert _wait_for(lambda: any(t.element_id == "validar" for t in open_tasks(db, iid)))
        with db.transaction() as session:
            call = session.get(ServiceCall, calls[0])
            assert (call.state, call.attempts) == ("done", 1)  # once

        eid = start(db, "ref_eventos", "jefe.ut.cajamarca", {"co_hogar": "H9002"})
        complete(db, only_task(db, eid, "registrar").id, "gl.cajamarca", {"cumple": True})
        # the boundary timer (PT1S) is fired by the tick the beat schedules every few seconds
        assert _wait_for(
            lambda: any(t.element_id == "atender_vencida" for t in open_tasks(db, eid))
        )
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        db.dispose()

"""The exactly-once proof: process 11 runs its liquidation and payment in a real Celery worker
that is killed (SIGKILL) at random moments and restarted, while every pending service call
is sent again and again (as the beat's tick would, and more often). Afterwards the totals
reconcile to the céntimo and no hogar has two payments for the period."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import definitions, migrate, runtime
from engine.db import Database
from engine.entidad_pagadora import SimuladorEntidadPagadora
from engine.jobs import make_celery
from engine.org import seed_org
from engine.org.demo import seed_demo_people
from engine.pagos import Abono, Linea, liquidacion_of
from engine.services.results import OperationResult
from tests.pagos_support import ensure_afiliados, expected, verify
from tests.processes.support import staff

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parents[1]
PERIODO = "2026-B2"
KEY = "p11_liquidacion_transferencia"
WORKER = [
    sys.executable, "-m", "celery", "-A", "engine.jobs:celery_app", "worker",
    "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
]  # fmt: skip


class ChaosWorker:
    """A worker killed with SIGKILL at seeded random moments and started again."""

    def __init__(self, env: dict[str, str], seed: int, log: Path) -> None:
        self.env, self.rng, self.log = env, random.Random(seed), log.open("ab")
        self.log_path = log
        self.kills = self.started_at = 0
        self.strikes = random.Random(seed * 7919)
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.process = self._start()
        self.thread = threading.Thread(target=self._chaos, daemon=True)

    def _start(self) -> subprocess.Popen[bytes]:
        self.log.flush()
        self.started_at = self.log_path.stat().st_size  # where the new worker's lines begin
        return subprocess.Popen(WORKER, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

    def _ready(self) -> bool:
        """Whether the worker started last has said "ready" (its consumer is connected)."""
        with self.log_path.open("rb") as log:
            log.seek(self.started_at)
            return b" ready." in log.read()

    def _kill(self) -> None:
        with self.lock:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills += 1
            self.process = self._start()

    def _chaos(self) -> None:
        """Background kills at random moments of a worker's working life: the clock starts
        when the worker is ready, so a slow start on a loaded machine is not starved."""
        while not self.stop.is_set():
            started = time.monotonic()
            while not self._ready() and time.monotonic() - started < 120:
                if self.stop.wait(0.2):
                    return
            if self.stop.wait(self.rng.uniform(0.3, 4.0)):
                return
            self._kill()

    def strike(self) -> None:
        """A kill at a random moment of the work just handed out (so every phase sees one,
        whatever the machine's speed), besides the background ones."""
        time.sleep(self.strikes.uniform(0.0, 1.5))
        self._kill()

    def __enter__(self) -> ChaosWorker:
        self.thread.start()
        return self

    def calm(self) -> None:
        self.stop.set()
        self.thread.join()

    def __exit__(self, *exc: object) -> None:
        self.calm()
        self.process.terminate()
        self.process.wait(timeout=60)
        self.log.close()


def _pending(db: Database, instance_id: int) -> list[int]:
    with db.transaction() as s:
        return list(
            s.scalars(
                select(runtime.ServiceCall.id).where(
                    runtime.ServiceCall.instance_id == instance_id,
                    runtime.ServiceCall.state == "pending",
                )
            )
        )


def _until(  # type: ignore[no-untyped-def]
    db: Database, iid: int, client, worker: ChaosWorker, what: Callable[[], bool]
) -> None:
    """Kills the worker once at a random moment of the work just handed out, and re-sends
    the instance's pending calls every second (duplicates on purpose) until ``what``."""
    for call_id in _pending(db, iid):
        client.send_task("juntos.run_service_call", (call_id,))
    worker.strike()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if what():
            return
        for call_id in _pending(db, iid):
            client.send_task("juntos.run_service_call", (call_id,))
        time.sleep(1.0)
    raise AssertionError("la instancia no avanzó a tiempo")


def _open(db: Database, iid: int) -> list[str]:
    with db.transaction() as s:
        tasks = runtime.instance_detail(s, iid).tasks
        return [t.element_id for t in tasks if t.state in ("ready", "claimed")]


def _do(db: Database, iid: int, element_id: str, login: str, data: dict) -> None:  # type: ignore[type-arg]
    with db.transaction() as s:
        (task,) = [
            t
            for t in runtime.instance_detail(s, iid).tasks
            if t.element_id == element_id and t.state in ("ready", "claimed")
        ]
    with db.write_transaction() as s:
        actor = runtime.actor_for_login(s, login)
        runtime.claim(s, task.id, actor)
        runtime.complete(s, task.id, actor, data)


def _prepare(url: str, folder: Path) -> Database:
    migrate.upgrade(url)
    db = Database(url)
    with db.write_transaction() as s:
        seed_org(s)
        seed_demo_people(s)
        definitions.deploy(s, ROOT / "bpmn" / "11-liquidacion-transferencia.bpmn", ROOT / "forms")
    ensure_afiliados(db, 3000, 17, folder)
    verify(db, PERIODO, shift=5)
    return db


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_worker_pays_each_hogar_once_and_totals_reconcile(
    seed: int, databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    url = databases.new()
    db = _prepare(url, tmp_path / "poblacion")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JUNTOS_VAR_DIR": str(tmp_path / "var"),
        "CELERY_QUEUE": f"pagos-chaos-{tmp_path.name}",
    }
    for key in ("DATABASE_URL", "JUNTOS_VAR_DIR", "CELERY_QUEUE"):
        monkeypatch.setenv(key, env[key])
    client = make_celery()
    want = expected(db, PERIODO)
    especialista = staff(db, "Especialista en Liquidación y Transferencia")
    coordinador = staff(db, "Coordinador de Liquidación y Transferencia")
    with ChaosWorker(env, seed, tmp_path / "worker.log") as worker:
        with db.write_transaction() as s:
            actor = runtime.actor_for_login(s, especialista)
            iid = runtime.start_instance(s, KEY, actor, {"periodo": PERIODO}).instance.id
        _until(db, iid, client, worker, lambda: _open(db, iid) == ["visar_liquidacion"])
        _do(db, iid, "visar_liquidacion", coordinador, {"visto_bueno_liquidacion": True})
        _do(
            db,
            iid,
            "proponer_transferencia",
            "jefe.uoal",
            {"documento_propuesta": "Memorando", "sustento_propuesta": "Liquidación visada"},
        )
        _do(db, iid, "aprobar_transferencia", "director", {"decision_transferencia": "aprobada"})

        def ordered() -> bool:
            with db.transaction() as s:
                return liquidacion_of(s, PERIODO).estado == "ordenado" and not _pending(db, iid)

        _until(db, iid, client, worker, ordered)
        with db.transaction() as s:
            orden = Path(liquidacion_of(s, PERIODO).orden_archivo)
        respuesta = tmp_path / "respuesta.csv"
        SimuladorEntidadPagadora(seed=seed, rechazo=0.02).procesar(orden, respuesta)
        with db.write_transaction() as s:
            runtime.deliver_message(
                s, iid, "respuesta_entidad_pagadora", {"archivo_respuesta": str(respuesta)}, None
            )
        _until(db, iid, client, worker, lambda: _open(db, iid) == ["revisar_conciliacion"])
        _do(
            db,
            iid,
            "revisar_conciliacion",
            coordinador,
            {"conformidad_conciliacion": True, "acciones_no_abonados": "Actualizar cuentas"},
        )
        _until(db, iid, client, worker, lambda: _state(db, iid) == "completed")
        worker.calm()
        kills = worker.kills
    print(f"seed {seed}: worker killed {kills} times")

    assert kills >= 4, kills  # one per phase at least
    with db.transaction() as s:
        liq = liquidacion_of(s, PERIODO)
        report = liq.conciliacion
        doubles = s.scalar(
            select(func.count()).select_from(
                select(Linea.hogar_id)
                .where(Linea.periodo == PERIODO)
                .group_by(Linea.hogar_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        lines = s.execute(
            select(func.count(), func.sum(Linea.monto_centimos)).where(
                Linea.liquidacion_id == liq.id
            )
        ).one()
        paid = s.scalar(
            select(func.sum(Abono.monto_centimos)).where(
                Abono.liquidacion_id == liq.id, Abono.estado == "abonado"
            )
        )
        operations = dict(
            s.execute(
                select(OperationResult.operation, func.count()).group_by(OperationResult.operation)
            ).all()
        )
    assert doubles == 0
    assert (liq.hogares, liq.total_centimos) == (want["hogares"], want["total_centimos"])
    assert tuple(lines) == (want["hogares"], want["total_centimos"])
    assert report["cuadra"], report
    assert report["abonado_centimos"] == paid
    assert report["abonado_centimos"] + report["rechazado_centimos"] == want["total_centimos"]
    assert set(operations.values()) == {1}, operations  # each operation applied once
    db.dispose()


def _state(db: Database, iid: int) -> str:
    with db.transaction() as s:
        return runtime.instance_detail(s, iid).instance.state

"""The Celery app and its tasks. Tasks take ids, open their own unit of work, and never
receive ORM objects.

Embedded default: the broker and the result store are SQLite files under var/ (kombu's
SQLAlchemy transport), so ``make run`` needs no server. At scale: Redis (see README).

- ``juntos.relay`` (every second, from beat) sends the due outbox rows to the workers
  (engine.runtime.outbox): a step only commits its service calls, it never talks to the
  broker; a row nobody finished is sent again when its lease ends, a failed one when its
  backoff ends;
- ``juntos.run_service_call`` runs one outbox row (engine.runtime.service_calls);
- ``juntos.tick`` (every few seconds, from beat) fires due timers (their service calls go
  out with the next relay) and re-sends import jobs nobody picked up;
- ``juntos.heartbeat`` shows in /salud that a worker is alive;
- ``juntos.padron_import`` runs a SISFOH import requested from the web
  (engine.padron.importjobs); ``tick`` re-sends the ones nobody picked up.
"""

from __future__ import annotations

import socket
from datetime import timedelta
from functools import cache

from celery import Celery
from celery.signals import worker_init, worker_process_init

from engine import heartbeat, runtime
from engine.config import load_settings
from engine.db import Database, utcnow
from engine.padron import importjobs
from engine.process import freeze_loaded_objects
from engine.runtime import outbox

HEARTBEAT_SECONDS = 30.0
TICK_SECONDS = 5.0
RELAY_SECONDS = 1.0
REDISPATCH_AFTER = timedelta(seconds=60)


def make_celery() -> Celery:
    settings = load_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    app = Celery("juntos", broker=settings.broker_url, backend=settings.result_backend)
    app.conf.update(
        task_default_queue=settings.queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        result_expires=24 * 3600,
        timezone="America/Lima",
        beat_schedule={
            "heartbeat": {"task": "juntos.heartbeat", "schedule": HEARTBEAT_SECONDS},
            "tick": {"task": "juntos.tick", "schedule": TICK_SECONDS},
            # a relay message that waited longer than its period is dropped: the next one
            # does the same work (no backlog while the workers are busy or down)
            "relay": {
                "task": "juntos.relay",
                "schedule": RELAY_SECONDS,
                "options": {"expires": RELAY_SECONDS * 5},
            },
        },
        beat_schedule_filename=str(settings.var_dir / "celerybeat-schedule"),
    )
    return app


celery_app = make_celery()


@worker_init.connect
@worker_process_init.connect
def _loaded(**_kwargs: object) -> None:
    """The worker (and each process of its pool) has loaded: see engine.process."""
    freeze_loaded_objects()


@cache
def _database() -> Database:
    """One engine per worker process, created on first use (after the fork)."""
    return Database(load_settings().database_url)


@celery_app.task(name="juntos.ping")
def ping() -> str:
    return "pong"


@celery_app.task(name="juntos.heartbeat", bind=True)
def record_heartbeat(self) -> str:  # type: ignore[no-untyped-def]
    hostname = self.request.hostname or socket.gethostname()
    with _database().transaction() as session:
        heartbeat.record(session, hostname)
    return hostname


@celery_app.task(name="juntos.run_service_call")
def run_service_call(call_id: int) -> str:
    """Runs one outbox row. What it queues, and its own retry after a failure (the row's
    backoff) or a suspension (its deferral), go out with a later relay."""
    return runtime.execute_service_call(_database(), call_id).status


@celery_app.task(name="juntos.relay")
def relay() -> int:
    """Sends the due outbox rows to the workers, after leasing them in one transaction."""
    db = _database()
    with db.transaction() as session:
        if not outbox.any_due(session):  # idle: no write lock taken
            return 0
    with db.write_transaction() as session:
        call_ids = outbox.take_due(session)
    for call_id in call_ids:
        run_service_call.delay(call_id)
    return len(call_ids)


def dispatch_import(job_id: int) -> None:
    """Hands a committed import job to the workers. Call only after the commit."""
    run_padron_import.delay(job_id)


@celery_app.task(name="juntos.padron_import")
def run_padron_import(job_id: int) -> str:
    return importjobs.run_job(_database(), load_settings().var_dir, job_id)


@celery_app.task(name="juntos.tick")
def tick() -> dict[str, int]:
    db = _database()
    queued = runtime.fire_all_due(db)
    with db.transaction() as session:
        imports = importjobs.orphan_ids(db, session, utcnow() - REDISPATCH_AFTER)
    for job_id in imports:
        dispatch_import(job_id)
    return {"timers": len(queued), "redispatched": len(imports)}

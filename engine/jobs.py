"""The Celery app and its tasks. Tasks take ids, open their own unit of work, and never
receive ORM objects.

Embedded default: the broker and the result store are SQLite files under var/ (kombu's
SQLAlchemy transport), so ``make run`` needs no server. At scale: Redis (see README).

- ``juntos.run_service_call`` runs one outbox row (engine.runtime.service_calls);
- ``juntos.tick`` (every few seconds, from beat) fires due timers and re-dispatches outbox
  rows that nobody picked up (a crash between commit and dispatch loses nothing);
- ``juntos.heartbeat`` shows in /salud that a worker is alive;
- ``juntos.padron_import`` runs a SISFOH import requested from the web
  (engine.padron.importjobs); ``tick`` re-sends the ones nobody picked up.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from datetime import timedelta
from functools import cache

from celery import Celery
from sqlalchemy import select

from engine import heartbeat, runtime
from engine.config import load_settings
from engine.db import Database, utcnow
from engine.padron import importjobs
from engine.runtime.models import ServiceCall

HEARTBEAT_SECONDS = 30.0
TICK_SECONDS = 5.0
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
        },
        beat_schedule_filename=str(settings.var_dir / "celerybeat-schedule"),
    )
    return app


celery_app = make_celery()


@cache
def _database() -> Database:
    """One engine per worker process, created on first use (after the fork)."""
    return Database(load_settings().database_url)


def dispatch(call_ids: Iterable[int]) -> None:
    """Hands committed outbox rows to the workers. Call only after the commit."""
    for call_id in call_ids:
        run_service_call.delay(call_id)


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
    outcome = runtime.execute_service_call(_database(), call_id)
    dispatch(outcome.new_service_calls)
    if outcome.status in ("retry", "deferred"):
        run_service_call.apply_async((call_id,), countdown=outcome.retry_in)
    return outcome.status


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
    dispatch(queued)
    with db.write_transaction() as session:
        stale = list(
            session.scalars(
                select(ServiceCall)
                .where(
                    ServiceCall.state == "pending",
                    ServiceCall.next_attempt_at <= utcnow() - REDISPATCH_AFTER,
                )
                .limit(500)
            )
        )
        for call in stale:  # not again before another REDISPATCH_AFTER
            call.next_attempt_at = utcnow()
    dispatch(call.id for call in stale)
    with db.transaction() as session:
        imports = importjobs.orphan_ids(db, session, utcnow() - REDISPATCH_AFTER)
    for job_id in imports:
        dispatch_import(job_id)
    return {"timers": len(queued), "redispatched": len(stale) + len(imports)}

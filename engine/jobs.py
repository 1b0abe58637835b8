"""The Celery app and its tasks. Tasks take ids, open their own unit of work, and never
receive ORM objects.

Embedded default: the broker and the result store are SQLite files under var/ (kombu's
SQLAlchemy transport), so ``make run`` needs no server. At scale: Redis (see README).
"""

from __future__ import annotations

import socket
from functools import cache

from celery import Celery

from engine import heartbeat
from engine.config import load_settings
from engine.db import Database

HEARTBEAT_SECONDS = 30.0


def make_celery() -> Celery:
    settings = load_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    app = Celery("juntos", broker=settings.broker_url, backend=settings.result_backend)
    app.conf.update(
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
        },
        beat_schedule_filename=str(settings.var_dir / "celerybeat-schedule"),
    )
    return app


celery_app = make_celery()


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

"""Worker heartbeats: each worker's last sign of life, so the app can show that the
background worker runs (the beat schedules one every 30 s)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.db import Base, UTCDateTime, utcnow

STALE_AFTER = timedelta(minutes=2)


class WorkerHeartbeat(Base):
    __tablename__ = "worker_heartbeat"

    hostname: Mapped[str] = mapped_column(String(200), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)


def record(session: Session, hostname: str, now: datetime | None = None) -> None:
    row = session.get(WorkerHeartbeat, hostname)
    if row is None:
        session.add(WorkerHeartbeat(hostname=hostname, last_seen=now or utcnow()))
    else:
        row.last_seen = now or utcnow()


def alive(session: Session, now: datetime | None = None) -> list[WorkerHeartbeat]:
    """Workers seen within STALE_AFTER."""
    since = (now or utcnow()) - STALE_AFTER
    return list(
        session.scalars(
            select(WorkerHeartbeat)
            .where(WorkerHeartbeat.last_seen >= since)
            .order_by(WorkerHeartbeat.hostname)
        )
    )

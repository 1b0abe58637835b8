"""Notices a process leaves for a position of the org chart (e.g. "convoque la ACV")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recipient: Mapped[str] = mapped_column(String(200))  # a denominación
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)

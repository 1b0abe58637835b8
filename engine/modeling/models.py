"""Drafts of process definitions: what a process owner is editing, never run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow


class ProcessDraft(Base):
    """The one draft of a process (by key), edited from ``base_version``: its diagram and the
    forms it changes or adds (JSON ``{file name: schema}``). Instances never see it: only
    ``publish`` turns it into a ``ProcessDefinition`` (whose forms snapshot takes them)."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    base_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    forms: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    saved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

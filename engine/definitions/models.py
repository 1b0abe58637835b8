"""Versioned process definitions: every published BPMN file, kept as it was."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow


class ProcessDefinition(Base):
    """One version of one process. Instances point at the version they started on."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version", name="key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)  # the BPMN process id
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(200))  # denominación of the propietario
    manual_section: Mapped[str] = mapped_column(String(100), default="")
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))  # of the BPMN file
    forms_sha256: Mapped[str] = mapped_column(String(64))  # of the forms it uses
    source: Mapped[str] = mapped_column(Text)
    forms: Mapped[str] = mapped_column(Text)  # JSON: {filename: schema}
    properties: Mapped[str] = mapped_column(Text)  # JSON: the process's spiff properties
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

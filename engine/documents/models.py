"""Artefacts a process produces — the manual's "salidas o productos": a Resolución, an
informe técnico, an acta… Each has a correlative number per kind and year and a content
snapshot taken from the instance data when it was issued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (UniqueConstraint("kind", "year", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    element_id: Mapped[str] = mapped_column(String(100))
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    kind: Mapped[str] = mapped_column(String(120))  # "Resolución de Dirección Ejecutiva"
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # correlative within kind and year
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)

    @property
    def reference(self) -> str:
        """How the document is cited: "Informe técnico N° 0007-2026"."""
        return f"{self.kind} N° {self.number:04d}-{self.year}"

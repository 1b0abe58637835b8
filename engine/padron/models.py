"""The padrón de hogares: households, their miembros objetivo, every change of state, the
SISFOH import batches, and the district catalogue (ubigeo) with its Unidad Territorial."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from engine.db import Base, UTCDateTime, utcnow

ESTADOS = (
    "potencial",
    "validado",
    "en_espera_clasificacion",
    "afiliado",
    "suspendido",
    "desafiliado",
    "egresado",
)
CSE_VALORES = ("PE", "PNE", "NP")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def code(length: int | None = None) -> TypeEngine[str]:
    """A code of ASCII digits, letters or '-' (ubigeo, co_hogar, DNI, código modular…):
    compared and sorted byte by byte on PostgreSQL (``COLLATE "C"``), where an index on it
    builds several times faster than under a linguistic collation (a first load builds them
    for millions of rows); SQLite compares bytes already. Not for names: their order is the
    language's."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Ubigeo(Base):
    """A district of INEI's catalogue and the Unidad Territorial whose ámbito holds it
    (``ut_code`` is None outside every UT, e.g. Lima). Loaded from ``padron/data``."""

    __tablename__ = "padron_ubigeo"

    ubigeo: Mapped[str] = mapped_column(code(6), primary_key=True)
    departamento: Mapped[str] = mapped_column(String(60))
    provincia: Mapped[str] = mapped_column(String(60))
    distrito: Mapped[str] = mapped_column(String(60))
    ut_code: Mapped[str | None] = mapped_column(String(16))


class ImportBatch(Base):
    """One applied import (SISFOH's relación de hogares, later cross-checks): which files,
    their sha256, what changed, who and when. A refused import leaves no batch."""

    __tablename__ = "padron_import_batch"
    __table_args__ = (UniqueConstraint("kind", "hogares_sha256", "miembros_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    hogares_file: Mapped[str] = mapped_column(String(255))
    hogares_sha256: Mapped[str] = mapped_column(String(64))
    miembros_file: Mapped[str] = mapped_column(String(255))
    miembros_sha256: Mapped[str] = mapped_column(String(64))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    imported_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Hogar(Base):
    """A household of the padrón, identified by SISFOH's ``co_hogar``."""

    __tablename__ = "padron_hogar"
    __table_args__ = (
        CheckConstraint(_in("estado", ESTADOS), name="estado"),
        CheckConstraint(_in("cse", CSE_VALORES), name="cse"),
        Index("ix_padron_hogar_ut_estado", "ut_unit_id", "estado"),
        Index("ix_padron_hogar_ubigeo_cp", "ubigeo", "centro_poblado"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    co_hogar: Mapped[str] = mapped_column(code(20), unique=True)
    ubigeo: Mapped[str] = mapped_column(code(6), ForeignKey("padron_ubigeo.ubigeo"))
    centro_poblado: Mapped[str] = mapped_column(String(150))
    ut_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    direccion: Mapped[str] = mapped_column(String(300))
    dni_titular: Mapped[str] = mapped_column(code(8), index=True)
    titular_ap_paterno: Mapped[str] = mapped_column(String(100))
    titular_ap_materno: Mapped[str] = mapped_column(String(100))
    titular_nombres: Mapped[str] = mapped_column(String(150))
    cse: Mapped[str] = mapped_column(String(3))
    cse_vigencia_fin: Mapped[date] = mapped_column(Date)
    estado: Mapped[str] = mapped_column(String(24), default="potencial")
    reincorporado: Mapped[bool] = mapped_column(Boolean, default=False)
    cuenta_ep: Mapped[str | None] = mapped_column(String(30))
    # the batch that brought the hogar in (provenance: batches are never deleted; no foreign
    # key, which would cost a trigger per row on a million-row load)
    alta_batch_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Miembro(Base):
    """A member of a hogar. Whether they are a miembro objetivo (gestante, niño/a 0–36 meses,
    escolar hasta los 19 años) depends on the day: see ``engine.padron.kinds``."""

    __tablename__ = "padron_miembro"
    __table_args__ = (CheckConstraint("sexo IN ('F', 'M')", name="sexo"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), index=True)
    dni: Mapped[str] = mapped_column(code(8), unique=True)
    ap_paterno: Mapped[str] = mapped_column(String(100))
    ap_materno: Mapped[str] = mapped_column(String(100))
    nombres: Mapped[str] = mapped_column(String(150))
    fecha_nacimiento: Mapped[date] = mapped_column(Date)
    sexo: Mapped[str] = mapped_column(String(1))
    gestante: Mapped[bool] = mapped_column(Boolean, default=False)
    codigo_modular_ie: Mapped[str | None] = mapped_column(code(7))
    codigo_renipress: Mapped[str | None] = mapped_column(code(8))
    # RENIEC's cross-check (process 8): a deceased member stays on record, no longer objetivo
    fecha_fallecimiento: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HogarEstadoHistorial(Base):
    """One change of a hogar's state: from, to, when, why, and what caused it — a process
    instance and its element, or an import batch. ``estado_anterior`` is None on entry into
    the padrón (as potencial, or validado when the import's first validation admits it)."""

    __tablename__ = "padron_hogar_estado"
    __table_args__ = (
        Index("ix_padron_hogar_estado_hogar", "hogar_id", "id"),
        # most changes come from imports, with no instance: only the others are indexed
        # (migration 0026; a first load builds it after the rows, for a million of them)
        Index(
            "ix_padron_hogar_estado_instance_id",
            "instance_id",
            sqlite_where=text("instance_id IS NOT NULL"),
            postgresql_where=text("instance_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"))
    estado_anterior: Mapped[str | None] = mapped_column(String(24))
    estado_nuevo: Mapped[str] = mapped_column(String(24))
    fecha: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    causa: Mapped[str] = mapped_column(String(300))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str | None] = mapped_column(String(100))
    import_batch_id: Mapped[int | None] = mapped_column(Integer)  # provenance, as alta_batch_id

"""The tables of the liquidation (Title V, process 11) and of the service for the withdrawal
(process 12). Money is integer céntimos (``BigInteger``), never float.

- The outcome of the verification per hogar and period is not kept here: the cierre reads
  ``cumplimiento_hogar``, which process 09 writes (and its revisión adicional modifies) —
  one source of truth, not a copy (migration 0018 folded the former ``pagos_cumplimiento``
  into it).
- ``pagos_liquidacion``: one per period: its state, the rules it used, its figures, the files.
- ``pagos_cierre``: the cierre del padrón, the snapshot of the afiliados of the period.
- ``pagos_linea``: what is paid to a hogar *for a period* in a liquidation. Its unique index
  (hogar, periodo) over the lines not rejected by the Entidad Pagadora is the guarantee that
  a hogar is never paid twice for one period: arrears paid in a later liquidation take the
  line of the period they cover, and a line whose abono came back rejected (``rechazada``)
  frees the period for a re-payment (``reabono``) once the cause is corrected.
- ``pagos_abono``: the order line per hogar of a liquidation (the sum of its lines) and what
  the Entidad Pagadora answered: abonado, or rechazado with the reason.
- ``pagos_solicitud_cuenta``: the opening of accounts for new afiliados.
- ``pagos_punto_pago`` / ``pagos_incidencia``: process 12.

No foreign keys on the million-row tables (cierre, linea, abono) — each would fire a trigger
per inserted row; their rows are only ever made by INSERT … SELECT from the padrón and the
liquidation they name.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow

ESTADOS_LIQUIDACION = ("cerrado", "liquidado", "ordenado", "respondido", "conciliado")
ESTADOS_ABONO = ("ordenado", "abonado", "rechazado")
MOTIVOS_RECHAZO = ("cuenta_cerrada", "dni_no_coincide", "cuenta_inexistente")
CONCEPTOS = ("incentivo", "atraso", "reabono")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Liquidacion(Base):
    __tablename__ = "pagos_liquidacion"
    __table_args__ = (CheckConstraint(_in("estado", ESTADOS_LIQUIDACION), name="estado"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    periodo: Mapped[str] = mapped_column(String(7), unique=True)
    estado: Mapped[str] = mapped_column(String(12))
    reglas: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cierre: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    liquidacion: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hogares: Mapped[int] = mapped_column(Integer, default=0)
    total_centimos: Mapped[int] = mapped_column(BigInteger, default=0)
    orden_archivo: Mapped[str | None] = mapped_column(String(500))
    orden_sha256: Mapped[str | None] = mapped_column(String(64))
    respuesta_archivo: Mapped[str | None] = mapped_column(String(500))
    respuesta_sha256: Mapped[str | None] = mapped_column(String(64))
    respuesta_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    conciliacion: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cierre(Base):
    """A hogar afiliado at the cierre del padrón of a liquidation, as it was then."""

    __tablename__ = "pagos_cierre"
    __table_args__ = (PrimaryKeyConstraint("liquidacion_id", "hogar_id"),)

    liquidacion_id: Mapped[int] = mapped_column(Integer)  # no FK: see the module doc
    hogar_id: Mapped[int] = mapped_column(Integer)
    resultado: Mapped[str] = mapped_column(String(16))
    nuevo_afiliado: Mapped[bool] = mapped_column(Boolean)
    cuenta: Mapped[str | None] = mapped_column(String(30))
    dni_titular: Mapped[str] = mapped_column(String(8))


VIGENTE = text("NOT rechazada")


class Linea(Base):
    """What a hogar is paid for one period in one liquidation. At most one line not
    rejected per (hogar_id, periodo) — a unique partial index: never paid twice."""

    __tablename__ = "pagos_linea"
    __table_args__ = (
        PrimaryKeyConstraint("liquidacion_id", "hogar_id", "periodo"),
        CheckConstraint("monto_centimos > 0", name="monto"),
        CheckConstraint(_in("concepto", CONCEPTOS), name="concepto"),
        Index(
            "ux_pagos_linea_hogar_periodo",
            "hogar_id",
            "periodo",
            unique=True,
            postgresql_where=VIGENTE,
            sqlite_where=VIGENTE,
        ),
    )

    liquidacion_id: Mapped[int] = mapped_column(Integer)  # no FK: see the module doc
    hogar_id: Mapped[int] = mapped_column(Integer)
    periodo: Mapped[str] = mapped_column(String(7))
    concepto: Mapped[str] = mapped_column(String(12))
    monto_centimos: Mapped[int] = mapped_column(BigInteger)
    # the Entidad Pagadora rejected the abono that carried it (set with the response)
    rechazada: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Abono(Base):
    """The order line of a hogar in a liquidation and the Entidad Pagadora's answer."""

    __tablename__ = "pagos_abono"
    __table_args__ = (
        PrimaryKeyConstraint("liquidacion_id", "hogar_id"),
        CheckConstraint(_in("estado", ESTADOS_ABONO), name="estado"),
        CheckConstraint("monto_centimos > 0", name="monto"),
    )

    liquidacion_id: Mapped[int] = mapped_column(Integer)  # no FK: see the module doc
    hogar_id: Mapped[int] = mapped_column(Integer)
    monto_centimos: Mapped[int] = mapped_column(BigInteger)
    periodos: Mapped[str] = mapped_column(String(120))  # "2026-B5;2026-B6"
    apertura: Mapped[bool] = mapped_column(Boolean)  # the account is opened with this payment
    estado: Mapped[str] = mapped_column(String(10), default="ordenado")
    motivo: Mapped[str | None] = mapped_column(String(20))
    cuenta_abonada: Mapped[str | None] = mapped_column(String(30))


class SolicitudCuenta(Base):
    """The opening of an account at the Entidad Pagadora for a new afiliado."""

    __tablename__ = "pagos_solicitud_cuenta"

    hogar_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    liquidacion_id: Mapped[int] = mapped_column(ForeignKey("pagos_liquidacion.id"))
    dni_titular: Mapped[str] = mapped_column(String(8))
    estado: Mapped[str] = mapped_column(String(10), default="solicitada")
    cuenta: Mapped[str | None] = mapped_column(String(30))


class PuntoPago(Base):
    """A punto de pago of a centro poblado for a cycle of the withdrawal service (process 12)."""

    __tablename__ = "pagos_punto_pago"
    __table_args__ = (UniqueConstraint("liquidacion_id", "ciclo", "ubigeo", "centro_poblado"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    liquidacion_id: Mapped[int] = mapped_column(ForeignKey("pagos_liquidacion.id"))
    ciclo: Mapped[int] = mapped_column(Integer)
    ubigeo: Mapped[str] = mapped_column(String(6))
    centro_poblado: Mapped[str] = mapped_column(String(150))
    ut_unit_id: Mapped[int] = mapped_column(Integer)
    hogares: Mapped[int] = mapped_column(Integer)
    monto_centimos: Mapped[int] = mapped_column(BigInteger)
    fecha_inicio: Mapped[date] = mapped_column(Date)
    fecha_fin: Mapped[date] = mapped_column(Date)
    reprogramaciones: Mapped[int] = mapped_column(Integer, default=0)


class Incidencia(Base):
    """An incident of the operativo at a punto de pago, recorded by a supervisor."""

    __tablename__ = "pagos_incidencia"

    id: Mapped[int] = mapped_column(primary_key=True)
    punto_id: Mapped[int | None] = mapped_column(ForeignKey("pagos_punto_pago.id"))
    liquidacion_id: Mapped[int] = mapped_column(ForeignKey("pagos_liquidacion.id"))
    centro_poblado: Mapped[str] = mapped_column(String(150))
    tipo: Mapped[str] = mapped_column(String(60))
    descripcion: Mapped[str] = mapped_column(Text)
    fecha: Mapped[date] = mapped_column(Date)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(100), index=True)

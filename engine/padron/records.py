"""Tables of the operational processes on the padrón (Title V, processes 7–10): ACVs and
their hogares, the legajo, changes of data, permanence reviews, the verification of
co-responsibilities (periods, formats, members, the outcome per hogar) and apoyo familiar.

``cumplimiento_hogar`` is the table the liquidation (process 11) reads: one row per hogar
and period with ``resultado`` cumplio / no_cumplio / no_verificado.
"""

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow

RESULTADOS_ACV = ("pendiente", "cumple", "no_cumple")
RESULTADOS = ("cumplio", "no_cumplio", "no_verificado")
RESULTADOS_MIEMBRO = ("pendiente", *RESULTADOS)
DOCUMENTOS_LEGAJO = ("copia_dni", "declaracion_jurada", "acuerdo_compromiso")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Acv(Base):
    """An Asamblea Comunal de Validación of one centro poblado (process 7.3)."""

    __tablename__ = "padron_acv"
    __table_args__ = (Index("ix_padron_acv_lugar", "ubigeo", "centro_poblado"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    ut_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    ubigeo: Mapped[str] = mapped_column(String(6))
    centro_poblado: Mapped[str] = mapped_column(String(150))
    fecha: Mapped[date | None] = mapped_column(Date)
    acta: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AcvHogar(Base):
    """A hogar of an ACV's relación (or a solicitante the ACV admitted) and its result."""

    __tablename__ = "padron_acv_hogar"
    __table_args__ = (CheckConstraint(_in("resultado", RESULTADOS_ACV), name="resultado"),)

    acv_id: Mapped[int] = mapped_column(ForeignKey("padron_acv.id"), primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), primary_key=True)
    en_relacion: Mapped[bool] = mapped_column(Boolean, default=True)
    resultado: Mapped[str] = mapped_column(String(12), default="pendiente")
    motivo: Mapped[str | None] = mapped_column(String(300))
    formalizado: Mapped[bool] = mapped_column(Boolean, default=False)


class Legajo(Base):
    """A document of a hogar's legajo (process 7.4): copy of the DNI, declaración jurada,
    acuerdo de compromiso — as an attachment of the task that received it."""

    __tablename__ = "padron_legajo"
    __table_args__ = (
        CheckConstraint(_in("tipo", DOCUMENTOS_LEGAJO), name="tipo"),
        UniqueConstraint("hogar_id", "tipo", "instance_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), index=True)
    tipo: Mapped[str] = mapped_column(String(24))
    attachment_id: Mapped[int | None] = mapped_column(Integer)
    referencia: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int] = mapped_column(Integer)
    element_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Actualizacion(Base):
    """One change of a datum of the padrón (process 8): by a mass cross-check (import batch)
    or by a field update of a process instance."""

    __tablename__ = "padron_actualizacion"

    id: Mapped[int] = mapped_column(primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), index=True)
    miembro_id: Mapped[int | None] = mapped_column(Integer)
    campo: Mapped[str] = mapped_column(String(40))
    valor_anterior: Mapped[str | None] = mapped_column(String(300))
    valor_nuevo: Mapped[str | None] = mapped_column(String(300))
    fuente: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    import_batch_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PermanenciaPropuesta(Base):
    """A hogar an evaluation of the criterios de permanencia proposes to move (process 7,
    last paragraph; process 8): desafiliacion, suspension or reincorporacion."""

    __tablename__ = "padron_permanencia"
    __table_args__ = (
        CheckConstraint(
            _in("accion", ("desafiliacion", "suspension", "reincorporacion")), name="accion"
        ),
    )

    evaluacion: Mapped[str] = mapped_column(String(100), primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), primary_key=True)
    accion: Mapped[str] = mapped_column(String(16))
    motivo: Mapped[str] = mapped_column(String(300))
    instance_id: Mapped[int] = mapped_column(Integer)


class VerificacionPeriodo(Base):
    """A period of verification of co-responsibilities (process 9), e.g. '2026-B6'."""

    __tablename__ = "verificacion_periodo"

    id: Mapped[int] = mapped_column(primary_key=True)
    periodo: Mapped[str] = mapped_column(String(16), unique=True)
    fecha_corte: Mapped[date] = mapped_column(Date)
    instance_id: Mapped[int] = mapped_column(Integer)
    cerrado: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VerificacionFormato(Base):
    """A verification format of one institución educativa (tipo 'ie', código modular) or
    establecimiento de salud ('eess', RENIPRESS) for a period, sent to one UT."""

    __tablename__ = "verificacion_formato"
    __table_args__ = (
        UniqueConstraint("periodo_id", "tipo", "codigo", "ut_unit_id"),
        CheckConstraint(_in("tipo", ("ie", "eess")), name="tipo"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    periodo_id: Mapped[int] = mapped_column(ForeignKey("verificacion_periodo.id"), index=True)
    tipo: Mapped[str] = mapped_column(String(4))
    codigo: Mapped[str] = mapped_column(String(8))
    ut_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    miembros: Mapped[int] = mapped_column(Integer)
    registrado: Mapped[bool] = mapped_column(Boolean, default=False)
    registrado_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VerificacionMiembro(Base):
    """A miembro objetivo subject to verification in a period and their result."""

    __tablename__ = "verificacion_miembro"
    __table_args__ = (
        CheckConstraint(_in("resultado", RESULTADOS_MIEMBRO), name="resultado"),
        Index("ix_verificacion_miembro_formato", "formato_id"),
        Index("ix_verificacion_miembro_hogar", "periodo_id", "hogar_id"),
    )

    periodo_id: Mapped[int] = mapped_column(ForeignKey("verificacion_periodo.id"), primary_key=True)
    miembro_id: Mapped[int] = mapped_column(ForeignKey("padron_miembro.id"), primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"))
    tipo_miembro: Mapped[str] = mapped_column(String(20))
    formato_id: Mapped[int | None] = mapped_column(Integer)
    resultado: Mapped[str] = mapped_column(String(16), default="pendiente")
    arrastrado: Mapped[bool] = mapped_column(Boolean, default=False)
    observacion: Mapped[str | None] = mapped_column(String(300))


class CumplimientoHogar(Base):
    """The outcome of the verification per hogar and period (process 9.3), read by the
    liquidation (process 11): cumplio / no_cumplio / no_verificado."""

    __tablename__ = "cumplimiento_hogar"
    __table_args__ = (CheckConstraint(_in("resultado", RESULTADOS), name="resultado"),)

    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), primary_key=True)
    periodo: Mapped[str] = mapped_column(String(16), primary_key=True)
    resultado: Mapped[str] = mapped_column(String(16))
    revisado: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RevisionAdicional(Base):
    """A revisión adicional of a hogar's result (process 9.3): modifies or ratifies it."""

    __tablename__ = "verificacion_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), index=True)
    periodo: Mapped[str] = mapped_column(String(16))
    resultado_anterior: Mapped[str] = mapped_column(String(16))
    resultado_nuevo: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(12))  # modifica | ratifica
    sustento: Mapped[str] = mapped_column(Text)
    instance_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApoyoHogar(Base):
    """A hogar selected for apoyo familiar (process 10.1) in a period: incumplimiento or
    riesgo de incumplimiento."""

    __tablename__ = "apoyo_familiar_hogar"

    periodo: Mapped[str] = mapped_column(String(16), primary_key=True)
    hogar_id: Mapped[int] = mapped_column(ForeignKey("padron_hogar.id"), primary_key=True)
    ut_unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"))
    motivo: Mapped[str] = mapped_column(String(16))  # incumplimiento | riesgo
    instance_id: Mapped[int] = mapped_column(Integer)
    orientaciones: Mapped[int] = mapped_column(Integer, default=0)


class ApoyoActividad(Base):
    """A sesión de apoyo grupal or a visita domiciliaria (process 10.2) and the hogares it
    reached; ``servicios`` lists the specialised services each hogar was told of (10.3)."""

    __tablename__ = "apoyo_familiar_actividad"
    __table_args__ = (
        CheckConstraint(_in("tipo", ("sesion_grupal", "visita_domiciliaria")), name="tipo"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    periodo: Mapped[str] = mapped_column(String(16), index=True)
    tipo: Mapped[str] = mapped_column(String(20))
    fecha: Mapped[date] = mapped_column(Date)
    lugar: Mapped[str] = mapped_column(String(200))
    temas: Mapped[str] = mapped_column(Text)
    hogares: Mapped[list[str]] = mapped_column(JSON, default=list)
    servicios: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Units and positions of the Manual de Operaciones (Titles II and III), and the people
who hold them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime, utcnow


class Unit(Base):
    """An organ or unit of the programme (Title II.1), e.g. UT Cajamarca."""

    __tablename__ = "org_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    manual_section: Mapped[str] = mapped_column(String(16))
    external_authority: Mapped[str] = mapped_column(String(200), default="")

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class Position(Base):
    """One plaza of the Cuadro de Necesidades de Personal (Title III), by cargo number."""

    __tablename__ = "org_position"

    id: Mapped[int] = mapped_column(primary_key=True)
    cargo: Mapped[int] = mapped_column(Integer, unique=True)
    puesto: Mapped[str] = mapped_column(String(200))
    denominacion: Mapped[str] = mapped_column(String(200), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("org_unit.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("org_position.id"), index=True)
    informs_id: Mapped[int | None] = mapped_column(ForeignKey("org_position.id"))

    unit: Mapped[Unit] = relationship()
    supervisor: Mapped[Position | None] = relationship(
        remote_side=[id], foreign_keys=[supervisor_id]
    )
    informs: Mapped[Position | None] = relationship(remote_side=[id], foreign_keys=[informs_id])

    @property
    def cargo_label(self) -> str:
        """The cargo number as the manual writes it: 001 … 1852."""
        return format_cargo(self.cargo)


def format_cargo(cargo: int) -> str:
    return f"{cargo:03d}"


class User(Base):
    """A person who logs in. What they may do comes from the positions they hold."""

    __tablename__ = "org_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="user", order_by="Assignment.start_date"
    )


class Assignment(Base):
    """A user holding a position from ``start_date`` to ``end_date`` (inclusive; open if None).

    ``kind`` is ``titular`` or ``encargo``: an interim charge given by the Dirección
    Ejecutiva (Title IV.1 B, function l), usually while the position is vacant or its
    holder is away; ``reference`` keeps the resolution (RDE) that gave it.
    """

    __tablename__ = "org_assignment"
    __table_args__ = (
        CheckConstraint("kind IN ('titular', 'encargo')", name="kind"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        Index("ix_org_assignment_position_dates", "position_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("org_user.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("org_position.id"))
    kind: Mapped[str] = mapped_column(String(16), default="titular")
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="assignments")
    position: Mapped[Position] = relationship()

    def active_on(self, day: date) -> bool:
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)


class LoginAttempt(Base):
    """Every login attempt, kept to throttle guessing. Holds the login typed, no password."""

    __tablename__ = "org_login_attempt"
    __table_args__ = (Index("ix_org_login_attempt_login_at", "login", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean)

"""The audit log: append-only events chained by hash, and the tip of the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    case,
    literal,
    select,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, aliased, column_property, mapped_column

from engine.audit.chain import GENESIS_HASH, HASHED_FIELDS, format_datetime
from engine.db import Base, UTCDateTime


class Digest(TypeDecorator[str]):
    """A SHA-256 digest: hex text in Python (as hashed and exported), 32 bytes on disk."""

    impl = LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else bytes.fromhex(value)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> str | None:
        return None if value is None else bytes(value).hex()


class AuditEvent(Base):
    """One change in the engine, as the Órgano de Control Institucional will read it.

    ``seq`` runs 1, 2, 3… without gaps (assigned by ``engine.audit.log.record``, never by
    the database); ``hash`` covers every other column and ``prev_hash``, the previous
    event's ``hash``. ``prev_hash`` is not stored (migration 0021): it is the hash of event
    ``seq - 1`` (the genesis hash for event 1), read with the event when loaded, so the chain
    order itself carries it and ``juntos audit verify`` recomputes it as it walks.
    ``instance_id`` has no foreign key on purpose: the log must outlive whatever it speaks
    about.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        # The log is read by instance, actor or household, in chain order; nothing reads it
        # by process or by time alone, so those have no index (migration 0021).
        # An instance's or a household's events are read whole (its history, its card) and
        # are a few dozen to a few thousand: their indexes hold the key alone, which
        # PostgreSQL stores once per key with the list of its rows (deduplication: ~6 bytes
        # an event instead of ~24), the few rows then sorted by seq; SQLite's index entries
        # carry the rowid, which is seq, in order anyway (migration 0028).
        Index("ix_audit_event_instance", "instance_id"),
        # a person's events may be hundreds of thousands, read newest first a page at a time
        Index("ix_audit_event_actor_seq", "actor_user_id", "seq"),
        # most events concern no household: only those that do are indexed (migration 0023)
        Index(
            "ix_audit_event_household",
            "household",
            sqlite_where=text("household IS NOT NULL"),
            postgresql_where=text("household IS NOT NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    actor_position_id: Mapped[int | None] = mapped_column(ForeignKey("org_position.id"))
    process_key: Mapped[str | None] = mapped_column(String(100))
    process_version: Mapped[int | None] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    element_id: Mapped[str | None] = mapped_column(String(255))
    household: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Digest)

    def hashed_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in HASHED_FIELDS}

    def to_export(self) -> dict[str, Any]:
        """The event as an export row (JSON-ready) that ``verify_export`` accepts."""
        row = self.hashed_fields()
        row["recorded_at"] = format_datetime(self.recorded_at)
        row["prev_hash"] = self.prev_hash
        row["hash"] = self.hash
        return row


_previous = aliased(AuditEvent)
# Read-only: the previous event's hash, found by its seq (NULL if that event is missing).
AuditEvent.prev_hash = column_property(
    case(
        (AuditEvent.seq == 1, literal(GENESIS_HASH, Digest())),
        else_=select(_previous.hash).where(_previous.seq == AuditEvent.seq - 1).scalar_subquery(),
    ),
    deferred=False,
)


class AuditHead(Base):
    """The tip of the chain (one row, id 1): without it, deleting the newest events
    would leave a shorter chain that still verifies."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(Digest)

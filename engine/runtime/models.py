"""Running processes: instances, the inbox projection of their human tasks, the outbox of
service calls, and incidents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow

INSTANCE_STATES = ("running", "suspended", "completed", "cancelled")
TASK_STATES = ("ready", "claimed", "completed", "cancelled")
CALL_STATES = ("pending", "running", "done", "failed")
# The predicate of the partial indexes of open tasks, in literals: SQLite uses a partial
# index only when the query repeats it (engine.runtime.inbox.open_state).
OPEN_PREDICATE = "state IN ('ready', 'claimed')"
DONE_PREDICATE = "state = 'completed'"
DONE_INDEX = "ix_human_task_done_unit"  # PostgreSQL only (see POSTGRESQL_ONLY)
# A SpiffWorkflow task's id, read and written as its text ("1c6bb147-ac8a-…"). PostgreSQL
# keeps it as a native uuid: 16 bytes instead of 37 in the row and in each index on it.
TaskUuid = String(36).with_variant(postgresql.UUID(as_uuid=False), "postgresql")


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (
        Index("ix_process_instance_next_timer", "next_timer_at"),
        Index("ix_process_instance_key_state", "process_key", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    process_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="running")
    incident_open: Mapped[bool] = mapped_column(default=False)
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"), index=True)
    household: Mapped[str | None] = mapped_column(String(32), index=True)
    initiator_user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_timer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=0)
    # SpiffWorkflow state without the spec (engine.runtime.serialization.pack)
    workflow: Mapped[bytes] = mapped_column(LargeBinary)

    # Every UPDATE checks and bumps lock_version: a stale writer gets StaleDataError.
    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012


class HumanTask(Base):
    """One row per user/manual task that became READY: what the inboxes read."""

    __tablename__ = "human_task"
    __table_args__ = (
        # PostgreSQL: open tasks only (see ix_human_task_inbox_due)
        Index(
            "ix_human_task_assignee",
            "assignee_user_id",
            "state",
            "due_at",
            postgresql_where=text(OPEN_PREDICATE),
        ),
        Index("ix_human_task_instance", "instance_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    task_uuid: Mapped[str] = mapped_column(TaskUuid, unique=True)
    element_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    candidate: Mapped[str] = mapped_column(String(200))  # the lane: a denominación
    candidate_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id"))
    state: Mapped[str] = mapped_column(String(16), default="ready")
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    form: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    household: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    completed_as_position_id: Mapped[int | None] = mapped_column(ForeignKey("org_position.id"))


# The inbox reads (candidate, unit, state) ranges in its exact order, (due_at, priority
# DESC, id): a page reads its rows and stops (engine.runtime.inbox). On PostgreSQL it and
# the assignee's index hold open tasks only (the planner proves that ``state = 'ready'``
# implies the predicate; SQLite would need the predicate repeated in the query, so there
# they hold every task): a completed task then leaves them, and the dashboards read the
# completed ones of a unit by their own index (migration 0024).
Index(
    "ix_human_task_inbox_due",
    HumanTask.candidate,
    HumanTask.candidate_unit_id,
    HumanTask.state,
    HumanTask.due_at,
    HumanTask.priority.desc(),
    HumanTask.id,
    postgresql_where=text(OPEN_PREDICATE),
)
Index(
    DONE_INDEX,
    HumanTask.candidate_unit_id,
    HumanTask.completed_at,
    postgresql_where=text(DONE_PREDICATE),
).ddl_if(dialect="postgresql")
# Open tasks only (partial: a completed task leaves them), in the inbox's exact order,
# (due_at, priority DESC, id): a unit's, the lane checked on the entry (a supervisor's
# team), and all of them (the whole programme).
Index(
    "ix_human_task_open_unit",
    HumanTask.candidate_unit_id,
    HumanTask.due_at,
    HumanTask.priority.desc(),
    HumanTask.id,
    HumanTask.candidate,
    sqlite_where=text(OPEN_PREDICATE),
    postgresql_where=text(OPEN_PREDICATE),
)
Index(
    "ix_human_task_open_due",
    HumanTask.due_at,
    HumanTask.priority.desc(),
    HumanTask.id,
    sqlite_where=text(OPEN_PREDICATE),
    postgresql_where=text(OPEN_PREDICATE),
)


class ServiceCall(Base):
    """The outbox: a service task waiting for, or done by, a worker."""

    __tablename__ = "service_call"
    __table_args__ = (Index("ix_service_call_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_uuid: Mapped[str] = mapped_column(TaskUuid)
    element_id: Mapped[str] = mapped_column(String(100))
    operation: Mapped[str] = mapped_column(String(100))
    params: Mapped[str] = mapped_column(Text)  # JSON
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(Text)  # JSON
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Incident(Base):
    """Something the engine could not do on its own; the process owner retries or resolves."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    service_call_id: Mapped[int | None] = mapped_column(ForeignKey("service_call.id"))
    element_id: Mapped[str] = mapped_column(String(100))
    error: Mapped[str] = mapped_column(Text)
    stack: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[str] = mapped_column(Text, default="{}")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("org_user.id"))
    resolution: Mapped[str | None] = mapped_column(String(200))


@dataclass(frozen=True)
class NewTask:
    """A human task that has just become READY, as its new inbox row says (what a client
    needs to go on without reading the instance again)."""

    id: int
    instance_id: int
    task_uuid: str
    element_id: str
    name: str
    candidate: str
    candidate_unit_id: int | None
    scope_unit_id: int | None
    form: str | None
    due_at: datetime | None
    priority: int
    household: str | None
    created_at: datetime
    state: str = "ready"
    assignee_user_id: int | None = None
    completed_at: datetime | None = None


# Indexes the models build on PostgreSQL only (``ddl_if``); Alembic's comparison of the
# models with a SQLite database leaves them out (engine.migrate.include_object).
POSTGRESQL_ONLY = frozenset({DONE_INDEX})

"""Definitions, instances, inbox (human_task), outbox (service_call), incidents, progress and
notifications.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 02:18:23.791820
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "service_progress",
        sa.Column("call_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_service_progress")),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"], ["org_unit.id"], name=op.f("fk_notification_scope_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_notification_idempotency_key")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "process_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("manual_section", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("forms_sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("forms", sa.Text(), nullable=False),
        sa.Column("properties", sa.Text(), nullable=False),
        sa.Column("published_by_user_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["published_by_user_id"],
            ["org_user.id"],
            name=op.f("fk_process_definition_published_by_user_id_org_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_definition")),
        sa.UniqueConstraint("key", "version", name="key_version"),
    )
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_definition_key"), ["key"], unique=False)

    op.create_table(
        "process_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=100), nullable=False),
        sa.Column("process_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("incident_open", sa.Boolean(), nullable=False),
        sa.Column("scope_unit_id", sa.Integer(), nullable=True),
        sa.Column("household", sa.String(length=32), nullable=True),
        sa.Column("initiator_user_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definition.id"],
            name=op.f("fk_process_instance_definition_id_process_definition"),
        ),
        sa.ForeignKeyConstraint(
            ["initiator_user_id"],
            ["org_user.id"],
            name=op.f("fk_process_instance_initiator_user_id_org_user"),
        ),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_process_instance_scope_unit_id_org_unit"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_instance")),
    )
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_instance_household"), ["household"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_process_instance_initiator_user_id"), ["initiator_user_id"], unique=False
        )
        batch_op.create_index(
            "ix_process_instance_key_state", ["process_key", "state"], unique=False
        )
        batch_op.create_index("ix_process_instance_next_timer", ["next_timer_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_process_instance_scope_unit_id"), ["scope_unit_id"], unique=False
        )

    op.create_table(
        "human_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_uuid", sa.String(length=36), nullable=False),
        sa.Column("element_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("candidate", sa.String(length=200), nullable=False),
        sa.Column("candidate_unit_id", sa.Integer(), nullable=True),
        sa.Column("scope_unit_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("assignee_user_id", sa.Integer(), nullable=True),
        sa.Column("form", sa.String(length=200), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("household", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("completed_as_position_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_user_id"],
            ["org_user.id"],
            name=op.f("fk_human_task_assignee_user_id_org_user"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_unit_id"],
            ["org_unit.id"],
            name=op.f("fk_human_task_candidate_unit_id_org_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["completed_as_position_id"],
            ["org_position.id"],
            name=op.f("fk_human_task_completed_as_position_id_org_position"),
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_user_id"],
            ["org_user.id"],
            name=op.f("fk_human_task_completed_by_user_id_org_user"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_human_task_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["scope_unit_id"], ["org_unit.id"], name=op.f("fk_human_task_scope_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_human_task")),
        sa.UniqueConstraint("task_uuid", name=op.f("uq_human_task_task_uuid")),
    )
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_human_task_assignee", ["assignee_user_id", "state", "due_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_human_task_household"), ["household"], unique=False)
        batch_op.create_index(
            "ix_human_task_inbox",
            ["candidate", "candidate_unit_id", "state", "due_at"],
            unique=False,
        )
        batch_op.create_index("ix_human_task_instance", ["instance_id", "state"], unique=False)

    op.create_table(
        "service_call",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_uuid", sa.String(length=36), nullable=False),
        sa.Column("element_id", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_service_call_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_call")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_service_call_idempotency_key")),
    )
    with op.batch_alter_table("service_call", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_call_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            "ix_service_call_state_next", ["state", "next_attempt_at"], unique=False
        )

    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("service_call_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=100), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("stack", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("resolution", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_incident_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_user_id"],
            ["org_user.id"],
            name=op.f("fk_incident_resolved_by_user_id_org_user"),
        ),
        sa.ForeignKeyConstraint(
            ["service_call_id"],
            ["service_call.id"],
            name=op.f("fk_incident_service_call_id_service_call"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_instance_id"), ["instance_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_instance_id"))

    op.drop_table("incident")
    with op.batch_alter_table("service_call", schema=None) as batch_op:
        batch_op.drop_index("ix_service_call_state_next")
        batch_op.drop_index(batch_op.f("ix_service_call_instance_id"))

    op.drop_table("service_call")
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_human_task_instance")
        batch_op.drop_index("ix_human_task_inbox")
        batch_op.drop_index(batch_op.f("ix_human_task_household"))
        batch_op.drop_index("ix_human_task_assignee")

    op.drop_table("human_task")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_instance_scope_unit_id"))
        batch_op.drop_index("ix_process_instance_next_timer")
        batch_op.drop_index("ix_process_instance_key_state")
        batch_op.drop_index(batch_op.f("ix_process_instance_initiator_user_id"))
        batch_op.drop_index(batch_op.f("ix_process_instance_household"))

    op.drop_table("process_instance")
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_definition_key"))

    op.drop_table("process_definition")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_instance_id"))

    op.drop_table("notification")
    op.drop_table("service_progress")

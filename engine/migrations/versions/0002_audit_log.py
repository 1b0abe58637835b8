"""audit log: hash-chained events and the head of the chain

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 02:00:01.916511
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.LargeBinary(length=32), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    # The head exists from the start, so that two first writers never race to create it.
    op.bulk_insert(audit_head, [{"id": 1, "last_seq": 0, "last_hash": bytes(32)}])

    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_position_id", sa.Integer(), nullable=True),
        sa.Column("process_key", sa.String(length=100), nullable=True),
        sa.Column("process_version", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=255), nullable=True),
        sa.Column("household", sa.String(length=64), nullable=True),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_position_id"],
            ["org_position.id"],
            name=op.f("fk_audit_event_actor_position_id_org_position"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["org_user.id"], name=op.f("fk_audit_event_actor_user_id_org_user")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_actor_seq", ["actor_user_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_event_household_seq", ["household", "seq"], unique=False)
        batch_op.create_index("ix_audit_event_instance_seq", ["instance_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_event_process_seq", ["process_key", "seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_recorded_at"), ["recorded_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_recorded_at"))
        batch_op.drop_index("ix_audit_event_process_seq")
        batch_op.drop_index("ix_audit_event_instance_seq")
        batch_op.drop_index("ix_audit_event_household_seq")
        batch_op.drop_index("ix_audit_event_actor_seq")

    op.drop_table("audit_event")
    op.drop_table("audit_head")

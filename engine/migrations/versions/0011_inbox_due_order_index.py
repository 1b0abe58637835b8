"""inbox: index ranges of (candidate, unit, state) in the inbox's due order

The inbox reads each (candidate, candidate_unit_id, state) range in the order it shows —
by due date, then priority — so a page stops after its rows instead of sorting the whole
range; the index also covers the counts. It replaces ix_human_task_inbox, whose columns
are its prefix.

Revision ID: 0011
Revises: 0006
Create Date: 2026-11-30 05:00:00
"""

from alembic import op

revision = "0011"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_human_task_inbox")
    op.create_index(
        "ix_human_task_inbox_due",
        "human_task",
        [
            "candidate",
            "candidate_unit_id",
            "state",
            "due_at",
            "priority",
        ],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_inbox_due", table_name="human_task")
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_human_task_inbox",
            ["candidate", "candidate_unit_id", "state", "due_at"],
            unique=False,
        )

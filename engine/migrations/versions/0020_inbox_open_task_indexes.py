"""inbox: its index ranges in its exact order; partial indexes of the open tasks

ix_human_task_inbox_due gets (priority DESC, id) after due_at: the inbox's order exactly,
so a range's undated rows are read in order too (they were sorted whole: 10,000 rows in a
Gestor Local's range at 1M open tasks).
The inbox of a supervisor reads their team unit by unit in due order
(ix_human_task_open_unit, the lane checked on the index entry), and the Director's the
whole programme in due order (ix_human_task_open_due). Both hold the open tasks only (a
completed or cancelled task leaves them), in the inbox's exact order: (due_at, priority
DESC, id).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

OPEN = "state IN ('ready', 'claimed')"


def upgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_human_task_inbox_due")
    op.create_index(
        "ix_human_task_inbox_due",
        "human_task",
        ["candidate", "candidate_unit_id", "state", "due_at", sa.text("priority DESC"), "id"],
        unique=False,
    )
    op.create_index(
        "ix_human_task_open_unit",
        "human_task",
        ["candidate_unit_id", "due_at", sa.text("priority DESC"), "id", "candidate"],
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_human_task_open_due",
        "human_task",
        ["due_at", sa.text("priority DESC"), "id"],
        unique=False,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_open_due", table_name="human_task")
    op.drop_index("ix_human_task_open_unit", table_name="human_task")
    op.drop_index("ix_human_task_inbox_due", table_name="human_task")
    op.create_index(
        "ix_human_task_inbox_due",
        "human_task",
        ["candidate", "candidate_unit_id", "state", "due_at", "priority"],
        unique=False,
    )

"""inbox: partial indexes of the open tasks, by unit and by due date

The inbox of a supervisor reads their team unit by unit in due order
(ix_human_task_open_unit, the lane checked on the index entry), and the Director's the
whole programme in due order (ix_human_task_open_due). Both hold the open tasks only (a
completed or cancelled task leaves them), in the inbox's exact order: (due_at, priority
DESC, id).

Revision ID: 0020
Revises: 0016
Create Date: 2026-11-29 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0016"
branch_labels = None
depends_on = None

OPEN = "state IN ('ready', 'claimed')"


def upgrade() -> None:
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

"""PostgreSQL: the inbox's and the assignee's indexes of human_task hold open tasks only
(a completed task leaves them), and the dashboards read a unit's completed tasks by
completion time on an index of their own. SQLite keeps them whole: it uses a partial index
only when the query repeats its predicate, and the inbox asks for ``state = 'ready'``.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 13:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('ready', 'claimed')")
DONE = sa.text("state = 'completed'")
INBOX = ["candidate", "candidate_unit_id", "state", "due_at", sa.text("priority DESC"), "id"]
ASSIGNEE = ["assignee_user_id", "state", "due_at"]


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_human_task_inbox_due", table_name="human_task")
    op.create_index("ix_human_task_inbox_due", "human_task", INBOX, postgresql_where=OPEN)
    op.drop_index("ix_human_task_assignee", table_name="human_task")
    op.create_index("ix_human_task_assignee", "human_task", ASSIGNEE, postgresql_where=OPEN)
    op.create_index(
        "ix_human_task_done_unit",
        "human_task",
        ["candidate_unit_id", "completed_at"],
        postgresql_where=DONE,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_human_task_done_unit", table_name="human_task")
    op.drop_index("ix_human_task_assignee", table_name="human_task")
    op.create_index("ix_human_task_assignee", "human_task", ASSIGNEE)
    op.drop_index("ix_human_task_inbox_due", table_name="human_task")
    op.create_index("ix_human_task_inbox_due", "human_task", INBOX)

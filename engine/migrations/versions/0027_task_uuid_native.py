"""SpiffWorkflow task ids as PostgreSQL's native uuid in human_task and service_call: 16
bytes instead of 37 in each row and in the unique index on human_task.task_uuid. SQLite
keeps the text

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 16:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

TABLES = ("human_task", "service_call")


def _retype(to: sa.types.TypeEngine, was: sa.types.TypeEngine, using: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.alter_column(
            table,
            "task_uuid",
            type_=to,
            existing_type=was,
            existing_nullable=False,
            postgresql_using=using,
        )


def upgrade() -> None:
    _retype(postgresql.UUID(as_uuid=False), sa.String(36), "task_uuid::uuid")


def downgrade() -> None:
    _retype(sa.String(36), postgresql.UUID(as_uuid=False), "task_uuid::text")

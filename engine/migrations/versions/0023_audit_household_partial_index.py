"""the audit log's household index holds only the events that concern a household (those
of definitions, incidents and the ten processes that concern no hogar have no entry)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29 11:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

WHERE = sa.text("household IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_household_seq")
        batch_op.create_index(
            "ix_audit_event_household_seq",
            ["household", "seq"],
            unique=False,
            sqlite_where=WHERE,
            postgresql_where=WHERE,
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_household_seq")
        batch_op.create_index("ix_audit_event_household_seq", ["household", "seq"], unique=False)

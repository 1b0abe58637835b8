"""the audit log's instance and household indexes hold the key alone: PostgreSQL then
stores each instance id or household code once with the list of its events (btree
deduplication) instead of once per event with its seq; SQLite's entries carry the rowid
(seq) in order anyway. Their readers take an instance's or a household's events whole

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-29 16:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

WHERE = sa.text("household IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_instance_seq")
        batch_op.drop_index("ix_audit_event_household_seq")
        batch_op.create_index("ix_audit_event_instance", ["instance_id"], unique=False)
        batch_op.create_index(
            "ix_audit_event_household",
            ["household"],
            unique=False,
            sqlite_where=WHERE,
            postgresql_where=WHERE,
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_instance")
        batch_op.drop_index("ix_audit_event_household")
        batch_op.create_index("ix_audit_event_instance_seq", ["instance_id", "seq"], unique=False)
        batch_op.create_index(
            "ix_audit_event_household_seq",
            ["household", "seq"],
            unique=False,
            sqlite_where=WHERE,
            postgresql_where=WHERE,
        )

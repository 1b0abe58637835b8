"""leaner audit storage: no index on audit_event.recorded_at nor (process_key, seq) — no
query reads the log by either (bench/engine.py: storage per completed task)

Revision ID: 0021
Revises: 0016
Create Date: 2026-11-29 07:30:00
"""

from alembic import op

revision = "0021"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_recorded_at"))
        batch_op.drop_index("ix_audit_event_process_seq")


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_process_seq", ["process_key", "seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_recorded_at"), ["recorded_at"], unique=False
        )

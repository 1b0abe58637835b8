"""leaner audit storage (bench/engine.py: storage per completed task): ``prev_hash`` is no
longer stored — it is the hash of event seq - 1, which the chain order already gives
(engine.audit.models) — and no index on audit_event.recorded_at nor (process_key, seq),
as no query reads the log by either

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_recorded_at"))
        batch_op.drop_index("ix_audit_event_process_seq")
        batch_op.drop_column("prev_hash")


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.LargeBinary(length=32), nullable=True))
    op.get_bind().execute(
        sa.text(
            "UPDATE audit_event SET prev_hash = COALESCE("
            "(SELECT p.hash FROM audit_event p WHERE p.seq = audit_event.seq - 1), :genesis)"
        ),
        {"genesis": bytes(32)},
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.LargeBinary(length=32), nullable=False)
        batch_op.create_index("ix_audit_event_process_seq", ["process_key", "seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_event_recorded_at"), ["recorded_at"], unique=False
        )

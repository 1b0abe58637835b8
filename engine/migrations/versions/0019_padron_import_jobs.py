"""SISFOH imports started from the web as background jobs (padron_import_job), and the
out-of-band progress of jobs (job_progress, as service_progress for service calls)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_progress",
        sa.Column("job_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_progress")),
    )
    op.create_table(
        "padron_import_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by_user_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_login", sa.String(length=64), nullable=False),
        sa.Column("hogares_file", sa.String(length=255), nullable=False),
        sa.Column("hogares_bytes", sa.BigInteger(), nullable=False),
        sa.Column("miembros_file", sa.String(length=255), nullable=False),
        sa.Column("miembros_bytes", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_user_id"],
            ["org_user.id"],
            name=op.f("fk_padron_import_job_requested_by_user_id_org_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_padron_import_job")),
    )
    with op.batch_alter_table("padron_import_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_padron_import_job_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("padron_import_job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_padron_import_job_state"))
    op.drop_table("padron_import_job")
    op.drop_table("job_progress")

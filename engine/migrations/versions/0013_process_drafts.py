"""process drafts (the modeler)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("saved_by_user_id", sa.Integer(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["saved_by_user_id"],
            ["org_user.id"],
            name=op.f("fk_process_draft_saved_by_user_id_org_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_draft")),
        sa.UniqueConstraint("key", name=op.f("uq_process_draft_key")),
    )


def downgrade() -> None:
    op.drop_table("process_draft")

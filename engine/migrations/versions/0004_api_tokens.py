"""api tokens

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:33:46.926081
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "org_api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["org_user.id"], name=op.f("fk_org_api_token_user_id_org_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_api_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_org_api_token_token_sha256")),
    )
    with op.batch_alter_table("org_api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_org_api_token_user_id"), ["user_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("org_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_api_token_user_id"))

    op.drop_table("org_api_token")

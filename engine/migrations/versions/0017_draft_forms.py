"""the forms a process draft changes or adds (the modeler's form editor)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forms", sa.Text(), server_default="{}", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.drop_column("forms")

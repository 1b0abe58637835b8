"""the padrón history's index by process instance holds only the changes a process made
(those of an import carry no instance: a first load of a million hogares wrote a million
entries to it, each NULL)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-29 17:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

WHERE = sa.text("instance_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("padron_hogar_estado", schema=None) as batch_op:
        batch_op.drop_index("ix_padron_hogar_estado_instance_id")
        batch_op.create_index(
            "ix_padron_hogar_estado_instance_id",
            ["instance_id"],
            unique=False,
            sqlite_where=WHERE,
            postgresql_where=WHERE,
        )


def downgrade() -> None:
    with op.batch_alter_table("padron_hogar_estado", schema=None) as batch_op:
        batch_op.drop_index("ix_padron_hogar_estado_instance_id")
        batch_op.create_index("ix_padron_hogar_estado_instance_id", ["instance_id"], unique=False)

"""when the Entidad Pagadora's response of a liquidation was registered: a field update of the
titular's account recorded after it (process 08: the same account, reopened) lets a period
the bank refused for a closed account be paid again

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pagos_liquidacion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("respuesta_at", sa.DateTime(timezone=True), nullable=True))
    # the responses registered before this revision: their last update is the best known time
    op.execute(
        "UPDATE pagos_liquidacion SET respuesta_at = updated_at WHERE respuesta_archivo IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("pagos_liquidacion", schema=None) as batch_op:
        batch_op.drop_column("respuesta_at")

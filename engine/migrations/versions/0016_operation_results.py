"""one table of operation results by idempotency key (engine.services.results), instead of
one per domain (padron_operacion, pagos_operacion)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 06:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operation_result",
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_operation_result")),
    )
    with op.batch_alter_table("operation_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_operation_result_instance_id"), ["instance_id"], unique=False
        )
    op.execute(
        "INSERT INTO operation_result (idempotency_key, operation, instance_id, result, created_at)"
        " SELECT idempotency_key, operation, instance_id, result, created_at"
        " FROM padron_operacion"
    )
    op.execute(
        "INSERT INTO operation_result (idempotency_key, operation, instance_id, result, created_at)"
        " SELECT idempotency_key, operacion, NULL, resultado, created_at FROM pagos_operacion"
    )
    with op.batch_alter_table("padron_operacion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_padron_operacion_instance_id"))
    op.drop_table("padron_operacion")
    op.drop_table("pagos_operacion")


def downgrade() -> None:
    op.create_table(
        "pagos_operacion",
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("operacion", sa.String(length=60), nullable=False),
        sa.Column("periodo", sa.String(length=7), nullable=False),
        sa.Column("resultado", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_pagos_operacion")),
    )
    op.create_table(
        "padron_operacion",
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_padron_operacion")),
    )
    with op.batch_alter_table("padron_operacion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_padron_operacion_instance_id"), ["instance_id"], unique=False
        )
    op.execute(
        "INSERT INTO padron_operacion (idempotency_key, operation, instance_id, result, created_at)"
        " SELECT idempotency_key, operation, instance_id, result, created_at"
        " FROM operation_result WHERE operation NOT LIKE 'pagos.%'"
    )
    with op.batch_alter_table("operation_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_operation_result_instance_id"))
    op.drop_table("operation_result")

"""org chart, people and worker heartbeats

Revision ID: 0001
Revises:
Create Date: 2026-11-29 01:39:37.015109
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "org_login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_login_attempt")),
    )
    with op.batch_alter_table("org_login_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_org_login_attempt_login_at", ["login", "attempted_at"], unique=False
        )

    op.create_table(
        "org_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("manual_section", sa.String(length=16), nullable=False),
        sa.Column("external_authority", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["org_unit.id"], name=op.f("fk_org_unit_parent_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_org_unit_code")),
    )
    op.create_table(
        "org_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_user")),
        sa.UniqueConstraint("login", name=op.f("uq_org_user_login")),
    )
    op.create_table(
        "worker_heartbeat",
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("hostname", name=op.f("pk_worker_heartbeat")),
    )
    op.create_table(
        "org_position",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cargo", sa.Integer(), nullable=False),
        sa.Column("puesto", sa.String(length=200), nullable=False),
        sa.Column("denominacion", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=True),
        sa.Column("informs_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["informs_id"],
            ["org_position.id"],
            name=op.f("fk_org_position_informs_id_org_position"),
        ),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["org_position.id"],
            name=op.f("fk_org_position_supervisor_id_org_position"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["org_unit.id"], name=op.f("fk_org_position_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_position")),
        sa.UniqueConstraint("cargo", name=op.f("uq_org_position_cargo")),
    )
    with op.batch_alter_table("org_position", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_position_denominacion"), ["denominacion"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_org_position_supervisor_id"), ["supervisor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_org_position_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "org_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('titular', 'encargo')", name=op.f("ck_org_assignment_kind")),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_org_assignment_dates")
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["org_position.id"],
            name=op.f("fk_org_assignment_position_id_org_position"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["org_user.id"], name=op.f("fk_org_assignment_user_id_org_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_assignment")),
    )
    with op.batch_alter_table("org_assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_org_assignment_position_dates", ["position_id", "start_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_org_assignment_user_id"), ["user_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("org_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_assignment_user_id"))
        batch_op.drop_index("ix_org_assignment_position_dates")

    op.drop_table("org_assignment")
    with op.batch_alter_table("org_position", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_position_unit_id"))
        batch_op.drop_index(batch_op.f("ix_org_position_supervisor_id"))
        batch_op.drop_index(batch_op.f("ix_org_position_denominacion"))

    op.drop_table("org_position")
    op.drop_table("worker_heartbeat")
    op.drop_table("org_user")
    op.drop_table("org_unit")
    with op.batch_alter_table("org_login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_org_login_attempt_login_at")

    op.drop_table("org_login_attempt")

"""padrón de hogares: hogares, miembros, historial de estados, lotes de importación, ubigeo

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 04:27:00.221063
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "padron_import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("hogares_file", sa.String(length=255), nullable=False),
        sa.Column("hogares_sha256", sa.String(length=64), nullable=False),
        sa.Column("miembros_file", sa.String(length=255), nullable=False),
        sa.Column("miembros_sha256", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_padron_import_batch")),
        sa.UniqueConstraint(
            "kind", "hogares_sha256", "miembros_sha256", name=op.f("uq_padron_import_batch_kind")
        ),
    )
    op.create_table(
        "padron_ubigeo",
        sa.Column("ubigeo", sa.String(length=6), nullable=False),
        sa.Column("departamento", sa.String(length=60), nullable=False),
        sa.Column("provincia", sa.String(length=60), nullable=False),
        sa.Column("distrito", sa.String(length=60), nullable=False),
        sa.Column("ut_code", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("ubigeo", name=op.f("pk_padron_ubigeo")),
    )
    op.create_table(
        "padron_hogar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("co_hogar", sa.String(length=20), nullable=False),
        sa.Column("ubigeo", sa.String(length=6), nullable=False),
        sa.Column("centro_poblado", sa.String(length=150), nullable=False),
        sa.Column("ut_unit_id", sa.Integer(), nullable=False),
        sa.Column("direccion", sa.String(length=300), nullable=False),
        sa.Column("dni_titular", sa.String(length=8), nullable=False),
        sa.Column("titular_ap_paterno", sa.String(length=100), nullable=False),
        sa.Column("titular_ap_materno", sa.String(length=100), nullable=False),
        sa.Column("titular_nombres", sa.String(length=150), nullable=False),
        sa.Column("cse", sa.String(length=3), nullable=False),
        sa.Column("cse_vigencia_fin", sa.Date(), nullable=False),
        sa.Column("estado", sa.String(length=24), nullable=False),
        sa.Column("reincorporado", sa.Boolean(), nullable=False),
        sa.Column("cuenta_ep", sa.String(length=30), nullable=True),
        sa.Column("alta_batch_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cse IN ('PE', 'PNE', 'NP')", name=op.f("ck_padron_hogar_cse")),
        sa.CheckConstraint(
            "estado IN ('potencial', 'validado', 'en_espera_clasificacion', 'afiliado', "
            "'suspendido', 'desafiliado', 'egresado')",
            name=op.f("ck_padron_hogar_estado"),
        ),
        sa.ForeignKeyConstraint(
            ["ubigeo"], ["padron_ubigeo.ubigeo"], name=op.f("fk_padron_hogar_ubigeo_padron_ubigeo")
        ),
        sa.ForeignKeyConstraint(
            ["ut_unit_id"], ["org_unit.id"], name=op.f("fk_padron_hogar_ut_unit_id_org_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_padron_hogar")),
        sa.UniqueConstraint("co_hogar", name=op.f("uq_padron_hogar_co_hogar")),
    )
    with op.batch_alter_table("padron_hogar", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_padron_hogar_dni_titular"), ["dni_titular"], unique=False
        )
        batch_op.create_index(
            "ix_padron_hogar_ubigeo_cp", ["ubigeo", "centro_poblado"], unique=False
        )
        batch_op.create_index("ix_padron_hogar_ut_estado", ["ut_unit_id", "estado"], unique=False)

    op.create_table(
        "padron_hogar_estado",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hogar_id", sa.Integer(), nullable=False),
        sa.Column("estado_anterior", sa.String(length=24), nullable=True),
        sa.Column("estado_nuevo", sa.String(length=24), nullable=False),
        sa.Column("fecha", sa.DateTime(timezone=True), nullable=False),
        sa.Column("causa", sa.String(length=300), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=100), nullable=True),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hogar_id"],
            ["padron_hogar.id"],
            name=op.f("fk_padron_hogar_estado_hogar_id_padron_hogar"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_padron_hogar_estado")),
    )
    with op.batch_alter_table("padron_hogar_estado", schema=None) as batch_op:
        batch_op.create_index("ix_padron_hogar_estado_hogar", ["hogar_id", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_padron_hogar_estado_instance_id"), ["instance_id"], unique=False
        )

    op.create_table(
        "padron_miembro",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hogar_id", sa.Integer(), nullable=False),
        sa.Column("dni", sa.String(length=8), nullable=False),
        sa.Column("ap_paterno", sa.String(length=100), nullable=False),
        sa.Column("ap_materno", sa.String(length=100), nullable=False),
        sa.Column("nombres", sa.String(length=150), nullable=False),
        sa.Column("fecha_nacimiento", sa.Date(), nullable=False),
        sa.Column("sexo", sa.String(length=1), nullable=False),
        sa.Column("gestante", sa.Boolean(), nullable=False),
        sa.Column("codigo_modular_ie", sa.String(length=7), nullable=True),
        sa.Column("codigo_renipress", sa.String(length=8), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sexo IN ('F', 'M')", name=op.f("ck_padron_miembro_sexo")),
        sa.ForeignKeyConstraint(
            ["hogar_id"], ["padron_hogar.id"], name=op.f("fk_padron_miembro_hogar_id_padron_hogar")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_padron_miembro")),
        sa.UniqueConstraint("dni", name=op.f("uq_padron_miembro_dni")),
    )
    with op.batch_alter_table("padron_miembro", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_padron_miembro_hogar_id"), ["hogar_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("padron_miembro", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_padron_miembro_hogar_id"))

    op.drop_table("padron_miembro")
    with op.batch_alter_table("padron_hogar_estado", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_padron_hogar_estado_instance_id"))
        batch_op.drop_index("ix_padron_hogar_estado_hogar")

    op.drop_table("padron_hogar_estado")
    with op.batch_alter_table("padron_hogar", schema=None) as batch_op:
        batch_op.drop_index("ix_padron_hogar_ut_estado")
        batch_op.drop_index("ix_padron_hogar_ubigeo_cp")
        batch_op.drop_index(batch_op.f("ix_padron_hogar_dni_titular"))

    op.drop_table("padron_hogar")
    op.drop_table("padron_ubigeo")
    op.drop_table("padron_import_batch")

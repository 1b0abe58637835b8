"""the liquidation reads the verification's own outcome (cumplimiento_hogar; pagos_cumplimiento
folded into it and dropped), and rejected abonos can be paid again: pagos_linea gets
``rechazada``, the concept ``reabono``, primary key (liquidacion_id, hogar_id, periodo) and a
unique index (hogar_id, periodo) over the lines not rejected

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 07:40:00

Data kept: every pagos_cumplimiento row of a hogar of the padrón whose (hogar, periodo) has
no outcome in cumplimiento_hogar is copied there (where both exist, process 09's outcome
wins — it is the one the revisión adicional modifies); rows naming no hogar of the padrón
could never be paid and are dropped. pagos_linea is copied whole, with ``rechazada`` set for
the lines of the abonos the Entidad Pagadora already rejected.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

LINE_COLUMNS = "liquidacion_id, hogar_id, periodo, concepto, monto_centimos"


def _linea(concepts: str, primary: list[str], rechazada: bool) -> None:
    op.create_table(
        "pagos_linea",
        sa.Column("liquidacion_id", sa.Integer(), nullable=False),
        sa.Column("hogar_id", sa.Integer(), nullable=False),
        sa.Column("periodo", sa.String(length=7), nullable=False),
        sa.Column("concepto", sa.String(length=12), nullable=False),
        sa.Column("monto_centimos", sa.BigInteger(), nullable=False),
        *(
            [sa.Column("rechazada", sa.Boolean(), server_default=sa.false(), nullable=False)]
            if rechazada
            else []
        ),
        sa.CheckConstraint(f"concepto IN ({concepts})", name=op.f("ck_pagos_linea_concepto")),
        sa.CheckConstraint("monto_centimos > 0", name=op.f("ck_pagos_linea_monto")),
        sa.PrimaryKeyConstraint(*primary, name=op.f("pk_pagos_linea")),
    )


def upgrade() -> None:
    op.execute(
        "INSERT INTO cumplimiento_hogar (hogar_id, periodo, resultado, revisado, updated_at) "
        "SELECT p.hogar_id, p.periodo, p.resultado, "
        f"{'false' if op.get_bind().dialect.name == 'postgresql' else '0'}, p.registrado_at "
        "FROM pagos_cumplimiento p "
        "WHERE EXISTS (SELECT 1 FROM padron_hogar h WHERE h.id = p.hogar_id) "
        "AND NOT EXISTS (SELECT 1 FROM cumplimiento_hogar c "
        "WHERE c.hogar_id = p.hogar_id AND c.periodo = p.periodo)"
    )
    with op.batch_alter_table("pagos_cumplimiento", schema=None) as batch_op:
        batch_op.drop_index("ix_pagos_cumplimiento_hogar")
    op.drop_table("pagos_cumplimiento")

    op.execute(f"CREATE TABLE pagos_linea_0018 AS SELECT {LINE_COLUMNS} FROM pagos_linea")
    with op.batch_alter_table("pagos_linea", schema=None) as batch_op:
        batch_op.drop_index("ix_pagos_linea_liquidacion")
    op.drop_table("pagos_linea")
    _linea("'incentivo', 'atraso', 'reabono'", ["liquidacion_id", "hogar_id", "periodo"], True)
    op.execute(
        f"INSERT INTO pagos_linea ({LINE_COLUMNS}, rechazada) "
        f"SELECT {LINE_COLUMNS}, CASE WHEN EXISTS (SELECT 1 FROM pagos_abono a "
        "WHERE a.liquidacion_id = l.liquidacion_id AND a.hogar_id = l.hogar_id "
        "AND a.estado = 'rechazado') THEN 1 = 1 ELSE 1 = 0 END FROM pagos_linea_0018 l"
    )
    op.drop_table("pagos_linea_0018")
    op.create_index(
        "ux_pagos_linea_hogar_periodo",
        "pagos_linea",
        ["hogar_id", "periodo"],
        unique=True,
        postgresql_where=sa.text("NOT rechazada"),
        sqlite_where=sa.text("NOT rechazada"),
    )


def downgrade() -> None:
    # the former key (hogar, periodo) holds one line per period: the re-payments are kept,
    # the rejected lines they replaced are not
    op.execute(
        f"CREATE TABLE pagos_linea_0018 AS SELECT {LINE_COLUMNS} FROM pagos_linea "
        "WHERE NOT rechazada"
    )
    op.drop_index("ux_pagos_linea_hogar_periodo", table_name="pagos_linea")
    op.drop_table("pagos_linea")
    _linea("'incentivo', 'atraso'", ["hogar_id", "periodo"], False)
    op.execute(
        f"INSERT INTO pagos_linea ({LINE_COLUMNS}) SELECT liquidacion_id, hogar_id, periodo, "
        "CASE WHEN concepto = 'reabono' THEN 'atraso' ELSE concepto END, monto_centimos "
        "FROM pagos_linea_0018"
    )
    op.drop_table("pagos_linea_0018")
    with op.batch_alter_table("pagos_linea", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pagos_linea_liquidacion", ["liquidacion_id", "hogar_id"], unique=False
        )

    op.create_table(
        "pagos_cumplimiento",
        sa.Column("periodo", sa.String(length=7), nullable=False),
        sa.Column("hogar_id", sa.Integer(), nullable=False),
        sa.Column("resultado", sa.String(length=16), nullable=False),
        sa.Column("registrado_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "resultado IN ('cumplio', 'no_cumplio', 'no_verificado')",
            name=op.f("ck_pagos_cumplimiento_resultado"),
        ),
        sa.PrimaryKeyConstraint("periodo", "hogar_id", name=op.f("pk_pagos_cumplimiento")),
    )
    with op.batch_alter_table("pagos_cumplimiento", schema=None) as batch_op:
        batch_op.create_index("ix_pagos_cumplimiento_hogar", ["hogar_id", "periodo"], unique=False)
    op.execute(
        "INSERT INTO pagos_cumplimiento (periodo, hogar_id, resultado, registrado_at) "
        "SELECT periodo, hogar_id, resultado, updated_at FROM cumplimiento_hogar "
        "WHERE length(periodo) <= 7"
    )

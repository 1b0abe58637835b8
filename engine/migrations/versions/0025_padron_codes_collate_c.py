"""the padrón's codes (ubigeo, co_hogar, DNIs, código modular, RENIPRESS) compare and sort
byte by byte on PostgreSQL (COLLATE "C"): their indexes build several times faster than under
the database's linguistic collation, and they are ASCII digits and letters, not words. SQLite
compares bytes already: nothing to do there

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# table, column, length, nullable (padron_ubigeo first: padron_hogar.ubigeo refers to it)
CODES = (
    ("padron_ubigeo", "ubigeo", 6, False),
    ("padron_hogar", "co_hogar", 20, False),
    ("padron_hogar", "ubigeo", 6, False),
    ("padron_hogar", "dni_titular", 8, False),
    ("padron_miembro", "dni", 8, False),
    ("padron_miembro", "codigo_modular_ie", 7, True),
    ("padron_miembro", "codigo_renipress", 8, True),
)


def _collate(collation: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length, nullable in CODES:
        # the same type under another collation: no rewrite of the table, its indexes and
        # the constraints on the column are built again
        op.alter_column(
            table,
            column,
            type_=sa.String(length, collation=collation),
            existing_type=sa.String(length),
            existing_nullable=nullable,
        )


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")

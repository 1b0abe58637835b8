"""Shared helpers of the padrón tests: a migrated database with the organisation, and small
SISFOH files written in any encoding, delimiter and date format."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import func, select, text

from engine import migrate
from engine.db import Database
from engine.org import seed_org
from engine.padron import Hogar, HogarEstadoHistorial, ImportBatch, Miembro
from engine.padron.sisfoh import HOGARES_COLUMNS, MIEMBROS_COLUMNS

HOGARES = [
    ["H-0001", "060101", "Santa Rosa", "Jr. Amalia Puga 12", "41234567", "Quispe", "Ñaupari",
     "Rocío", "PE", "2028-12-31"],
    ["H-0002", "210101", "Chucuito Alto", "Caserío Chucuito s/n", "42345678", "Mamani",
     "Huamán", "Teófila", "PNE", "2028-06-30"],
    ["H-0003", "010401", "Nieva", "", "43456789", "Yupanqui", "", "José", "NP", "2028-01-31"],
    ["H-0004", "160201", "Munichis", "Av. Libertad 5", "44567890", "Cahuana", "Tito", "Lucía",
     "PE", "2020-01-31"],
]  # fmt: skip
MIEMBROS = [
    ["H-0001", "71234567", "Quispe", "Ñaupari", "Ángel", "2024-02-29", "M", "0"],
    ["H-0001", "41234567", "Quispe", "Ñaupari", "Rocío", "1996-05-04", "F", "1"],
    ["H-0002", "72345678", "Mamani", "Huamán", "Nélida", "2015-09-15", "F", "0"],
    ["H-0003", "73456789", "Yupanqui", "Flores", "César", "2012-01-20", "M", "0"],
    ["H-0004", "74567890", "Cahuana", "Tito", "Saúl", "2019-11-02", "M", "0"],
]  # fmt: skip


def padron_database(databases) -> Database:  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate.upgrade(url)
    db = Database(url)
    with db.write_transaction() as session:
        seed_org(session)
    return db


def csv_bytes(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    encoding: str = "utf-8",
    delimiter: str = ",",
    bom: bool = False,
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def write_pair(
    directory: Path,
    hogares: Sequence[Sequence[str]] = HOGARES,
    miembros: Sequence[Sequence[str]] = MIEMBROS,
    **options,  # type: ignore[no-untyped-def]
) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    h, m = directory / "hogares.csv", directory / "miembros.csv"
    h.write_bytes(csv_bytes(HOGARES_COLUMNS, hogares, **options))
    m.write_bytes(csv_bytes(MIEMBROS_COLUMNS, miembros, **options))
    return h, m


def dmy(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def table_counts(db: Database) -> dict[str, int]:
    with db.transaction() as s:
        return {
            model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Hogar, Miembro, HogarEstadoHistorial, ImportBatch)
        }


def scratch_tables(db: Database) -> list[str]:
    """The scratch tables of helper connections (``engine.padron.scratch``) in the database:
    none on SQLite, which has no helpers."""
    if not db.url.startswith("postgresql"):
        return []
    with db.transaction() as s:
        query = r"SELECT tablename FROM pg_tables WHERE tablename LIKE 'padron\_scratch\_%'"
        return list(s.scalars(text(query)))

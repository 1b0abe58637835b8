"""Helpers of the pagos tests: a padrón of afiliados made with the generator and the SISFOH
import, verification outcomes and accounts assigned set-based by hogar id."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import case, false, func, insert, literal, select, update

from engine import migrate
from engine.db import Database
from engine.org import seed_org
from engine.padron import Hogar, change_state, import_sisfoh
from engine.padron.generate import generate
from engine.padron.records import CumplimientoHogar as Cumplimiento

ON = date(2026, 11, 29)


def afiliados_database(url: str, households: int, seed: int, folder: Path) -> Database:
    """A migrated database whose validated hogares are afiliados; four of five have an
    account at the Entidad Pagadora (the fifth are new afiliados)."""
    migrate.upgrade(url)
    db = Database(url)
    with db.write_transaction() as s:
        seed_org(s)
    generate(households, seed, folder)
    with db.write_transaction() as s:
        import_sisfoh(s, folder / "hogares.csv", folder / "miembros.csv", on=ON)
        change_state(s, select(Hogar.id).where(Hogar.estado == "validado"), "afiliado", "prueba")
        s.execute(
            update(Hogar)
            .where(Hogar.estado == "afiliado", Hogar.id % 5 != 0)
            .values(cuenta_ep=literal("04-") + Hogar.co_hogar)
        )
    return db


def verify(db: Database, periodo: str, shift: int = 0) -> None:
    """Outcomes of ``periodo`` for every afiliado, written where process 09 writes them
    (``cumplimiento_hogar``): by (id + shift) mod 10, seven cumplió, two no cumplió, one no
    verificado."""
    key = (Hogar.id + shift) % 10
    outcome = case((key < 7, "cumplio"), (key < 9, "no_cumplio"), else_="no_verificado")
    with db.write_transaction() as s:
        s.execute(
            insert(Cumplimiento).from_select(
                ["periodo", "hogar_id", "resultado", "revisado"],
                select(literal(periodo), Hogar.id, outcome, false()).where(
                    Hogar.estado == "afiliado"
                ),
            )
        )


def expected(db: Database, periodo: str) -> dict[str, int]:
    """What the default rules should pay in ``periodo``, counted independently: a new
    afiliado (no account, no opening requested before) 200 soles; any other, 200 if it
    cumplió."""
    from engine.pagos import SolicitudCuenta

    nuevo = Hogar.cuenta_ep.is_(None) & Hogar.id.not_in(select(SolicitudCuenta.hogar_id))
    with db.transaction() as s:
        rows = s.execute(
            select(nuevo, Cumplimiento.resultado, func.count())
            .outerjoin(
                Cumplimiento,
                (Cumplimiento.hogar_id == Hogar.id) & (Cumplimiento.periodo == periodo),
            )
            .where(Hogar.estado == "afiliado")
            .group_by(nuevo, Cumplimiento.resultado)
        ).all()
    paid = sum(n for nuevo, res, n in rows if nuevo or res == "cumplio")
    return {"hogares": paid, "total_centimos": paid * 20000}


def ensure_afiliados(db: Database, households: int, seed: int, folder: Path) -> None:
    """Gives an existing database (the process walks') a padrón of afiliados, once."""
    with db.transaction() as s:
        if s.scalar(select(func.count()).where(Hogar.estado == "afiliado")):
            return
    generate(households, seed, folder)
    with db.write_transaction() as s:
        import_sisfoh(s, folder / "hogares.csv", folder / "miembros.csv", on=ON)
        change_state(s, select(Hogar.id).where(Hogar.estado == "validado"), "afiliado", "prueba")
        s.execute(
            update(Hogar)
            .where(Hogar.estado == "afiliado", Hogar.id % 5 != 0)
            .values(cuenta_ep=literal("04-") + Hogar.co_hogar)
        )

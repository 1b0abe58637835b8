"""Migration 0018 keeps the data: the outcomes of pagos_cumplimiento land in
cumplimiento_hogar (process 09's outcome wins where both exist), the liquidation lines are
kept with ``rechazada`` set for the abonos already rejected; and down again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, text

from engine import migrate
from engine.db import Database
from engine.org import seed_org
from engine.padron import Hogar, import_sisfoh
from engine.padron.generate import generate

NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _rows(db: Database, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    with db.transaction() as s:
        return [tuple(r) for r in s.execute(text(sql))]


def test_0018_keeps_outcomes_and_lines(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = databases.new()
    migrate.upgrade(url, "0016")
    db = Database(url)
    with db.write_transaction() as s:
        seed_org(s)
    generate(12, 5, tmp_path)
    with db.write_transaction() as s:
        import_sisfoh(s, tmp_path / "hogares.csv", tmp_path / "miembros.csv", "prueba")
        a, b, c = s.scalars(select(Hogar.id).order_by(Hogar.id).limit(3)).all()
        outcomes = [(a, "cumplio"), (b, "no_verificado"), (999_999, "cumplio")]
        for hogar, resultado in outcomes:
            s.execute(
                text(
                    "INSERT INTO pagos_cumplimiento (periodo, hogar_id, resultado, registrado_at) "
                    "VALUES ('2026-B5', :h, :r, :t)"
                ),
                {"h": hogar, "r": resultado, "t": NOW},
            )
        s.execute(  # process 09 already said otherwise for b: its outcome stays
            text(
                "INSERT INTO cumplimiento_hogar (hogar_id, periodo, resultado, revisado, "
                "updated_at) VALUES (:h, '2026-B5', 'cumplio', :f, :t)"
            ),
            {"h": b, "f": True, "t": NOW},
        )
        for hogar, estado in ((a, "abonado"), (c, "rechazado")):
            s.execute(
                text(
                    "INSERT INTO pagos_linea (hogar_id, periodo, liquidacion_id, concepto, "
                    "monto_centimos) VALUES (:h, '2026-B5', 1, 'incentivo', 20000)"
                ),
                {"h": hogar},
            )
            s.execute(
                text(
                    "INSERT INTO pagos_abono (liquidacion_id, hogar_id, monto_centimos, periodos, "
                    "apertura, estado) VALUES (1, :h, 20000, '2026-B5', :f, :e)"
                ),
                {"h": hogar, "f": False, "e": estado},
            )
    db.dispose()

    migrate.upgrade(url)
    db = Database(url)
    assert sorted(
        _rows(db, "SELECT hogar_id, resultado FROM cumplimiento_hogar WHERE periodo = '2026-B5'")
    ) == sorted([(a, "cumplio"), (b, "cumplio")])
    lines = _rows(db, "SELECT hogar_id, concepto, monto_centimos, rechazada FROM pagos_linea")
    assert sorted((h, k, m, bool(r)) for h, k, m, r in lines) == sorted(
        [(a, "incentivo", 20000, False), (c, "incentivo", 20000, True)]
    )
    db.dispose()

    migrate.downgrade(url, "0016")
    db = Database(url)
    assert sorted(_rows(db, "SELECT hogar_id, resultado FROM pagos_cumplimiento")) == sorted(
        [(a, "cumplio"), (b, "cumplio")]
    )
    assert _rows(db, "SELECT hogar_id FROM pagos_linea") == [(a,)]  # the rejected line left
    db.dispose()

"""Pagos benchmark (issue 4, process 11): liquidation of a period — cierre del padrón →
incentive per hogar (decision table) → order lines → payment-order file — on SQLite and
PostgreSQL: wall time per phase and the peak RSS of this process (the liquidation is SQL
over the whole padrón and the file is streamed: RSS must not grow with the padrón).

In the same run, a naive liquidation — per-row ORM: for each afiliado look its outcome up,
decide its amount in Python, check it was not paid, add its line, flush; then one query per
hogar to write the file — over a smaller slice, and the ratio of hogares per second.

The padrón is seeded set-based (INSERT … SELECT over a generated series: afiliados spread
over the UTs' real ubigeos, one in five without account, outcomes 7/2/1 of 10), not through
the SISFOH import, which is measured by bench/padron.py.

    python bench/pagos.py            # 20,000 hogares, < 1 minute
    python bench/pagos.py --full     # 1,000,000 hogares
    python bench/pagos.py --pg postgresql+psycopg://juntos:juntos@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, fresh_database, peak_rss_mb
from engine.db import Database
from engine.padron import Hogar
from engine.padron.geography import ut_unit_ids
from engine.padron.records import CumplimientoHogar as Cumplimiento
from engine.pagos import Cierre, Linea, cerrar_padron, generar_orden, liquidar
from engine.pagos.reglas import load_rules

PERIODO = "2026-B6"


SEED_SQL = """
INSERT INTO padron_hogar (co_hogar, ubigeo, centro_poblado, ut_unit_id, direccion,
    dni_titular, titular_ap_paterno, titular_ap_materno, titular_nombres, cse,
    cse_vigencia_fin, estado, reincorporado, cuenta_ep, created_at, updated_at)
SELECT {code}, g.ubigeo, 'Centro Poblado ' || (s.i % 37), g.ut_unit_id, 'Caserío s/n',
    {dni}, 'Quispe', 'Mamani', 'Rosa', 'PE', '2029-12-31', 'afiliado', {false},
    CASE WHEN s.i % 5 = 0 THEN NULL ELSE '04-' || {code} END, {now}, {now}
FROM {series} JOIN bench_geo g ON g.n = s.i % {geo}
"""


def seed(db: Database, households: int) -> float:
    """Afiliados and their outcomes for the period, set-based."""
    start = time.perf_counter()
    with db.write_transaction() as s:
        postgres = s.get_bind().dialect.name == "postgresql"
        units = ut_unit_ids(s)
        geo = [
            (u, units[ut])
            for u, ut in s.execute(text("SELECT ubigeo, ut_code FROM padron_ubigeo")).all()
            if ut
        ]
        s.execute(
            text("CREATE TEMPORARY TABLE bench_geo (n INTEGER, ubigeo TEXT, ut_unit_id INTEGER)")
        )
        s.execute(
            text("INSERT INTO bench_geo VALUES (:n, :u, :ut)"),
            [{"n": n, "u": u, "ut": ut} for n, (u, ut) in enumerate(geo)],
        )
        if postgres:
            parts = {
                "code": "lpad(s.i::text, 10, '0')",
                "dni": "lpad((10000000 + s.i)::text, 8, '0')",
                "false": "false",
                "now": "now()",
                "series": f"generate_series(1, {households}) AS s(i)",
            }
        else:
            parts = {
                "code": "printf('%010d', s.i)",
                "dni": "printf('%08d', 10000000 + s.i)",
                "false": "0",
                "now": "datetime('now')",
                "series": f"(WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r "
                f"WHERE i < {households}) SELECT i FROM r) AS s",
            }
        s.execute(text(SEED_SQL.format(geo=len(geo), **parts)))
        s.execute(
            text(
                "INSERT INTO cumplimiento_hogar (periodo, hogar_id, resultado, revisado, "
                "updated_at) "
                "SELECT :p, id, CASE WHEN CAST(co_hogar AS INTEGER) % 10 < 7 THEN 'cumplio' "
                "WHEN CAST(co_hogar AS INTEGER) % 10 < 9 THEN 'no_cumplio' "
                f"ELSE 'no_verificado' END, {parts['false']}, {parts['now']} FROM padron_hogar"
            ),
            {"p": PERIODO},
        )
        s.execute(text("DROP TABLE bench_geo"))
    if postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - start


def set_based(db: Database, folder: Path) -> dict[str, Any]:
    start = time.perf_counter()
    with db.write_transaction() as s:
        cierre = cerrar_padron(s, PERIODO)
        t_cierre = time.perf_counter() - start
        result = liquidar(s, PERIODO)
    t_liquidar = time.perf_counter() - start - t_cierre
    with db.write_transaction() as s:
        orden = generar_orden(s, PERIODO, directorio=folder)
    seconds = time.perf_counter() - start
    return {
        "afiliados": cierre["afiliados"],
        "hogares_pagados": result["hogares"],
        "total_centimos": result["total_centimos"],
        "seconds": round(seconds, 2),
        "phases_s": {
            "cierre": round(t_cierre, 2),
            "liquidacion": round(t_liquidar, 2),
            "orden": round(seconds - t_cierre - t_liquidar, 2),
        },
        "hogares_per_s": round(cierre["afiliados"] / seconds),
        "orden_mb": round(Path(orden["archivo"]).stat().st_size / 2**20, 1),
        "peak_rss_mb": peak_rss_mb(),
    }


def _naive_amount(rules: dict[str, Any], nuevo: bool, resultado: str) -> int:
    for rule in rules["reglas"]:
        if (
            rule.get("nuevo_afiliado", nuevo) == nuevo
            and rule.get("resultado", resultado) == resultado
        ):
            return int(rule["monto_centimos"])
    return 0


NAIVE_LIQUIDACION = text(
    "INSERT INTO pagos_liquidacion (periodo, estado, reglas, cierre, liquidacion, hogares, "
    "total_centimos, conciliacion, created_at, updated_at) VALUES ('1999-B1', 'liquidado', "
    "'{}', '{}', '{}', 0, 0, '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"
)


def _naive_line(s, rules: dict[str, Any], hogar_id: int, liq_id: int) -> None:  # type: ignore[no-untyped-def]
    hogar = s.get(Hogar, hogar_id)
    outcome = s.scalar(
        select(Cumplimiento).where(
            Cumplimiento.hogar_id == hogar_id, Cumplimiento.periodo == PERIODO
        )
    )
    resultado = outcome.resultado if outcome else "no_verificado"
    nuevo = hogar.cuenta_ep is None
    s.add(
        Cierre(
            liquidacion_id=liq_id,
            hogar_id=hogar_id,
            resultado=resultado,
            nuevo_afiliado=nuevo,
            cuenta=hogar.cuenta_ep,
            dni_titular=hogar.dni_titular,
        )
    )
    amount = _naive_amount(rules, nuevo, resultado)
    paid = select(Linea.hogar_id).where(
        Linea.hogar_id == hogar_id, Linea.periodo == "1999-B1", Linea.rechazada.is_(False)
    )
    if amount and s.scalar(paid) is None:
        s.add(
            Linea(
                hogar_id=hogar_id,
                periodo="1999-B1",
                liquidacion_id=liq_id,
                concepto="incentivo",
                monto_centimos=amount,
            )
        )
    s.flush()


def naive(db: Database, folder: Path, households: int) -> dict[str, Any]:
    """Per-row ORM over the first ``households`` afiliados (no arrears), rolled back."""
    rules = load_rules()
    start = time.perf_counter()
    with db.write_transaction() as s:
        ids = list(
            s.scalars(
                select(Hogar.id)
                .where(Hogar.estado == "afiliado")
                .order_by(Hogar.id)
                .limit(households)
            )
        )
        liq_id = s.execute(NAIVE_LIQUIDACION).scalar_one()
        for hogar_id in ids:
            _naive_line(s, rules, hogar_id, liq_id)
        with (folder / "naive.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            for hogar_id in ids:
                line = s.get(Linea, (liq_id, hogar_id, "1999-B1"))
                if line is not None:
                    hogar = s.get(Hogar, hogar_id)
                    writer.writerow(
                        [hogar.co_hogar, hogar.dni_titular, hogar.cuenta_ep, line.monto_centimos]
                    )
        s.rollback()
    seconds = time.perf_counter() - start
    return {
        "hogares": len(ids),
        "seconds": round(seconds, 2),
        "hogares_per_s": round(len(ids) / seconds),
    }


def backend(name: str, pg: str | None, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    db, url = fresh_database(pg, folder)
    try:
        seeded = seed(db, args.households)
        print(f"{name}: seeded {args.households} afiliados set-based in {seeded:.1f} s")
        fast = set_based(db, folder)
        print(
            f"(a) {name}: liquidation of {fast['afiliados']} afiliados (cierre → order file) "
            f"in {fast['seconds']} s = {fast['hogares_per_s']}/s; phases {fast['phases_s']}; "
            f"paid {fast['hogares_pagados']} hogares, {fast['total_centimos']} céntimos; "
            f"peak RSS {fast['peak_rss_mb']} MB"
        )
        slow = naive(db, folder, args.naive)
    finally:
        db.dispose()
        drop_database(pg, url)
    ratio = round(fast["hogares_per_s"] / slow["hogares_per_s"], 1)
    print(
        f"(b) {name}: naive ORM {slow['hogares']} hogares in {slow['seconds']} s = "
        f"{slow['hogares_per_s']}/s; set-based is {ratio}x faster"
    )
    return {"seed_s": round(seeded, 2), **fast, "naive": slow, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 hogares")
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL to measure too")
    parser.add_argument("--households", type=int, default=None, help="override the size")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    args.households = args.households or (1_000_000 if args.full else 20_000)
    args.naive = 20_000 if args.full else 2_000
    figures: dict[str, Any] = {"households": args.households, "periodo": PERIODO}
    with tempfile.TemporaryDirectory() as tmp:
        backends = [] if args.no_sqlite else [("sqlite", None)]
        backends += [("postgresql", args.pg)] if args.pg else []
        for name, pg in backends:
            figures[name] = backend(name, pg, Path(tmp), args)
    figures["peak_rss_mb"] = peak_rss_mb()
    print(f"peak RSS: {figures['peak_rss_mb']} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

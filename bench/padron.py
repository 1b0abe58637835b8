"""Padrón benchmark (issue 4): synthetic population and SISFOH import.

(a) ``juntos padron generate``: households per second;
(b) the SISFOH import: rows per second, rows being hogares + miembros. SQLite: parse and
    check each value in Python, stage with executemany, then set-based SQL. PostgreSQL: the
    files go to COPY as they are (the server parses them) into raw text tables, both at
    once on helper connections; into an empty padrón (as here) the first load then checks
    and inserts each table with one INSERT … SELECT — the members' rows checked and
    prepared by a helper while the import's transaction inserts the hogares and their
    history —, builds the padrón's secondary indexes after the rows and skips the
    foreign-key triggers for what the checks proved; the phases (s) say where the time
    went. Then the first validation and the segmentation;
(b') on PostgreSQL, the same import with everything in the import's own connection (no
    helper connections), and the ratio (b')/(b);
(c) in the same run, a naive import — per-row ORM: look each hogar and member up, add it,
    flush — over a slice of the same files, and the ratio (b)/(c);
and the peak RSS of the process (the import streams: it must not grow with the file).
Wall times depend on what else the machine runs; the CPU seconds of this process (the
generator; the import's parsing and checks — the database server's work is not in them) say
how much of a wall time was spent here. Print ``uptime`` next to the figures: the machine is
shared.

    python bench/padron.py            # 10,000 households, < 1 minute
    python bench/padron.py --full     # 1,000,000 households (~2.5M members)
    python bench/padron.py --pg postgresql+psycopg://juntos:juntos@127.0.0.1:5432/postgres

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import drop_database, fresh_database, peak_rss_mb
from engine.clock import today
from engine.db import Database, utcnow
from engine.org import Unit
from engine.padron import Hogar, HogarEstadoHistorial, Miembro, districts, import_sisfoh, sisfoh
from engine.padron.apply import ELEGIBLE_CSE
from engine.padron.generate import generate


def set_based(db: Database, folder: Path) -> dict[str, Any]:
    cpu, start = time.process_time(), time.perf_counter()
    with db.write_transaction() as session:
        result = import_sisfoh(session, folder / "hogares.csv", folder / "miembros.csv")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows = result.counts["hogares_filas"] + result.counts["miembros_filas"]
    again = time.perf_counter()
    with db.write_transaction() as session:
        assert import_sisfoh(
            session, folder / "hogares.csv", folder / "miembros.csv"
        ).already_imported
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "client_cpu_s": round(cpu, 2),
        "validados": result.counts["validados"],
        "phases_s": result.phases,
        "reimport_same_files_s": round(time.perf_counter() - again, 2),
    }


def _naive_hogar(session, row: dict[str, str], unit_ids: dict[str, int], on: date) -> None:  # type: ignore[no-untyped-def]
    hogar = session.scalar(select(Hogar).where(Hogar.co_hogar == row["co_hogar"]))
    if hogar is None:
        hogar = Hogar(co_hogar=row["co_hogar"], estado="potencial", reincorporado=False)
        session.add(hogar)
    vigencia = date.fromisoformat(row["cse_vigencia_fin"])
    hogar.ubigeo = row["ubigeo"]
    hogar.ut_unit_id = unit_ids[districts()[row["ubigeo"]].ut_code]
    hogar.centro_poblado, hogar.direccion = row["centro_poblado"], row["direccion"]
    hogar.dni_titular, hogar.titular_nombres = row["dni_titular"], row["nombres"]
    hogar.titular_ap_paterno, hogar.titular_ap_materno = row["ap_paterno"], row["ap_materno"]
    hogar.cse, hogar.cse_vigencia_fin = row["cse"], vigencia
    if row["cse"] in ELEGIBLE_CSE and vigencia >= on:
        hogar.estado = "validado"
    session.flush()
    session.add(
        HogarEstadoHistorial(
            hogar_id=hogar.id, estado_nuevo=hogar.estado, causa="naive", fecha=utcnow()
        )
    )


def _naive_miembro(session, row: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    hogar_id = session.scalar(select(Hogar.id).where(Hogar.co_hogar == row["co_hogar"]))
    miembro = session.scalar(select(Miembro).where(Miembro.dni == row["dni"]))
    if miembro is None:
        miembro = Miembro(dni=row["dni"])
        session.add(miembro)
    miembro.hogar_id = hogar_id
    miembro.ap_paterno, miembro.ap_materno = row["ap_paterno"], row["ap_materno"]
    miembro.nombres, miembro.sexo = row["nombres"], row["sexo"]
    miembro.fecha_nacimiento = date.fromisoformat(row["fecha_nacimiento"])
    miembro.gestante = row["gestante"] == "1"
    miembro.codigo_modular_ie = row["codigo_modular_ie"] or None
    miembro.codigo_renipress = row["codigo_renipress"] or None
    session.flush()


def naive(db: Database, folder: Path, households: int) -> dict[str, Any]:
    """The per-row ORM baseline over the first ``households`` hogares and their members."""
    start = time.perf_counter()
    rows, on = 0, today()
    with db.write_transaction() as session:
        unit_ids = dict(session.execute(select(Unit.code, Unit.id)).all())
        codes: set[str] = set()
        with (folder / "hogares.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if len(codes) == households:
                    break
                _naive_hogar(session, row, unit_ids, on)
                codes.add(row["co_hogar"])
                rows += 1
        with (folder / "miembros.csv").open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if row["co_hogar"] not in codes:
                    break  # members come in hogar order
                _naive_miembro(session, row)
                rows += 1
    seconds = time.perf_counter() - start
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds)}


def _set_based_on_fresh(pg: str | None, folder: Path) -> dict[str, Any]:
    db, url = fresh_database(pg, folder)
    try:
        return set_based(db, folder)
    finally:
        db.dispose()
        drop_database(pg, url)


def one_connection(pg: str, folder: Path) -> dict[str, Any]:
    """(b) again without helper connections (``engine.padron.scratch``): everything in the
    import's own connection, the baseline of the helpers."""
    saved = sisfoh.CONCURRENT_FROM_BYTES
    sisfoh.CONCURRENT_FROM_BYTES = sys.maxsize
    try:
        return _set_based_on_fresh(pg, folder)
    finally:
        sisfoh.CONCURRENT_FROM_BYTES = saved


def backend(name: str, pg: str | None, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    fast = _set_based_on_fresh(pg, folder)
    print(f"(b) {name}: import {fast['rows']} rows in {fast['seconds']} s = {fast['rows_per_s']}/s")
    print(f"    client CPU {fast['client_cpu_s']} s; phases (s): {fast['phases_s']}")
    extra: dict[str, Any] = {}
    if pg:
        one = one_connection(pg, folder)
        extra = {"one_connection": one, "helpers_ratio": round(one["seconds"] / fast["seconds"], 2)}
        print(
            f"    one connection: {one['seconds']} s = {one['rows_per_s']}/s; with helpers "
            f"{extra['helpers_ratio']}x faster; phases (s): {one['phases_s']}"
        )
    db, url = fresh_database(pg, folder)
    try:
        slow = naive(db, folder, args.naive)
    finally:
        db.dispose()
        drop_database(pg, url)
    ratio = round(fast["rows_per_s"] / slow["rows_per_s"], 1)
    print(
        f"(c) {name}: naive ORM {slow['rows']} rows in {slow['seconds']} s = "
        f"{slow['rows_per_s']}/s; set-based is {ratio}x faster"
    )
    return {**{f"import_{k}": v for k, v in fast.items()}, **extra, "naive": slow, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 households")
    parser.add_argument("--pg", default=None, help="a PostgreSQL server URL to measure too")
    parser.add_argument("--households", type=int, default=None, help="override the size")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    args = parser.parse_args()
    args.households = args.households or (1_000_000 if args.full else 10_000)
    args.naive = 10_000 if args.full else 1_000
    figures: dict[str, Any] = {"households": args.households}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cpu, start = time.process_time(), time.perf_counter()
        counts = generate(args.households, 2026, folder)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        print(
            f"(a) generate: {counts.hogares} hogares, {counts.miembros} miembros "
            f"in {seconds:.1f} s ({cpu:.1f} s of CPU)"
        )
        figures |= {
            "members": counts.miembros,
            "generate_s": round(seconds, 2),
            "generate_cpu_s": round(cpu, 2),
            "generate_households_per_s": round(counts.hogares / seconds),
        }
        backends = [] if args.no_sqlite else [("sqlite", None)]
        backends += [("postgresql", args.pg)] if args.pg else []
        for name, pg in backends:
            figures[name] = backend(name, pg, folder, args)
    figures["peak_rss_mb"] = peak_rss_mb()
    print(f"peak RSS: {figures['peak_rss_mb']} MB")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

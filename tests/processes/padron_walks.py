"""A small generated padrón in the walks' database, shared by the walks of processes 07–10:
the same seed gives the same files, so importing them again (here or through process 07)
changes nothing."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, func, or_, select

from engine import runtime
from engine.clock import today
from engine.db import Database
from engine.errors import ValidationError
from engine.org.models import Unit
from engine.padron import Hogar, Miembro, change_state, import_sisfoh, member_kind, verificacion
from engine.padron.generate import generate
from engine.padron.records import AcvHogar, VerificacionMiembro
from engine.runtime.store import load_run
from engine.taskwork import add_attachment
from tests.processes.support import Walk
from tests.test_padron_support import write_pair

ROOT = Path(__file__).resolve().parents[2]
FILES = ROOT / "var" / "padron-walks"
HOUSEHOLDS, SEED = 300, 41


def padron_files() -> tuple[Path, Path]:
    hogares, miembros = FILES / "hogares.csv", FILES / "miembros.csv"
    if not hogares.exists():
        generate(HOUSEHOLDS, SEED, FILES)
    return hogares, miembros


@cache
def reserved_places() -> tuple[tuple[str, str], ...]:
    """The four centros poblados with most hogares in the files: kept for process 07's ACVs."""
    with padron_files()[0].open(encoding="utf-8") as f:
        places = Counter((r["ubigeo"], r["centro_poblado"]) for r in csv.DictReader(f))
    return tuple(p for p, _n in sorted(places.items(), key=lambda i: (-i[1], i[0]))[:4])


def _in_reserved():  # type: ignore[no-untyped-def]
    return or_(*[and_(Hogar.ubigeo == u, Hogar.centro_poblado == c) for u, c in reserved_places()])


def ensure_padron(db: Database) -> None:
    """The generated padrón imported, and its validados outside the reserved centros
    poblados affiliated by earlier ACVs."""
    hogares, miembros = padron_files()
    with db.write_transaction() as s:
        import_sisfoh(s, hogares, miembros, "pruebas")
        earlier = select(Hogar.id).where(
            Hogar.estado == "validado",
            ~_in_reserved(),
            ~exists().where(AcvHogar.hogar_id == Hogar.id),
        )
        change_state(s, earlier, "afiliado", "Afiliado en una ACV anterior (datos de prueba)")


def attach(walk: Walk, element_id: str, login: str, name: str, content: bytes) -> int:
    """``login`` attaches a file to the open task ``element_id``; returns its number."""
    task_id = walk.task(element_id).id
    with walk.db.write_transaction() as s:
        return add_attachment(s, task_id, runtime.actor_for_login(s, login), name, content).id


def ut_code(db: Database, unit_id: int) -> str:
    with db.transaction() as s:
        return s.scalar(select(Unit.code).where(Unit.id == unit_id)) or ""


def place_with_validados(db: Database, minimum: int, skip: int = 0) -> tuple[str, str, str]:
    """(ubigeo, centro poblado, UT code) of a place with validados not yet in an ACV."""
    with db.transaction() as s:
        ubigeo, cp, ut = s.execute(
            select(Hogar.ubigeo, Hogar.centro_poblado, Hogar.ut_unit_id)
            .where(
                Hogar.estado == "validado",
                _in_reserved(),
                ~exists().where(AcvHogar.hogar_id == Hogar.id),
            )
            .group_by(Hogar.ubigeo, Hogar.centro_poblado, Hogar.ut_unit_id)
            .having(func.count() >= minimum)
            .order_by(func.count().desc(), Hogar.ubigeo, Hogar.centro_poblado)
            .offset(skip)
            .limit(1)
        ).one()
    return ubigeo, cp, ut_code(db, ut)


def member_codes(db: Database, co_hogar: str) -> list[dict[str, str]]:
    """IE and EESS for every miembro objetivo of the hogar (as the Gestor Local records)."""
    with db.transaction() as s:
        members = s.scalars(
            select(Miembro)
            .join(Hogar, Hogar.id == Miembro.hogar_id)
            .where(Hogar.co_hogar == co_hogar)
        ).all()
        return [
            {"dni": m.dni, "codigo_modular_ie": "0200011", "codigo_renipress": "00000021"}
            for m in members
            if member_kind(m.fecha_nacimiento, m.gestante, today())
        ]


def closed_period(db: Database, periodo: str) -> None:
    """A verification period closed directly through the module (for process 10's walks):
    the first third of the members with a format did not comply, the rest complied."""
    with db.write_transaction() as s:
        try:
            verificacion.periodo_de(s, periodo)
            return
        except ValidationError:  # not extracted yet
            pass
    ensure_padron(db)
    with db.write_transaction() as s:
        verificacion.extraer(s, periodo, today(), 0)
        row = verificacion.periodo_de(s, periodo)
        pairs = s.execute(
            select(VerificacionMiembro.formato_id, Miembro.dni)
            .join(Miembro, Miembro.id == VerificacionMiembro.miembro_id)
            .where(
                VerificacionMiembro.periodo_id == row.id,
                VerificacionMiembro.formato_id.is_not(None),
            )
            .order_by(Miembro.dni)
        ).all()
        third = len(pairs) // 3
        entries = [
            {"formato_id": f, "dni": d, "resultado": "no_cumplio" if n < third else "cumplio"}
            for n, (f, d) in enumerate(pairs)
        ]
        verificacion.registrar_resultados(s, periodo, entries)
        verificacion.calcular(s, periodo)


def task_data(walk: Walk, element_id: str) -> dict[str, Any]:
    """The data the open task ``element_id`` sees (results of the service tasks before it)."""
    uuid = walk.task(element_id).task_uuid
    with walk.db.write_transaction() as s:
        run = load_run(s, walk.id, None)
        return dict(run.workflow.get_task_from_id(UUID(uuid)).data)


def acv_place(db: Database, tag: str, hogares: int) -> tuple[str, str, str]:
    """A SISFOH relación of ``hogares`` validated hogares in one centro poblado of
    Cajamarca (the generated padrón spreads hogares too thinly for an ACV), imported once;
    returns (ubigeo, centro poblado, UT code)."""
    ensure_padron(db)
    ubigeo, cp = "060101", f"Santa Rosa {tag}"
    born_child = (today() - timedelta(days=400)).isoformat()
    born_school = (today() - timedelta(days=3650)).isoformat()
    base = 30_000_000 + 100 * sum(map(ord, tag)) % 1_000_000 * 10
    h_rows, m_rows = [], []
    for i in range(hogares):
        co = f"W{tag}-{i:03d}"
        h_rows.append([co, ubigeo, cp, "", f"{base + 10 * i:08d}", "Cruz", "Vega", "Ana", "PE",
                       "2030-12-31"])  # fmt: skip
        m_rows.append(
            [co, f"{base + 10 * i + 1:08d}", "Cruz", "Vega", "Luis", born_child, "M", "0"]
        )
        m_rows.append(
            [co, f"{base + 10 * i + 2:08d}", "Cruz", "Vega", "Rosa", born_school, "F", "0"]
        )
    folder = FILES / f"acv-{tag}"
    h, m = write_pair(folder, h_rows, m_rows)
    with db.write_transaction() as s:
        import_sisfoh(s, h, m, "pruebas")
    return ubigeo, cp, "UT-CAJ"

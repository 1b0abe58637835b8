"""The districts of Peru (INEI ubigeo) and the Unidad Territorial whose ámbito holds each.

``data/ubigeo-inei.csv`` is INEI's list of the 1,874 districts, copied unchanged;
``data/ut-ambito.csv`` maps a department (2 digits) or a province (4 digits) to a UT: the
longest prefix wins, so Amazonas and Loreto are split by province. Districts under no prefix
(Lima, Arequipa, …) are outside every UT. Both files ship with the package; nothing is read
from outside it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import DomainError
from engine.org.models import Unit
from engine.padron.models import Ubigeo


@dataclass(frozen=True)
class District:
    ubigeo: str
    departamento: str
    provincia: str
    distrito: str
    ut_code: str | None


def _read(name: str) -> list[dict[str, str]]:
    text = resources.files("engine.padron").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def ut_prefixes() -> dict[str, str]:
    """Prefix (department or province code) → UT code."""
    return {r["prefijo"]: r["ut_code"] for r in _read("ut-ambito.csv")}


def ut_for(ubigeo: str) -> str | None:
    prefixes = ut_prefixes()
    return prefixes.get(ubigeo[:4]) or prefixes.get(ubigeo[:2])


@cache
def districts() -> dict[str, District]:
    """Every district by ubigeo, in INEI order."""
    return {
        r["Ubigeo"]: District(
            ubigeo=r["Ubigeo"],
            departamento=r["Departamento"].strip(),
            provincia=r["Provincia"].strip(),
            distrito=r["Distrito"].strip(),
            ut_code=ut_for(r["Ubigeo"]),
        )
        for r in _read("ubigeo-inei.csv")
    }


def ensure_geography(session: Session) -> int:
    """Loads or corrects the ``padron_ubigeo`` catalogue; returns how many rows it wrote
    (0 when the table already matches the package's files)."""
    stored = {u.ubigeo: u for u in session.scalars(select(Ubigeo))}
    written = 0
    for d in districts().values():
        row = stored.get(d.ubigeo)
        values = (d.departamento, d.provincia, d.distrito, d.ut_code)
        if row is None:
            row = Ubigeo(ubigeo=d.ubigeo)
            session.add(row)
        elif (row.departamento, row.provincia, row.distrito, row.ut_code) == values:
            continue
        row.departamento, row.provincia, row.distrito, row.ut_code = values
        written += 1
    session.flush()
    return written


def ut_unit_ids(session: Session) -> dict[str, int]:
    """UT code → org_unit id; refuses when the organisation is not loaded yet."""
    ids = dict(session.execute(select(Unit.code, Unit.id).where(Unit.kind == "territorial")).all())
    missing = sorted(set(ut_prefixes().values()) - set(ids))
    if missing:
        raise DomainError(
            "la organización no está cargada (faltan las Unidades Territoriales "
            f"{', '.join(missing)}): ejecute 'juntos init'"
        )
    return ids

"""Reads the reviewed reference files of the organisation (derived once from the manual).

``data/units.csv`` lists the units of Title II.1 and III; ``data/positions.csv`` lists the
1,852 plazas of Title III with their supervisor along the lines of authority of Title IV.C.
Both are checked here before anything is written, so a bad edit is refused whole.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources

UNIT_KINDS = (
    "executive",
    "coordination",
    "control",
    "internal_administration",
    "technical",
    "territorial",
)


class ReferenceDataError(ValueError):
    """The reference files are inconsistent; the message names file, line and field."""


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    parent_code: str | None
    manual_section: str
    external_authority: str


@dataclass(frozen=True)
class PositionRow:
    cargo: int
    puesto: str
    denominacion: str
    unit_code: str
    supervisor_cargo: int | None
    informs_cargo: int | None


def _rows(name: str) -> list[tuple[int, dict[str, str]]]:
    text = resources.files("engine.org").joinpath("data", name).read_text(encoding="utf-8")
    return [(n, row) for n, row in enumerate(csv.DictReader(text.splitlines()), start=2)]


def _cargo(value: str, where: str) -> int | None:
    if value == "":
        return None
    if not value.isdigit():
        raise ReferenceDataError(f"{where}: '{value}' no es un número de cargo")
    return int(value)


def load_units() -> list[UnitRow]:
    units: list[UnitRow] = []
    for line, r in _rows("units.csv"):
        where = f"units.csv línea {line}"
        if r["kind"] not in UNIT_KINDS:
            raise ReferenceDataError(f"{where}, kind: '{r['kind']}' no es un tipo de unidad")
        units.append(
            UnitRow(
                code=r["code"],
                name=r["name"],
                kind=r["kind"],
                parent_code=r["parent_code"] or None,
                manual_section=r["manual_section"],
                external_authority=r["external_authority"],
            )
        )
    codes = {u.code for u in units}
    for u in units:
        if u.parent_code and u.parent_code not in codes:
            raise ReferenceDataError(
                f"units.csv {u.code}, parent_code: '{u.parent_code}' no existe"
            )
    return units


def load_positions(unit_codes: set[str]) -> list[PositionRow]:
    positions: list[PositionRow] = []
    for line, r in _rows("positions.csv"):
        where = f"positions.csv línea {line}"
        if r["unit_code"] not in unit_codes:
            raise ReferenceDataError(f"{where}, unit_code: '{r['unit_code']}' no existe")
        positions.append(
            PositionRow(
                cargo=_cargo(r["cargo"], f"{where}, cargo") or 0,
                puesto=r["puesto"],
                denominacion=r["denominacion"],
                unit_code=r["unit_code"],
                supervisor_cargo=_cargo(r["supervisor_cargo"], f"{where}, supervisor_cargo"),
                informs_cargo=_cargo(r["informs_cargo"], f"{where}, informs_cargo"),
            )
        )
    _check_positions(positions)
    return positions


def _check_positions(positions: list[PositionRow]) -> None:
    cargos = [p.cargo for p in positions]
    if cargos != list(range(1, len(cargos) + 1)):
        raise ReferenceDataError(
            "positions.csv: los cargos deben ir de 001 en adelante, sin huecos"
        )
    known = set(cargos)
    for p in positions:
        for field in ("supervisor_cargo", "informs_cargo"):
            ref = getattr(p, field)
            if ref is not None and ref not in known:
                raise ReferenceDataError(
                    f"positions.csv cargo {p.cargo:03d}, {field}: {ref} no existe"
                )
    by_cargo = {p.cargo: p for p in positions}
    for p in positions:  # the lines of authority must end at the top, never loop
        seen: set[int] = set()
        current: PositionRow | None = p
        while current is not None:
            if current.cargo in seen:
                raise ReferenceDataError(
                    f"positions.csv cargo {p.cargo:03d}: la cadena de mando forma un ciclo"
                )
            seen.add(current.cargo)
            sup = current.supervisor_cargo
            current = by_cargo[sup] if sup is not None else None

"""Synthetic populations in SISFOH's format, for demos, tests and benchmarks.

Real ubigeo codes of the 16 UTs' ámbito, weighted by each UT's Gestores Locales in the
Cuadro de Necesidades de Personal (Title III) — where the programme has more field staff it
has more hogares; invented centros poblados per district; invented people (common Peruvian
surnames with given names drawn independently: nobody real is described); unique DNIs; a CSE
mix of mostly pobres extremos and no extremos with some no pobres and some expired
classifications; members aged as JUNTOS's miembros objetivo (gestantes, niños 0–36 meses,
escolares) with the código modular of an institución educativa or the RENIPRESS code of an
establecimiento de salud of their district.

Same seed and ``as_of`` → byte-identical files.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import accumulate
from pathlib import Path

from engine.org.reference import load_positions, load_units
from engine.padron.geography import District, districts
from engine.padron.names import (
    APELLIDOS,
    CP_NOMBRES,
    CP_PREFIJOS,
    CP_SUFIJOS,
    NOMBRES_F,
    NOMBRES_M,
)
from engine.padron.sisfoh import HOGARES_COLUMNS, MIEMBROS_COLUMNS, MIEMBROS_OPTIONAL

DEFAULT_AS_OF = date(2026, 11, 1)
DNI_SPACE = 10**8

VIAS = ("Jr.", "Av.", "Calle", "Psje.")
CSE_MIX = (("PE", 0.56), ("PNE", 0.34), ("NP", 0.10))
EXPIRED_SHARE = 0.06
NINOS_MIX = (0.55, 0.38, 0.07)  # hogares with 0, 1, 2 niños of 0–36 months
ESCOLARES_MIX = (0.12, 0.28, 0.30, 0.18, 0.09, 0.03)  # with 0…5 escolares
GESTANTE_SHARE = 0.12


@dataclass(frozen=True)
class Place:
    district: District
    index: int
    centro_poblado: str


@dataclass
class Counts:
    hogares: int = 0
    miembros: int = 0


def ut_weights() -> dict[str, int]:
    """Gestores Locales per UT, from the Cuadro de Necesidades de Personal."""
    units = load_units()
    weights: dict[str, int] = {}
    for p in load_positions({u.code for u in units}):
        if p.puesto == "Gestor Local" and p.unit_code.startswith("UT-"):
            weights[p.unit_code] = weights.get(p.unit_code, 0) + 1
    return weights


def _cp_name(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(CP_NOMBRES)
    if roll < 0.4:
        return f"{rng.choice(CP_NOMBRES)} de {rng.choice(CP_PREFIJOS)}{rng.choice(CP_SUFIJOS)}"
    return f"{rng.choice(CP_PREFIJOS)}{rng.choice(CP_SUFIJOS)}"


def _places(rng: random.Random) -> tuple[list[Place], list[float]]:
    """Every centro poblado of the UTs' districts and its cumulative weight."""
    per_ut = ut_weights()
    by_ut: dict[str, list[tuple[int, District]]] = {}
    for index, d in enumerate(districts().values()):
        if d.ut_code:
            by_ut.setdefault(d.ut_code, []).append((index, d))
    places: list[Place] = []
    weights: list[float] = []
    for ut in sorted(by_ut):
        members = by_ut[ut]
        district_w = [rng.lognormvariate(0, 0.8) for _ in members]
        scale = per_ut.get(ut, 1) / sum(district_w)
        for (index, d), dw in zip(members, district_w, strict=True):
            names = sorted({_cp_name(rng) for _ in range(rng.randint(2, 14))})
            cp_w = [rng.lognormvariate(0, 0.6) for _ in names]
            total = sum(cp_w)
            for name, w in zip(names, cp_w, strict=True):
                places.append(Place(d, index, name))
                weights.append(scale * dw * w / total)
    return places, list(accumulate(weights))


class Population:
    """Draws hogares and members; one instance per file pair."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of.toordinal()
        self.places, self.cum = _places(self.rng)
        # DNI = (a·k + b) mod 10⁸ for the k-th person: a bijection, so DNIs never repeat
        self.dni_a = self.rng.randrange(10**7, DNI_SPACE) | 1
        while self.dni_a % 5 == 0:
            self.dni_a += 2
        self.dni_b = self.rng.randrange(DNI_SPACE)
        self.people = 0
        self.random = self.rng.random  # the C call; the helpers below avoid randrange's cost

    def pick(self, seq: Sequence[str]) -> str:
        return seq[int(self.random() * len(seq))]

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def dni(self) -> str:
        self.people += 1
        return f"{(self.dni_a * self.people + self.dni_b) % DNI_SPACE:08d}"

    def born(self, min_days: int, max_days: int) -> str:
        return date.fromordinal(self.as_of - self.between(min_days, max_days)).isoformat()

    def _cse(self) -> tuple[str, str]:
        r = self.random()
        cse = "PE" if r < CSE_MIX[0][1] else "PNE" if r < CSE_MIX[0][1] + CSE_MIX[1][1] else "NP"
        if self.random() < EXPIRED_SHARE:
            end = self.as_of - self.between(1, 720)
        else:
            end = self.as_of + self.between(180, 1460)
        return cse, date.fromordinal(end).isoformat()

    def _address(self, cp: str) -> str:
        r = self.random()
        if r < 0.45:
            return f"Caserío {cp} s/n"
        if r < 0.8:
            return f"{self.pick(VIAS)} {self.pick(CP_NOMBRES)} {self.between(1, 999)}"
        return f"Comunidad {cp}, Mz. {chr(65 + self.below(12))} Lt. {self.between(1, 30)}"

    def _count(self, mix: tuple[float, ...]) -> int:
        r = self.random()
        for n, share in enumerate(mix):
            r -= share
            if r < 0:
                return n
        return len(mix) - 1

    def household(self, number: int, place: Place) -> tuple[list[str], list[list[str]]]:
        titular_f = self.random() < 0.92
        titular = [
            self.dni(),
            self.pick(APELLIDOS),
            self.pick(APELLIDOS),
            self.pick(NOMBRES_F if titular_f else NOMBRES_M),
        ]
        cse, vigencia = self._cse()
        hogar = [f"{number:010d}", place.district.ubigeo, place.centro_poblado]
        hogar += [self._address(place.centro_poblado), *titular, cse, vigencia]
        members = self._members(place, titular, titular_f)
        return hogar, members

    def _members(self, place: Place, titular: list[str], titular_f: bool) -> list[list[str]]:
        """Members with their IE or EESS; co_hogar (column 0) is filled by the caller."""
        out: list[list[str]] = []
        if self.random() < GESTANTE_SHARE:
            if titular_f and self.random() < 0.6:
                person = titular
            else:
                person = [self.dni(), *self._names(titular[1], female=True, own_surname=True)]
            out.append(["", *person, self.born(15 * 365, 42 * 365), "F", "1", "", self.eess(place)])
        for _ in range(self._count(NINOS_MIX)):
            out.append([*self._child(titular[1], 0, 36 * 30), "", self.eess(place)])
        for _ in range(self._count(ESCOLARES_MIX)):
            out.append([*self._child(titular[1], 37 * 30, 19 * 365 - 40), self.ie(place), ""])
        return out

    def _names(self, paterno: str, female: bool, own_surname: bool = False) -> list[str]:
        first = self.pick(APELLIDOS) if own_surname else paterno
        return [first, self.pick(APELLIDOS), self.pick(NOMBRES_F if female else NOMBRES_M)]

    def _child(self, paterno: str, min_days: int, max_days: int) -> list[str]:
        female = self.random() < 0.5
        return [
            "",
            self.dni(),
            *self._names(paterno, female),
            self.born(min_days, max_days),
            "F" if female else "M",
            "0",
        ]

    def ie(self, place: Place) -> str:
        """Código modular (7 digits) of one of the district's instituciones educativas."""
        return f"{200000 + place.index * 20 + self.below(12):07d}"

    def eess(self, place: Place) -> str:
        """RENIPRESS code (8 digits) of one of the district's establecimientos de salud."""
        return f"{place.index * 5 + self.below(4) + 1:08d}"

    def rows(self, households: int) -> Iterator[tuple[list[str], list[list[str]]]]:
        chosen = self.rng.choices(self.places, cum_weights=self.cum, k=households)
        for number, place in enumerate(chosen, start=1):
            hogar, members = self.household(number, place)
            for m in members:
                m[0] = hogar[0]
            yield hogar, members


def generate(
    households: int, seed: int, out_dir: Path | str, as_of: date = DEFAULT_AS_OF
) -> Counts:
    """Writes ``hogares.csv`` and ``miembros.csv`` (UTF-8, comma, ISO dates) into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    population = Population(seed, as_of)
    counts = Counts()
    with (
        (out / "hogares.csv").open("w", encoding="utf-8", newline="") as hf,
        (out / "miembros.csv").open("w", encoding="utf-8", newline="") as mf,
    ):
        hw = csv.writer(hf, lineterminator="\n")
        mw = csv.writer(mf, lineterminator="\n")
        hw.writerow(HOGARES_COLUMNS)
        mw.writerow((*MIEMBROS_COLUMNS, *MIEMBROS_OPTIONAL))
        for hogar, members in population.rows(households):
            hw.writerow(hogar)
            mw.writerows(members)
            counts.hogares += 1
            counts.miembros += len(members)
    return counts

"""Segmentation of a relación de hogares by place (Title V, process 7.2): Unidad Territorial,
provincia, distrito and centro poblado — what each UT receives to prepare its ACVs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from engine.org.models import Unit
from engine.padron.models import Hogar, Ubigeo


@dataclass
class Node:
    """One place and its hogares; ``children`` are the places one level down."""

    code: str
    name: str
    hogares: int = 0
    children: dict[str, Node] = field(default_factory=dict)

    def child(self, code: str, name: str) -> Node:
        node = self.children.get(code)
        if node is None:
            node = self.children[code] = Node(code, name)
        return node

    def as_dict(self, levels: tuple[str, ...]) -> dict[str, Any]:
        body: dict[str, Any] = {"codigo": self.code, "nombre": self.name, "hogares": self.hogares}
        if levels:
            body[levels[0]] = [c.as_dict(levels[1:]) for c in self.children.values()]
        return body


LEVELS = ("unidades_territoriales", "provincias", "distritos", "centros_poblados")


@dataclass
class Segmentation:
    root: Node

    @property
    def total(self) -> int:
        return self.root.hogares

    def as_dict(self) -> dict[str, Any]:
        body = self.root.as_dict(LEVELS)
        return {"hogares": body["hogares"], LEVELS[0]: body[LEVELS[0]]}

    def lines(self) -> list[str]:
        """UT and provincia totals, with how many distritos and centros poblados."""
        out = [f"{self.total} hogares"]
        for ut in self.root.children.values():
            out.append(f"{ut.code} {ut.name}: {ut.hogares} hogares")
            for prov in ut.children.values():
                cps = sum(len(d.children) for d in prov.children.values())
                out.append(
                    f"    {prov.name}: {prov.hogares} hogares en {len(prov.children)} distritos, "
                    f"{cps} centros poblados"
                )
        return out


def segment(session: Session, *where: ColumnElement[bool]) -> Segmentation:
    """Counts the hogares that meet ``where`` (conditions on ``Hogar``) per place: counted
    per (UT, district, centro poblado) in one pass over the hogares, then named."""
    counted = (
        select(
            Hogar.ut_unit_id,
            Hogar.ubigeo,
            Hogar.centro_poblado,
            func.count().label("hogares"),
        )
        .where(*where)
        .group_by(Hogar.ut_unit_id, Hogar.ubigeo, Hogar.centro_poblado)
        .subquery()
    )
    query = (
        select(
            Unit.code,
            Unit.name,
            Ubigeo.departamento,
            Ubigeo.provincia,
            Ubigeo.ubigeo,
            Ubigeo.distrito,
            counted.c.centro_poblado,
            counted.c.hogares,
        )
        .join(Ubigeo, Ubigeo.ubigeo == counted.c.ubigeo)
        .join(Unit, Unit.id == counted.c.ut_unit_id)
        .order_by(Unit.code, Ubigeo.ubigeo, counted.c.centro_poblado)
    )
    root = Node("", "")
    for ut, ut_name, dep, prov, ubigeo, dist, cp, n in session.execute(query):
        path = (
            root.child(ut, ut_name),
            root.child(ut, ut_name).child(ubigeo[:4], f"{prov} ({dep})"),
        )
        district = path[1].child(ubigeo, dist)
        district.child(cp, cp).hogares += n
        for node in (root, *path, district):
            node.hogares += n
    return Segmentation(root)

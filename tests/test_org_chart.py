"""The organisation loaded from the reference files matches the Manual de Operaciones."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.org import Position, Unit, list_positions, list_units, supervisor_chain

# Subtotals of the Cuadro de Necesidades de Personal (Title III), unit by unit.
MANUAL_SUBTOTALS = {
    "III.1 Dirección Ejecutiva": (("DE", "CT"), 13),
    "III.2 Órgano de Control Institucional": (("OCI",), 9),
    "III.3 Unidad de Administración": (("UA",), 38),
    "III.4 Unidad de Tecnologías de Información": (("UTI",), 15),
    "III.5 Unidad de Comunicación e Imagen": (("UCI",), 10),
    "III.6 Unidad de Planeamiento y Presupuesto": (("UPP",), 12),
    "III.7 Unidad de Asesoría Jurídica": (("UAJ",), 6),
    "III.8 Unidad de Operaciones de Afiliación y Liquidación": (("UOAL",), 13),
    "III.9 Unidad de Verificación del Cumplimiento de Corresponsabilidades": (("UVCC",), 15),
    "III.10.1 UT Áncash": (("UT-ANC",), 121),
    "III.10.2 UT Ayacucho": (("UT-AYA",), 146),
    "III.10.3 UT Apurímac": (("UT-APU",), 120),
    "III.10.4 UT Amazonas - Bagua": (("UT-BAG",), 32),
    "III.10.5 UT Amazonas - Condorcanqui": (("UT-CON",), 48),
    "III.10.6 UT Cajamarca": (("UT-CAJ",), 238),
    "III.10.7 UT Cusco": (("UT-CUS",), 96),
    "III.10.8 UT Huancavelica": (("UT-HUV",), 132),
    "III.10.9 UT Huánuco": (("UT-HUA",), 124),
    "III.10.10 UT Loreto - Iquitos": (("UT-IQU",), 71),
    "III.10.11 UT Loreto - Yurimaguas": (("UT-YUR",), 41),
    "III.10.12 UT Junín": (("UT-JUN",), 77),
    "III.10.13 UT Pasco": (("UT-PAS",), 28),
    "III.10.14 UT Piura": (("UT-PIU",), 160),
    "III.10.15 UT Puno": (("UT-PUN",), 138),
    "III.10.16 UT La Libertad": (("UT-LLI",), 149),
}
# Gestores Locales per UT (Title III.10).
GESTORES_LOCALES = {
    "UT-ANC": 104,
    "UT-AYA": 127,
    "UT-APU": 104,
    "UT-BAG": 18,
    "UT-CON": 33,
    "UT-CAJ": 203,
    "UT-CUS": 80,
    "UT-HUV": 114,
    "UT-HUA": 104,
    "UT-IQU": 48,
    "UT-YUR": 25,
    "UT-JUN": 61,
    "UT-PAS": 18,
    "UT-PIU": 136,
    "UT-PUN": 123,
    "UT-LLI": 125,
}


@pytest.fixture(scope="module")
def per_unit(db) -> Counter[str]:  # type: ignore[no-untyped-def]
    with db.transaction() as s:
        return Counter(p.unit.code for p in list_positions(s))


@pytest.mark.parametrize("section", MANUAL_SUBTOTALS)
def test_every_unit_has_the_manuals_subtotal(per_unit: Counter[str], section: str) -> None:
    codes, expected = MANUAL_SUBTOTALS[section]
    assert sum(per_unit[c] for c in codes) == expected


def test_totals(per_unit: Counter[str], session: Session) -> None:
    assert sum(per_unit.values()) == 1852
    central = sum(n for code, n in per_unit.items() if not code.startswith("UT-"))
    assert central == 131
    cargos = session.scalars(select(Position.cargo).order_by(Position.cargo)).all()
    assert cargos == list(range(1, 1853))


def test_units_and_their_hierarchy(session: Session) -> None:
    units = list_units(session)
    kinds = Counter(u.kind for u in units)
    assert kinds == {
        "executive": 1,
        "coordination": 1,
        "control": 1,
        "internal_administration": 5,
        "technical": 2,
        "territorial": 16,
    }
    top = [u for u in units if u.parent is None]
    assert [u.code for u in top] == ["DE"]
    assert all(u.parent.code == "DE" for u in units if u.code != "DE")
    ut_names = [u.name for u in units if u.kind == "territorial"]
    assert ut_names[0] == "Unidad Territorial Áncash"
    assert ut_names[-1] == "Unidad Territorial La Libertad"
    assert "Unidad Territorial Loreto - Yurimaguas" in ut_names


@pytest.mark.parametrize(("ut", "count"), GESTORES_LOCALES.items())
def test_gestores_locales_per_ut(session: Session, ut: str, count: int) -> None:
    n = session.scalar(
        select(func.count())
        .select_from(Position)
        .join(Unit)
        .where(Unit.code == ut, Position.denominacion == "Gestor Local")
    )
    assert n == count


def _chain(session: Session, cargo: int) -> list[str]:
    return [p.denominacion for p in supervisor_chain(session, cargo)]


def test_territorial_line_of_authority(session: Session) -> None:
    """Gestor Local → CTZ → CTT → Jefe de UT → Director Ejecutivo (Title IV.10–12, C)."""
    for ut, n in GESTORES_LOCALES.items():
        gestores = session.scalars(
            select(Position)
            .join(Unit)
            .where(Unit.code == ut, Position.denominacion == "Gestor Local")
        ).all()
        assert len(gestores) == n
        for gl in gestores:
            chain = supervisor_chain(session, gl.cargo)
            assert [p.puesto for p in chain] == [
                "Gestor Local",
                "Coordinador Técnico Zonal",
                "Coordinador Técnico Territorial",
                "Jefe de Unidad",
                "Director Ejecutivo",
            ]
            assert {p.unit.code for p in chain[:4]} == {ut}


def test_central_lines_of_authority(session: Session) -> None:
    assert _chain(session, 23)[1].startswith("Director Ejecutivo")  # Jefe UA → Director
    assert _chain(session, 29)[1:3] == [
        "Coordinador de Logística",
        "Jefe de la Unidad de Administración",
    ]
    assert _chain(session, 108)[1] == "Coordinador de Afiliaciones"
    assert _chain(session, 6)[1] == "Coordinador Técnico"
    assert len(_chain(session, 1)) == 1  # the Director reports outside the programme


def test_oci_reports_outside_and_informs_the_director(session: Session) -> None:
    chief = session.scalar(select(Position).where(Position.cargo == 14))
    assert chief.supervisor is None
    assert chief.informs.cargo == 1
    assert chief.unit.external_authority == "Contraloría General de la República"
    assert [p.cargo for p in supervisor_chain(session, 17)] == [17, 14]


def test_every_unit_head_reports_to_the_director(session: Session) -> None:
    heads = session.scalars(select(Position).where(Position.puesto == "Jefe de Unidad")).all()
    assert len(heads) == 7 + 16
    assert all(h.supervisor.cargo == 1 for h in heads)


def test_supervisors_stay_in_the_unit_or_go_to_the_director(session: Session) -> None:
    for p in list_positions(session):
        if p.supervisor is not None and p.supervisor.cargo != 1:
            assert p.supervisor.unit_id == p.unit_id, p.cargo

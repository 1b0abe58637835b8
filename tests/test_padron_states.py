"""State changes of the padrón: the transitions of the Manual, set-based, each with its
history row; refused changes change nothing. Member kinds by age."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.db import Database
from engine.errors import NotFound, ValidationError
from engine.padron import (
    TRANSITIONS,
    Hogar,
    HogarEstadoHistorial,
    TransitionRefused,
    change_state,
    household_card,
    import_sisfoh,
    member_kind,
)
from tests.test_padron_support import padron_database, write_pair

ON = date(2026, 11, 29)


@pytest.fixture(scope="module")
def db(databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    """Twenty validated hogares T-00…T-19 and five potenciales P-0…P-4."""
    database = padron_database(databases)
    rows = [
        [f"T-{i:02d}", "080101", "Cusco", "", f"450000{i:02d}", "A", "B", "C", "PE", "2029-01-01"]
        for i in range(20)
    ] + [
        [f"P-{i}", "080101", "Cusco", "", f"460000{i:02d}", "A", "B", "C", "NP", "2029-01-01"]
        for i in range(5)
    ]
    h, m = write_pair(Path(tmp_path_factory.mktemp("states")), rows, [])
    with database.write_transaction() as s:
        import_sisfoh(s, h, m, on=ON)
    yield database
    database.dispose()


def states(db: Database, codes: list[str]) -> list[str]:
    with db.transaction() as s:
        found = dict(
            s.execute(select(Hogar.co_hogar, Hogar.estado).where(Hogar.co_hogar.in_(codes))).all()
        )
    return [found[c] for c in codes]


def history_count(db: Database) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(HogarEstadoHistorial)) or 0


def test_affiliation_records_instance_and_element(db: Database) -> None:
    with db.write_transaction() as s:
        done = change_state(
            s, ["T-00", "T-01"], "afiliado", "Formalización de la afiliación",
            instance_id=41, element_id="formalizar_afiliacion",
        )  # fmt: skip
    assert (done.changed, done.unchanged) == (2, 0)
    with db.transaction() as s:
        last = household_card(s, "T-00").historial[-1]
    assert (last.estado_anterior, last.estado_nuevo) == ("validado", "afiliado")
    assert (last.instance_id, last.element_id) == (41, "formalizar_afiliacion")
    assert last.causa == "Formalización de la afiliación"


def test_a_select_moves_a_whole_set(db: Database) -> None:
    chosen = select(Hogar.id).where(Hogar.co_hogar.between("T-10", "T-19"))
    before = history_count(db)
    with db.write_transaction() as s:
        done = change_state(s, chosen, "afiliado", "Padrón de nuevos hogares afiliados")
    assert done.changed == 10
    assert history_count(db) == before + 10
    assert set(states(db, [f"T-{i}" for i in range(10, 20)])) == {"afiliado"}


def test_refused_transition_changes_nothing(db: Database) -> None:
    before = history_count(db)
    with pytest.raises(TransitionRefused) as caught, db.write_transaction() as s:
        # T-02 is validado (may be affiliated), P-0 potencial (may not): the set is refused
        change_state(s, ["T-02", "P-0"], "afiliado", "intento")
    message = str(caught.value)
    assert "'potencial'" in message and "'afiliado'" in message and "P-0" in message
    assert states(db, ["T-02", "P-0"]) == ["validado", "potencial"]
    assert history_count(db) == before


def test_same_state_is_left_alone(db: Database) -> None:
    before = history_count(db)
    with db.write_transaction() as s:
        done = change_state(s, ["T-00"], "afiliado", "reintento de la misma operación")
    assert (done.changed, done.unchanged) == (0, 1)
    assert history_count(db) == before


def test_suspension_desafiliacion_and_reincorporacion(db: Database) -> None:
    with db.write_transaction() as s:
        change_state(s, ["T-03"], "afiliado", "Formalización")
        change_state(s, ["T-03"], "suspendido", "No cumple criterios de permanencia")
        change_state(s, ["T-03"], "desafiliado", "Desafiliación")
    with db.transaction() as s:
        assert household_card(s, "T-03").hogar.reincorporado is False
    with db.write_transaction() as s:
        change_state(s, ["T-03"], "afiliado", "Reincorporación", instance_id=7, element_id="x")
    with db.transaction() as s:
        card = household_card(s, "T-03")
    assert card.hogar.estado == "afiliado" and card.hogar.reincorporado is True
    assert [c.estado_nuevo for c in card.historial] == [
        "validado", "afiliado", "suspendido", "desafiliado", "afiliado",
    ]  # fmt: skip


def test_egresado_is_final(db: Database) -> None:
    with db.write_transaction() as s:
        change_state(s, ["T-04"], "afiliado", "Formalización")
        change_state(s, ["T-04"], "egresado", "Egreso del Programa")
    for target in TRANSITIONS:
        if target == "egresado":
            continue
        with pytest.raises(TransitionRefused, match="estado final"), db.write_transaction() as s:
            change_state(s, ["T-04"], target, "intento")
    assert states(db, ["T-04"]) == ["egresado"]


def test_waiting_for_classification(db: Database) -> None:
    with db.write_transaction() as s:
        change_state(s, ["P-1"], "en_espera_clasificacion", "ACV: cumple criterios categóricos")
        change_state(s, ["P-1"], "validado", "SISFOH: clasificado pobre extremo")
    assert states(db, ["P-1"]) == ["validado"]


def test_unknown_codes_and_states_are_refused(db: Database) -> None:
    with pytest.raises(NotFound, match="NO-EXISTE"), db.write_transaction() as s:
        change_state(s, ["T-05", "NO-EXISTE"], "afiliado", "x")
    with pytest.raises(ValidationError, match="estado"), db.write_transaction() as s:
        change_state(s, ["T-05"], "pagado", "x")
    with pytest.raises(ValidationError, match="causa"), db.write_transaction() as s:
        change_state(s, ["T-05"], "afiliado", "  ")
    assert states(db, ["T-05"]) == ["validado"]


@pytest.mark.parametrize(
    ("born", "gestante", "kind"),
    [
        (date(2026, 11, 29), False, "nino_0_36_meses"),
        (date(2023, 11, 30), False, "nino_0_36_meses"),  # 35 months and 30 days
        (date(2023, 11, 29), False, "escolar"),  # 36 months to the day
        (date(2007, 11, 30), False, "escolar"),  # the day before turning 19
        (date(2007, 11, 29), False, None),  # 19 today
        (date(1990, 1, 1), True, "gestante"),
    ],
)
def test_member_kind(born: date, gestante: bool, kind: str | None) -> None:
    assert member_kind(born, gestante, ON) == kind

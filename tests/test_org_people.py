"""Users, assignments and encargos: validation names the field and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import ValidationError
from engine.org import Assignment, User, add_user, assign, holdings, seed_org, unit_roster

GOOD = "Clave-Segura-2026"


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_is_idempotent(session: Session) -> None:
    again = seed_org(session)
    assert (again.created, again.updated) == (0, 0)


def test_add_user_hashes_the_password(session: Session) -> None:
    user = add_user(session, "Nuevo.Usuario", "  María   Pérez ", GOOD)
    assert user.login == "nuevo.usuario"
    assert user.full_name == "María Pérez"
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD not in user.password_hash


@pytest.mark.parametrize(
    ("login", "name", "password", "field"),
    [
        ("gl.cajamarca", "Otra Persona", GOOD, "login"),  # duplicate (a demo user)
        ("GL.CAJAMARCA", "Otra Persona", GOOD, "login"),  # duplicate, other case
        ("a b", "Otra Persona", GOOD, "login"),
        ("persona.x", "   ", GOOD, "full_name"),
        ("persona.x", "Persona X", "corta1", "password"),
        ("persona.x", "Persona X", "soloLetrasLargas", "password"),
        ("persona.x", "Persona X", "1234567890", "password"),
        ("persona.x", "Persona X", "persona.x-2026!", "password"),
    ],
)
def test_bad_user_is_refused_and_nothing_written(
    session: Session, login: str, name: str, password: str, field: str
) -> None:
    before = _count(session, User)
    with pytest.raises(ValidationError) as err:
        add_user(session, login, name, password)
    assert err.value.field == field
    assert _count(session, User) == before


def test_assign_and_encargo_show_in_holdings(session: Session) -> None:
    add_user(session, "ana.jefa", "Ana Jefa", GOOD)
    assign(session, "ana.jefa", "1300", date(2026, 1, 1))  # titular: Chofer UT Yurimaguas
    assign(
        session,
        "ana.jefa",
        "1301",
        date(2026, 2, 1),
        date(2026, 3, 31),
        kind="encargo",
        reference="RDE N° 010-2026",
    )
    user_id = session.scalar(select(User.id).where(User.login == "ana.jefa"))
    march = holdings(session, user_id, date(2026, 3, 15))
    assert {(h.position.cargo, h.kind) for h in march} == {(1300, "titular"), (1301, "encargo")}
    april = holdings(session, user_id, date(2026, 4, 1))
    assert {h.position.cargo for h in april} == {1300}
    _, lines = unit_roster(session, "UT-JUN", date(2026, 3, 15))
    jefe = next(line for line in lines if line.position.cargo == 1301)
    assert [(o.login, o.kind) for o in jefe.occupants] == [("ana.jefa", "encargo")]


@pytest.mark.parametrize(
    ("login", "cargo", "start", "end", "kind", "field"),
    [
        ("nadie.existe", "627", date(2026, 1, 1), None, "titular", "login"),
        ("gl.puno", "9999", date(2026, 1, 1), None, "titular", "cargo"),
        ("gl.puno", "abc", date(2026, 1, 1), None, "titular", "cargo"),
        ("gl.puno", "628", date(2026, 5, 1), date(2026, 4, 1), "titular", "end_date"),
        ("gl.puno", "628", date(2026, 5, 1), None, "interino", "kind"),
        # 627 already has a titular (gl.cajamarca) from 01/01/2026 with no end
        ("gl.puno", "627", date(2026, 6, 1), None, "titular", "start_date"),
    ],
)
def test_bad_assignment_is_refused_and_nothing_written(
    session: Session, login: str, cargo: str, start: date, end: date | None, kind: str, field: str
) -> None:
    before = _count(session, Assignment)
    with pytest.raises(ValidationError) as err:
        assign(session, login, cargo, start, end, kind=kind)
    assert err.value.field == field
    assert _count(session, Assignment) == before


def test_titular_and_encargado_may_share_a_position(session: Session) -> None:
    """While the titular is away, an encargado holds the position too."""
    assign(session, "ctz.cajamarca", "627", date(2026, 7, 1), date(2026, 7, 31), kind="encargo")
    _, lines = unit_roster(session, "UT-CAJ", date(2026, 7, 10))
    line = next(line for line in lines if line.position.cargo == 627)
    assert [o.kind for o in line.occupants] == ["titular", "encargo"]

"""Demo people for a fresh installation (``juntos init``; ``--no-demo`` skips them).

Every demo user logs in with DEMO_PASSWORD. The names are invented.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.org.models import Assignment, User
from engine.org.people import add_user, assign, position_by_cargo

DEMO_PASSWORD = "Demo-Juntos-2026"
DEMO_START = date(2026, 1, 1)

# login, full name, [(cargo, kind)], is_admin
DEMO_PEOPLE: list[tuple[str, str, list[tuple[int, str]], bool]] = [
    ("admin", "Administración del sistema", [], True),
    ("director", "Rosa Quispe Mamani", [(1, "titular")], False),
    ("coord.tecnico", "Luis Huamán Torres", [(2, "titular")], False),
    ("jefe.oci", "Carmen Salas Vega", [(14, "titular")], False),
    ("auditor.oci", "Jorge Paredes León", [(17, "titular")], False),
    ("jefe.ua", "Ana Flores Rojas", [(23, "titular")], False),
    ("jefe.uti", "Miguel Castro Díaz", [(61, "titular")], False),
    ("jefe.uci", "Patricia Ramos Soto", [(76, "titular")], False),
    ("jefe.upp", "Ricardo Chávez Ríos", [(86, "titular")], False),
    ("jefe.uaj", "Elena Vargas Cruz", [(98, "titular")], False),
    ("jefe.uoal", "Pedro Mendoza Gil", [(104, "titular")], False),
    ("esp.afiliaciones", "Lucía Ortiz Campos", [(108, "titular")], False),
    ("jefe.uvcc", "Víctor Navarro Peña", [(117, "titular")], False),
    ("esp.verificacion", "Marco Tello Ruiz", [(124, "titular")], False),
    ("jefe.ut.cajamarca", "Julia Cabrera Silva", [(599, "titular")], False),
    ("ctt.cajamarca", "Óscar Rojas Medina", [(600, "titular")], False),
    ("ctz.cajamarca", "Teresa Gálvez Ruiz", [(601, "titular")], False),
    ("gl.cajamarca", "Santos Chilón Vásquez", [(627, "titular")], False),
    ("jefe.ut.puno", "Hilda Condori Apaza", [(1566, "titular")], False),
    ("gl.puno", "Wilber Ccama Quispe", [(1575, "titular")], False),
    # The Jefe de UT Cusco (837) is vacant: its CTT holds it as an encargo.
    ("ctt.cusco", "Nilda Huillca Puma", [(838, "titular"), (837, "encargo")], False),
]


def seed_demo_people(session: Session) -> int:
    """Adds the demo people and their assignments that are missing; returns how many users."""
    created = 0
    for login, name, holdings, is_admin in DEMO_PEOPLE:
        user = session.scalar(select(User).where(User.login == login))
        if user is None:
            user = add_user(session, login, name, DEMO_PASSWORD, is_admin=is_admin)
            created += 1
        for cargo, kind in holdings:
            position = position_by_cargo(session, cargo)
            held = session.scalar(
                select(Assignment.id).where(
                    Assignment.user_id == user.id, Assignment.position_id == position.id
                )
            )
            if held is None:
                reference = "RDE de encargo (demostración)" if kind == "encargo" else ""
                assign(session, login, cargo, DEMO_START, kind=kind, reference=reference)
    return created

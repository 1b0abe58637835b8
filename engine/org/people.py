"""Users and the positions they hold (assignments), with validation before any write."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from engine.errors import NotFound, ValidationError
from engine.org.models import Assignment, Position, User, format_cargo
from engine.org.passwords import check_policy, hash_password

LOGIN_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
ASSIGNMENT_KINDS = ("titular", "encargo")


def add_user(
    session: Session, login: str, full_name: str, password: str, *, is_admin: bool = False
) -> User:
    login = login.strip().lower()
    if not LOGIN_RE.match(login):
        raise ValidationError(
            "login", "use de 3 a 64 letras minúsculas, números, punto, guion o guion bajo"
        )
    if session.scalar(select(User.id).where(User.login == login)) is not None:
        raise ValidationError("login", f"ya existe un usuario '{login}'")
    full_name = " ".join(full_name.split())
    if not full_name:
        raise ValidationError("full_name", "el nombre es obligatorio")
    check_policy(password, login)
    user = User(
        login=login, full_name=full_name, password_hash=hash_password(password), is_admin=is_admin
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def user_by_login(session: Session, login: str) -> User:
    user = session.scalar(select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise NotFound(f"no existe el usuario '{login}'")
    return user


def position_by_cargo(session: Session, cargo: int | str) -> Position:
    number = int(cargo) if str(cargo).isdigit() else None
    position = session.scalar(select(Position).where(Position.cargo == number)) if number else None
    if position is None:
        raise ValidationError("cargo", f"'{cargo}' no es un número de cargo del Cuadro de Personal")
    return position


def assign(
    session: Session,
    login: str,
    cargo: int | str,
    start: date,
    end: date | None = None,
    *,
    kind: str = "titular",
    reference: str = "",
) -> Assignment:
    """Gives ``login`` the position ``cargo`` from ``start`` to ``end``.

    A position has at most one titular and one encargado at any day; an overlap is
    refused with the dates of the assignment it collides with.
    """
    if kind not in ASSIGNMENT_KINDS:
        raise ValidationError("kind", "debe ser 'titular' o 'encargo'")
    if end is not None and end < start:
        raise ValidationError("end_date", "la fecha de fin es anterior a la de inicio")
    user = _existing_user(session, login)
    position = position_by_cargo(session, cargo)
    for other in session.scalars(
        select(Assignment).where(Assignment.position_id == position.id, Assignment.kind == kind)
    ):
        if _overlaps(other, start, end):
            raise ValidationError(
                "start_date",
                f"el cargo {format_cargo(position.cargo)} ya tiene {kind} del "
                f"{other.start_date:%d/%m/%Y} al "
                f"{other.end_date.strftime('%d/%m/%Y') if other.end_date else '(sin fin)'}",
            )
    assignment = Assignment(
        user=user,
        position=position,
        kind=kind,
        start_date=start,
        end_date=end,
        reference=reference.strip(),
    )
    session.add(assignment)
    session.flush()
    return assignment


def _existing_user(session: Session, login: str) -> User:
    try:
        return user_by_login(session, login)
    except NotFound as exc:
        raise ValidationError("login", str(exc)) from None


def _overlaps(a: Assignment, start: date, end: date | None) -> bool:
    a_end = a.end_date or date.max
    return a.start_date <= (end or date.max) and start <= a_end


@dataclass(frozen=True)
class Holding:
    """A position a user holds on a given day."""

    position: Position
    kind: str
    start_date: date
    end_date: date | None


def holdings(session: Session, user_id: int, on: date) -> list[Holding]:
    rows = session.scalars(
        select(Assignment)
        .where(Assignment.user_id == user_id, Assignment.start_date <= on)
        .options(joinedload(Assignment.position).joinedload(Position.unit))
    )
    return [Holding(a.position, a.kind, a.start_date, a.end_date) for a in rows if a.active_on(on)]


def list_users(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .order_by(User.login)
            .options(
                selectinload(User.assignments)
                .selectinload(Assignment.position)
                .selectinload(Position.unit)
            )
        )
    )

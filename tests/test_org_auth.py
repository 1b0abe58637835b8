"""Login checks and throttling of repeated failures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.org import LoginRefused, LoginThrottled, add_user, authenticate
from engine.org.auth import MAX_FAILURES, WINDOW

PASSWORD = "Clave-Segura-2026"


@pytest.fixture
def user(session: Session):  # type: ignore[no-untyped-def]
    return add_user(session, "prueba.login", "Prueba Login", PASSWORD)


def test_right_password_logs_in(session: Session, user) -> None:  # type: ignore[no-untyped-def]
    assert authenticate(session, " Prueba.Login ", PASSWORD).id == user.id


@pytest.mark.parametrize(
    ("login", "password"), [("prueba.login", "otra-clave-123"), ("no.existe", PASSWORD)]
)
def test_wrong_login_or_password_says_the_same(
    session: Session,
    user,
    login: str,
    password: str,  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(LoginRefused, match="Usuario o contraseña incorrectos"):
        authenticate(session, login, password)


def test_inactive_user_cannot_log_in(session: Session, user) -> None:  # type: ignore[no-untyped-def]
    user.is_active = False
    with pytest.raises(LoginRefused):
        authenticate(session, "prueba.login", PASSWORD)


def test_too_many_failures_lock_the_login_for_a_while(session: Session, user) -> None:  # type: ignore[no-untyped-def]
    start = utcnow()
    for i in range(MAX_FAILURES):
        with pytest.raises(LoginRefused):
            authenticate(session, "prueba.login", "mala-clave-1", start + timedelta(seconds=i))
    with pytest.raises(LoginThrottled):  # even the right password is refused now
        authenticate(session, "prueba.login", PASSWORD, start + timedelta(seconds=10))
    later = start + WINDOW + timedelta(minutes=1)
    assert authenticate(session, "prueba.login", PASSWORD, later).id == user.id


def test_a_success_resets_the_count(session: Session, user) -> None:  # type: ignore[no-untyped-def]
    start = utcnow()
    for i in range(MAX_FAILURES - 1):
        with pytest.raises(LoginRefused):
            authenticate(session, "prueba.login", "mala-clave-1", start + timedelta(seconds=i))
    authenticate(session, "prueba.login", PASSWORD, start + timedelta(seconds=10))
    with pytest.raises(LoginRefused):
        authenticate(session, "prueba.login", "mala-clave-1", start + timedelta(seconds=11))
    assert authenticate(session, "prueba.login", PASSWORD, start + timedelta(seconds=12))
